/* Constants shared by the tar parser's C files and mirrored in src/image/tar/wasm.ts (keep in sync). */
#ifndef TAR_READ_H
#define TAR_READ_H
#include "common.h"

/* Largest pax / GNU long-name payload we accept (Go's archive/tar uses the same 1 MiB bound). */
#define META_MAX (1u << 20)
/* Strings kept for the next entry: pax values, long names, the composed ustar name. */
#define ARENA_MAX ((1u << 20) + 4096)
#define XATTR_MAX 1024
/* Largest entry size: what a JS number holds exactly (2^53 - 1). */
#define MAX_SIZE 0x1fffffffffffffull

/* entry types, as in TarEntryType order of wasm.ts */
enum { T_FILE = 0, T_HARDLINK, T_SYMLINK, T_CHAR, T_BLOCK, T_DIR, T_FIFO };

/* out[] fields (doubles, so JS reads them with one Float64Array) */
enum {
  F_TYPE = 0, F_MODE, F_UID, F_GID, F_SIZE, F_MTIME, F_NSEC, F_DEVMAJOR, F_DEVMINOR,
  F_NAME_PTR, F_NAME_LEN, F_LINK_PTR, F_LINK_LEN, F_UNAME_PTR, F_UNAME_LEN, F_GNAME_PTR, F_GNAME_LEN,
  F_XATTR_COUNT, F_XATTR_PTR, OUT_FIELDS
};

/* error codes (messages live in JS) */
enum {
  ERR_CHECKSUM = 1, ERR_TYPE, ERR_SPARSE, ERR_TRUNC_HEADER, ERR_TRUNC_DATA, ERR_ABSURD_SIZE,
  ERR_NUM_SIZE, ERR_NUM_MODE, ERR_NUM_UID, ERR_NUM_GID, ERR_NUM_MTIME, ERR_NUM_DEV, ERR_NUM_CHECKSUM,
  ERR_PAX, ERR_PAX_VALUE, ERR_META_TOO_BIG, ERR_ABSURD_ID, ERR_PROTOCOL
};

enum { PAX_PATH = 1, PAX_LINKPATH, PAX_UNAME, PAX_GNAME, PAX_UID, PAX_GID, PAX_SIZE, PAX_MTIME, PAX_XATTR };

int parse_num(const u8 *f, u32 n, u64 *out, int allow_negative);
int check_checksum(const u8 *h);
int pax_parse(const u8 *p, u32 n, int global);
int pax_set(int key, const u8 *v, u32 vlen, u64 num, i64 sec, u32 nsec, const u8 *xk, u32 xklen);
int pending_any(void);

#endif
