/* dash_view.c — the decimator behind every plot (dash_view.h).
 *
 * Time modes keep a ring of `cols` columns, each rows wide (min/max for
 * traces, sum for the heat map, a sample count per column): a sample lands
 * in the column of its time, the ring advances when a newer column starts
 * and clears what it passes over. Nothing is kept per sample, so the cost
 * of a fast stream is one compare per value. */
#include "dash_view.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct dash_view {
    dash_mode mode;
    size_t rows, cols;
    double window, width;
    uint64_t fed;
    /* traces, heat map: ring of columns; slot s holds column k, k = s mod cols */
    float *mn, *mx;
    double *sum;
    uint64_t *count;
    int started;
    double base;    /* the first sample's time: columns count from it */
    int64_t newest; /* the newest column */
    double t_last;  /* the newest sample's time, relative to base */
    /* spectrum, scalars: the newest chunk, decimated */
    float *last;
    size_t last_cols;
    double f0, df;
};

static const char *const mode_names[] = {"auto", "traces", "spectrum", "heatmap", "scalars"};

const char *dash_mode_name(dash_mode m)
{
    return (unsigned)m < 5 ? mode_names[m] : "auto";
}

int dash_mode_from_name(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, mode_names[i]))
            return i;
    return -1;
}

dash_mode dash_mode_auto(int has_time, int has_freq, size_t channels)
{
    if (has_time)
        return has_freq || channels > 64 ? DASH_MODE_HEATMAP : DASH_MODE_TRACES;
    return has_freq ? DASH_MODE_SPECTRUM : DASH_MODE_SCALARS;
}

static size_t values_per_column(dash_mode m)
{
    return m == DASH_MODE_TRACES ? 2 : 1;
}

size_t dash_view_frame_values(const dash_view *v)
{
    if (v->mode == DASH_MODE_SCALARS)
        return v->rows;
    return v->rows * v->cols * values_per_column(v->mode);
}

uint64_t dash_view_fed(const dash_view *v)
{
    return v->fed;
}

static void clear_slot(dash_view *v, size_t s)
{
    size_t r = v->rows;
    if (v->mode == DASH_MODE_TRACES)
        for (size_t c = 0; c < r; c++) {
            v->mn[s * r + c] = INFINITY;
            v->mx[s * r + c] = -INFINITY;
        }
    else
        memset(v->sum + s * r, 0, r * sizeof *v->sum);
    v->count[s] = 0;
}

static void clear_all(dash_view *v)
{
    for (size_t s = 0; s < v->cols; s++)
        clear_slot(v, s);
}

dash_view *dash_view_new(dash_mode mode, size_t rows, size_t cols, double window_s, ezc_error *err)
{
    if (mode <= DASH_MODE_AUTO || mode > DASH_MODE_SCALARS) {
        ezc_error_set(err, EZC_EINVAL, "dash: view: mode %d is not a plot mode", (int)mode);
        return NULL;
    }
    if (cols < 1 || cols > DASH_VIEW_COLS_MAX) {
        ezc_error_set(err, EZC_EINVAL, "dash: view: %zu columns (1 to %d)", cols,
                      DASH_VIEW_COLS_MAX);
        return NULL;
    }
    int timed = mode == DASH_MODE_TRACES || mode == DASH_MODE_HEATMAP;
    if (timed && !(window_s > 0 && window_s < 1e9)) {
        ezc_error_set(err, EZC_EINVAL, "dash: view: window %g s (expected > 0)", window_s);
        return NULL;
    }
    size_t per = mode == DASH_MODE_SCALARS ? 1 : cols * values_per_column(mode);
    if (rows > DASH_VIEW_VALUES_MAX / per) {
        ezc_error_set(err, EZC_EINVAL,
                      "dash: %zu channels x %zu columns is too many values for one plot (at "
                      "most %zu)",
                      rows, cols, DASH_VIEW_VALUES_MAX);
        return NULL;
    }
    dash_view *v = calloc(1, sizeof *v);
    if (!v)
        goto oom;
    v->mode = mode;
    v->rows = rows;
    v->cols = cols;
    v->window = window_s;
    v->width = window_s / (double)cols;
    size_t cells = (rows ? rows : 1) * cols;
    if (mode == DASH_MODE_TRACES) {
        v->mn = malloc(cells * sizeof *v->mn);
        v->mx = malloc(cells * sizeof *v->mx);
        v->count = calloc(cols, sizeof *v->count);
        if (!v->mn || !v->mx || !v->count)
            goto oom;
        clear_all(v);
    } else if (mode == DASH_MODE_HEATMAP) {
        v->sum = calloc(cells, sizeof *v->sum);
        v->count = calloc(cols, sizeof *v->count);
        if (!v->sum || !v->count)
            goto oom;
    } else {
        v->last = malloc((mode == DASH_MODE_SCALARS ? (rows ? rows : 1) : cells) * sizeof *v->last);
        if (!v->last)
            goto oom;
        for (size_t i = 0; i < (mode == DASH_MODE_SCALARS ? rows : cells); i++)
            v->last[i] = NAN;
        v->last_cols = mode == DASH_MODE_SCALARS ? 1 : 0;
    }
    return v;
oom:
    dash_view_destroy(&v);
    ezc_error_set(err, EZC_ENOMEM, "dash: view: out of memory (%zu x %zu)", rows, cols);
    return NULL;
}

