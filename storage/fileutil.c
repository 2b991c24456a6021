/*
 * File helpers for storage/ (fileutil.h).
 */
#include "fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "xalloc.h"

int storage_file_read_all(const char *path, size_t max_len, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SL_ENOTFOUND : SL_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return SL_EIO;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max_len) {
        LOG_WARN("storage", "%s: %lld bytes exceeds the %zu-byte limit", path,
                 (long long)st.st_size, max_len);
        close(fd);
        return SL_ETOOLARGE;
    }
    size_t n = (size_t)st.st_size;
    char *buf = xmalloc(n + 1);
    ssize_t got = storage_pread_full(fd, buf, n, 0);
    close(fd);
    if (got < 0) {
        free(buf);
        return SL_EIO;
    }
    buf[got] = '\0';
    *out = buf;
    *len = (size_t)got;
    return 0;
}

int storage_dir_fsync(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return SL_EIO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? 0 : SL_EIO;
}

int storage_parent_dir_fsync(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return storage_dir_fsync(".");
    if (slash == path)
        return storage_dir_fsync("/");
    char *dir = xstrndup(path, (size_t)(slash - path));
    int rc = storage_dir_fsync(dir);
    free(dir);
    return rc;
}

ssize_t storage_pread_full(int fd, void *buf, size_t len, int64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + (int64_t)done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SL_EIO;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int storage_pwrite_full(int fd, const void *buf, size_t len, int64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + (int64_t)done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SL_EIO;
        }
        if (n == 0)
            return SL_EIO;
        done += (size_t)n;
    }
    return 0;
}

int storage_file_write_atomic(const char *path, const void *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp", path);
    int rc = SL_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        LOG_ERROR("storage", "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (storage_pwrite_full(fd, data, len, 0) != 0 || fsync(fd) != 0) {
        LOG_ERROR("storage", "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        LOG_ERROR("storage", "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = storage_parent_dir_fsync(path);
out:
    free(tmp);
    return rc;
}

int storage_mkdirs(const char *dir)
{
    char *p = xstrdup(dir);
    size_t n = strlen(p);
    int rc = 0;
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            LOG_ERROR("storage", "cannot create directory %s: %s", p, strerror(errno));
            rc = SL_EIO;
            break;
        }
        p[i] = saved;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = SL_EIO;
    }
    free(p);
    return rc;
}

char *storage_text_next_line(char **cursor)
{
    char *line = *cursor;
    if (line == NULL || *line == '\0')
        return NULL;
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = line + strlen(line);
    }
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

bool storage_parse_i64(const char *s, int64_t *out)
{
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (*s == '\0')
        return false;
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}
