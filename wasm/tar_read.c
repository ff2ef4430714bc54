/*
 * Push-style tar parser. JS owns the bytes: header blocks and pax/GNU-long-name data are copied in here
 * (small), entry bodies never are (JS hands them on as subarrays and only tells us how many it passed).
 * Protocol, per step: tr_mode() says COPY (copy up to tr_want() bytes to tr_dst(), then tr_fill(n)),
 * BODY/SKIP (pass up to tr_want() bytes on or drop them, then tr_skip(n)), END or ERROR.
 * Every step consumes bytes or ends, so no input can make it loop; all copies are bounds-checked.
 */
#include "common.h"
#include "tar_read.h"

enum { M_COPY = 0, M_BODY = 1, M_SKIP = 2, M_END = 3, M_ERROR = 4 };
enum { EV_NONE = 0, EV_ENTRY = 1, EV_END = 2, EV_ERROR = -1 };

static u8 hdr[512];
static u8 meta[META_MAX + 1];
u8 arena[ARENA_MAX];
u32 arena_len;
static double out[OUT_FIELDS];
static u32 xattr_tab[XATTR_MAX * 4];

static struct {
  int mode;        /* M_* */
  int in_meta;     /* COPY is filling meta[] rather than hdr[] */
  int emitted;     /* an entry was handed out: pending state is reset at the next header */
  u32 have;        /* bytes in hdr[] or meta[] */
  u32 meta_len;    /* size of the pax / long-name data being read */
  u8 meta_type;    /* 'x', 'g', 'L' or 'K' */
  u64 body;        /* body bytes left */
  u32 pad;         /* padding bytes left after body or meta */
  double offset;   /* bytes consumed so far, for error messages */
  /* overrides collected from pax 'x' and GNU 'L'/'K' for the next entry */
  i32 p_path, p_path_len, p_link, p_link_len, p_uname, p_uname_len, p_gname, p_gname_len;
  int has_uid, has_gid, has_size, has_mtime;
  u64 p_uid, p_gid, p_size;
  i64 p_mtime;
  u32 p_nsec;
  u32 nxattr;
  int err;
  u8 err_type; /* typeflag for ERR_TYPE */
} S;

static int fail(int code) {
  S.err = code;
  S.mode = M_ERROR;
  return EV_ERROR;
}

/* Arena allocation for strings that outlive hdr[]/meta[] until the entry is handed out. */
static i32 arena_put(const u8 *p, u32 n) {
  if (n > ARENA_MAX - arena_len) return -1;
  i32 off = (i32)arena_len;
  memcpy(arena + arena_len, p, n);
  arena_len += n;
  return off;
}

static void reset_pending(void) {
  S.p_path = S.p_link = S.p_uname = S.p_gname = -1;
  S.has_uid = S.has_gid = S.has_size = S.has_mtime = 0;
  S.nxattr = 0;
  arena_len = 0;
}

EXPORT(tr_init) void tr_init(void) {
  memset(&S, 0, sizeof S);
  reset_pending();
  S.mode = M_COPY;
}

EXPORT(tr_mode) int tr_mode(void) { return S.mode; }
EXPORT(tr_error) int tr_error(void) { return S.err; }
EXPORT(tr_error_type) int tr_error_type(void) { return S.err_type; }
EXPORT(tr_offset) double tr_offset(void) { return S.offset; }
EXPORT(tr_out) double *tr_out(void) { return out; }
EXPORT(tr_arena) u8 *tr_arena(void) { return arena; }

EXPORT(tr_want) u32 tr_want(void) {
  switch (S.mode) {
  case M_COPY: return S.in_meta ? S.meta_len - S.have : 512 - S.have;
  case M_BODY: return S.body > 0x40000000ull ? 0x40000000u : (u32)S.body;
  case M_SKIP: return S.pad;
  default: return 0;
  }
}

EXPORT(tr_dst) u8 *tr_dst(void) { return S.in_meta ? meta + S.have : hdr + S.have; }