void dash_view_destroy(dash_view **pv)
{
    if (!pv || !*pv)
        return;
    dash_view *v = *pv;
    free(v->mn);
    free(v->mx);
    free(v->sum);
    free(v->count);
    free(v->last);
    free(v);
    *pv = NULL;
}

static size_t slot_of(const dash_view *v, int64_t k)
{
    int64_t c = (int64_t)v->cols, s = k % c;
    return (size_t)(s < 0 ? s + c : s);
}

/* Makes column k the newest, clearing the columns it passes over. */
static void advance(dash_view *v, int64_t k)
{
    if (k - v->newest >= (int64_t)v->cols)
        clear_all(v);
    else
        for (int64_t j = v->newest + 1; j <= k; j++)
            clear_slot(v, slot_of(v, j));
    v->newest = k;
}

/* The hot loops, [time, ch] float32 and float64: restrict lets the
 * compiler keep them in vector registers (min/max of 4 or 8 at a time). */
static void minmax_f32(float *restrict mn, float *restrict mx, const float *restrict x, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        float y = x[c];
        mn[c] = y < mn[c] ? y : mn[c];
        mx[c] = y > mx[c] ? y : mx[c];
    }
}

static void minmax_f64(float *restrict mn, float *restrict mx, const double *restrict x, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        float y = (float)x[c];
        mn[c] = y < mn[c] ? y : mn[c];
        mx[c] = y > mx[c] ? y : mx[c];
    }
}

#define MINMAX_float minmax_f32
#define MINMAX_double minmax_f64
#define MINMAX(T) MINMAX_##T

/* One loop per dtype: the element read is the only difference. A sample's
 * column is found by comparing its time with the current column's end (a
 * division only when a new column starts); channels next to each other
 * (stride_c 1, the usual [time, ch] layout) get a loop the compiler
 * vectorises. */
#define CHANNELS(T, STRIDE)                                                                        \
    do {                                                                                           \
        if (v->mode == DASH_MODE_TRACES) {                                                         \
            for (size_t c = 0; c < rows; c++) {                                                    \
                float y = (float)x[(ptrdiff_t)c * (STRIDE)];                                       \
                mn[c] = y < mn[c] ? y : mn[c];                                                     \
                mx[c] = y > mx[c] ? y : mx[c];                                                     \
            }                                                                                      \
        } else {                                                                                   \
            for (size_t c = 0; c < rows; c++)                                                      \
                sum[c] += (double)x[(ptrdiff_t)c * (STRIDE)];                                      \
        }                                                                                          \
    } while (0)

#define FEED_TIMED(T)                                                                              \
    do {                                                                                           \
        const T *p = data;                                                                         \
        int64_t k = INT64_MIN;                                                                     \
        double kend = -INFINITY;                                                                   \
        float *mn = NULL, *mx = NULL;                                                              \
        double *sum = NULL;                                                                        \
        size_t s = 0;                                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            double t = rel + (double)i * dt;                                                       \
            if (t >= kend) {                                                                       \
                k = (int64_t)floor(t / v->width);                                                  \
                kend = (double)(k + 1) * v->width;                                                 \
                if (k > v->newest)                                                                 \
                    advance(v, k);                                                                 \
                s = slot_of(v, k);                                                                 \
                mn = v->mn ? v->mn + s * rows : NULL;                                              \
                mx = v->mx ? v->mx + s * rows : NULL;                                              \
                sum = v->sum ? v->sum + s * rows : NULL;                                           \
            }                                                                                      \
            if (k <= v->newest - (int64_t)v->cols)                                                 \
                continue;                                                                          \
            const T *x = p + (ptrdiff_t)i * stride_t;                                              \
            if (stride_c == 1 && v->mode == DASH_MODE_TRACES)                                      \
                MINMAX(T)(mn, mx, x, rows);                                                        \
            else if (stride_c == 1)                                                                \
                CHANNELS(T, 1);                                                                    \
            else                                                                                   \
                CHANNELS(T, stride_c);                                                             \
            v->count[s]++;                                                                         \
        }                                                                                          \
    } while (0)

static int feed_timed(dash_view *v, const void *data, ezc_dtype dtype, size_t n, ptrdiff_t stride_t,
                      ptrdiff_t stride_c, double t0, double dt)
{
    size_t rows = v->rows;
    double span = (double)(n - 1) * dt, limit = 1e15 * v->width;
    if (!(dt > 0) || !isfinite(t0) || !(span < limit))
        return EZC_EINVAL;
    double rel = v->started ? t0 - v->base : 0;
    int64_t k0 = (int64_t)0;
    if (v->started && fabs(rel) < limit && fabs(rel + span) < limit)
        k0 = (int64_t)floor(rel / v->width);
    if (!v->started || !(fabs(rel) < limit && fabs(rel + span) < limit) ||
        k0 <= v->newest - (int64_t)v->cols) { /* the first chunk, or time went back: over */
        v->started = 1;
        v->base = t0;
        rel = 0;
        v->newest = 0;
        v->t_last = 0;
        clear_all(v);
    }
    if (dtype == EZC_FLOAT32)
        FEED_TIMED(float);
    else
        FEED_TIMED(double);
    if (rel + span > v->t_last)
        v->t_last = rel + span;
    return 0;
}

