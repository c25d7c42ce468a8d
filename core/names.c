/* names.c — the stream-name registry of one host (ezc/names.h).
 *
 * No server: an entry is a file in the owner-only run folder, and its truth
 * is a lock. The owner holds an flock on "ESC.stream.lock" for as long as it
 * serves the name; the kernel drops it when the owner dies, so a reader that
 * can take the lock knows the entry is stale and removes it. The entry
 * itself ("ESC.stream") is replaced by rename, never written in place, so a
 * reader sees the old entry or the new one, never a mix. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ezc/discovery.h"
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "ezc/names.h"
#include "ezc/rundir.h"
#include "ezc/sub.h"

#define ESC_MAX (3 * EZC_STREAM_NAME_MAX) /* every byte %XX at worst */
#define ENTRY_MAX 8192                    /* an entry's bytes, far more than it needs */
#define TAKE_TRIES 200                    /* 1 ms apart: a reader cleaning up holds the lock */
#define SUGGEST_MAX 5
#define PATHBUF (PATH_MAX + ESC_MAX + 32) /* a folder (PATH_MAX) and an entry's file name */

struct ezc_names_reg {
    int fd;                /* the locked ESC.stream.lock */
    char dir[PATH_MAX];    /* RUN/streams */
    char esc[ESC_MAX + 1]; /* the name as a file name */
    ezc_stream_info info;
    ezc_announcer *beacon; /* a tcp:// stream's beacons, when discovery is on */
};

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ezc_names_is_endpoint(const char *s)
{
    return s &&
           (!strncmp(s, "tcp://", 6) || !strncmp(s, "ipc://", 6) || !strncmp(s, "inproc://", 9));
}

int ezc_names_check(const char *name, ezc_error *err)
{
    if (!name || !*name)
        return ezc_error_set(err, EZC_EINVAL, "stream name: empty");
    size_t n = strlen(name);
    if (n >= EZC_STREAM_NAME_MAX)
        return ezc_error_set(err, EZC_EINVAL, "stream name '%.32s...': longer than %d bytes", name,
                             EZC_STREAM_NAME_MAX - 1);
    if (ezc_names_is_endpoint(name) || strstr(name, "://"))
        return ezc_error_set(err, EZC_EINVAL, "stream name '%s': an endpoint, not a name", name);
    if (name[0] == '.' || name[0] == '/')
        return ezc_error_set(err, EZC_EINVAL, "stream name '%s': starts with '%c'", name, name[0]);
    if (strstr(name, "//"))
        return ezc_error_set(err, EZC_EINVAL, "stream name '%s': has '//'", name);
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("_-.:/@+", *c))
            return ezc_error_set(err, EZC_EINVAL,
                                 "stream name '%s': character 0x%02x at %zu (letters, digits and "
                                 "_-.:/@+ only)",
                                 name, (unsigned char)*c, (size_t)(c - name));
    return 0;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

uint64_t ezc_names_stream_id(const char *name)
{
    uint64_t id = fnv1a(name ? name : "") >> 1; /* positive, as `ezc pub --id` takes */
    return id ? id : 1;
}

