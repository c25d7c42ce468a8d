/* dash_record.c — recordings started from the page: each one an `ezc
 * record NAME FILE` child, so the file format, the checksums and the
 * repair story are the recorder's own. Stopped with SIGINT (the recorder
 * then writes its index), reaped without blocking, and stopped the same
 * way when the dashboard exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "dash.h"

#define RECORDINGS_MAX 64

typedef struct rec {
    char name[EZC_STREAM_NAME_MAX];
    char path[4096 + 128];
    pid_t pid;
    int stopping;
} rec;

struct dash_record {
    char ezc[4096], dir[4096];
    rec r[RECORDINGS_MAX];
    size_t n;
};

dash_record *dash_record_new(const char *ezc, const char *dir)
{
    dash_record *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(r->ezc, sizeof r->ezc, "%s", ezc);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    return r;
}

static rec *find(dash_record *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!r->r[i].stopping && !strcmp(r->r[i].name, name))
            return &r->r[i];
    return NULL;
}

const char *dash_record_path(const dash_record *r, const char *name)
{
    const rec *x = find((dash_record *)r, name);
    return x ? x->path : NULL;
}

int dash_record_start(dash_record *r, const char *name, char *path, size_t cap, ezc_error *err)
{
    if (ezc_names_check(name, err))
        return -1;
    if (find(r, name)) {
        ezc_error_set(err, EZC_EINVAL, "record: '%s' is being recorded already (%s)", name,
                      find(r, name)->path);
        return -1;
    }
    if (r->n == RECORDINGS_MAX) {
        ezc_error_set(err, EZC_EINVAL, "record: at most %d recordings at once", RECORDINGS_MAX);
        return -1;
    }
    rec *x = &r->r[r->n];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    char base[EZC_STREAM_NAME_MAX], stamp[32];
    snprintf(base, sizeof base, "%s", name);
    for (char *c = base; *c; c++)
        if (*c == '/' || *c == ':')
            *c = '_';
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(x->path, sizeof x->path, "%s/%s-%s.ezr", r->dir, base, stamp);
    for (int k = 2; access(x->path, F_OK) == 0 && k < 100; k++)
        snprintf(x->path, sizeof x->path, "%s/%s-%s-%d.ezr", r->dir, base, stamp, k);
    char *argv[] = {r->ezc, "record", x->name, x->path, "--quiet", NULL};
    sigset_t none;
    sigemptyset(&none);
    pid_t pid = fork();
    if (pid < 0) {
        ezc_error_set(err, EZC_EIO, "record: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) { /* only async-signal-safe calls until exec */
        for (int fd = 3; fd < 4096; fd++)
            close(fd); /* the server's sockets are not the recorder's */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    x->pid = pid;
    r->n++;
    snprintf(path, cap, "%s", x->path);
    return 0;
}

int dash_record_stop(dash_record *r, const char *name, char *path, size_t cap, ezc_error *err)
{
    rec *x = find(r, name);
    if (!x) {
        ezc_error_set(err, EZC_ENOTFOUND, "record: '%s' is not being recorded", name);
        return -1;
    }
    kill(x->pid, SIGINT);
    x->stopping = 1;
    snprintf(path, cap, "%s", x->path);
    return 0;
}

void dash_record_reap(dash_record *r)
{
    for (size_t i = 0; i < r->n;) {
        int status;
        if (waitpid(r->r[i].pid, &status, WNOHANG) == r->r[i].pid) {
            r->r[i] = r->r[--r->n];
            continue;
        }
        i++;
    }
}

void dash_record_signal_all(const dash_record *r)
{
    for (size_t i = 0; i < r->n && i < RECORDINGS_MAX; i++)
        if (r->r[i].pid > 0)
            kill(r->r[i].pid, SIGINT);
}

void dash_record_destroy(dash_record **pr, int grace_ms)
{
    if (!pr || !*pr)
        return;
    dash_record *r = *pr;
    for (size_t i = 0; i < r->n; i++)
        if (!r->r[i].stopping) {
            kill(r->r[i].pid, SIGINT);
            r->r[i].stopping = 1;
        }
    for (int waited = 0; r->n && waited < grace_ms; waited += 10) {
        dash_record_reap(r);
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < r->n; i++) {
        kill(r->r[i].pid, SIGKILL);
        waitpid(r->r[i].pid, NULL, 0);
    }
    free(r);
    *pr = NULL;
}
