/*
 * Allocation wrappers that abort the process on out-of-memory.  Use them for
 * sizes the program controls; sizes read off the wire or disk must be checked
 * against limits before they reach these functions (DESIGN.md section 6).
 */
#ifndef SLUICE_XALLOC_H
#define SLUICE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), nonnull(1)));

#endif
