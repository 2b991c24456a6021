/*
 * A bump allocator for per-request memory: everything decoded for one Kafka
 * request is allocated here and released at once with arena_free() when the
 * response has been encoded (the nginx pool model).
 */
#ifndef SLUICE_ARENA_H
#define SLUICE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t used; /* total bytes handed out, for limits and metrics */
};

/* An arena needs no set-up beyond zero-initialization. */
#define ARENA_INIT                                                                                 \
    {                                                                                              \
        0                                                                                          \
    }

/*
 * Returns n bytes aligned for any type, zero-filled, owned by the arena.
 * Aborts on out-of-memory (callers bound n by checked wire lengths).
 */
void *arena_alloc(struct arena *a, size_t n);
/* Copies n bytes of s and a terminating NUL into the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Frees every allocation; the arena can be used again afterwards. */
void arena_free(struct arena *a);

#endif