/* "emg/envelope" -> "emg%2Fenvelope": one file name per name, reversible. */
static void escape(const char *name, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *name; name++) {
        unsigned char c = (unsigned char)*name;
        if (isalnum(c) || c == '.' || c == '_' || c == '-') {
            *out++ = (char)c;
        } else {
            *out++ = '%';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out = '\0';
}

static int streams_dir(char *dir, ezc_error *err)
{
    ezc_error mine;
    int rc = ezc_run_dir("streams", dir, PATH_MAX, err ? err : &mine);
    if (rc)
        ezc_error_prefix(err, "stream names");
    return rc;
}

/* dir/esc + suffix into out (PATHBUF); 0, or -1 when it does not fit (a
 * path that then names nothing: the run folder's path is bounded well below). */
static int entry_path(char *out, const char *dir, const char *esc, const char *suffix)
{
    int n = snprintf(out, PATHBUF, "%s/%s%s", dir, esc, suffix);
    return n < 0 || n >= PATHBUF ? -1 : 0;
}

int ezc_names_private_endpoint(const char *name, char *buf, size_t cap, ezc_error *err)
{
    int rc = ezc_names_check(name, err);
    char dir[PATH_MAX];
    if (rc || (rc = streams_dir(dir, err)) != 0)
        return rc;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%016llx.sock", dir, (unsigned long long)fnv1a(name));
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return ezc_error_set(err, EZC_EINVAL,
                             "stream '%s': its socket path %s is too long for a unix socket (set "
                             "EZC_RUN_DIR to a shorter folder, or give an endpoint)",
                             name, path);
    int n = snprintf(buf, cap, "ipc://%s", path);
    if (n < 0 || (size_t)n >= cap)
        return ezc_error_set(err, EZC_EINVAL, "stream '%s': the endpoint does not fit %zu bytes",
                             name, cap);
    return 0;
}

/* The first number in a lock file (its owner's pid), or 0. */
static long lock_pid(int fd)
{
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = buf;
    while (*p && !isdigit((unsigned char)*p))
        p++;
    long pid = strtol(p, NULL, 10);
    return pid > 0 && pid <= INT_MAX ? pid : 0;
}

static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Is esc's owner alive? 1 live (*pid set), 0 not (its entry removed). */
static int probe(const char *dir, const char *esc, long *pid)
{
    char lock[PATHBUF], entry[PATHBUF];
    entry_path(lock, dir, esc, ".stream.lock");
    entry_path(entry, dir, esc, ".stream");
    *pid = 0;
    int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) /* an owner locks before it writes: a leftover */
            unlink(entry);
        return 0;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        *pid = lock_pid(fd);
        close(fd);
        return 1;
    }
    if (same_file(fd, lock)) { /* dead owner: remove under its lock, entry first */
        unlink(entry);
        unlink(lock);
    }
    close(fd);
    return 0;
}

/* ---- the entry's text -------------------------------------------------- */

/* Copies s into a value: no newline, and no comma in a list item. */
static void put_clean(FILE *f, const char *s, int list_item)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' || (list_item && *s == ',') ? '_' : *s, f);
}

static int format_entry(const ezc_stream_info *si, char *buf, size_t cap)
{
    FILE *f = fmemopen(buf, cap, "w");
    if (!f)
        return -1;
    fprintf(f, "name=%s\nendpoint=", si->name);
    put_clean(f, si->endpoint, 0);
    fprintf(f, "\npid=%ld\ngraph=", si->pid);
    put_clean(f, si->graph, 0);
    fprintf(f, "\nid=%llu\nstarted_ns=%lld\ntopic=", (unsigned long long)si->id,
            (long long)si->started_ns);
    put_clean(f, si->topic, 0);
    fprintf(f, "\ndtype=%s\n", si->dtype);
    if (si->ndim >= 0 && si->dtype[0]) {
        fputs("shape=", f);
        for (int i = 0; i < si->ndim; i++)
            fprintf(f, "%s%lld", i ? "," : "", (long long)si->shape[i]);
        fputs("\ndims=", f);
        for (int i = 0; i < si->ndim; i++) {
            if (i)
                fputc(',', f);
            put_clean(f, si->dims[i], 1);
        }
        fputc('\n', f);
    }
    fprintf(f, "fs=%.17g\n", si->fs);
    long n = ftell(f);
    int bad = ferror(f);
    fclose(f);
    return bad || n < 0 || (size_t)n >= cap ? -1 : (int)n;
}

static void copy_str(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void parse_entry(char *text, ezc_stream_info *si)
{
    memset(si, 0, sizeof *si);
    si->ndim = -1;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        size_t vn = strlen(v);
        if (!strcmp(k, "name"))
            copy_str(si->name, sizeof si->name, v, vn);
        else if (!strcmp(k, "endpoint"))
            copy_str(si->endpoint, sizeof si->endpoint, v, vn);
        else if (!strcmp(k, "graph"))
            copy_str(si->graph, sizeof si->graph, v, vn);
        else if (!strcmp(k, "topic"))
            copy_str(si->topic, sizeof si->topic, v, vn);
        else if (!strcmp(k, "dtype"))
            copy_str(si->dtype, sizeof si->dtype, v, vn);
        else if (!strcmp(k, "pid"))
            si->pid = strtol(v, NULL, 10);
        else if (!strcmp(k, "id"))
            si->id = strtoull(v, NULL, 10);
        else if (!strcmp(k, "started_ns"))
            si->started_ns = strtoll(v, NULL, 10);
        else if (!strcmp(k, "fs"))
            si->fs = strtod(v, NULL);
        else if (!strcmp(k, "shape")) {
            int nd = 0;
            for (const char *p = v; *p && nd < EZC_MAX_DIMS; nd++) {
                char *end;
                si->shape[nd] = strtoll(p, &end, 10);
                p = *end == ',' ? end + 1 : end + strlen(end);
            }
            si->ndim = nd;
        } else if (!strcmp(k, "dims")) {
            int i = 0;
            for (const char *p = v; i < EZC_MAX_DIMS; i++) {
                size_t len = strcspn(p, ",");
                copy_str(si->dims[i], sizeof si->dims[i], p, len);
                if (!p[len])
                    break;
                p += len + 1;
            }
        }
    }
}

