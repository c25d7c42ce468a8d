/* dash_streams.c — one subscriber thread per plotted stream.
 *
 * The thread is an ordinary ezc subscriber: it receives, finds the
 * message's layout (time/freq axis, channels, labels), feeds the view of
 * every plot of the stream under the stream's mutex and wakes the service
 * thread (at most every 10 ms). It does nothing else, so it keeps up with
 * the fastest stream and never holds a publisher back; a slow browser only
 * costs frames on the service thread (dash_ws.c). */
#include <math.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dash.h"
#include "ezc/graph_run.h"
#include "ezc/sub.h"

#define RECV_MS 100
#define WAKE_S 0.01
/* Values a second one stream's thread takes at most: twice the stream's
 * real rate (its time axis: values per message over the message's
 * duration) and at least READ_FLOOR; READ_BUDGET when it has no time
 * axis; EZC_DASH_READ_BUDGET when set (0 = no limit). Past it the thread
 * sleeps, its lossy ring fills, and the publisher drops for it without
 * copying anything (counted): a graph replaying or computing faster than
 * real time is not slowed by the plot, which then shows part of its data;
 * at real time nothing is skipped. */
#define READ_BUDGET 16e6
#define READ_FLOOR 1e6
#define READ_REAL_X 2.0
#define SKIP_S 0.5 /* over the limit, the queue is skipped to its newest this often at most */
#define LABELS_MAX 4096

typedef struct layout {
    int sample_axis; /* time or freq axis index, -1: none (one sample) */
    int has_time, has_freq;
    size_t n, rows;               /* samples (or bins), channels */
    ptrdiff_t stride_t, stride_c; /* as dash_view_feed takes them */
    int64_t shape[EZC_MAX_DIMS];
    int ndim;
} layout;

typedef struct stream stream;

struct dash_plot {
    stream *st;
    dash_plot *next;
    dash_mode want, mode; /* asked, and in force (AUTO until the first message) */
    double window_s;
    size_t cols;
    dash_view *view; /* NULL until the first message */
    uint64_t sent;   /* dash_view_fed at the last frame */
    float *scratch;
    size_t scratch_cap;
    char problem[EZC_ERROR_MSG_MAX + EZC_STREAM_NAME_MAX + 8];
};

struct stream {
    char name[EZC_STREAM_NAME_MAX];
    dash_streams *ss;
    stream *next;
    pthread_t thread;
    atomic_int quit, exited;
    pthread_mutex_t lock; /* plots, their views and the fields below */
    dash_plot *plots;
    layout lay;
    int have_layout;
    char *labels; /* a JSON array */
    char unit[EZC_NAME_MAX];
    int64_t src_ts_ns;
    _Atomic uint64_t received, missed; /* by this stream's subscriber: messages taken, and
                                          sequence gaps (skipped past the read limit, or lost) */
    double *conv; /* a message in float64 when it is not float32/64 or must be reordered */
    size_t conv_cap;
};

struct dash_streams {
    dash_wake_fn wake;
    void *wake_ctx;
    double budget;        /* values/s a stream thread reads at most; 0 = no limit */
    pthread_mutex_t lock; /* the list */
    stream *list;
};

static void set_problem(stream *s, const char *msg)
{
    for (dash_plot *p = s->plots; p; p = p->next)
        if (strcmp(p->problem, msg))
            snprintf(p->problem, sizeof p->problem, "%s", msg);
}

/* The labels of the channels: the one channel dim's coordinate labels or
 * values, or its linear axis; "ch0".. otherwise. */
/* Index i of dim d as a label: its coordinate label or value, a linear
 * axis's value (with its unit), else the dim's name and the index. */
static void dim_label(const ezc_array *a, int d, size_t i, char *buf, size_t cap)
{
    const ezc_axis *ax = &a->axes[d];
    const ezc_coords *c = ax->kind == EZC_AXIS_COORD ? ax->coords : NULL;
    const char *u = ax->unit[0] ? " " : "";
    if (c && i < c->n && c->labels)
        snprintf(buf, cap, "%s", c->labels[i]);
    else if (c && i < c->n && c->values)
        snprintf(buf, cap, "%g%s%s", c->values[i], u, ax->unit);
    else if (ax->kind == EZC_AXIS_LINEAR)
        snprintf(buf, cap, "%g%s%s", ax->offset + ax->gain * (double)i, u, ax->unit);
    else
        snprintf(buf, cap, "%s%zu", a->dims[d], i);
}