/* Bins [lo, hi) of channel c, max ignoring NaN (NaN when all are). */
#define BIN_MAX(T)                                                                                 \
    do {                                                                                           \
        const T *p = data;                                                                         \
        for (size_t c = 0; c < rows; c++)                                                          \
            for (size_t j = 0; j < cols; j++) {                                                    \
                size_t lo = j * n / cols, hi = (j + 1) * n / cols;                                 \
                float m = NAN;                                                                     \
                for (size_t i = lo; i < hi; i++) {                                                 \
                    float y = (float)p[(ptrdiff_t)i * stride_t + (ptrdiff_t)c * stride_c];         \
                    if (y > m || (isnan(m) && !isnan(y)))                                          \
                        m = y;                                                                     \
                }                                                                                  \
                v->last[c * cols + j] = m;                                                         \
            }                                                                                      \
    } while (0)

int dash_view_feed(dash_view *v, const void *data, ezc_dtype dtype, size_t n, ptrdiff_t stride_t,
                   ptrdiff_t stride_c, double t0, double dt)
{
    if (dtype != EZC_FLOAT32 && dtype != EZC_FLOAT64)
        return EZC_EINVAL;
    if (n == 0)
        return 0;
    if (!data && v->rows)
        return EZC_EINVAL;
    size_t rows = v->rows;
    int rc = 0;
    switch (v->mode) {
    case DASH_MODE_TRACES:
    case DASH_MODE_HEATMAP: rc = feed_timed(v, data, dtype, n, stride_t, stride_c, t0, dt); break;
    case DASH_MODE_SPECTRUM: {
        size_t cols = n < v->cols ? n : v->cols;
        if (!isfinite(t0) || !isfinite(dt))
            return EZC_EINVAL;
        if (n > SIZE_MAX / (cols + 1))
            return EZC_EINVAL;
        if (dtype == EZC_FLOAT32)
            BIN_MAX(float);
        else
            BIN_MAX(double);
        v->last_cols = cols;
        v->f0 = t0;
        v->df = dt * (double)n / (double)cols;
        break;
    }
    default: { /* scalars: the last sample */
        const char *p = data;
        size_t isz = dtype == EZC_FLOAT32 ? 4 : 8;
        for (size_t c = 0; c < rows; c++) {
            const char *x =
                p + ((ptrdiff_t)(n - 1) * stride_t + (ptrdiff_t)c * stride_c) * (ptrdiff_t)isz;
            if (dtype == EZC_FLOAT32) {
                float y;
                memcpy(&y, x, 4);
                v->last[c] = y;
            } else {
                double y;
                memcpy(&y, x, 8);
                v->last[c] = (float)y;
            }
        }
    }
    }
    if (rc == 0)
        v->fed++;
    return rc;
}

int dash_view_frame(const dash_view *v, float *out, size_t cap, dash_frame_info *info)
{
    size_t rows = v->rows, cols = v->cols;
    memset(info, 0, sizeof *info);
    info->mode = v->mode;
    info->rows = rows;
    if (v->mode == DASH_MODE_SCALARS || v->mode == DASH_MODE_SPECTRUM) {
        size_t nc = v->last_cols, need = rows * nc;
        if (cap < need)
            return EZC_EINVAL;
        if (need)
            memcpy(out, v->last, need * sizeof *out);
        info->cols = nc;
        info->x0 = v->f0;
        info->dx = v->df;
        info->values = need;
        return 0;
    }
    size_t per = values_per_column(v->mode), need = rows * cols * per;
    if (cap < need)
        return EZC_EINVAL;
    int64_t first = v->newest - (int64_t)cols + 1;
    for (size_t j = 0; j < cols; j++) {
        size_t s = slot_of(v, first + (int64_t)j);
        uint64_t cnt = v->started ? v->count[s] : 0;
        for (size_t c = 0; c < rows; c++) {
            if (v->mode == DASH_MODE_TRACES) {
                float mn = v->mn[s * rows + c], mx = v->mx[s * rows + c];
                int ok = cnt && mn <= mx;
                out[(c * cols + j) * 2] = ok ? mn : NAN;
                out[(c * cols + j) * 2 + 1] = ok ? mx : NAN;
            } else
                out[c * cols + j] = cnt ? (float)(v->sum[s * rows + c] / (double)cnt) : NAN;
        }
    }
    info->cols = cols;
    info->dx = v->width;
    info->x0 = v->started ? (double)first * v->width - v->t_last : -v->window;
    info->values = need;
    return 0;
}
