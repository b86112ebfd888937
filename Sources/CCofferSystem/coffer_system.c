#include "coffer_system.h"

#if defined(__GLIBC__)
#include <malloc.h>

void coffer_limit_malloc_arenas(int arenas) { (void)mallopt(M_ARENA_MAX, arenas); }
void coffer_trim_heap(void) { (void)malloc_trim(0); }
#else
void coffer_limit_malloc_arenas(int arenas) { (void)arenas; }
void coffer_trim_heap(void) {}
#endif
