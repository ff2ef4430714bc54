/*
 * Shared helpers for the freestanding layer module. No libc: the module never does I/O and must build
 * with nothing but clang + wasm-ld, so the few routines we need live here.
 */
#ifndef LAYER_COMMON_H
#define LAYER_COMMON_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long size_t;

#define EXPORT(name) __attribute__((export_name(#name)))
#define NULL ((void *)0)

/* clang lowers struct copies and loops to these; with -mbulk-memory they become memory.copy/fill. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);

static inline u32 min_u32(u32 a, u32 b) { return a < b ? a : b; }

static inline u32 strnlen_(const u8 *s, u32 max) {
  u32 n = 0;
  while (n < max && s[n]) n++;
  return n;
}

static inline int bytes_eq(const u8 *a, const char *b, u32 n) {
  for (u32 i = 0; i < n; i++)
    if (a[i] != (u8)b[i]) return 0;
  return 1;
}

#endif