/* One label a row: the rows are the other dims flattened in C order, so row
 * i names its index in each ("12 Hz/ch3" for [time, freq, ch]). */
static char *make_labels(const ezc_array *a, const layout *L)
{
    dash_buf b = {0};
    size_t rows = L->rows < LABELS_MAX ? L->rows : LABELS_MAX;
    dash_buf_put(&b, "[", 1);
    for (size_t i = 0; i < rows; i++) {
        char lab[160] = "", part[64];
        size_t rest = i;
        for (int d = L->ndim - 1; d >= 0; d--) { /* the last dim varies fastest */
            if (d == L->sample_axis || L->shape[d] <= 0)
                continue;
            size_t k = rest % (size_t)L->shape[d];
            rest /= (size_t)L->shape[d];
            dim_label(a, d, k, part, sizeof part);
            size_t pl = strlen(part), ll = strlen(lab), sep = ll ? 1 : 0;
            if (pl + sep + ll >= sizeof lab)
                break;                            /* a label that long says enough already */
            memmove(lab + pl + sep, lab, ll + 1); /* part in front of what follows */
            memcpy(lab, part, pl);
            if (sep)
                lab[pl] = '/';
        }
        if (i)
            dash_buf_put(&b, ",", 1);
        dash_buf_str(&b, lab[0] ? lab : "value");
    }
    dash_buf_put(&b, "]", 1);
    if (b.failed) {
        dash_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* Where the samples are: the time axis (else the freq axis) is the sample
 * axis; every other dim is flattened into channels. */
static void find_layout(const ezc_array *a, layout *L)
{
    memset(L, 0, sizeof *L);
    L->ndim = ezc_array_ndim(a);
    memcpy(L->shape, a->shape, sizeof L->shape);
    int t = ezc_array_axis_index(a, "time"), f = ezc_array_axis_index(a, "freq");
    L->has_time = t >= 0;
    L->has_freq = f >= 0;
    L->sample_axis = t >= 0 ? t : f;
    size_t total = ezc_array_size(a);
    if (L->sample_axis < 0) {
        L->n = total ? 1 : 0;
        L->rows = total;
        L->stride_t = 0;
        L->stride_c = 1;
        return;
    }
    L->n = (size_t)a->shape[L->sample_axis];
    L->rows = L->n ? total / L->n : 0;
    if (L->n == 0) { /* rows from the other dims */
        size_t r = 1;
        for (int d = 0; d < L->ndim; d++)
            if (d != L->sample_axis)
                r *= (size_t)a->shape[d];
        L->rows = r;
    }
    /* time first: [n x rows]; time last: [rows x n]; else reordered. */
    if (L->sample_axis == 0) {
        L->stride_t = (ptrdiff_t)L->rows;
        L->stride_c = 1;
    } else {
        L->stride_t = 1;
        L->stride_c = (ptrdiff_t)L->n;
    }
}

static int same_layout(const layout *x, const layout *y)
{
    return x->ndim == y->ndim && x->sample_axis == y->sample_axis && x->rows == y->rows &&
           x->has_time == y->has_time && x->has_freq == y->has_freq;
}

/* The message's values as the view takes them: float32/float64 in place
 * when the sample axis is first or last, else converted/reordered into
 * s->conv as float64 [n x rows]. */
static const void *values_of(stream *s, const ezc_array *a, const layout *L, ezc_dtype *dt,
                             ptrdiff_t *st_t, ptrdiff_t *st_c)
{
    int in_place = (a->dtype == EZC_FLOAT32 || a->dtype == EZC_FLOAT64) &&
                   (L->sample_axis <= 0 || L->sample_axis == L->ndim - 1);
    *dt = a->dtype;
    *st_t = L->stride_t;
    *st_c = L->stride_c;
    if (in_place)
        return ezc_array_data(a);
    if (ezc_dtype_is_complex(a->dtype) ||
        !(ezc_dtype_is_float(a->dtype) || ezc_dtype_is_int(a->dtype)))
        return NULL;
    size_t total = ezc_array_size(a);
    if (total > s->conv_cap) {
        double *c = realloc(s->conv, total * sizeof *c);
        if (!c)
            return NULL;
        s->conv = c;
        s->conv_cap = total;
    }
    const char *src = ezc_array_data(a);
    size_t isz = ezc_dtype_size(a->dtype);
    /* index math for [outer, n, inner] -> [n, outer * inner] */
    size_t outer = 1, inner = 1, n = L->sample_axis >= 0 ? L->n : 1;
    for (int d = 0; d < L->ndim; d++) {
        if (L->sample_axis < 0 || d == L->sample_axis)
            continue;
        if (d < L->sample_axis)
            outer *= (size_t)a->shape[d];
        else
            inner *= (size_t)a->shape[d];
    }
    if (L->sample_axis < 0)
        inner = total;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < inner; k++) {
                size_t from = (o * n + i) * inner + k, to = i * (outer * inner) + o * inner + k;
                const char *x = src + from * isz;
                double v;
                switch (a->dtype) {
                case EZC_FLOAT32: {
                    float f;
                    memcpy(&f, x, 4);
                    v = f;
                    break;
                }
                case EZC_FLOAT64: memcpy(&v, x, 8); break;
                case EZC_INT8: v = *(const int8_t *)x; break;
                case EZC_UINT8: v = *(const uint8_t *)x; break;
                case EZC_INT16: {
                    int16_t q;
                    memcpy(&q, x, 2);
                    v = q;
                    break;
                }
                case EZC_UINT16: {
                    uint16_t q;
                    memcpy(&q, x, 2);
                    v = q;
                    break;
                }
                case EZC_INT32: {
                    int32_t q;
                    memcpy(&q, x, 4);
                    v = q;
                    break;
                }
                case EZC_UINT32: {
                    uint32_t q;
                    memcpy(&q, x, 4);
                    v = q;
                    break;
                }
                case EZC_INT64: {
                    int64_t q;
                    memcpy(&q, x, 8);
                    v = (double)q;
                    break;
                }
                case EZC_UINT64: {
                    uint64_t q;
                    memcpy(&q, x, 8);
                    v = (double)q;
                    break;
                }
                default: return NULL;
                }
                s->conv[to] = v;
            }
    *dt = EZC_FLOAT64;
    *st_t = (ptrdiff_t)(outer * inner);
    *st_c = 1;
    return s->conv;
}

/* (Re)makes the view of p for the stream's layout. */
static void make_view(stream *s, dash_plot *p)
{
    dash_view_destroy(&p->view);
    const layout *L = &s->lay;
    p->mode =
        p->want != DASH_MODE_AUTO ? p->want : dash_mode_auto(L->has_time, L->has_freq, L->rows);
    ezc_error err;
    p->view = dash_view_new(p->mode, L->rows, p->cols, p->window_s, &err);
    if (!p->view)
        snprintf(p->problem, sizeof p->problem, "%s: %s", s->name, err.msg);
    p->sent = 0;
}

static void take(stream *s, const ezc_array *a)
{
    layout L;
    find_layout(a, &L);
    if (ezc_array_device(a).device_type != kDLCPU || a->tensor.strides) {
        set_problem(s, "dash: a message not on the CPU (or strided) is not plotted");
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (!s->have_layout || !same_layout(&L, &s->lay)) {
        s->lay = L;
        s->have_layout = 1;
        free(s->labels);
        s->labels = make_labels(a, &L);
        const ezc_axis *ax = L.sample_axis >= 0 ? &a->axes[L.sample_axis] : NULL;
        snprintf(s->unit, sizeof s->unit, "%s",
                 ax && ax->unit[0] ? ax->unit
                 : L.has_time      ? "s"
                 : L.has_freq      ? "Hz"
                                   : "");
        for (dash_plot *p = s->plots; p; p = p->next)
            make_view(s, p);
    }
    s->lay.n = L.n;
    s->lay.stride_t = L.stride_t;
    s->lay.stride_c = L.stride_c;
    ezc_dtype dt;
    ptrdiff_t st_t, st_c;
    const void *data = values_of(s, a, &L, &dt, &st_t, &st_c);
    if (!data) {
        set_problem(s, "dash: this stream's dtype cannot be plotted");
        pthread_mutex_unlock(&s->lock);
        return;
    }
    double t0 = 0, dx = 1;
    if (L.sample_axis >= 0) {
        const ezc_axis *ax = &a->axes[L.sample_axis];
        if (ax->kind == EZC_AXIS_LINEAR && ax->gain > 0) {
            t0 = ax->offset;
            dx = ax->gain;
        } else if (ax->kind == EZC_AXIS_COORD && ax->coords && ax->coords->values &&
                   ax->coords->n >= 2) {
            t0 = ax->coords->values[0];
            dx = ax->coords->values[1] - ax->coords->values[0];
        }
    }
    const ezc_attr *at = ezc_array_attr(a, EZC_GRAPH_T0_ATTR);
    s->src_ts_ns = at && at->type == EZC_ATTR_INT ? at->v.i : a->ts_ns;
    for (dash_plot *p = s->plots; p; p = p->next) {
        if (!p->view)
            continue;
        size_t n = L.sample_axis >= 0 ? L.n : (L.rows ? 1 : 0);
        if (dash_view_feed(p->view, data, dt, n, st_t, st_c, t0, dx))
            snprintf(p->problem, sizeof p->problem, "%s: the time axis cannot be plotted (gain %g)",
                     s->name, dx);
    }
    pthread_mutex_unlock(&s->lock);
}

/* READ_REAL_X times a's real rate in values/s (at least READ_FLOOR), or
 * READ_BUDGET when a has no linear time axis. */
static double real_budget(const ezc_array *a)
{
    int t = ezc_array_axis_index(a, "time");
    if (t < 0 || a->axes[t].kind != EZC_AXIS_LINEAR || !(a->axes[t].gain > 0) || a->shape[t] <= 0)
        return READ_BUDGET;
    double rate = (double)ezc_array_size(a) / ((double)a->shape[t] * a->axes[t].gain);
    return rate * READ_REAL_X > READ_FLOOR ? rate * READ_REAL_X : READ_FLOOR;
}

static void *stream_main(void *arg)
{
    stream *s = arg;
    /* Reading and decimating yield to the graph when CPU is short (nice 10,
     * this thread alone): a graph that needs every core keeps most of them,
     * and this lossy subscriber drops (counted) what it then cannot take.
     * Where that is not allowed, the default priority stays. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    ezc_sub *sub = NULL;
    double woke = 0, retry = 0, budget = s->ss->budget, tokens = 0, filled = dash_mono_s(),
           skipped = 0;
    ezc_error err;
    while (!atomic_load(&s->quit)) {
        if (!sub) {
            double t = dash_mono_s();
            if (t < retry) {
                struct timespec ts = {0, 50 * 1000000};
                nanosleep(&ts, NULL);
                continue;
            }
            ezc_sub_options o;
            ezc_sub_options_init(&o);
            o.lossy = 1; /* a plot may miss a message; the graph must never wait for it */
            sub = ezc_sub_new_by_name(s->name, "", &o, 0, &err);
            if (!sub) {
                pthread_mutex_lock(&s->lock);
                set_problem(s, err.msg);
                pthread_mutex_unlock(&s->lock);
                retry = t + 1;
                s->ss->wake(s->ss->wake_ctx);
                continue;
            }
        }
        ezc_array *a = NULL;
        int rc = ezc_sub_recv(sub, &a, RECV_MS, &err);
        if (rc == 0) {
            take(s, a);
            atomic_fetch_add_explicit(&s->received, 1, memory_order_relaxed);
            atomic_store_explicit(&s->missed, ezc_sub_gaps(sub), memory_order_relaxed);
            double t = dash_mono_s();
            if (budget < 0) /* by the stream's real rate */
                budget = real_budget(a);
            if (budget > 0) { /* a token bucket of values, 0.1 s deep */
                tokens += (t - filled) * budget;
                filled = t;
                if (tokens > budget * 0.1)
                    tokens = budget * 0.1;
                tokens -= (double)ezc_array_size(a);
                if (tokens < 0) {
                    double wait = -tokens / budget;
                    struct timespec ts = {0, (long)((wait < 0.1 ? wait : 0.1) * 1e9)};
                    nanosleep(&ts, NULL);
                    /* What queued meanwhile grows old: the plot goes on from
                     * the newest (the skip counts as missed), at most every
                     * SKIP_S, since each skip lets the publisher copy a
                     * queue's worth again. */
                    if (t - skipped >= SKIP_S) {
                        ezc_sub_skip_queued(sub, 1);
                        skipped = t;
                    }
                }
            }
            ezc_array_destroy(&a);
            if (t - woke >= WAKE_S) {
                woke = t;
                s->ss->wake(s->ss->wake_ctx);
            }
        } else if (rc != EZC_ETIMEOUT && rc != EZC_EEOS && rc != EZC_EINTR) {
            ezc_sub_destroy(&sub);
            retry = dash_mono_s() + 1;
        }
    }
    ezc_sub_destroy(&sub);
    atomic_store(&s->exited, 1);
    return NULL;
}