/* The name of the entry being parsed, for error messages (pending pax/long name wins). */
EXPORT(tr_err_name) u32 tr_err_name(void) {
  if (S.p_path >= 0) {
    out[F_NAME_PTR] = (double)(u32)(arena + S.p_path);
    out[F_NAME_LEN] = S.p_path_len;
  } else {
    out[F_NAME_PTR] = (double)(u32)hdr;
    out[F_NAME_LEN] = strnlen_(hdr, 100);
  }
  return 0;
}

static int is_zero_block(const u8 *b) {
  const u64 *w = (const u64 *)b;
  u64 acc = 0;
  for (int i = 0; i < 64; i++) acc |= w[i];
  return acc == 0;
}

static u32 pad_of(u64 n) { return (u32)((512 - (n & 511)) & 511); }

static void after_payload(u64 n) {
  S.pad = pad_of(n);
  S.mode = S.pad ? M_SKIP : M_COPY;
  S.in_meta = 0;
  S.have = 0;
}

static int start_meta(u8 type, u64 size) {
  if (size > META_MAX) return fail(ERR_META_TOO_BIG);
  S.meta_type = type;
  S.meta_len = (u32)size;
  S.have = 0;
  if (size == 0) { /* empty extended header: nothing to parse */
    after_payload(0);
    return EV_NONE;
  }
  S.in_meta = 1;
  S.mode = M_COPY;
  return EV_NONE;
}

static int finish_meta(void) {
  u32 n = S.meta_len;
  if (S.meta_type == 'L' || S.meta_type == 'K') {
    u32 len = strnlen_(meta, n); /* GNU writes the name NUL-terminated */
    i32 off = arena_put(meta, len);
    if (off < 0) return fail(ERR_META_TOO_BIG);
    if (S.meta_type == 'L') { S.p_path = off; S.p_path_len = (i32)len; }
    else { S.p_link = off; S.p_link_len = (i32)len; }
  } else {
    int rc = pax_parse(meta, n, S.meta_type == 'g');
    if (rc) return fail(rc);
  }
  after_payload(n);
  return EV_NONE;
}

/* Called by pax.c for each record of an 'x' header it recognises. */
int pax_set(int key, const u8 *v, u32 vlen, u64 num, i64 sec, u32 nsec, const u8 *xk, u32 xklen) {
  i32 off;
  switch (key) {
  case PAX_PATH:
  case PAX_LINKPATH:
  case PAX_UNAME:
  case PAX_GNAME:
    off = arena_put(v, vlen);
    if (off < 0) return ERR_META_TOO_BIG;
    if (key == PAX_PATH) { S.p_path = off; S.p_path_len = (i32)vlen; }
    else if (key == PAX_LINKPATH) { S.p_link = off; S.p_link_len = (i32)vlen; }
    else if (key == PAX_UNAME) { S.p_uname = off; S.p_uname_len = (i32)vlen; }
    else { S.p_gname = off; S.p_gname_len = (i32)vlen; }
    return 0;
  case PAX_UID: S.has_uid = 1; S.p_uid = num; return 0;
  case PAX_GID: S.has_gid = 1; S.p_gid = num; return 0;
  case PAX_SIZE: S.has_size = 1; S.p_size = num; return 0;
  case PAX_MTIME: S.has_mtime = 1; S.p_mtime = sec; S.p_nsec = nsec; return 0;
  case PAX_XATTR: {
    if (S.nxattr >= XATTR_MAX) return ERR_PAX;
    i32 ko = arena_put(xk, xklen), vo = arena_put(v, vlen);
    if (ko < 0 || vo < 0) return ERR_META_TOO_BIG;
    u32 *t = xattr_tab + S.nxattr * 4;
    t[0] = (u32)(arena + ko); t[1] = xklen; t[2] = (u32)(arena + vo); t[3] = vlen;
    S.nxattr++;
    return 0;
  }
  }
  return 0;
}

