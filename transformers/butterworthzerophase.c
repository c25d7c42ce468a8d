/* butterworthzerophase.c — streaming zero-phase Butterworth filter
 * (ezmsg-sigproc's ButterworthZeroPhase): the butterworth forward pass
 * with carried state, then a backward pass that needs the future, so the
 * output lags the input by pad_length samples.
 *
 * The forward output is buffered; each message, the buffer (the last
 * pad_length forward samples plus the new ones) is filtered backwards from
 * the steady state of its last sample, and all but the last pad_length
 * samples go out; those stay for the next message. pad_length is where the
 * filter's impulse response last exceeds settle_cutoff of its peak (at
 * least scipy's 3 (order + 1) heuristic, at most max_pad_duration), so the
 * backward pass has settled by the time a sample is output. Because the
 * backward start depends on where a message ends, chunked and whole runs
 * agree only to about settle_cutoff of the signal, as in ezmsg-sigproc. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"

typedef struct zerophase_state {
    ezc_butter_params p;
    double settle, max_pad; /* max_pad < 0: no cap */
    ezc_iir_stream fwd, bwd;
    ezc_template tpl;
    int64_t pad;     /* samples held back */
    ezc_array *tail; /* up to pad forward samples not yet output */
    int64_t ntail;
    int64_t *idx; /* host scratch: max(pad, message) indices */
    size_t idx_cap;
    ezc_buffer *ext_cache, *rev_cache, *out_cache;
} zerophase_state;