/* Reads dir/esc.stream into *si. 0; EZC_ENOTFOUND when gone; EZC_EIO. */
static int read_entry(const char *dir, const char *esc, ezc_stream_info *si, ezc_error *err)
{
    memset(si, 0, sizeof *si);
    si->ndim = -1;
    char path[PATHBUF];
    entry_path(path, dir, esc, ".stream");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return EZC_ENOTFOUND;
        return ezc_error_set(err, EZC_EIO, "stream names: cannot read %s: %s", path,
                             strerror(errno));
    }
    char *text = malloc(ENTRY_MAX);
    if (!text) {
        close(fd);
        return ezc_error_set(err, EZC_ENOMEM, "stream names: out of memory");
    }
    ssize_t n = read(fd, text, ENTRY_MAX - 1);
    close(fd);
    if (n < 0) {
        free(text);
        return ezc_error_set(err, EZC_EIO, "stream names: cannot read %s: %s", path,
                             strerror(errno));
    }
    text[n] = '\0';
    parse_entry(text, si);
    free(text);
    return 0;
}

/* Writes the entry whole: a private temporary file renamed over it. */
static int write_entry(ezc_names_reg *r, ezc_error *err)
{
    char text[ENTRY_MAX], tmp[PATHBUF], path[PATHBUF];
    int n = format_entry(&r->info, text, sizeof text);
    if (n < 0)
        return ezc_error_set(err, EZC_EIO, "stream '%s': the entry does not fit %d bytes",
                             r->info.name, ENTRY_MAX);
    entry_path(path, r->dir, r->esc, ".stream");
    int tn = snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", r->dir, r->esc, (long)getpid());
    if (tn < 0 || (size_t)tn >= sizeof tmp)
        return ezc_error_set(err, EZC_EINVAL, "stream '%s': the run folder's path is too long",
                             r->info.name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ezc_error_set(err, EZC_EIO, "stream '%s': cannot write %s: %s", r->info.name, tmp,
                             strerror(errno));
    ssize_t w = write(fd, text, (size_t)n);
    int e = errno;
    close(fd);
    if (w != n || rename(tmp, path) != 0) {
        e = w != n ? (w < 0 ? e : ENOSPC) : errno;
        unlink(tmp);
        return ezc_error_set(err, EZC_EIO, "stream '%s': cannot write %s: %s", r->info.name, path,
                             strerror(e));
    }
    return 0;
}

/* ---- registration ------------------------------------------------------ */

/* Other hosts hear of a tcp:// stream when discovery is asked for
 * (ezc/discovery.h); a wrong EZC_DISCOVERY or EZC_PEERS is an error here,
 * where the publisher can report it. */
static int announce(ezc_names_reg *r, ezc_error *err)
{
    if (r->beacon) {
        ezc_announcer_update(r->beacon, &r->info);
        return 0;
    }
    if (strncmp(r->info.endpoint, "tcp://", 6))
        return 0;
    ezc_discovery_config c;
    int rc = ezc_discovery_config_from_env(&c, err);
    if (!rc && c.enabled)
        rc = ezc_announcer_new(&c, &r->info, &r->beacon, err);
    if (rc)
        ezc_error_prefix(err, "stream '%s'", r->info.name);
    return rc;
}

static int alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int name_busy(ezc_names_reg *r, long pid, ezc_error *err)
{
    ezc_stream_info other;
    ezc_error ignored;
    if (pid > 0 && read_entry(r->dir, r->esc, &other, &ignored) == 0 && other.endpoint[0])
        return ezc_error_set(err, EZC_EIO, "name '%s' is in use by pid %ld (endpoint %s)",
                             r->info.name, pid, other.endpoint);
    if (pid > 0)
        return ezc_error_set(err, EZC_EIO, "name '%s' is in use by pid %ld", r->info.name, pid);
    return ezc_error_set(err, EZC_EIO, "name '%s' is in use by another process", r->info.name);
}

/* Takes ESC.stream.lock into r->fd. A lock held by a process that is gone is
 * a reader removing a stale entry: it lets go in microseconds. */
static int take_lock(ezc_names_reg *r, ezc_error *err)
{
    char lock[PATHBUF];
    entry_path(lock, r->dir, r->esc, ".stream.lock");
    for (int tries = 0; tries < TAKE_TRIES; tries++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return ezc_error_set(err, EZC_EIO, "stream '%s': cannot open %s: %s", r->info.name,
                                 lock, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return ezc_error_set(err, EZC_EIO, "stream '%s': %s is not a regular file",
                                 r->info.name, lock);
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            long pid = lock_pid(fd);
            close(fd);
            if (e != EWOULDBLOCK && e != EINTR)
                return ezc_error_set(err, EZC_EIO, "stream '%s': cannot lock %s: %s", r->info.name,
                                     lock, strerror(e));
            if (alive(pid)) /* this process too: a second registration conflicts */
                return name_busy(r, pid, err);
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (!same_file(fd, lock)) { /* removed by a reader meanwhile: take the new one */
            close(fd);
            continue;
        }
        char pid[24];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
            int e = errno;
            close(fd);
            return ezc_error_set(err, EZC_EIO, "stream '%s': cannot write %s: %s", r->info.name,
                                 lock, strerror(e));
        }
        r->fd = fd;
        return 0;
    }
    return ezc_error_set(err, EZC_EIO, "name '%s' is in use by another process (lock %s)",
                         r->info.name, lock);
}

int ezc_names_register(const ezc_stream_info *info, ezc_names_reg **out, ezc_error *err)
{
    *out = NULL;
    if (!info)
        return ezc_error_set(err, EZC_EINVAL, "stream names: no info");
    int rc = ezc_names_check(info->name, err);
    if (rc)
        return rc;
    ezc_names_reg *r = calloc(1, sizeof *r);
    if (!r)
        return ezc_error_set(err, EZC_ENOMEM, "stream '%s': out of memory", info->name);
    r->fd = -1;
    r->info = *info;
    r->info.pid = (long)getpid();
    r->info.started_ns = realtime_ns();
    escape(info->name, r->esc);
    rc = streams_dir(r->dir, err);
    if (!rc)
        rc = take_lock(r, err);
    if (rc) {
        free(r);
        return rc;
    }
    /* A dead predecessor's entry must not show under our live lock. */
    char path[PATHBUF];
    entry_path(path, r->dir, r->esc, ".stream");
    if (r->info.endpoint[0])
        rc = write_entry(r, err);
    else
        unlink(path);
    if (!rc)
        rc = announce(r, err);
    if (rc) {
        ezc_names_unregister(&r);
        return rc;
    }
    *out = r;
    return 0;
}

int ezc_names_update(ezc_names_reg *r, const ezc_stream_info *info, ezc_error *err)
{
    if (!r || !info || strcmp(info->name, r->info.name))
        return ezc_error_set(err, EZC_EINVAL, "stream names: update of '%s' under another name",
                             r ? r->info.name : "(null)");
    long pid = r->info.pid;
    int64_t started = r->info.started_ns;
    r->info = *info;
    r->info.pid = pid;
    r->info.started_ns = started;
    int rc = write_entry(r, err);
    return rc ? rc : announce(r, err);
}

int ezc_names_describe(ezc_names_reg *r, const char *topic, const ezc_array *a, ezc_error *err)
{
    if (!r || !a)
        return 0;
    ezc_stream_info si = r->info;
    copy_str(si.topic, sizeof si.topic, topic ? topic : "", strlen(topic ? topic : ""));
    copy_str(si.dtype, sizeof si.dtype, ezc_dtype_name(a->dtype), strlen(ezc_dtype_name(a->dtype)));
    si.ndim = ezc_array_ndim(a);
    si.fs = 0;
    for (int i = 0; i < si.ndim; i++) {
        si.shape[i] = a->shape[i];
        memcpy(si.dims[i], a->dims[i], EZC_NAME_MAX);
        if (!strcmp(a->dims[i], "time") && a->axes[i].kind == EZC_AXIS_LINEAR &&
            a->axes[i].gain > 0)
            si.fs = 1.0 / a->axes[i].gain;
    }
    if (!memcmp(&si, &r->info, sizeof si))
        return 0;
    r->info = si;
    int rc = write_entry(r, err);
    if (r->beacon)
        ezc_announcer_update(r->beacon, &r->info);
    return rc;
}

const ezc_stream_info *ezc_names_info(const ezc_names_reg *r)
{
    return r ? &r->info : NULL;
}

void ezc_names_unregister(ezc_names_reg **rp)
{
    if (!rp || !*rp)
        return;
    ezc_names_reg *r = *rp;
    *rp = NULL;
    ezc_announcer_destroy(&r->beacon);
    if (r->fd >= 0) {
        char path[PATHBUF];
        entry_path(path, r->dir, r->esc, ".stream");
        unlink(path); /* the entry first: nobody resolves a name being let go */
        entry_path(path, r->dir, r->esc, ".stream.lock");
        if (same_file(r->fd, path))
            unlink(path);
        close(r->fd);
    }
    free(r);
}

/* ---- reading ----------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const ezc_stream_info *)a)->name, ((const ezc_stream_info *)b)->name);
}

/* A temporary entry ".ESC.PID.tmp" whose writer died. */
static void remove_dead_tmp(const char *dir, const char *file)
{
    size_t n = strlen(file);
    if (n < 6 || strcmp(file + n - 4, ".tmp"))
        return;
    const char *dot = file + n - 5;
    while (dot > file && isdigit((unsigned char)*dot))
        dot--;
    long pid = strtol(dot + 1, NULL, 10);
    if (*dot != '.' || pid <= 0 || alive(pid))
        return;
    char path[PATHBUF];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) < (int)sizeof path)
        unlink(path);
}

