/* cli_pubseq.c — how `ezc pub` numbers a named stream across restarts
 * (cli_pubseq.h). */
#include "cli_pubseq.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ezc/rundir.h"

/* A named real-time stream numbers its messages by the wall clock: seq =
 * the index of the message period now, so a restarted process (same id)
 * goes on where a never-stopped one would be, and subscribers count the
 * outage as the gap of the messages not sent. The first subscriber is
 * waited for first (as the first send would), so the number is taken when
 * the first message really leaves. */
void cli_pubseq_by_clock(ezc_pub *p, const char *topic, double fs, int chunk, int wait_ms)
{
    if (wait_ms > 0)
        ezc_pub_wait_subscribers(p, 1, wait_ms, NULL); /* none came: send anyway */
    double period_ns = (double)chunk / fs * 1e9;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t_ns = (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
    if (period_ns >= 1 && t_ns / period_ns < 9e18)
        ezc_pub_set_next_seq(p, topic, (uint64_t)(t_ns / period_ns), NULL);
}

/* A named (or --id) stream keeps the seq its next message gets in a small
 * file of the run folder (pubseq/ID, 0600), mapped shared and stored before
 * each send: a process killed at any instruction leaves it for the one that
 * replaces it, which never numbers below it. What a restart lost is then an
 * exact gap downstream, with --fast too (docs/pubsub.md, "Restarts"). */
#define SEQ_FILE_MAGIC 0x31716573637a65ull /* the bytes "ezcseq1" */

struct cli_pubseq {
    uint64_t magic;
    _Atomic uint64_t next;
};

cli_pubseq *cli_pubseq_open(uint64_t id)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    ezc_error err;
    if (ezc_run_dir("pubseq", dir, sizeof dir, &err)) {
        fprintf(stderr, "ezc pub: %s: a restart will number afresh\n", err.msg);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%016llx", dir, (unsigned long long)id);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat sb;
    void *map = MAP_FAILED;
    if (fd >= 0 && !fstat(fd, &sb) && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
        (sb.st_size == sizeof(cli_pubseq) || (!sb.st_size && !ftruncate(fd, sizeof(cli_pubseq)))))
        map = mmap(NULL, sizeof(cli_pubseq), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    if (map == MAP_FAILED) {
        fprintf(stderr,
                "ezc pub: %s: not a numbering file of ours (%s): a restart will number afresh\n",
                path, fd < 0 ? strerror(errno) : "wrong size or owner");
        return NULL;
    }
    cli_pubseq *f = map;
    if (f->magic != SEQ_FILE_MAGIC) { /* new (zeros) or foreign: start it */
        atomic_store_explicit(&f->next, 0, memory_order_relaxed);
        f->magic = SEQ_FILE_MAGIC;
    }
    return f;
}

/* The first message's number: paced, the wall clock's; never below what a
 * predecessor left. */
void cli_pubseq_resume(ezc_pub *p, const char *topic, cli_pubseq *sf, int by_clock, double fs,
                       int chunk, int wait_ms)
{
    if (by_clock)
        cli_pubseq_by_clock(p, topic, fs, chunk, wait_ms);
    uint64_t kept = sf ? atomic_load_explicit(&sf->next, memory_order_relaxed) : 0;
    if (kept > ezc_pub_next_seq(p, topic))
        ezc_pub_set_next_seq(p, topic, kept, NULL);
}

void cli_pubseq_store(cli_pubseq *sf, uint64_t next)
{
    if (sf)
        atomic_store_explicit(&sf->next, next, memory_order_relaxed);
}

void cli_pubseq_close(cli_pubseq **sf)
{
    if (*sf)
        munmap(*sf, sizeof **sf);
    *sf = NULL;
}
