/*
 * XXH64 (Yann Collet's algorithm, written from the public spec), streaming: JS copies input into
 * xx_buf() and calls xx_update(n). Used for file fingerprints in tree diffs and build-cache keys.
 */
#include "common.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull
#define BUF_SIZE (1u << 20)

static u8 buf[BUF_SIZE];
static struct {
  u64 v1, v2, v3, v4, total;
  u8 mem[32];
  u32 memlen;
} X;

static inline u64 rotl(u64 x, int r) { return (x << r) | (x >> (64 - r)); }
static inline u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }
static inline u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static inline u64 round_(u64 acc, u64 in) { acc += in * P2; acc = rotl(acc, 31); return acc * P1; }
static inline u64 merge(u64 acc, u64 v) { acc ^= round_(0, v); return acc * P1 + P4; }

EXPORT(xx_buf) u8 *xx_buf(void) { return buf; }
EXPORT(xx_buf_size) u32 xx_buf_size(void) { return BUF_SIZE; }

/* seed as two halves: JS numbers cannot carry a full u64 */
EXPORT(xx_reset) void xx_reset(u32 seed_lo, u32 seed_hi) {
  u64 seed = ((u64)seed_hi << 32) | seed_lo;
  X.v1 = seed + P1 + P2;
  X.v2 = seed + P2;
  X.v3 = seed;
  X.v4 = seed - P1;
  X.total = 0;
  X.memlen = 0;
}

/* until 32 bytes have gone through a round, v3 still holds the seed */
static u64 seed_of(void) { return X.v3; }

EXPORT(xx_update) void xx_update(u32 n) {
  const u8 *p = buf, *end = buf + (n > BUF_SIZE ? BUF_SIZE : n);
  if (n > BUF_SIZE) n = BUF_SIZE;
  X.total += n;
  if (X.memlen + n < 32) {
    memcpy(X.mem + X.memlen, p, n);
    X.memlen += n;
    return;
  }
  if (X.memlen) {
    u32 k = 32 - X.memlen;
    memcpy(X.mem + X.memlen, p, k);
    X.v1 = round_(X.v1, rd64(X.mem));
    X.v2 = round_(X.v2, rd64(X.mem + 8));
    X.v3 = round_(X.v3, rd64(X.mem + 16));
    X.v4 = round_(X.v4, rd64(X.mem + 24));
    p += k;
    X.memlen = 0;
  }
  u64 v1 = X.v1, v2 = X.v2, v3 = X.v3, v4 = X.v4;
  while (p + 32 <= end) {
    v1 = round_(v1, rd64(p));
    v2 = round_(v2, rd64(p + 8));
    v3 = round_(v3, rd64(p + 16));
    v4 = round_(v4, rd64(p + 24));
    p += 32;
  }
  X.v1 = v1; X.v2 = v2; X.v3 = v3; X.v4 = v4;
  X.memlen = (u32)(end - p);
  memcpy(X.mem, p, X.memlen);
}

static u64 digest_(void) {
  u64 h;
  if (X.total >= 32) {
    h = rotl(X.v1, 1) + rotl(X.v2, 7) + rotl(X.v3, 12) + rotl(X.v4, 18);
    h = merge(h, X.v1); h = merge(h, X.v2); h = merge(h, X.v3); h = merge(h, X.v4);
  } else {
    h = seed_of() + P5;
  }
  h += X.total;
  const u8 *p = X.mem, *end = X.mem + X.memlen;
  while (p + 8 <= end) { h ^= round_(0, rd64(p)); h = rotl(h, 27) * P1 + P4; p += 8; }
  if (p + 4 <= end) { h ^= (u64)rd32(p) * P1; h = rotl(h, 23) * P2 + P3; p += 4; }
  while (p < end) { h ^= (*p) * P5; h = rotl(h, 11) * P1; p++; }
  h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
  return h;
}

/* the digest as two u32 halves written to buf[0..8) (little-endian u64) */
EXPORT(xx_digest) void xx_digest(void) {
  u64 h = digest_();
  memcpy(buf, &h, 8);
}
