/** One entry of a tar stream, as the WASM reader reports it and the writer takes it. */
export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  /** path inside the archive, normalized: no leading "./" or "/", no trailing "/" (dirs too) */
  name: string;
  type: TarEntryType;
  /** permission bits incl. setuid/setgid/sticky (no file-type bits) */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** bytes of content (files only; 0 otherwise) */
  size: number;
  /** modification time: whole seconds since the epoch */
  mtime: number;
  /** sub-second part of mtime in nanoseconds (pax mtime), 0 when absent */
  mtimeNsec: number;
  /** target of a symlink, or the archive path a hardlink points at */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** SCHILY.xattr.* records: name -> raw value */
  xattrs?: Record<string, Uint8Array>;
}