dash_streams *dash_streams_new(dash_wake_fn wake, void *ctx, ezc_error *err)
{
    dash_streams *ss = calloc(1, sizeof *ss);
    if (!ss) {
        ezc_error_set(err, EZC_ENOMEM, "dash: out of memory");
        return NULL;
    }
    ss->wake = wake;
    ss->wake_ctx = ctx;
    ss->budget = -1; /* per stream, from its rate */
    const char *b = getenv("EZC_DASH_READ_BUDGET");
    if (b && *b) {
        char *end;
        double v = strtod(b, &end);
        if (*end || !(v >= 0) || v > 1e12) {
            free(ss);
            ezc_error_set(err, EZC_EINVAL,
                          "dash: EZC_DASH_READ_BUDGET='%s': values a second per stream, >= 0 "
                          "(0: no limit)",
                          b);
            return NULL;
        }
        ss->budget = v;
    }
    pthread_mutex_init(&ss->lock, NULL);
    return ss;
}

static void stream_free(stream *s)
{
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    free(s->labels);
    free(s->conv);
    free(s);
}

void dash_streams_reap(dash_streams *ss)
{
    pthread_mutex_lock(&ss->lock);
    for (stream **pp = &ss->list; *pp;) {
        stream *s = *pp;
        if (atomic_load(&s->quit) && atomic_load(&s->exited)) {
            *pp = s->next;
            stream_free(s);
        } else
            pp = &s->next;
    }
    pthread_mutex_unlock(&ss->lock);
}

