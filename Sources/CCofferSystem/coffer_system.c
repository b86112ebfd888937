#include "coffer_system.h"

// Any libc header defines __GLIBC__ (without one, the test below was always false and both functions were no-ops).
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

void coffer_limit_malloc_arenas(int arenas) { (void)mallopt(M_ARENA_MAX, arenas); }

// Before main, so before the Swift runtime and NIO start threads (each would get its own arena, which a later
// mallopt cannot undo): one arena, and fixed mmap and trim thresholds so that large buffers are mapped and
// unmapped on their own instead of growing the heap (glibc otherwise raises the mmap threshold up to 32 MiB
// after the first large free).
__attribute__((constructor)) static void coffer_tune_malloc(void) {
  (void)mallopt(M_ARENA_MAX, 1);
  (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  (void)mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}
void coffer_trim_heap(void) { (void)malloc_trim(0); }
#else
void coffer_limit_malloc_arenas(int arenas) { (void)arenas; }
void coffer_trim_heap(void) {}
#endif
