/* filterbank.c — parallel FIR filters along an axis (ezmsg-sigproc's
 * Filterbank) and the streaming core it shares with filterbankdesign.
 *
 * Every kernel is padded with zeros to the longest, so one carried tail of
 * ntaps - 1 input samples (zeros at a reset, as ezmsg's overlap-add starts)
 * serves all of them: per message [tail, message] is joined once, xp.fir
 * runs each kernel over it into one slab of a [kernel, ..] stack, and one
 * xp.permute puts the stack in the output order [others.., new_axis, axis].
 * xp.fir goes direct or through an FFT by itself, so `mode` changes
 * nothing but the name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_stream.h"
#include "filterbank.h"
#include "fir_design.h"

#define MAX_TAPS 100000
#define MAX_KERNELS 4096

int ezc_fbank_init(ezc_fbank *fb, const char *axis, const char *new_axis, const double *taps,
                   int64_t nk, int64_t ntaps, ezc_fbank_design_fn design, const void *ctx,
                   ezc_error *err)
{
    memset(fb, 0, sizeof *fb);
    snprintf(fb->axis, sizeof fb->axis, "%s", axis);
    snprintf(fb->new_axis, sizeof fb->new_axis, "%s", new_axis);
    fb->design = design;
    fb->ctx = ctx;
    if (design)
        return 0;
    fb->taps = malloc((size_t)(nk * ntaps) * sizeof *fb->taps);
    if (!fb->taps)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    memcpy(fb->taps, taps, (size_t)(nk * ntaps) * sizeof *fb->taps);
    fb->nk = nk;
    fb->ntaps = ntaps;
    return 0;
}

void ezc_fbank_fini(ezc_fbank *fb)
{
    free(fb->taps);
    free(fb->idx);
    ezc_array_destroy(&fb->hist);
    ezc_buffer_unref(&fb->ext_cache);
    ezc_buffer_unref(&fb->stack_cache);
    ezc_buffer_unref(&fb->out_cache);
    memset(fb, 0, sizeof *fb);
}

static int reset(ezc_fbank *fb, const ezc_array *x, int ax, const ezc_xp *xp, ezc_error *err)
{
    int rc;
    if (fb->design) {
        double fs = 0, *taps = NULL;
        int64_t nk = 0, nt = 0;
        if ((rc = ezc_axis_rate(x, ax, &fs, err)) ||
            (rc = fb->design(fb->ctx, fs, &taps, &nk, &nt, err)))
            return rc;
        free(fb->taps);
        fb->taps = taps;
        fb->nk = nk;
        fb->ntaps = nt;
    }
    ezc_array_destroy(&fb->hist);
    int64_t m = fb->ntaps - 1;
    if (m > 0) {
        int64_t shape[EZC_MAX_DIMS];
        int nd = ezc_array_ndim(x);
        memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
        shape[ax] = m;
        fb->hist = ezc_array_new(x->dtype, nd, shape, NULL, x->tensor.device, err);
        if (!fb->hist)
            return err->code;
        if ((rc = ezc_xp_call(xp, fill, err, fb->hist, 0.0)))
            return rc;
    }
    return 0;
}

/* Kernel k over src (ntaps - 1 + n samples along ax) into slab k of stack. */
static int run_kernels(ezc_fbank *fb, const ezc_array *src, int ax, ezc_array *stack,
                       const int64_t *yshape, const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(src), rc = 0;
    size_t slab = ezc_array_size(stack) / (size_t)fb->nk * ezc_dtype_size(stack->dtype);
    size_t base = (size_t)((char *)ezc_array_data(stack) - (char *)stack->buf->data);
    for (int64_t k = 0; !rc && k < fb->nk; k++) {
        ezc_array *y = ezc_array_from_buffer(stack->buf, base + (size_t)k * slab, stack->dtype, nd,
                                             yshape, NULL, err);
        rc = y ? ezc_xp_call(xp, fir, err, src, ax, fb->taps + k * fb->ntaps, fb->ntaps, y)
               : err->code;
        ezc_array_destroy(&y);
    }
    return rc;
}

/* out's dims and axes: x's without ax, then new_axis, then ax. */
static void set_dims(ezc_fbank *fb, ezc_array *out, const ezc_array *x, int ax)
{
    int nd = ezc_array_ndim(x), c = 0;
    for (int i = 0; i <= nd; i++)
        ezc_array_clear_axis(out, i);
    for (int j = 0; j <= nd; j++) {
        int from = j < nd ? j : ax;
        if (j == ax)
            continue;
        if (j == nd) {
            snprintf(out->dims[c++], EZC_NAME_MAX, "%s", fb->new_axis);
        }
        memcpy(out->dims[c], x->dims[from], EZC_NAME_MAX);
        out->axes[c] = x->axes[from];
        ezc_coords_ref(out->axes[c].coords);
        c++;
    }
}

