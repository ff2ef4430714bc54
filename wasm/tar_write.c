/*
 * Deterministic header encoder: one call turns an entry (numbers in tw_args, strings in tw_in) into a
 * ustar header, preceded by a pax 'x' header only when ustar cannot hold a value. No global headers, no
 * pids or times in pax names, records in a fixed (alphabetical) key order: same entry => same bytes.
 */
#include "common.h"
#include "tar_read.h"

#define IN_MAX (META_MAX + 4096)
#define OUT_MAX (META_MAX + 4096)

enum {
  A_TYPE = 0, A_MODE, A_UID, A_GID, A_SIZE, A_MTIME, A_NSEC, A_DEVMAJOR, A_DEVMINOR, A_FLAGS,
  A_NAME_OFF, A_NAME_LEN, A_LINK_OFF, A_LINK_LEN, A_UNAME_OFF, A_UNAME_LEN, A_GNAME_OFF, A_GNAME_LEN,
  A_XATTR_N, A_XATTR_OFF, A_FIELDS
};
#define FLAG_KEEP_NSEC 1

enum { TW_ERR_TOO_BIG = -1, TW_ERR_DEV = -2, TW_ERR_ARGS = -3 };

static double args[A_FIELDS];
static u8 in[IN_MAX];
static u8 outb[OUT_MAX];
static u8 pax[META_MAX];
static u32 pax_len;
static int pax_overflow;

EXPORT(tw_args) double *tw_args(void) { return args; }
EXPORT(tw_in) u8 *tw_in(void) { return in; }
EXPORT(tw_in_size) u32 tw_in_size(void) { return IN_MAX; }
EXPORT(tw_out) u8 *tw_out(void) { return outb; }

static void put_octal(u8 *f, u32 width, u64 v) {
  /* width-1 zero-padded digits and a NUL, like GNU tar and Go */
  f[width - 1] = 0;
  for (i32 i = (i32)width - 2; i >= 0; i--) { f[i] = (u8)('0' + (v & 7)); v >>= 3; }
}

static u32 dec_len(u64 v) {
  u32 n = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}

static u32 put_dec(u8 *p, u64 v) {
  u32 n = dec_len(v);
  for (u32 i = n; i > 0; i--) { p[i - 1] = (u8)('0' + v % 10); v /= 10; }
  return n;
}

static void pax_add(const char *key, const u8 *kx, u32 kxn, const u8 *v, u32 vn) {
  u32 kn = 0;
  while (key[kn]) kn++;
  u32 body = kn + kxn + vn + 3; /* ' ' '=' '\n' */
  u32 len = body + dec_len(body);
  if (dec_len(len) != dec_len(body)) len++; /* the length counts its own digits */
  if (len > META_MAX - pax_len) { pax_overflow = 1; return; }
  u8 *p = pax + pax_len;
  p += put_dec(p, len);
  *p++ = ' ';
  memcpy(p, key, kn); p += kn;
  memcpy(p, kx, kxn); p += kxn;
  *p++ = '=';
  memcpy(p, v, vn); p += vn;
  *p++ = '\n';
  pax_len += len;
}

static void pax_num(const char *key, u64 v) {
  u8 b[24];
  pax_add(key, NULL, 0, b, put_dec(b, v));
}

static int is_ascii(const u8 *p, u32 n) {
  for (u32 i = 0; i < n; i++)
    if (p[i] >= 0x80 || p[i] == 0) return 0;
  return 1;
}

/* Split at the last '/' that leaves a prefix <= 155 and a name of 1..100 bytes; -1 if none. */
static i32 ustar_split(const u8 *p, u32 n) {
  if (n <= 100) return 0;
  u32 lim = n < 156 ? n : 156;
  for (i32 i = (i32)lim - 1; i > 0; i--) {
    if (p[i] != '/') continue;
    u32 rest = n - (u32)i - 1;
    return (rest >= 1 && rest <= 100) ? i : -1;
  }
  return -1;
}