/* Strip leading "./" and "/" and trailing "/" in place; returns the new start. */
static u8 *normalize(u8 *p, u32 *len) {
  u32 n = *len;
  for (;;) {
    if (n >= 1 && p[0] == '/') { p++; n--; continue; }
    if (n >= 2 && p[0] == '.' && p[1] == '/') { p += 2; n -= 2; continue; }
    break;
  }
  while (n > 0 && p[n - 1] == '/') n--;
  if (n == 1 && p[0] == '.') n = 0;
  *len = n;
  return p;
}

static void set_str(int f, const u8 *p, u32 n) {
  out[f] = (double)(u32)p;
  out[f + 1] = n;
}

static int process_header(void) {
  if (S.emitted) { reset_pending(); S.emitted = 0; }
  if (is_zero_block(hdr)) {
    S.mode = M_END; /* GNU tar also stops at the first zero block; trailing bytes are ignored */
    return EV_END;
  }
  int cs = check_checksum(hdr);
  if (cs) return fail(cs);
  u8 tf = hdr[156];
  u64 size;
  if (parse_num(hdr + 124, 12, &size, 0)) return fail(ERR_NUM_SIZE);
  if (size > MAX_SIZE) return fail(ERR_ABSURD_SIZE);
  switch (tf) {
  case 'x': case 'g': case 'L': case 'K': return start_meta(tf, size);
  case 'S': S.err_type = tf; return fail(ERR_SPARSE);
  case '0': case '\0': case '7': case '1': case '2': case '3': case '4': case '5': case '6': break;
  default: S.err_type = tf; return fail(ERR_TYPE);
  }
  u64 mode, uid, gid, dmaj = 0, dmin = 0;
  i64 mtime;
  if (parse_num(hdr + 100, 8, &mode, 0)) return fail(ERR_NUM_MODE);
  if (parse_num(hdr + 108, 8, &uid, 0)) return fail(ERR_NUM_UID);
  if (parse_num(hdr + 116, 8, &gid, 0)) return fail(ERR_NUM_GID);
  if (parse_num(hdr + 136, 12, (u64 *)&mtime, 1)) return fail(ERR_NUM_MTIME);
  int ustar = bytes_eq(hdr + 257, "ustar\0", 6); /* POSIX: has prefix; GNU "ustar  " does not */
  int gnu = bytes_eq(hdr + 257, "ustar ", 6);
  if ((ustar || gnu) && (tf == '3' || tf == '4')) {
    if (parse_num(hdr + 329, 8, &dmaj, 0) || parse_num(hdr + 337, 8, &dmin, 0)) return fail(ERR_NUM_DEV);
  }
  if (S.has_uid) uid = S.p_uid;
  if (S.has_gid) gid = S.p_gid;
  if (S.has_size) size = S.p_size;
  u32 nsec = 0;
  if (S.has_mtime) { mtime = S.p_mtime; nsec = S.p_nsec; }
  if (uid > 0xffffffffull || gid > 0xffffffffull) return fail(ERR_ABSURD_ID);
  if (size > MAX_SIZE) return fail(ERR_ABSURD_SIZE);

  /* name: pax path / GNU long name, else ustar prefix + "/" + name */
  u8 *name;
  u32 nlen;
  if (S.p_path >= 0) {
    name = arena + S.p_path;
    nlen = (u32)S.p_path_len;
  } else {
    u32 n1 = strnlen_(hdr, 100), pl = ustar ? strnlen_(hdr + 345, 155) : 0;
    i32 off = arena_put(hdr + 345, pl);
    if (off < 0) return fail(ERR_META_TOO_BIG);
    if (pl) arena_put((const u8 *)"/", 1);
    if (arena_put(hdr, n1) < 0) return fail(ERR_META_TOO_BIG);
    name = arena + off;
    nlen = pl ? pl + 1 + n1 : n1;
  }
  int type;
  switch (tf) {
  case '1': type = T_HARDLINK; break;
  case '2': type = T_SYMLINK; break;
  case '3': type = T_CHAR; break;
  case '4': type = T_BLOCK; break;
  case '5': type = T_DIR; break;
  case '6': type = T_FIFO; break;
  default: type = (tf == '\0' && nlen > 0 && name[nlen - 1] == '/') ? T_DIR : T_FILE; /* old v7 dirs */
  }
  name = normalize(name, &nlen);
  set_str(F_NAME_PTR, name, nlen);

  u8 *link = NULL;
  u32 llen = 0;
  if (S.p_link >= 0) {
    link = arena + S.p_link;
    llen = (u32)S.p_link_len;
  } else if (type == T_HARDLINK || type == T_SYMLINK) {
    link = hdr + 157;
    llen = strnlen_(link, 100);
  }
  if (link && type == T_HARDLINK) link = normalize(link, &llen); /* archive path, same form as names */
  if (link && (type == T_HARDLINK || type == T_SYMLINK)) set_str(F_LINK_PTR, link, llen);
  else { out[F_LINK_PTR] = 0; out[F_LINK_LEN] = -1; }

  if (S.p_uname >= 0) set_str(F_UNAME_PTR, arena + S.p_uname, (u32)S.p_uname_len);
  else set_str(F_UNAME_PTR, hdr + 265, (ustar || gnu) ? strnlen_(hdr + 265, 32) : 0);
  if (S.p_gname >= 0) set_str(F_GNAME_PTR, arena + S.p_gname, (u32)S.p_gname_len);
  else set_str(F_GNAME_PTR, hdr + 297, (ustar || gnu) ? strnlen_(hdr + 297, 32) : 0);

  /* Like Go's archive/tar: only regular files carry data; other types' size fields are ignored. */
  if (type != T_FILE) size = 0;
  out[F_TYPE] = type;
  out[F_MODE] = (double)(mode & 07777);
  out[F_UID] = (double)uid;
  out[F_GID] = (double)gid;
  out[F_SIZE] = (double)size;
  out[F_MTIME] = (double)mtime;
  out[F_NSEC] = nsec;
  out[F_DEVMAJOR] = (double)dmaj;
  out[F_DEVMINOR] = (double)dmin;
  out[F_XATTR_COUNT] = S.nxattr;
  out[F_XATTR_PTR] = (double)(u32)xattr_tab;

  S.emitted = 1;
  S.have = 0;
  S.body = size;
  if (size) S.mode = M_BODY;
  else after_payload(0);
  return EV_ENTRY;
}

