/* ipc_endpoint.c — claims on ipc:// socket files (see ipc_endpoint.h).
 *
 * The claim is an flock on PATH.lock: flock (unlike fcntl locks) belongs to
 * the open file, so two claims in one process conflict too, and the kernel
 * drops it when the owner dies, which is what makes a dead owner's leftover
 * socket file safe to reclaim. The lock file is removed on release, so a
 * taker re-checks after locking that the file it locked is still the one
 * at the path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "ipc_endpoint.h"

#define TAKE_TRIES 16 /* lock files removed under us before giving up */

struct ezc_ipc_claim {
    int fd;      /* the locked PATH.lock */
    char *lock;  /* PATH.lock, absolute: release may run in another cwd */
    char path[]; /* PATH as given */
};

/* The pid written in a lock file, or 0 when unreadable (its owner may be
 * between locking and writing). */
static long lock_owner(int fd)
{
    char buf[24];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n') || pid <= 0 || pid > INT_MAX)
        return 0;
    return pid;
}

static int busy(const char *endpoint, const char *lock, long pid, ezc_error *err)
{
    if (pid > 0)
        return ezc_error_set(err, EZC_EIO, "%s: in use by pid %ld (lock %s)", endpoint, pid, lock);
    return ezc_error_set(err, EZC_EIO, "%s: in use by another process (lock %s)", endpoint, lock);
}

/* Locks PATH.lock into c->fd; the file must still be the one at the path
 * once locked (a releasing owner removes it). */
static int lock_file(ezc_ipc_claim *c, const char *endpoint, ezc_error *err)
{
    for (int tries = 0; tries < TAKE_TRIES; tries++) {
        /* O_NOFOLLOW: a symlink planted at PATH.lock must not make us
         * truncate whatever it points at. */
        int fd = open(c->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return ezc_error_set(err, EZC_EIO, "%s: cannot open the lock file %s: %s", endpoint,
                                 c->lock, strerror(errno));
        struct stat mine, there;
        if (fstat(fd, &mine) != 0 || !S_ISREG(mine.st_mode)) {
            close(fd);
            return ezc_error_set(err, EZC_EIO, "%s: the lock file %s is not a regular file",
                                 endpoint, c->lock);
        }
        int rc;
        while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
            ;
        if (rc != 0) {
            int e = errno;
            long pid = lock_owner(fd);
            close(fd);
            if (e == EWOULDBLOCK)
                return busy(endpoint, c->lock, pid, err);
            return ezc_error_set(err, EZC_EIO, "%s: cannot lock %s: %s", endpoint, c->lock,
                                 strerror(e));
        }
        if (stat(c->lock, &there) == 0 && there.st_dev == mine.st_dev &&
            there.st_ino == mine.st_ino) {
            char pid[24];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
                int e = errno;
                close(fd);
                return ezc_error_set(err, EZC_EIO, "%s: cannot write the lock file %s: %s",
                                     endpoint, c->lock, strerror(e));
            }
            c->fd = fd;
            return 0;
        }
        close(fd); /* its owner removed it while we waited: take the new one */
    }
    return ezc_error_set(err, EZC_EIO, "%s: the lock file %s keeps being replaced", endpoint,
                         c->lock);
}

/* Under the claim: whatever is at PATH is either nothing, a socket left by a
 * dead owner (removed), or served by a live program that takes no lock. */