static const ezc_setting_spec zerophase_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"order", EZC_SETTING_INT, "0", "filter order (0: pass the data through)", 0, NULL},
    {"cuton", EZC_SETTING_FLOAT, NULL, "lower band edge in Hz (absent: lowpass)", 0, NULL},
    {"cutoff", EZC_SETTING_FLOAT, NULL, "upper band edge in Hz (absent: highpass)", 0, NULL},
    {"coef_type", EZC_SETTING_STRING, "sos",
     "sos: second-order sections; ba: one polynomial (less accurate at high orders)", 0, "sos|ba"},
    {"settle_cutoff", EZC_SETTING_FLOAT, "0.01",
     "fraction of the impulse response's peak that sets the delay", 0, NULL},
    {"max_pad_duration", EZC_SETTING_FLOAT, NULL, "largest delay in seconds (absent: no cap)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void zerophase_fini(void *state)
{
    zerophase_state *st = state;
    if (!st)
        return;
    ezc_iir_stream_fini(&st->fwd);
    ezc_iir_stream_fini(&st->bwd);
    ezc_array_destroy(&st->tail);
    free(st->idx);
    ezc_buffer_unref(&st->ext_cache);
    ezc_buffer_unref(&st->rev_cache);
    ezc_buffer_unref(&st->out_cache);
    free(st);
}

static int zerophase_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time";
    ezc_settings_get_string(s, "axis", &axis);
    zerophase_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "butterworthzerophase: out of memory");
    st->settle = 0.01;
    st->max_pad = -1;
    ezc_settings_get_float(s, "settle_cutoff", &st->settle);
    int has_max = ezc_settings_get_float(s, "max_pad_duration", &st->max_pad) == 0;
    int rc = ezc_butter_params_read(&st->p, s, "butterworthzerophase", err);
    if (!rc && !(st->settle >= 0 && st->settle < 1))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "butterworthzerophase: setting 'settle_cutoff' = %g: expected [0, 1)",
                           st->settle);
    if (!rc && has_max && !(st->max_pad >= 0 && isfinite(st->max_pad)))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "butterworthzerophase: setting 'max_pad_duration' = %g: expected >= 0 "
                           "seconds",
                           st->max_pad);
    if (!rc)
        rc = ezc_iir_stream_init(&st->fwd, axis, NULL, 0, 0, ezc_butter_design, &st->p, err);
    if (rc) {
        zerophase_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* ezmsg-sigproc's pad length: the last sample where the impulse response
 * (from zero state, host arithmetic on the coefficients) exceeds settle of
 * its peak, at least its 3 x (order + 1)-style minimum, capped by max_pad. */
static int64_t pad_length(const zerophase_state *st, double fs)
{
    const ezc_iir_stream *f = &st->fwd;
    int64_t min_len = st->p.ba ? 3 * (st->p.order + 1) : 3 * ((st->p.order + 1) / 2) * 2;
    int64_t len = min_len * 10 > 10000 ? min_len * 10 : 10000;
    int64_t cap = -1;
    if (st->max_pad >= 0) {
        cap = (int64_t)(st->max_pad * fs);
        if (cap + 1 < len)
            len = cap + 1;
    }
    int order = f->order, per = 2 * (order + 1);
    double *z = calloc((size_t)f->nsec * order + 1, sizeof *z);
    if (!z)
        return min_len;
    double peak = 0;
    int64_t last = -1;
    /* two passes: the peak, then the last sample above settle x peak */
    for (int pass = 0; pass < 2; pass++) {
        memset(z, 0, ((size_t)f->nsec * order + 1) * sizeof *z);
        for (int64_t n = 0; n < len; n++) {
            double v = n == 0 ? 1.0 : 0.0;
            for (int s = 0; s < f->nsec; s++) {
                const double *b = f->coef + (size_t)s * per, *a = b + order + 1;
                double *zs = z + (size_t)s * order, out = (b[0] * v + (order ? zs[0] : 0)) / a[0];
                for (int k = 0; k + 1 < order; k++)
                    zs[k] = zs[k + 1] + (b[k + 1] * v - a[k + 1] * out) / a[0];
                if (order)
                    zs[order - 1] = (b[order] * v - a[order] * out) / a[0];
                v = out;
            }
            if (pass == 0 && fabs(v) > peak)
                peak = fabs(v);
            if (pass == 1 && fabs(v) > st->settle * peak)
                last = n;
        }
        if (peak == 0)
            break;
    }
    free(z);
    int64_t pad = peak == 0 || last < 0 ? min_len : last + 1;
    if (pad < min_len)
        pad = min_len;
    if (cap >= 0 && pad > cap)
        pad = cap;
    return pad;
}

/* A new stream: the forward stream has its coefficients for this rate
 * already; the backward pass takes a copy, the buffer its size. */
static int reset(zerophase_state *st, const ezc_array *y, int ax, ezc_error *err)
{
    double fs = 1.0 / y->axes[ax].gain;
    int rc;
    ezc_iir_stream_fini(&st->bwd);
    if ((rc = ezc_iir_stream_init(&st->bwd, st->fwd.axis, st->fwd.coef, st->fwd.nsec, st->fwd.order,
                                  NULL, NULL, err)))
        return rc;
    st->pad = pad_length(st, fs);
    ezc_array_destroy(&st->tail);
    st->ntail = 0;
    if (st->pad > 0) {
        int64_t shape[EZC_MAX_DIMS];
        memcpy(shape, y->shape, (size_t)ezc_array_ndim(y) * sizeof *shape);
        shape[ax] = st->pad;
        st->tail = ezc_array_new(y->dtype, ezc_array_ndim(y), shape, NULL, y->tensor.device, err);
        if (!st->tail)
            return err->code;
        const ezc_xp *xp = ezc_xp_of(y, err);
        if (!xp || (rc = ezc_xp_call(xp, fill, err, st->tail, 0.0)))
            return xp ? rc : err->code;
    }
    return 0;
}

static int want_idx(zerophase_state *st, size_t n, ezc_error *err)
{
    if (n <= st->idx_cap)
        return 0;
    int64_t *p = realloc(st->idx, n * sizeof *p);
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    st->idx = p;
    st->idx_cap = n;
    return 0;
}

/* Elements [from, from + n) of src along ax (reversed when rev) into dst. */
static int take_range(zerophase_state *st, const ezc_array *src, int ax, int64_t from, int64_t n,
                      int rev, ezc_array *dst, const ezc_xp *xp, ezc_error *err)
{
    int rc = want_idx(st, (size_t)n, err);
    for (int64_t i = 0; !rc && i < n; i++)
        st->idx[i] = rev ? from + n - 1 - i : from + i;
    return rc ? rc : ezc_xp_call(xp, take, err, src, ax, st->idx, (size_t)n, dst);
}

/* The tail is always pad samples long, right-aligned: its last ntail are
 * forward samples not yet output, those before them (while the stream is
 * younger than pad) are never read. */
static int backward(zerophase_state *st, ezc_array *y, int ax, ezc_array **out, const ezc_xp *xp,
                    ezc_error *err)
{
    int rc = 0;
    int64_t n = y->shape[ax], pad = st->pad, valid = st->ntail + n, nout = valid - pad;
    int nd = ezc_array_ndim(y);
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, y->shape, (size_t)nd * sizeof *shape);
    double t0 = y->axes[ax].offset - (double)st->ntail * y->axes[ax].gain;
    /* ext: the tail, then this message's forward output */
    ezc_array *ext = y;
    if (pad > 0) {
        shape[ax] = pad + n;
        ext = ezc_array_new_like_cached(y, y->dtype, nd, shape, &st->ext_cache, err);
        if (!ext) {
            ezc_array_destroy(&y);
            return err->code ? err->code : EZC_ENOMEM;
        }
        const ezc_array *parts[2] = {st->tail, y};
        rc = ezc_xp_call(xp, concat, err, parts, 2, ax, ext);
        ezc_array_destroy(&y);
        /* the new tail: the last pad samples */
        if (!rc)
            rc = take_range(st, ext, ax, n, pad, 0, st->tail, xp, err);
        if (rc) {
            ezc_array_destroy(&ext);
            return rc;
        }
    }
    if (nout <= 0) { /* not enough yet: hold everything, output no samples */
        st->ntail = valid;
        shape[ax] = 0;
        *out = ezc_array_new_like(ext, ext->dtype, nd, shape, err);
        ezc_array_destroy(&ext);
        return *out ? 0 : err->code;
    }
    st->ntail = pad;
    /* the backward pass over the valid samples reversed, primed from the
     * first of them (the newest sample) */
    shape[ax] = valid;
    ezc_array *rev = ezc_array_new_like_cached(ext, ext->dtype, nd, shape, &st->rev_cache, err),
              *yb = NULL, *o = NULL;
    rc = rev ? take_range(st, ext, ax, ext->shape[ax] - valid, valid, 1, rev, xp, err) : err->code;
    ezc_array_destroy(&ext);
    if (rc) {
        ezc_array_destroy(&rev);
        return rc;
    }
    st->bwd.primed = 0;
    if ((rc = ezc_iir_stream_process(&st->bwd, rev, &yb, xp, err)))
        return rc;
    /* out[i] = yb[valid - 1 - i]: back in time order, the oldest nout */
    shape[ax] = nout;
    o = ezc_array_new_like_cached(yb, yb->dtype, nd, shape, &st->out_cache, err);
    rc = o ? take_range(st, yb, ax, valid - nout, nout, 1, o, xp, err) : err->code;
    ezc_array_destroy(&yb);
    if (rc) {
        ezc_array_destroy(&o);
        return rc;
    }
    o->axes[ax].offset = t0;
    *out = o;
    return 0;
}

