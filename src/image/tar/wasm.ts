/**
 * Loads build/layer.wasm (built by scripts/build-wasm from wasm/*.c) once, synchronously. The compiled
 * Module is shared; each parser gets its own Instance (parser state is global in C, and instantiating a
 * 17 KB module costs microseconds), while the writer and xxh64 share one instance: their calls are
 * synchronous, so JS's single thread can never interleave them.
 */
import { readFileSync } from "node:fs";
import wasmPath from "../../../build/layer.wasm" with { type: "file" };

export interface LayerExports {
  memory: WebAssembly.Memory;
  // reader (wasm/tar_read.c)
  tr_init(): void;
  tr_mode(): number;
  tr_want(): number;
  tr_dst(): number;
  tr_fill(n: number): number;
  tr_skip(n: number): number;
  tr_eof(): number;
  tr_error(): number;
  tr_error_type(): number;
  tr_err_name(): number;
  tr_offset(): number;
  tr_out(): number;
  // writer (wasm/tar_write.c)
  tw_args(): number;
  tw_in(): number;
  tw_in_size(): number;
  tw_out(): number;
  tw_encode(): number;
  // xxh64 (wasm/xxh64.c)
  xx_buf(): number;
  xx_buf_size(): number;
  xx_reset(lo: number, hi: number): void;
  xx_update(n: number): void;
  xx_digest(): void;
}

let module: WebAssembly.Module | undefined;
let shared: LayerExports | undefined;

function compiled(): WebAssembly.Module {
  if (!module) module = new WebAssembly.Module(readFileSync(wasmPath));
  return module;
}

/** A fresh instance (own memory): for stateful users such as TarParser. */
export function newInstance(): LayerExports {
  return new WebAssembly.Instance(compiled(), {}).exports as unknown as LayerExports;
}

/** The instance shared by synchronous users (header encoder, xxh64). */
export function sharedInstance(): LayerExports {
  if (!shared) shared = newInstance();
  return shared;
}

/** Mirrors of the C enums in wasm/tar_read.h. */
export const Mode = { COPY: 0, BODY: 1, SKIP: 2, END: 3, ERROR: 4 } as const;
export const Ev = { NONE: 0, ENTRY: 1, END: 2, ERROR: -1 } as const;
export const TYPES = ["file", "hardlink", "symlink", "char", "block", "dir", "fifo"] as const;
export const F = {
  TYPE: 0, MODE: 1, UID: 2, GID: 3, SIZE: 4, MTIME: 5, NSEC: 6, DEVMAJOR: 7, DEVMINOR: 8,
  NAME_PTR: 9, NAME_LEN: 10, LINK_PTR: 11, LINK_LEN: 12, UNAME_PTR: 13, UNAME_LEN: 14,
  GNAME_PTR: 15, GNAME_LEN: 16, XATTR_COUNT: 17, XATTR_PTR: 18,
} as const;
export const A = {
  TYPE: 0, MODE: 1, UID: 2, GID: 3, SIZE: 4, MTIME: 5, NSEC: 6, DEVMAJOR: 7, DEVMINOR: 8, FLAGS: 9,
  NAME_OFF: 10, NAME_LEN: 11, LINK_OFF: 12, LINK_LEN: 13, UNAME_OFF: 14, UNAME_LEN: 15,
  GNAME_OFF: 16, GNAME_LEN: 17, XATTR_N: 18, XATTR_OFF: 19,
} as const;
