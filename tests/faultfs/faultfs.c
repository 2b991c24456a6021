/*
 * faultfs: an LD_PRELOAD shim that makes file system calls fail on chosen
 * paths, so that tests can reproduce a full or failing disk deterministically
 * (unit tests of storage/, integration tests on a real node, later the
 * fault-injection suite).
 *
 * Armed by the environment variable SLUICE_FAULTFS, the path of a control
 * file.  While that file does not exist nothing fails; while it exists every
 * intercepted call is checked against its rules, one per line:
 *
 *     <op> <path-substring> <errno>      e.g.   write .index ENOSPC
 *
 * op: write (write, pwrite, pwritev, writev), sync (fsync, fdatasync),
 * truncate (ftruncate, truncate), open (open/openat with O_CREAT),
 * mkdir, rename (the destination or the source), or any.  The path is the
 * file's (for descriptors: /proc/self/fd/N); errno is ENOSPC, EIO, EDQUOT,
 * EROFS or a number.  Lines starting with '#' are ignored.  Tests create and
 * remove the control file to start and stop the fault; it is read on every
 * call, so the change takes effect at once in every thread.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define OP_WRITE    1
#define OP_SYNC     2
#define OP_TRUNCATE 4
#define OP_OPEN     8
#define OP_MKDIR    16
#define OP_RENAME   32

static int parse_op(const char *s)
{
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"write", OP_WRITE}, {"sync", OP_SYNC},   {"truncate", OP_TRUNCATE},
               {"open", OP_OPEN},   {"mkdir", OP_MKDIR}, {"rename", OP_RENAME},
               {"any", -1}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(s, ops[i].name) == 0)
            return ops[i].op;
    return 0;
}

static int parse_errno(const char *s)
{
    static const struct {
        const char *name;
        int e;
    } names[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].e;
    int v = atoi(s);
    return v > 0 ? v : EIO;
}

/* Reads the control file with raw system calls (never through the wrappers below). */
static ssize_t read_control(char *buf, size_t cap)
{
    const char *ctl = getenv("SLUICE_FAULTFS");
    if (ctl == NULL || *ctl == '\0')
        return -1;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, ctl, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = (ssize_t)syscall(SYS_read, fd, buf, cap - 1);
    syscall(SYS_close, fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* The errno to fail with when op on path matches a rule, else 0. */
static int fault_for(int op, const char *path)
{
    char buf[4096];
    if (path == NULL || read_control(buf, sizeof buf) < 0)
        return 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char opname[32], pat[1024], err[32];
        if (line[0] == '#' || sscanf(line, "%31s %1023s %31s", opname, pat, err) != 3)
            continue;
        if ((parse_op(opname) & op) && strstr(path, pat) != NULL)
            return parse_errno(err);
    }
    return 0;
}

static int fault_for_fd(int op, int fd)
{
    char ctl[8];
    if (read_control(ctl, sizeof ctl) < 0)
        return 0; /* fast path: not armed */
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return fault_for(op, path);
}

#define REAL(name, ret, ...)                                                                       \
    static ret (*real_##name)(__VA_ARGS__);                                                        \
    if (real_##name == NULL)                                                                       \
        real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);

#define FAIL_FD(op, fd)                                                                            \
    do {                                                                                           \
        int e_ = fault_for_fd(op, fd);                                                             \
        if (e_ != 0) {                                                                             \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

#define FAIL_PATH(op, p)                                                                           \
    do {                                                                                           \
        int e_ = fault_for(op, p);                                                                 \
        if (e_ != 0) {                                                                             \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write, ssize_t, int, const void *, size_t);
    FAIL_FD(OP_WRITE, fd);
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(pwrite, ssize_t, int, const void *, size_t, off_t);
    FAIL_FD(OP_WRITE, fd);
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    REAL(pwrite64, ssize_t, int, const void *, size_t, off_t);
    FAIL_FD(OP_WRITE, fd);
    return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(writev, ssize_t, int, const struct iovec *, int);
    FAIL_FD(OP_WRITE, fd);
    return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t);
    FAIL_FD(OP_WRITE, fd);
    return real_pwritev(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(pwritev64, ssize_t, int, const struct iovec *, int, off_t);
    FAIL_FD(OP_WRITE, fd);
    return real_pwritev64(fd, iov, cnt, off);
}

int fsync(int fd)
{
    REAL(fsync, int, int);
    FAIL_FD(OP_SYNC, fd);
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(fdatasync, int, int);
    FAIL_FD(OP_SYNC, fd);
    return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
    REAL(ftruncate, int, int, off_t);
    FAIL_FD(OP_TRUNCATE, fd);
    return real_ftruncate(fd, len);
}

int ftruncate64(int fd, off_t len)
{
    REAL(ftruncate64, int, int, off_t);
    FAIL_FD(OP_TRUNCATE, fd);
    return real_ftruncate64(fd, len);
}

int mkdir(const char *path, mode_t mode)
{
    REAL(mkdir, int, const char *, mode_t);
    FAIL_PATH(OP_MKDIR, path);
    return real_mkdir(path, mode);
}

int rename(const char *from, const char *to)
{
    REAL(rename, int, const char *, const char *);
    FAIL_PATH(OP_RENAME, to);
    FAIL_PATH(OP_RENAME, from);
    return real_rename(from, to);
}

/* open/openat and their large-file and fortified variants: only creations can fail. */
#define OPEN_WRAPPER(name, ...)                                                                    \
    REAL(name, int, __VA_ARGS__);                                                                  \
    mode_t mode = 0;                                                                               \
    if (flags & (O_CREAT | O_TMPFILE)) {                                                           \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode = (mode_t)va_arg(ap, int);                                                            \
        va_end(ap);                                                                                \
        FAIL_PATH(OP_OPEN, path);                                                                  \
    }

int open(const char *path, int flags, ...)
{
    OPEN_WRAPPER(open, const char *, int, ...);
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    OPEN_WRAPPER(open64, const char *, int, ...);
    return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    OPEN_WRAPPER(openat, int, const char *, int, ...);
    return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    OPEN_WRAPPER(openat64, int, const char *, int, ...);
    return real_openat64(dirfd, path, flags, mode);
}

/* Lets a test check that the shim is preloaded (faultfs_ctl.h). */
int sluice_faultfs_marker(void);
int sluice_faultfs_marker(void)
{
    return 1;
}