static void finish_header(u8 *h) {
  memcpy(h + 257, "ustar\0" "00", 8);
  memset(h + 148, ' ', 8);
  u32 sum = 0;
  for (u32 i = 0; i < 512; i++) sum += h[i];
  put_octal(h + 148, 7, sum); /* six digits, NUL, then the space already there */
}

static const char TYPECH[] = "0123456"; /* T_FILE .. T_FIFO map straight onto '0'..'6' */

/* Encodes the entry; returns the header byte count (512 or 1024+) in tw_out, or a negative error. */
EXPORT(tw_encode) i32 tw_encode(void) {
  u32 type = (u32)args[A_TYPE];
  u32 noff = (u32)args[A_NAME_OFF], nlen = (u32)args[A_NAME_LEN];
  u32 loff = (u32)args[A_LINK_OFF], llen = (u32)args[A_LINK_LEN];
  u32 uoff = (u32)args[A_UNAME_OFF], ulen = (u32)args[A_UNAME_LEN];
  u32 goff = (u32)args[A_GNAME_OFF], glen = (u32)args[A_GNAME_LEN];
  u32 xn = (u32)args[A_XATTR_N], xoff = (u32)args[A_XATTR_OFF];
  if (type > T_FIFO || noff + nlen > IN_MAX || loff + llen > IN_MAX || uoff + ulen > IN_MAX ||
      goff + glen > IN_MAX || xoff + xn * 16 > IN_MAX)
    return TW_ERR_ARGS;
  const u8 *name = in + noff, *link = in + loff, *uname = in + uoff, *gname = in + goff;
  u64 uid = (u64)args[A_UID], gid = (u64)args[A_GID], size = (u64)args[A_SIZE];
  double mt = args[A_MTIME];
  i64 mtime = (i64)mt;
  u32 nsec = (u32)args[A_NSEC];
  u64 dmaj = (u64)args[A_DEVMAJOR], dmin = (u64)args[A_DEVMINOR];
  if (dmaj > 07777777 || dmin > 07777777) return TW_ERR_DEV;

  pax_len = 0;
  pax_overflow = 0;
  /* records in alphabetical key order; uppercase SCHILY sorts first. JS passes xattrs sorted. */
  const u32 *xt = (const u32 *)(in + xoff);
  for (u32 i = 0; i < xn; i++) {
    u32 ko = xt[i * 4], kl = xt[i * 4 + 1], vo = xt[i * 4 + 2], vl = xt[i * 4 + 3];
    if (ko + kl > IN_MAX || vo + vl > IN_MAX) return TW_ERR_ARGS;
    pax_add("SCHILY.xattr.", in + ko, kl, in + vo, vl);
  }
  /* the largest values 7 and 11 octal digits hold; beyond them (uid 8^7, size 8 GiB) pax takes over */
  int big_gid = gid > 07777777, big_uid = uid > 07777777, big_size = size > 077777777777ull;
  if (big_gid) pax_num("gid", gid);
  if (glen > 32 || !is_ascii(gname, glen)) pax_add("gname", NULL, 0, gname, glen);
  if (llen > 100 || !is_ascii(link, llen)) pax_add("linkpath", NULL, 0, link, llen);
  int keep_ns = ((u32)args[A_FLAGS] & FLAG_KEEP_NSEC) && nsec;
  int big_mtime = mtime < 0 || mtime > 077777777777ll;
  if (keep_ns || big_mtime) {
    u8 b[40], *p = b;
    i64 s = mtime;
    u32 ns = keep_ns ? nsec : 0;
    if (s < 0 && ns) { s += 1; ns = 1000000000u - ns; } /* -1.25 is sec -2 + 0.75 */
    if (s < 0 || (mtime < 0 && ns)) *p++ = '-';
    p += put_dec(p, (u64)(s < 0 ? -s : s));
    if (ns) {
      *p++ = '.';
      u8 d[9];
      for (int i = 8; i >= 0; i--) { d[i] = (u8)('0' + ns % 10); ns /= 10; }
      u32 k = 9;
      while (k > 1 && d[k - 1] == '0') k--; /* shortest exact form */
      memcpy(p, d, k);
      p += k;
    }
    pax_add("mtime", NULL, 0, b, (u32)(p - b));
  }
  /* directories carry a trailing '/' in the archive, as GNU tar writes them */
  int dir = type == T_DIR;
  u8 nb[512];
  const u8 *full = name;
  u32 flen = nlen;
  if (dir && nlen < sizeof nb - 1) {
    memcpy(nb, name, nlen);
    if (nlen == 0) { nb[0] = '.'; nb[1] = '/'; flen = 2; }
    else { nb[nlen] = '/'; flen = nlen + 1; }
    full = nb;
  }
  i32 split = is_ascii(full, flen) ? ustar_split(full, flen) : -1;
  if (split < 0) pax_add("path", NULL, 0, full, flen);
  if (big_size) pax_num("size", size);
  if (big_uid) pax_num("uid", uid);
  if (ulen > 32 || !is_ascii(uname, ulen)) pax_add("uname", NULL, 0, uname, ulen);
  if (pax_overflow) return TW_ERR_TOO_BIG;

  u8 *o = outb;
  u64 hdr_mtime = mtime < 0 ? 0 : mtime > 077777777777ll ? 077777777777ull : (u64)mtime;
  if (pax_len) {
    memset(o, 0, 512);
    /* "PaxHeaders.0/<base>": fixed, like Go; GNU's %p (pid) would break determinism */
    u32 b0 = flen;
    while (b0 > 0 && full[b0 - 1] == '/') b0--;
    u32 bs = b0;
    while (bs > 0 && full[bs - 1] != '/') bs--;
    u32 bl = b0 - bs;
    if (bl > 100 - 13) bl = 100 - 13;
    memcpy(o, "PaxHeaders.0/", 13);
    for (u32 i = 0; i < bl; i++) o[13 + i] = full[bs + i] < 0x80 ? full[bs + i] : '_';
    put_octal(o + 100, 8, 0644);
    put_octal(o + 108, 8, 0);
    put_octal(o + 116, 8, 0);
    put_octal(o + 124, 12, pax_len);
    put_octal(o + 136, 12, hdr_mtime);
    o[156] = 'x';
    finish_header(o);
    o += 512;
    memcpy(o, pax, pax_len);
    u32 padded = (pax_len + 511) & ~511u;
    memset(o + pax_len, 0, padded - pax_len);
    o += padded;
  }
  memset(o, 0, 512);
  if (split > 0) {
    memcpy(o + 345, full, (u32)split);
    memcpy(o, full + split + 1, flen - (u32)split - 1);
  } else if (split == 0) {
    memcpy(o, full, flen);
  } else {
    memcpy(o, full, flen < 100 ? flen : 100); /* pax path holds the real name */
  }
  put_octal(o + 100, 8, (u64)args[A_MODE] & 07777);
  put_octal(o + 108, 8, big_uid ? 0 : uid);
  put_octal(o + 116, 8, big_gid ? 0 : gid);
  put_octal(o + 124, 12, big_size ? 0 : size);
  put_octal(o + 136, 12, hdr_mtime);
  o[156] = (u8)TYPECH[type];
  if (type == T_HARDLINK || type == T_SYMLINK) memcpy(o + 157, link, llen < 100 ? llen : 100);
  memcpy(o + 265, uname, ulen < 32 ? ulen : 32);
  memcpy(o + 297, gname, glen < 32 ? glen : 32);
  if (type == T_CHAR || type == T_BLOCK) {
    put_octal(o + 329, 8, dmaj);
    put_octal(o + 337, 8, dmin);
  }
  finish_header(o);
  o += 512;
  return (i32)(o - outb);
}
