/*
 * Storage unit test helpers (storage_test_util.h).
 */
#include "storage_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "record_batch.h"
#include "xalloc.h"

size_t tu_batch(struct wbuf *w, int64_t base_offset, int nrec, int64_t ts, size_t value_len)
{
    size_t start = w->len;
    wbuf_i64(w, base_offset);
    size_t len_at = wbuf_skip(w, 4);
    wbuf_i32(w, 0); /* partition leader epoch */
    wbuf_i8(w, 2);  /* magic */
    wbuf_u32(w, 0); /* crc, patched below */
    wbuf_i16(w, 0); /* attributes */
    wbuf_i32(w, nrec - 1);
    wbuf_i64(w, ts);
    wbuf_i64(w, ts < 0 ? -1 : ts + nrec - 1);
    wbuf_i64(w, -1); /* producer id */
    wbuf_i16(w, -1);
    wbuf_i32(w, -1);
    wbuf_i32(w, nrec);
    for (int i = 0; i < nrec; i++) {
        size_t body = 1 + varlong_size(ts < 0 ? 0 : i) + varint_size(i) + varint_size(-1) +
                      varint_size((int32_t)value_len) + value_len + varint_size(0);
        wbuf_varint(w, (int32_t)body);
        wbuf_i8(w, 0);
        wbuf_varlong(w, ts < 0 ? 0 : i);
        wbuf_varint(w, i);
        wbuf_varint(w, -1);
        wbuf_varint(w, (int32_t)value_len);
        for (size_t k = 0; k < value_len; k++)
            wbuf_i8(w, (int8_t)('a' + (base_offset + i + (int64_t)k) % 26));
        wbuf_varint(w, 0);
    }
    size_t total = w->len - start;
    wbuf_patch_i32(w, len_at, (int32_t)(total - 12));
    uint32_t crc = crc32c(0, w->data + start + 21, total - 21);
    be32_store(w->data + start + 17, crc);
    return total;
}

char *tu_mkdtemp(void)
{
    char *d = xstrdup("/tmp/sluice-storage-test-XXXXXX");
    if (mkdtemp(d) == NULL)
        abort();
    return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmdir(char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

char *tu_seg_path(const char *dir, int64_t base, const char *suffix)
{
    return xasprintf("%s/%020" PRId64 "%s", dir, base, suffix);
}

int64_t tu_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_size;
}

bool tu_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

void tu_truncate(const char *path, int64_t size)
{
    if (truncate(path, (off_t)size) != 0)
        abort();
}

void tu_flip(const char *path, int64_t pos)
{
    int fd = open(path, O_RDWR);
    uint8_t b;
    if (fd < 0 || pread(fd, &b, 1, pos) != 1)
        abort();
    b ^= 0xff;
    if (pwrite(fd, &b, 1, pos) != 1)
        abort();
    close(fd);
}

void tu_write_at(const char *path, int64_t pos, const void *data, size_t len)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || pwrite(fd, data, len, pos) != (ssize_t)len)
        abort();
    close(fd);
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    int64_t n = tu_file_size(path);
    if (n < 0)
        abort();
    uint8_t *b = xmalloc((size_t)n + 1);
    int fd = open(path, O_RDONLY);
    if (fd < 0 || pread(fd, b, (size_t)n, 0) != n)
        abort();
    close(fd);
    *len = (size_t)n;
    return b;
}

int tu_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    size_t sl = strlen(suffix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

void tu_make_unclean(const char *dir)
{
    char *p = xasprintf("%s/.clean", dir);
    unlink(p);
    free(p);
}

int tu_count_fds(void)
{
    return tu_count_files("/proc/self/fd", "");
}