static int clear_path(ezc_ipc_claim *c, const char *endpoint, ezc_error *err)
{
    struct stat sb;
    if (lstat(c->path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        return ezc_error_set(err, EZC_EIO, "%s: cannot inspect %s: %s", endpoint, c->path,
                             strerror(errno));
    }
    if (!S_ISSOCK(sb.st_mode))
        return ezc_error_set(err, EZC_EIO,
                             "%s: %s exists and is not a socket (binding would delete it)",
                             endpoint, c->path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(c->path) >= sizeof sa.sun_path)
        return 0; /* the bind reports the name as too long */
    strcpy(sa.sun_path, c->path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return ezc_error_set(err, EZC_EIO, "%s: cannot probe %s: %s", endpoint, c->path,
                             strerror(errno));
    int rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    if (rc == 0 || e == EAGAIN) { /* accepted, or a full backlog: somebody listens */
        struct ucred cred = {0};
        socklen_t len = sizeof cred;
        long pid = rc == 0 && getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0
                       ? (long)cred.pid
                       : 0;
        close(s);
        if (pid > 0)
            return ezc_error_set(err, EZC_EIO, "%s: in use by pid %ld (it holds no %s)", endpoint,
                                 pid, c->lock);
        return ezc_error_set(err, EZC_EIO, "%s: in use by another process (it holds no %s)",
                             endpoint, c->lock);
    }
    close(s);
    if (e == ECONNREFUSED) { /* nobody listens: a dead owner's file */
        if (unlink(c->path) != 0 && errno != ENOENT)
            return ezc_error_set(err, EZC_EIO, "%s: cannot remove the stale socket %s: %s",
                                 endpoint, c->path, strerror(errno));
        return 0;
    }
    if (e == ENOENT)
        return 0;
    return ezc_error_set(err, EZC_EIO, "%s: cannot probe %s: %s", endpoint, c->path, strerror(e));
}

int ezc_ipc_claim_take(const char *endpoint, ezc_ipc_claim **out, ezc_error *err)
{
    *out = NULL;
    if (!endpoint || strncmp(endpoint, "ipc://", 6) != 0)
        return 0;
    const char *path = endpoint + 6;
    if (!*path || *path == '@' || strchr(path, '*'))
        return 0;
    size_t n = strlen(path);
    if (n > PATH_MAX)
        return ezc_error_set(err, EZC_EINVAL, "%.64s...: the path is too long", endpoint);
    char cwd[PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return ezc_error_set(err, EZC_EIO,
                             "%s: relative path, and the current folder is "
                             "unknown: %s",
                             endpoint, strerror(errno));
    ezc_ipc_claim *c = calloc(1, sizeof *c + n + 1);
    size_t lock_len = (path[0] == '/' ? 0 : strlen(cwd) + 1) + n + sizeof ".lock";
    char *lock = malloc(lock_len);
    if (!c || !lock) {
        free(c);
        free(lock);
        return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", endpoint);
    }
    memcpy(c->path, path, n + 1);
    snprintf(lock, lock_len, "%s%s%s.lock", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/",
             path);
    c->lock = lock;
    c->fd = -1;
    int rc = lock_file(c, endpoint, err);
    if (rc == 0 && (rc = clear_path(c, endpoint, err)) != 0) {
        ezc_ipc_claim_release(&c);
        return rc;
    }
    if (rc) {
        free(c->lock);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ezc_ipc_claim_bound(ezc_ipc_claim *c, ezc_error *err)
{
    if (!c)
        return 0;
    if (chmod(c->path, 0600) != 0)
        return ezc_error_set(err, EZC_EIO, "ipc://%s: cannot make the socket file owner-only: %s",
                             c->path, strerror(errno));
    return 0;
}

void ezc_ipc_claim_release(ezc_ipc_claim **cp)
{
    if (!cp || !*cp)
        return;
    ezc_ipc_claim *c = *cp;
    *cp = NULL;
    struct stat sb, mine;
    /* Only the lock file we hold is ours to remove. */
    if (c->fd >= 0 && fstat(c->fd, &mine) == 0 && stat(c->lock, &sb) == 0 &&
        sb.st_dev == mine.st_dev && sb.st_ino == mine.st_ino)
        unlink(c->lock);
    if (c->fd >= 0)
        close(c->fd);
    free(c->lock);
    free(c);
}

const char *ezc_ipc_claim_path(const ezc_ipc_claim *c)
{
    return c ? c->path : "";
}
