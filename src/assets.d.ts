// Files embedded into the binary by `bun build --compile` (import x from "./f.wasm" with { type: "file" }).
declare module "*.wasm" {
  const path: string;
  export default path;
}
