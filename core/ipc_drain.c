/* ipc_drain.c — a closing ipc:// publisher's last messages reach its slow
 * subscribers (pubsub_internal.h).
 *
 * libzmq 4.3 loses what is still in the kernel's socket buffer when the
 * sending side closes an ipc:// connection while the receiver's queue is
 * full (zeromq/libzmq#4660): the receiver's engine, told of the hang-up
 * while it has stopped reading, tears the connection down once it has
 * passed on what it had already read, and the bytes still in the kernel
 * are gone. A finite stream lost its last message and its end-of-stream
 * marker that way, uncounted, whenever a subscriber was behind at the end.
 *
 * So the publisher holds each of its connections open (a dup of ZeroMQ's
 * descriptor) until ZeroMQ has written out its queue and closed its own
 * descriptor, and the receiver has read every byte (SIOCOUTQ is 0): the
 * hang-up then finds nothing unread. The wait is bounded by the linger time,
 * as ZeroMQ's own is. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "pubsub_internal.h"

#define DRAIN_MAX 256 /* connections followed; more are left to ZeroMQ alone */

struct ezc_ipc_drain {
    int n;
    struct {
        int orig;          /* ZeroMQ's descriptor number */
        int dup;           /* ours: keeps the connection open */
        unsigned long ino; /* the socket's inode, to tell when ZeroMQ closed orig */
    } c[DRAIN_MAX];
};

/* Whether d is an accepted (not listening) unix socket bound to path. */
static int is_connection_of(int d, const char *path, unsigned long *ino)
{
    struct stat st;
    int domain = 0, listening = 1;
    socklen_t len = sizeof domain;
    if (fstat(d, &st) != 0 || !S_ISSOCK(st.st_mode) ||
        getsockopt(d, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
        return 0;
    len = sizeof listening;
    if (getsockopt(d, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening)
        return 0;
    struct sockaddr_un a;
    socklen_t alen = sizeof a;
    if (getsockname(d, (struct sockaddr *)&a, &alen) != 0 ||
        alen <= offsetof(struct sockaddr_un, sun_path) ||
        strncmp(a.sun_path, path, sizeof a.sun_path) != 0)
        return 0;
    *ino = (unsigned long)st.st_ino;
    return 1;
}

/* A dup of fd when it is one of path's connections, else -1. Checked on
 * the dup: fd may have been closed and its number reused meanwhile. */
static int dup_if_ours(int fd, const char *path, unsigned long *ino)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d >= 0 && !is_connection_of(d, path, ino)) {
        close(d);
        d = -1;
    }
    return d;
}

ezc_ipc_drain *ezc_ipc_drain_begin(const char *path)
{
    if (!path || !*path || path[0] == '@' ||
        strlen(path) >= sizeof((struct sockaddr_un){0}).sun_path)
        return NULL;
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return NULL;
    ezc_ipc_drain *d = calloc(1, sizeof *d);
    struct dirent *e;
    while (d && d->n < DRAIN_MAX && (e = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd == dirfd(dir))
            continue;
        unsigned long ino;
        int dup_fd = dup_if_ours((int)fd, path, &ino);
        if (dup_fd >= 0) {
            d->c[d->n].orig = (int)fd;
            d->c[d->n].dup = dup_fd;
            d->c[d->n].ino = ino;
            d->n++;
        }
    }
    closedir(dir);
    if (d && d->n == 0) {
        free(d);
        d = NULL;
    }
    return d;
}

/* Whether descriptor orig still is the socket of inode ino (ZeroMQ has not closed it). */
static int still_open(int orig, unsigned long ino)
{
    char link[64], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", orig);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return 0;
    target[n] = '\0';
    char want[64];
    snprintf(want, sizeof want, "socket:[%lu]", ino);
    return strcmp(target, want) == 0;
}

void ezc_ipc_drain_finish(ezc_ipc_drain **dp, int linger_ms)
{
    if (!dp || !*dp)
        return;
    ezc_ipc_drain *d = *dp;
    *dp = NULL;
    int64_t deadline = ezc_clock_ns(CLOCK_MONOTONIC) + (int64_t)linger_ms * 1000000;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < d->n; i++) {
            if (d->c[i].dup < 0)
                continue;
            int queued = 0;
            if (still_open(d->c[i].orig, d->c[i].ino) ||
                (ioctl(d->c[i].dup, SIOCOUTQ, &queued) == 0 && queued > 0)) {
                busy = 1;
                continue;
            }
            close(d->c[i].dup); /* all read: the hang-up loses nothing now */
            d->c[i].dup = -1;
        }
        if (!busy || (linger_ms >= 0 && ezc_clock_ns(CLOCK_MONOTONIC) >= deadline))
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < d->n; i++)
        if (d->c[i].dup >= 0)
            close(d->c[i].dup);
    free(d);
}