int ezc_fbank_process(ezc_fbank *fb, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    int ax, rc;
    ezc_array *x = in, *ext = NULL, *stack = NULL, *o = NULL;
    *out = NULL;
    if ((rc = ezc_array_require_axis(in, fb->axis, &ax, err)))
        goto done;
    int nd = ezc_array_ndim(in);
    if (nd + 1 > EZC_MAX_DIMS) {
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "input has %d dims; the kernel dim would make more "
                           "than %d",
                           nd, EZC_MAX_DIMS);
        goto done;
    }
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL) {
        rc = ezc_error_set(err, EZC_EDTYPE, "%s data is not supported (real numbers only)",
                           ezc_dtype_name(in->dtype));
        goto done;
    }
    if (in->dtype != EZC_FLOAT32 && in->dtype != EZC_FLOAT64) {
        x = ezc_array_new_like(in, EZC_FLOAT64, 0, NULL, err);
        rc = x ? ezc_xp_call(xp, astype, err, in, x) : err->code;
        ezc_array_destroy(&in);
        if (rc)
            goto done;
    }
    if (ezc_template_changed(&fb->tpl, x, ax) && (rc = reset(fb, x, ax, xp, err))) {
        fb->tpl.valid = 0;
        goto done;
    }
    int64_t n = x->shape[ax], m = fb->ntaps - 1, sshape[EZC_MAX_DIMS], oshape[EZC_MAX_DIMS];
    int perm[EZC_MAX_DIMS], c = 0;
    sshape[0] = fb->nk;
    memcpy(sshape + 1, x->shape, (size_t)nd * sizeof *sshape);
    for (int j = 0; j < nd; j++)
        if (j != ax)
            perm[c++] = 1 + j;
    perm[c++] = 0;
    perm[c++] = 1 + ax;
    for (int i = 0; i <= nd; i++)
        oshape[i] = sshape[perm[i]];
    o = ezc_array_new_like_cached(x, x->dtype, nd + 1, oshape, &fb->out_cache, err);
    stack =
        o ? ezc_array_new_like_cached(x, x->dtype, nd + 1, sshape, &fb->stack_cache, err) : NULL;
    if (!o || !stack) {
        rc = err->code;
        goto done;
    }
    if (n > 0) {
        const ezc_array *src = x;
        if (m > 0) {
            int64_t eshape[EZC_MAX_DIMS];
            memcpy(eshape, x->shape, (size_t)nd * sizeof *eshape);
            eshape[ax] = n + m;
            ext = ezc_array_new_like_cached(x, x->dtype, nd, eshape, &fb->ext_cache, err);
            const ezc_array *parts[2] = {fb->hist, x};
            rc = ext ? ezc_xp_call(xp, concat, err, parts, 2, ax, ext) : err->code;
            src = ext;
        }
        if (!rc)
            rc = run_kernels(fb, src, ax, stack, x->shape, xp, err);
        if (!rc && m > 0) {
            if ((size_t)m > fb->idx_cap) {
                int64_t *p = realloc(fb->idx, (size_t)m * sizeof *p);
                if (!p) {
                    rc = ezc_error_set(err, EZC_ENOMEM, "out of memory");
                    goto done;
                }
                fb->idx = p;
                fb->idx_cap = (size_t)m;
            }
            for (int64_t i = 0; i < m; i++)
                fb->idx[i] = n + i;
            rc = ezc_xp_call(xp, take, err, ext, ax, fb->idx, (size_t)m, fb->hist);
        }
        if (!rc)
            rc = ezc_xp_call(xp, permute, err, stack, perm, o);
        if (rc) {
            if (rc != EZC_ENOTSUP)
                fb->tpl.valid = 0; /* the tail is unknown: start again */
            goto done;
        }
    }
    set_dims(fb, o, x, ax);
    *out = o;
    o = NULL;
done:
    ezc_array_destroy(&x);
    ezc_array_destroy(&ext);
    ezc_array_destroy(&stack);
    ezc_array_destroy(&o);
    return rc;
}

/* ---- the filterbank transformer: kernels given as settings ------------------ */

typedef struct filterbank_state {
    ezc_fbank fb;
} filterbank_state;

