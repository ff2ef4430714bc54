/* Header field decoding: numeric fields (octal and GNU base-256), the checksum, and pax records. */
#include "common.h"
#include "tar_read.h"

/* Octal (padded with spaces/NULs on either side, like Go and GNU tar accept) or base-256 (high bit set). */
int parse_num(const u8 *f, u32 n, u64 *out, int allow_negative) {
  if (n && (f[0] & 0x80)) {
    /* base-256 two's complement: bit 6 of the first byte is the sign */
    int neg = (f[0] & 0x40) != 0;
    u8 inv = neg ? 0xff : 0;
    u64 v = 0;
    for (u32 i = 0; i < n; i++) {
      u8 b = f[i] ^ inv;
      if (i == 0) b &= 0x7f;
      if (v >> 55) return 1; /* would overflow 63 bits */
      v = (v << 8) | b;
    }
    if (v >> 63) return 1;
    if (neg) {
      if (!allow_negative) return 1;
      *out = (u64)(-(i64)v - 1);
    } else {
      *out = v;
    }
    return 0;
  }
  u32 a = 0, b = n;
  while (a < b && (f[a] == ' ' || f[a] == 0)) a++;
  while (b > a && (f[b - 1] == ' ' || f[b - 1] == 0)) b--;
  u64 v = 0;
  for (u32 i = a; i < b; i++) {
    if (f[i] < '0' || f[i] > '7') return 1;
    v = (v << 3) | (u64)(f[i] - '0'); /* 12 octal digits max = 36 bits: no overflow possible */
  }
  *out = v;
  return 0;
}

/* Accept the unsigned sum (POSIX) or the signed one (old Sun/GNU writers), as GNU tar does. */
int check_checksum(const u8 *h) {
  u64 want;
  if (parse_num(h + 148, 8, &want, 0)) return ERR_NUM_CHECKSUM;
  u32 us = 0;
  i32 ss = 0;
  for (u32 i = 0; i < 512; i++) {
    u8 c = (i >= 148 && i < 156) ? ' ' : h[i];
    us += c;
    ss += (signed char)c;
  }
  if (want == us || (i64)want == (i64)ss) return 0;
  return ERR_CHECKSUM;
}

static int parse_dec(const u8 *v, u32 n, u64 *out) {
  if (n == 0 || n > 19) return 1; /* 19 digits cannot overflow u64 */
  u64 x = 0;
  for (u32 i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return 1;
    x = x * 10 + (u64)(v[i] - '0');
  }
  *out = x;
  return 0;
}

/* "[-]sec[.frac]" -> seconds (floor) and nanoseconds; digits past 9 are truncated. */
static int parse_time(const u8 *v, u32 n, i64 *sec, u32 *nsec) {
  u32 i = 0;
  int neg = 0;
  if (i < n && v[i] == '-') { neg = 1; i++; }
  u32 s0 = i;
  while (i < n && v[i] >= '0' && v[i] <= '9') i++;
  u64 s;
  if (i == s0) s = 0;
  else if (parse_dec(v + s0, i - s0, &s) || s > 0x3fffffffffffffffull) return 1;
  int has_int = i > s0, has_frac = 0;
  u32 ns = 0, digits = 0;
  if (i < n && v[i] == '.') {
    i++;
    while (i < n && v[i] >= '0' && v[i] <= '9') {
      if (digits < 9) { ns = ns * 10 + (u32)(v[i] - '0'); digits++; }
      has_frac = 1;
      i++;
    }
  }
  if (i != n || (!has_int && !has_frac)) return 1;
  while (digits < 9) { ns *= 10; digits++; }
  if (neg) {
    *sec = -(i64)s;
    if (ns) { *sec -= 1; ns = 1000000000u - ns; }
  } else {
    *sec = (i64)s;
  }
  *nsec = ns;
  return 0;
}

static int key_is(const u8 *k, u32 kn, const char *s) {
  u32 i = 0;
  while (s[i]) i++;
  return kn == i && bytes_eq(k, s, i);
}

static int key_prefix(const u8 *k, u32 kn, const char *s, u32 sn) { return kn >= sn && bytes_eq(k, s, sn); }

static int pax_record(const u8 *k, u32 kn, const u8 *v, u32 vn) {
  u64 num = 0;
  i64 sec = 0;
  u32 nsec = 0;
  if (key_prefix(k, kn, "GNU.sparse.", 11)) return ERR_SPARSE;
  if (vn == 0) return 0; /* an empty value unsets the key: the header field stays in force */
  if (key_is(k, kn, "path")) return pax_set(PAX_PATH, v, vn, 0, 0, 0, NULL, 0);
  if (key_is(k, kn, "linkpath")) return pax_set(PAX_LINKPATH, v, vn, 0, 0, 0, NULL, 0);
  if (key_is(k, kn, "uname")) return pax_set(PAX_UNAME, v, vn, 0, 0, 0, NULL, 0);
  if (key_is(k, kn, "gname")) return pax_set(PAX_GNAME, v, vn, 0, 0, 0, NULL, 0);
  int nk = key_is(k, kn, "uid") ? PAX_UID : key_is(k, kn, "gid") ? PAX_GID : key_is(k, kn, "size") ? PAX_SIZE : 0;
  if (nk) {
    if (parse_dec(v, vn, &num)) return ERR_PAX_VALUE;
    return pax_set(nk, v, vn, num, 0, 0, NULL, 0);
  }
  if (key_is(k, kn, "mtime")) {
    if (parse_time(v, vn, &sec, &nsec)) return ERR_PAX_VALUE;
    return pax_set(PAX_MTIME, v, vn, 0, sec, nsec, NULL, 0);
  }
  if (key_prefix(k, kn, "SCHILY.xattr.", 13) && kn > 13)
    return pax_set(PAX_XATTR, v, vn, 0, 0, 0, k + 13, kn - 13);
  return 0; /* atime, ctime, comment, charset, vendor keys: not needed for a layer */
}

/* Records are "LEN KEY=VALUE\n" where LEN counts the whole record. */
int pax_parse(const u8 *p, u32 n, int global) {
  u32 i = 0;
  while (i < n) {
    if (p[i] == 0) { /* some writers NUL-pad the data: accept only if the rest is all NULs */
      for (u32 j = i; j < n; j++)
        if (p[j]) return ERR_PAX;
      return 0;
    }
    u32 j = i, len = 0;
    while (j < n && p[j] >= '0' && p[j] <= '9' && j - i < 9) len = len * 10 + (u32)(p[j++] - '0');
    if (j == i || j >= n || p[j] != ' ') return ERR_PAX;
    if (len <= j - i + 1 || len > n - i) return ERR_PAX;
    u32 end = i + len; /* one past the '\n' */
    if (p[end - 1] != '\n') return ERR_PAX;
    u32 k = j + 1, e = k;
    while (e < end - 1 && p[e] != '=') e++;
    if (e >= end - 1 || e == k) return ERR_PAX;
    if (!global) {
      int rc = pax_record(p + k, e - k, p + e + 1, end - 1 - (e + 1));
      if (rc) return rc;
    } else if (key_prefix(p + k, e - k, "GNU.sparse.", 11)) {
      return ERR_SPARSE;
    }
    i = end;
  }
  return 0;
}
