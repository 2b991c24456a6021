/*
 * Segment index files mirrored in memory (index.h).
 */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileutil.h"
#include "log.h"
#include "xalloc.h"

int storage_index_open(struct storage_index *ix, const char *path, size_t esize, size_t max_entries)
{
    memset(ix, 0, sizeof *ix);
    ix->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (ix->fd < 0) {
        LOG_ERROR("storage", "cannot open index %s: %s", path, strerror(errno));
        return SL_EIO;
    }
    ix->path = xstrdup(path);
    ix->esize = esize;
    ix->max_entries = max_entries > 0 ? max_entries : 1;
    return 0;
}

static void reserve(struct storage_index *ix, size_t n)
{
    if (n <= ix->cap)
        return;
    size_t cap = ix->cap ? ix->cap : 64;
    while (cap < n)
        cap *= 2;
    ix->data = xrealloc(ix->data, cap * ix->esize);
    ix->cap = cap;
}

int storage_index_load(struct storage_index *ix, int64_t max_bytes)
{
    struct stat st;
    if (fstat(ix->fd, &st) != 0)
        return SL_EIO;
    if (st.st_size % (off_t)ix->esize != 0) {
        LOG_WARN("storage", "%s: size %lld is not a multiple of %zu", ix->path,
                 (long long)st.st_size, ix->esize);
        return SL_ECORRUPT;
    }
    if (st.st_size > max_bytes) {
        LOG_WARN("storage", "%s: size %lld is more than the segment can need (%lld)", ix->path,
                 (long long)st.st_size, (long long)max_bytes);
        return SL_ECORRUPT;
    }
    size_t n = (size_t)st.st_size / ix->esize;
    reserve(ix, n);
    ssize_t got = storage_pread_full(ix->fd, ix->data, n * ix->esize, 0);
    if (got < 0)
        return SL_EIO;
    if ((size_t)got != n * ix->esize)
        return SL_ECORRUPT;
    ix->n = n;
    return 0;
}

void storage_index_push(struct storage_index *ix, const uint8_t *entry)
{
    reserve(ix, ix->n + 1);
    memcpy(ix->data + ix->n * ix->esize, entry, ix->esize);
    ix->n++;
}

int storage_index_persist(struct storage_index *ix, size_t from)
{
    if (from >= ix->n)
        return 0;
    ix->dirty = true;
    int rc = storage_pwrite_full(ix->fd, ix->data + from * ix->esize, (ix->n - from) * ix->esize,
                                 (int64_t)(from * ix->esize));
    if (rc != 0)
        LOG_ERROR("storage", "cannot write index %s: %s", ix->path, strerror(errno));
    return rc;
}

int storage_index_append(struct storage_index *ix, const uint8_t *entry)
{
    storage_index_push(ix, entry);
    return storage_index_persist(ix, ix->n - 1);
}

int storage_index_truncate(struct storage_index *ix, size_t n)
{
    ix->dirty = true;
    if (ftruncate(ix->fd, (off_t)(n * ix->esize)) != 0) {
        LOG_ERROR("storage", "cannot truncate index %s: %s", ix->path, strerror(errno));
        return SL_EIO;
    }
    if (n < ix->n)
        ix->n = n;
    return 0;
}

int storage_index_sync(struct storage_index *ix)
{
    if (!ix->dirty)
        return 0;
    if (fdatasync(ix->fd) != 0) {
        LOG_ERROR("storage", "cannot sync index %s: %s", ix->path, strerror(errno));
        return SL_EIO;
    }
    ix->dirty = false;
    return 0;
}

void storage_index_close(struct storage_index *ix)
{
    if (ix->fd >= 0 && ix->path != NULL)
        close(ix->fd);
    free(ix->data);
    free(ix->path);
    memset(ix, 0, sizeof *ix);
    ix->fd = -1;
}

int storage_index_unlink(struct storage_index *ix)
{
    char *path = ix->path ? xstrdup(ix->path) : NULL;
    storage_index_close(ix);
    int rc = 0;
    if (path != NULL && unlink(path) != 0 && errno != ENOENT) {
        LOG_ERROR("storage", "cannot remove %s: %s", path, strerror(errno));
        rc = SL_EIO;
    }
    free(path);
    return rc;
}