static int zerophase_process(void *state, int port, ezc_array *in, ezc_array **out,
                             const ezc_xp *xp, ezc_error *err)
{
    zerophase_state *st = state;
    ezc_array *y = NULL;
    int ax, rc;
    (void)port;
    *out = NULL;
    if (st->p.order == 0) {
        *out = in;
        return 0;
    }
    if ((rc = ezc_array_require_axis(in, st->fwd.axis, &ax, err))) {
        ezc_array_destroy(&in);
        return rc;
    }
    if (in->shape[ax] == 0 || ezc_array_size(in) == 0) {
        *out = in;
        return 0;
    }
    if ((rc = ezc_iir_stream_process(&st->fwd, in, &y, xp, err)))
        return rc;
    if (ezc_template_changed(&st->tpl, y, ax) && (rc = reset(st, y, ax, err))) {
        st->tpl.valid = 0;
        st->fwd.tpl.valid = 0; /* both start again with the next message */
        ezc_array_destroy(&y);
        return rc;
    }
    rc = backward(st, y, ax, out, xp, err);
    if (rc)
        st->tpl.valid = st->fwd.tpl.valid = 0;
    return rc;
}

const ezc_transformer_type ezc_butterworthzerophase_type = {
    .name = "butterworthzerophase",
    .summary = "zero-phase Butterworth filter (forward pass, then a backward pass over buffered "
               "samples); output delayed by pad_length samples",
    .settings = zerophase_settings,
    .init = zerophase_init,
    .process = zerophase_process,
    .fini = zerophase_fini,
};