int ezc_names_list(ezc_stream_info **out, size_t *n, ezc_error *err)
{
    *out = NULL;
    *n = 0;
    char dir[PATH_MAX];
    int rc = streams_dir(dir, err);
    if (rc)
        return rc;
    DIR *d = opendir(dir);
    if (!d)
        return ezc_error_set(err, EZC_EIO, "stream names: cannot read %s: %s", dir,
                             strerror(errno));
    ezc_stream_info *v = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        size_t len = strlen(f);
        if (f[0] == '.') {
            remove_dead_tmp(dir, f);
            continue;
        }
        if (len <= 7 || strcmp(f + len - 7, ".stream") || len - 7 > ESC_MAX)
            continue;
        char esc[ESC_MAX + 1];
        copy_str(esc, sizeof esc, f, len - 7);
        long pid;
        if (!probe(dir, esc, &pid))
            continue;
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ezc_stream_info *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = ezc_error_set(err, EZC_ENOMEM, "stream names: out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        ezc_error e2;
        if (read_entry(dir, esc, &v[count], &e2) == 0 && v[count].name[0] && v[count].endpoint[0])
            count++;
    }
    closedir(d);
    if (rc) {
        free(v);
        return rc;
    }
    if (count)
        qsort(v, count, sizeof *v, by_name);
    else {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = count;
    return 0;
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= EZC_STREAM_NAME_MAX || lb >= EZC_STREAM_NAME_MAX)
        return (size_t)-1;
    size_t row[EZC_STREAM_NAME_MAX];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int not_found(const char *name, ezc_error *err)
{
    ezc_stream_info *all = NULL;
    size_t n = 0;
    char close_[SUGGEST_MAX * EZC_STREAM_NAME_MAX + 16] = "";
    int shown = 0;
    if (ezc_names_list(&all, &n, NULL) == 0) {
        size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
        for (size_t i = 0; i < n && shown < SUGGEST_MAX; i++) {
            const char *c = all[i].name;
            if (distance(name, c) <= limit || strstr(c, name) || strstr(name, c)) {
                size_t at = strlen(close_);
                snprintf(close_ + at, sizeof close_ - at, "%s%s", shown ? ", " : "", c);
                shown++;
            }
        }
    }
    free(all);
    if (shown)
        return ezc_error_set(err, EZC_ENOTFOUND,
                             "no stream named '%s' (did you mean: %s?; `ezc ls` lists them)", name,
                             close_);
    return ezc_error_set(err, EZC_ENOTFOUND,
                         "no stream named '%s' (%zu stream%s registered; `ezc ls` lists them)",
                         name, n, n == 1 ? "" : "s");
}

int ezc_names_resolve(const char *name, ezc_stream_info *out, ezc_error *err)
{
    int rc = ezc_names_check(name, err);
    char dir[PATH_MAX], esc[ESC_MAX + 1];
    if (rc || (rc = streams_dir(dir, err)) != 0)
        return rc;
    escape(name, esc);
    long pid;
    if (probe(dir, esc, &pid)) {
        rc = read_entry(dir, esc, out, err);
        if (rc == 0 && out->endpoint[0] && !strcmp(out->name, name))
            return 0;
        if (rc && rc != EZC_ENOTFOUND)
            return rc;
    }
    /* Another host's, when discovery is on: listen for its beacon. */
    ezc_discovery_config c;
    rc = ezc_discovery_config_from_env(&c, err);
    if (rc)
        return rc;
    if (c.enabled) {
        rc = ezc_discovery_find(&c, name, c.wait_ms, out, err);
        if (rc != EZC_ENOTFOUND)
            return rc;
    }
    return not_found(name, err);
}

int ezc_names_wait(const char *name, int timeout_ms, ezc_stream_info *out, ezc_error *err)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        ezc_error e;
        int rc = ezc_names_resolve(name, out, &e);
        if (rc != EZC_ENOTFOUND || timeout_ms == 0) {
            if (rc && err)
                *err = e;
            return rc;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double ms =
            (double)(now.tv_sec - t0.tv_sec) * 1e3 + (double)(now.tv_nsec - t0.tv_nsec) * 1e-6;
        if (timeout_ms > 0 && ms >= timeout_ms) {
            if (err)
                *err = e;
            ezc_error_prefix(err, "after %d ms", timeout_ms);
            return rc;
        }
        if (ezc_interrupted())
            return ezc_error_set(err, EZC_EINTR, "stream '%s': stopped while waiting for it", name);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

ezc_sub *ezc_sub_new_by_name(const char *name, const char *topic, const ezc_sub_options *opt,
                             int timeout_ms, ezc_error *err)
{
    ezc_stream_info si;
    if (ezc_names_wait(name, timeout_ms, &si, err))
        return NULL;
    ezc_sub *s = ezc_sub_new(si.endpoint, topic, opt, err);
    ezc_error cerr; /* another host's stream: its clock, or stamps as sent */
    if (s && ezc_sub_clock_track(s, &si, 1, &cerr))
        ezc_log(EZC_LOG_WARN, "stream '%s': stamps stay on %s's clock: %s", name, si.host,
                cerr.msg);
    return s;
}

/* ---- running graphs ---------------------------------------------------- */

static int by_graph(const void *a, const void *b)
{
    return strcmp(((const ezc_graph_entry *)a)->name, ((const ezc_graph_entry *)b)->name);
}

int ezc_names_graphs(ezc_graph_entry **out, size_t *n, ezc_error *err)
{
    *out = NULL;
    *n = 0;
    char dir[PATH_MAX];
    ezc_error mine;
    int rc = ezc_run_dir("graphs", dir, sizeof dir, err ? err : &mine);
    if (rc) {
        ezc_error_prefix(err, "graphs");
        return rc;
    }
    DIR *d = opendir(dir);
    if (!d)
        return ezc_error_set(err, EZC_EIO, "graphs: cannot read %s: %s", dir, strerror(errno));
    ezc_graph_entry *v = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        size_t len = strlen(f);
        if (f[0] == '.' || len <= 4 || strcmp(f + len - 4, ".ctl") ||
            len - 4 >= EZC_STREAM_NAME_MAX)
            continue;
        char lock[PATHBUF];
        int ln = snprintf(lock, sizeof lock, "%s/%s.lock", dir, f);
        int fd =
            ln > 0 && ln < (int)sizeof lock ? open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (fd < 0)
            continue;
        /* Shared, and let go at once: only "is it held" is asked. */
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
            flock(fd, LOCK_UN);
            close(fd);
            continue;
        }
        long pid = lock_pid(fd);
        close(fd);
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 8;
            ezc_graph_entry *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                closedir(d);
                free(v);
                return ezc_error_set(err, EZC_ENOMEM, "graphs: out of memory");
            }
            v = nv;
            cap = nc;
        }
        ezc_graph_entry *g = &v[count++];
        memset(g, 0, sizeof *g);
        copy_str(g->name, sizeof g->name, f, len - 4);
        if (snprintf(g->control, sizeof g->control, "%s/%s", dir, f) >= (int)sizeof g->control)
            g->control[0] = '\0'; /* too long to show */
        g->pid = pid;
    }
    closedir(d);
    if (count)
        qsort(v, count, sizeof *v, by_graph);
    *out = v;
    *n = count;
    return 0;
}
