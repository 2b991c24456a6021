/*
 * Open-addressing string map (strmap.h).
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct strmap_slot {
    char *key; /* NULL = empty; TOMBSTONE = deleted */
    void *value;
};

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

unsigned long strmap_hash(const char *s)
{
    unsigned long h = 14695981039346656037ul;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ul;
    }
    return h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = strmap_hash(key) & mask;; i = (i + 1) & mask) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && strcmp(s->key, key) == 0)
            return s;
    }
}

static void grow(struct strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    if (m->count * 4 < m->cap)
        cap = m->cap; /* mostly tombstones: rehash in place size */
    struct strmap_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->slots = xcalloc(cap, sizeof *m->slots);
    m->cap = cap;
    m->used = m->count;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key || old[i].key == TOMBSTONE)
            continue;
        size_t j = strmap_hash(old[i].key) & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void *strmap_get(const struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key);
    return s ? s->value : NULL;
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
    struct strmap_slot *s = find(m, key);
    if (s) {
        void *prev = s->value;
        s->value = value;
        return prev;
    }
    if ((m->used + 1) * 4 >= m->cap * 3)
        grow(m);
    size_t mask = m->cap - 1;
    size_t i = strmap_hash(key) & mask;
    while (m->slots[i].key && m->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i].key = xstrdup(key);
    m->slots[i].value = value;
    m->count++;
    return NULL;
}

void *strmap_del(struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key);
    if (!s)
        return NULL;
    void *prev = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->count--;
    return prev;
}

bool strmap_next(const struct strmap *m, size_t *it, const char **key, void **value)
{
    while (*it < m->cap) {
        struct strmap_slot *s = &m->slots[(*it)++];
        if (s->key && s->key != TOMBSTONE) {
            *key = s->key;
            *value = s->value;
            return true;
        }
    }
    return false;
}

void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            free(m->slots[i].key);
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = m->used = 0;
}