void dash_streams_destroy(dash_streams **pss)
{
    if (!pss || !*pss)
        return;
    dash_streams *ss = *pss;
    for (stream *s = ss->list; s; s = s->next)
        atomic_store(&s->quit, 1);
    while (ss->list) {
        stream *s = ss->list;
        ss->list = s->next;
        stream_free(s);
    }
    pthread_mutex_destroy(&ss->lock);
    free(ss);
    *pss = NULL;
}

dash_plot *dash_plot_new(dash_streams *ss, const char *name, dash_mode mode, double window_s,
                         size_t cols, ezc_error *err)
{
    if (ezc_names_check(name, err))
        return NULL;
    dash_plot *p = calloc(1, sizeof *p);
    if (!p) {
        ezc_error_set(err, EZC_ENOMEM, "dash: out of memory");
        return NULL;
    }
    p->want = mode;
    p->window_s = window_s;
    p->cols = cols;
    pthread_mutex_lock(&ss->lock);
    stream *s = ss->list;
    while (s && (atomic_load(&s->quit) || strcmp(s->name, name)))
        s = s->next;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) {
            pthread_mutex_unlock(&ss->lock);
            free(p);
            ezc_error_set(err, EZC_ENOMEM, "dash: out of memory");
            return NULL;
        }
        snprintf(s->name, sizeof s->name, "%s", name);
        s->ss = ss;
        pthread_mutex_init(&s->lock, NULL);
        if (pthread_create(&s->thread, NULL, stream_main, s)) {
            pthread_mutex_destroy(&s->lock);
            free(s);
            pthread_mutex_unlock(&ss->lock);
            free(p);
            ezc_error_set(err, EZC_EIO, "dash: cannot start a thread for '%s'", name);
            return NULL;
        }
        s->next = ss->list;
        ss->list = s;
    }
    pthread_mutex_lock(&s->lock);
    p->st = s;
    p->next = s->plots;
    s->plots = p;
    if (s->have_layout)
        make_view(s, p);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&ss->lock);
    return p;
}

