/* cli.c — option parsing helpers, signal handling and the message summary. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

volatile sig_atomic_t cli_stop;

static void on_signal(int sig)
{
    (void)sig;
    if (cli_stop)
        _exit(130);
    cli_stop = 1;
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) {
        fprintf(stderr, "ezc %s: %s '%s': expected a number\n", cmd, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_long(const char *cmd, const char *opt, const char *text, long long min,
                   long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "ezc %s: %s '%s': expected an integer in [%lld, %lld]\n", cmd, opt,
                text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Min and max over all elements, on the host (an explicit copy for device
 * data: this is a display tool). */
static int min_max(const ezc_array *a, double *mn, double *mx)
{
    if (ezc_array_size(a) == 0 || ezc_dtype_is_complex(a->dtype) || a->dtype == EZC_BOOL)
        return -1;
    ezc_error err;
    ezc_array *h = ezc_array_to_device(a, ezc_device_cpu(), &err);
    if (!h)
        return -1;
    int64_t n = (int64_t)ezc_array_size(h);
    ezc_array *flat = ezc_array_from_buffer(h->buf, h->tensor.byte_offset, h->dtype, 1, &n,
                                            NULL, &err);
    ezc_array *r = NULL;
    int rc = -1;
    if (flat)
        r = ezc_array_new(EZC_FLOAT64, 0, NULL, NULL, ezc_device_cpu(), &err);
    ezc_array *x = flat ? ezc_array_new(EZC_FLOAT64, 1, &n, NULL, ezc_device_cpu(), &err) : NULL;
    const ezc_xp *xp = ezc_xp_cpu();
    if (r && x && ezc_xp_call(xp, astype, &err, flat, x) == 0 &&
        ezc_xp_call(xp, reduce, &err, EZC_REDUCE_NANMIN, x, 0, r) == 0) {
        *mn = *(double *)ezc_array_data(r);
        if (ezc_xp_call(xp, reduce, &err, EZC_REDUCE_NANMAX, x, 0, r) == 0) {
            *mx = *(double *)ezc_array_data(r);
            rc = 0;
        }
    }
    ezc_array_destroy(&x);
    ezc_array_destroy(&r);
    ezc_array_destroy(&flat);
    ezc_array_destroy(&h);
    return rc;
}

void cli_print_summary(FILE *f, const char *topic, const ezc_array *a, int header_only)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    char dev[32];
    fprintf(f, "seq=%" PRIu64 " topic=%s key=%s dtype=%s shape=[", a->seq, topic,
            a->key[0] ? a->key : "-", ezc_dtype_name(a->dtype));
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
    if (!header_only) {
        double mn, mx;
        if (min_max(a, &mn, &mx) == 0)
            fprintf(f, " min=%.6g max=%.6g", mn, mx);
    }
    if (a->ts_ns)
        fprintf(f, " latency=%.0fus", (double)(now_ns - a->ts_ns) / 1e3);
    fputc('\n', f);
    fflush(f);
}