static const ezc_setting_spec filterbank_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to filter along", 0, NULL},
    {"new_axis", EZC_SETTING_STRING, "kernel", "name of the new dim, one entry per kernel", 0,
     NULL},
    {"kernels", EZC_SETTING_FLOATS, NULL,
     "the kernels' taps, one after another ([[...], [...]] or flat)", 1, NULL},
    {"n_kernels", EZC_SETTING_INT, "1", "number of kernels of equal length in `kernels`", 0, NULL},
    {"kernel_lengths", EZC_SETTING_INTS, NULL,
     "taps of each kernel, in order (kernels of unequal length; wins over n_kernels)", 0, NULL},
    {"mode", EZC_SETTING_STRING, "conv",
     "conv, fft or auto: the same output (xp.fir picks direct or FFT by itself)", 0,
     "conv|fft|auto"},
    {"min_phase", EZC_SETTING_STRING, "none",
     "none, or each kernel made minimum phase (scipy.signal.minimum_phase's method)", 0,
     "none|hilbert|homomorphic"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void filterbank_fini(void *state)
{
    filterbank_state *st = state;
    if (!st)
        return;
    ezc_fbank_fini(&st->fb);
    free(st);
}

static int filterbank_init(void **state, const ezc_settings *s, ezc_error *err)
{
    const char *axis = "time", *new_axis = "kernel";
    const double *k = NULL;
    const int64_t *lens = NULL;
    size_t nk = 0, nlens = 0;
    int64_t nkern = 1;
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_string(s, "new_axis", &new_axis);
    ezc_settings_get_floats(s, "kernels", &k, &nk);
    ezc_settings_get_int(s, "n_kernels", &nkern);
    int has_lens = ezc_settings_get_ints(s, "kernel_lengths", &lens, &nlens) == 0;
    if (nk == 0)
        return ezc_error_set(err, EZC_EINVAL, "filterbank: setting 'kernels' is empty");
    if (has_lens) {
        nkern = (int64_t)nlens;
        int64_t sum = 0;
        for (size_t i = 0; i < nlens; i++) {
            if (lens[i] < 1 || lens[i] > MAX_TAPS)
                return ezc_error_set(err, EZC_EINVAL,
                                     "filterbank: setting 'kernel_lengths' = %lld (kernel %zu): "
                                     "expected 1 to %d taps",
                                     (long long)lens[i], i, MAX_TAPS);
            sum += lens[i];
        }
        if (sum != (int64_t)nk)
            return ezc_error_set(err, EZC_EINVAL,
                                 "filterbank: setting 'kernel_lengths' adds up to %lld taps but "
                                 "'kernels' has %zu",
                                 (long long)sum, nk);
    } else if (nkern < 1 || (int64_t)nk % nkern != 0) {
        return ezc_error_set(err, EZC_EINVAL,
                             "filterbank: setting 'n_kernels' = %lld: 'kernels' has %zu taps, "
                             "not a multiple of it",
                             (long long)nkern, nk);
    }
    if (nkern > MAX_KERNELS)
        return ezc_error_set(err, EZC_EINVAL, "filterbank: %lld kernels: at most %d",
                             (long long)nkern, MAX_KERNELS);
    int64_t nt = 0;
    for (int64_t i = 0; i < nkern; i++) {
        int64_t len = has_lens ? lens[i] : (int64_t)nk / nkern;
        nt = len > nt ? len : nt;
    }
    if (nt > MAX_TAPS)
        return ezc_error_set(err, EZC_EINVAL, "filterbank: kernels of %lld taps: at most %d",
                             (long long)nt, MAX_TAPS);
    double *pad = calloc((size_t)(nkern * nt), sizeof *pad);
    filterbank_state *st = calloc(1, sizeof *st);
    int rc = 0;
    if (!pad || !st) {
        rc = ezc_error_set(err, EZC_ENOMEM, "filterbank: out of memory");
    } else {
        size_t at = 0;
        for (int64_t i = 0; i < nkern; i++) {
            int64_t len = has_lens ? lens[i] : (int64_t)nk / nkern;
            memcpy(pad + i * nt, k + at, (size_t)len * sizeof *pad);
            at += (size_t)len;
        }
        const char *mp = "none";
        ezc_settings_get_string(s, "min_phase", &mp);
        if ((rc = ezc_min_phase_rows(&pad, nkern, &nt, has_lens ? lens : NULL,
                                     (ezc_min_phase)ezc_min_phase_parse(mp), err)))
            ezc_error_prefix(err, "filterbank: setting 'min_phase' = %s", mp);
        else
            rc = ezc_fbank_init(&st->fb, axis, new_axis, pad, nkern, nt, NULL, NULL, err);
    }
    free(pad);
    if (rc) {
        filterbank_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int filterbank_process(void *state, int port, ezc_array *in, ezc_array **out,
                              const ezc_xp *xp, ezc_error *err)
{
    filterbank_state *st = state;
    (void)port;
    return ezc_fbank_process(&st->fb, in, out, xp, err);
}

const ezc_transformer_type ezc_filterbank_type = {
    .name = "filterbank",
    .summary = "parallel FIR filters (given kernels) from a zero state; a new dim for the kernels",
    .settings = filterbank_settings,
    .init = filterbank_init,
    .process = filterbank_process,
    .fini = filterbank_fini,
};