void dash_plot_destroy(dash_plot **pp)
{
    if (!pp || !*pp)
        return;
    dash_plot *p = *pp;
    stream *s = p->st;
    dash_streams *ss = s->ss;
    pthread_mutex_lock(&ss->lock);
    pthread_mutex_lock(&s->lock);
    for (dash_plot **q = &s->plots; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            break;
        }
    if (!s->plots)
        atomic_store(&s->quit, 1); /* joined by dash_streams_reap */
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&ss->lock);
    dash_view_destroy(&p->view);
    free(p->scratch);
    free(p);
    *pp = NULL;
}

int dash_plot_skip(dash_plot *p)
{
    pthread_mutex_lock(&p->st->lock);
    int fresh = p->view && dash_view_fed(p->view) != p->sent;
    if (fresh)
        p->sent = dash_view_fed(p->view);
    pthread_mutex_unlock(&p->st->lock);
    return fresh;
}

int dash_plot_problem(dash_plot *p, char *buf, size_t cap)
{
    pthread_mutex_lock(&p->st->lock);
    int has = p->problem[0] != '\0';
    if (has) {
        snprintf(buf, cap, "%s", p->problem);
        p->problem[0] = '\0';
    }
    pthread_mutex_unlock(&p->st->lock);
    return has;
}

