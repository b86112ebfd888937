#ifndef COFFER_SYSTEM_H
#define COFFER_SYSTEM_H

/// Caps glibc's malloc arenas (each allocating thread otherwise gets its own, up to 8 per core). No-op elsewhere.
void coffer_limit_malloc_arenas(int arenas);

/// Returns freed heap memory to the system (glibc's malloc_trim). No-op elsewhere.
void coffer_trim_heap(void);

#endif