/* n bytes were copied to tr_dst(). */
EXPORT(tr_fill) int tr_fill(u32 n) {
  if (S.mode != M_COPY || n > tr_want()) return fail(ERR_PROTOCOL);
  S.have += n;
  S.offset += n;
  if (S.in_meta) return S.have == S.meta_len ? finish_meta() : EV_NONE;
  return S.have == 512 ? process_header() : EV_NONE;
}

/* n body or padding bytes were passed on (or dropped) by JS. */
EXPORT(tr_skip) int tr_skip(u32 n) {
  if (n > tr_want()) return fail(ERR_PROTOCOL);
  S.offset += n;
  if (S.mode == M_BODY) {
    S.body -= n;
    if (S.body == 0) {
      u64 sz = (u64)out[F_SIZE];
      after_payload(sz);
    }
  } else if (S.mode == M_SKIP) {
    S.pad -= n;
    if (S.pad == 0) { S.mode = M_COPY; S.in_meta = 0; S.have = 0; }
  } else {
    return fail(ERR_PROTOCOL);
  }
  return EV_NONE;
}

/* The input ended. Clean at a header boundary or after the end marker; anything else is truncation. */
EXPORT(tr_eof) int tr_eof(void) {
  if (S.mode == M_END) return EV_END;
  if (S.mode == M_ERROR) return EV_ERROR;
  if (S.mode == M_COPY && !S.in_meta && S.have == 0 && !pending_any()) {
    S.mode = M_END;
    return EV_END;
  }
  if (S.mode == M_COPY && !S.in_meta) return fail(ERR_TRUNC_HEADER);
  return fail(ERR_TRUNC_DATA);
}

int pending_any(void) {
  /* a pax or long-name header without its entry is a truncated archive too */
  return !S.emitted && (S.p_path >= 0 || S.p_link >= 0 || S.has_size || S.has_uid || S.nxattr);
}