int dash_plot_frame(dash_plot *p, dash_buf *b, size_t pre, uint64_t seq)
{
    stream *s = p->st;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (!p->view || dash_view_fed(p->view) == p->sent)
        goto out;
    size_t need = dash_view_frame_values(p->view);
    if (need > p->scratch_cap) {
        float *f = realloc(p->scratch, (need ? need : 1) * sizeof *f);
        if (!f) {
            rc = -1;
            goto out;
        }
        p->scratch = f;
        p->scratch_cap = need;
    }
    dash_frame_info fi;
    if (dash_view_frame(p->view, p->scratch, p->scratch_cap, &fi)) {
        rc = -1;
        goto out;
    }
    p->sent = dash_view_fed(p->view);
    b->len = 0;
    char room[64] = {0};
    dash_buf_put(b, room, pre + 4);
    size_t h0 = b->len;
    dash_buf_printf(b, "{\"stream\":");
    dash_buf_str(b, s->name);
    dash_buf_printf(b, ",\"mode\":\"%s\",\"seq\":%llu,\"rows\":%zu,\"cols\":%zu,\"labels\":",
                    dash_mode_name(fi.mode), (unsigned long long)seq, fi.rows, fi.cols);
    dash_buf_printf(b, "%s", s->labels ? s->labels : "[]");
    dash_buf_printf(b, ",\"window_s\":");
    dash_buf_num(b, p->window_s);
    dash_buf_printf(b, ",\"x0\":");
    dash_buf_num(b, fi.x0);
    dash_buf_printf(b, ",\"dx\":");
    dash_buf_num(b, fi.dx);
    dash_buf_printf(b, ",\"unit\":");
    dash_buf_str(b, s->unit);
    dash_buf_printf(b, ",\"received\":%llu,\"missed\":%llu",
                    (unsigned long long)atomic_load_explicit(&s->received, memory_order_relaxed),
                    (unsigned long long)atomic_load_explicit(&s->missed, memory_order_relaxed));
    dash_buf_printf(b, ",\"src_ts_ns\":%lld,\"sent_ns\":%lld}", (long long)s->src_ts_ns,
                    (long long)dash_now_ns());
    size_t h = b->len - h0;
    while ((b->len - pre) % 4)
        dash_buf_put(b, "", 1); /* zero padding */
    uint32_t hl = (uint32_t)h;
    unsigned char le[4] = {(unsigned char)hl, (unsigned char)(hl >> 8), (unsigned char)(hl >> 16),
                           (unsigned char)(hl >> 24)};
    dash_buf_put(b, p->scratch, fi.values * sizeof(float));
    if (b->failed) {
        rc = -1;
        goto out;
    }
    memcpy(b->data + pre, le, 4);
    rc = 1;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}
