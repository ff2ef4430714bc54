// Replaced at build time by scripts/build (bun build --define); source runs read git directly.
declare const BUNKER_VERSION: string | undefined;
declare const BUNKER_COMMIT: string | undefined;

export const version: string = typeof BUNKER_VERSION === "string" ? BUNKER_VERSION : "0.1.0-dev";
export const commit: string = typeof BUNKER_COMMIT === "string" ? BUNKER_COMMIT : "source";
