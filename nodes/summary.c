/* summary.c — a message described for people (`ezc echo`, the `print`
 * sink). One place, so that both show the same line. Values are read by
 * copying the data to the host as float64 through the CPU backend: slow,
 * allocating, and only ever for display. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/summary.h"
#include "ezc/xp.h"

int ezc_summary_values_parse(const char *text, ezc_summary_values *out, ezc_error *err)
{
    static const char *const names[] = {"none", "summary", "full"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(text, names[i])) {
            *out = (ezc_summary_values)i;
            return 0;
        }
    return ezc_error_set(err, EZC_EINVAL, "values '%s': expected none, summary or full", text);
}

void ezc_summary_header(FILE *f, const char *topic, const ezc_array *a)
{
    char dev[32];
    fprintf(f, "seq=%" PRIu64, a->seq);
    if (topic)
        fprintf(f, " topic=%s", topic);
    fprintf(f, " key=%s dtype=%s shape=[", a->key[0] ? a->key : "-", ezc_dtype_name(a->dtype));
    for (int i = 0; i < a->tensor.ndim; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    fprintf(f, "] dims=[");
    for (int i = 0; i < a->tensor.ndim; i++)
        fprintf(f, "%s%s", i ? ", " : "", a->dims[i]);
    fprintf(f, "] device=%s", ezc_device_format(a->tensor.device, dev, sizeof dev));
    int t = ezc_array_axis_index(a, "time");
    if (t >= 0 && a->axes[t].kind == EZC_AXIS_LINEAR)
        fprintf(f, " time.offset=%.6f%s fs=%g", a->axes[t].offset, a->axes[t].unit,
                a->axes[t].gain > 0 ? 1.0 / a->axes[t].gain : 0.0);
}

/* The elements of a as a host float64 vector (C order), or NULL: no
 * elements, a dtype without a real value, or a copy that failed. */
static ezc_array *host_f64(const ezc_array *a)
{
    if (ezc_array_size(a) == 0 || ezc_dtype_is_complex(a->dtype) || a->dtype == EZC_BOOL)
        return NULL;
    ezc_error err;
    ezc_array *h = ezc_array_to_device(a, ezc_device_cpu(), &err);
    if (!h)
        return NULL;
    int64_t n = (int64_t)ezc_array_size(h);
    ezc_array *flat =
        ezc_array_from_buffer(h->buf, h->tensor.byte_offset, h->dtype, 1, &n, NULL, &err);
    ezc_array *x = flat ? ezc_array_new(EZC_FLOAT64, 1, &n, NULL, ezc_device_cpu(), &err) : NULL;
    if (x && ezc_xp_call(ezc_xp_cpu(), astype, &err, flat, x))
        ezc_array_destroy(&x);
    ezc_array_destroy(&flat);
    ezc_array_destroy(&h);
    return x;
}

int ezc_summary_min_max(const ezc_array *a, double *mn, double *mx)
{
    ezc_array *x = host_f64(a);
    if (!x)
        return -1;
    const double *v = ezc_array_data(x);
    size_t n = ezc_array_size(x);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]))
            continue;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    ezc_array_destroy(&x);
    if (lo > hi) /* every value NaN */
        lo = hi = NAN;
    *mn = lo;
    *mx = hi;
    return 0;
}

/* "Fz" (a label of the last axis), "ch=3" (an index), "all" (0-d, 1-d). */
static void channel_name(const ezc_array *a, int64_t c, char *buf, size_t n)
{
    int nd = ezc_array_ndim(a);
    if (nd < 2) {
        snprintf(buf, n, "all");
        return;
    }
    const ezc_axis *ax = &a->axes[nd - 1];
    if (ax->kind == EZC_AXIS_COORD && ax->coords && ax->coords->labels && (size_t)c < ax->coords->n)
        snprintf(buf, n, "%s", ax->coords->labels[c]);
    else
        snprintf(buf, n, "%s=%lld", a->dims[nd - 1], (long long)c);
}

static void write_stats(FILE *f, const char *indent, const ezc_array *a, const double *v,
                        int64_t rows, int64_t chans, int max_channels)
{
    int64_t shown = max_channels > 0 && chans > max_channels ? max_channels : chans;
    char name[96];
    for (int64_t c = 0; c < shown; c++) {
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        int64_t finite = 0;
        for (int64_t r = 0; r < rows; r++) {
            double x = v[r * chans + c];
            if (isnan(x))
                continue;
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            sum += x;
            finite++;
        }
        channel_name(a, c, name, sizeof name);
        fprintf(f, "%s%s: first=%.6g last=%.6g min=%.6g max=%.6g mean=%.6g (over %lld)\n", indent,
                name, v[c], v[(rows - 1) * chans + c], finite ? lo : NAN, finite ? hi : NAN,
                finite ? sum / (double)finite : NAN, (long long)rows);
    }
    if (shown < chans)
        fprintf(f, "%s... %lld more channels (values: full shows every value)\n", indent,
                (long long)(chans - shown));
}

static void write_full(FILE *f, const char *indent, const ezc_array *a, const double *v,
                       int64_t rows, int64_t chans)
{
    int nd = ezc_array_ndim(a);
    int64_t idx[EZC_MAX_DIMS] = {0};
    for (int64_t r = 0; r < rows; r++) {
        fprintf(f, "%s[", indent);
        for (int d = 0; d < nd - 1; d++)
            fprintf(f, "%s%lld", d ? ", " : "", (long long)idx[d]);
        fputs("]:", f);
        for (int64_t c = 0; c < chans; c++)
            fprintf(f, " %.6g", v[r * chans + c]);
        fputc('\n', f);
        for (int d = nd - 2; d >= 0; d--) { /* the next row's index, C order */
            if (++idx[d] < a->shape[d])
                break;
            idx[d] = 0;
        }
    }
}

int ezc_summary_values_write(FILE *f, const char *indent, const ezc_array *a,
                             ezc_summary_values mode, int max_channels)
{
    if (mode == EZC_SUMMARY_NONE)
        return 0;
    if (ezc_array_size(a) == 0) {
        fprintf(f, "%s(no values)\n", indent);
        return 0;
    }
    if (ezc_dtype_is_complex(a->dtype) || a->dtype == EZC_BOOL) {
        fprintf(f, "%s(%s values are not shown)\n", indent, ezc_dtype_name(a->dtype));
        return 0;
    }
    ezc_array *x = host_f64(a);
    if (!x) {
        fprintf(f, "%s(the values could not be read)\n", indent);
        return -1;
    }
    int nd = ezc_array_ndim(a);
    int64_t chans = nd >= 2 ? a->shape[nd - 1] : 1;
    int64_t rows = (int64_t)ezc_array_size(a) / chans;
    const double *v = ezc_array_data(x);
    if (mode == EZC_SUMMARY_FULL) { /* rows of the last dim, a 1-d array one row */
        int64_t len = nd >= 1 ? a->shape[nd - 1] : 1;
        write_full(f, indent, a, v, (int64_t)ezc_array_size(a) / len, len);
    } else
        write_stats(f, indent, a, v, rows, chans, max_channels);
    ezc_array_destroy(&x);
    return 0;
}
