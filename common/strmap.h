/*
 * A hash map from NUL-terminated strings to pointers (open addressing, linear
 * probing, tombstones).  The map copies keys; values are borrowed pointers the
 * caller owns.
 */
#ifndef SLUICE_STRMAP_H
#define SLUICE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot;

struct strmap {
    struct strmap_slot *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count; /* live entries */
    size_t used;  /* live entries + tombstones */
};

#define STRMAP_INIT                                                                                \
    {                                                                                              \
        0                                                                                          \
    }

/* Returns the value stored under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Stores value under key, replacing (and returning) any previous value. */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Removes key and returns its value, or NULL when absent. */
void *strmap_del(struct strmap *m, const char *key);
/* Frees the map's own memory (keys); values are untouched. */
void strmap_free(struct strmap *m);

/*
 * Iteration: `size_t it = 0; const char *k; void *v;
 * while (strmap_next(m, &it, &k, &v)) ...`.  The map must not be modified
 * during iteration except through strmap_del of the current key.
 */
bool strmap_next(const struct strmap *m, size_t *it, const char **key, void **value);

/* FNV-1a, exposed for callers that need a stable string hash. */
unsigned long strmap_hash(const char *s);

#endif
