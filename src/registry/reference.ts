/**
 * Image references are parsed in one place, src/image/reference.ts (naming belongs to the image layer and
 * the registry sits above it). This re-export only keeps older imports working; new code imports from there.
 */
export * from "../image/reference.ts";
