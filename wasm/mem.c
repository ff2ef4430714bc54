/* memcpy/memset/memmove for the freestanding build (clang emits calls to them for big copies). */
#include "common.h"

void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n); /* lowers to memory.copy with -mbulk-memory */
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n); /* memory.copy handles overlap */
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
