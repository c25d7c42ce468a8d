/* fft.c — Fourier transforms along any axis through FFTW's guru64 interface.
 *
 * One plan covers the whole array: a rank-1 transform of length n with
 * stride `inner`, looped over (outer, inner). Plans are cached per (kind,
 * precision, n, outer, inner, alignment) behind a mutex, because FFTW's
 * planner is not thread-safe while its new-array execute functions are; the
 * cache is bounded, and a shape beyond it gets a one-off plan. Inputs that
 * need padding, truncation or (c2r, which overwrites its input) protection go
 * through an aligned scratch copy. */
#include <complex.h>
#include <fftw3.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cpu_internal.h"

#define PLAN_CACHE 64

typedef struct {
    ezc_fft_kind kind;
    int dbl, aligned;
    int64_t n;
    size_t outer, inner;
    void *plan; /* fftw_plan or fftwf_plan */
} plan_entry;

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static plan_entry plans[PLAN_CACHE];
static int nplans;

/* Makes a plan; caller holds plan_lock. in/out are the arrays of the first
 * execution (FFTW_ESTIMATE leaves them untouched). */
static void *make_plan(const plan_entry *k, void *in, void *out)
{
    int64_t nin = k->kind == EZC_FFT_C2R ? k->n / 2 + 1 : k->n;
    int64_t nout = k->kind == EZC_FFT_R2C ? k->n / 2 + 1 : k->n;
    unsigned flags = FFTW_ESTIMATE | (k->aligned ? 0 : FFTW_UNALIGNED);
    ptrdiff_t inner = (ptrdiff_t)k->inner;
    if (k->dbl) {
        fftw_iodim64 dim = {k->n, inner, inner};
        fftw_iodim64 loop[2] = {{(ptrdiff_t)k->outer, nin * inner, nout * inner}, {inner, 1, 1}};
        switch (k->kind) {
        case EZC_FFT_R2C: return fftw_plan_guru64_dft_r2c(1, &dim, 2, loop, in, out, flags);
        case EZC_FFT_C2R: return fftw_plan_guru64_dft_c2r(1, &dim, 2, loop, in, out, flags);
        default:
            return fftw_plan_guru64_dft(1, &dim, 2, loop, in, out,
                                        k->kind == EZC_FFT_C2C ? FFTW_FORWARD : FFTW_BACKWARD,
                                        flags);
        }
    }
    fftwf_iodim64 dim = {k->n, inner, inner};
    fftwf_iodim64 loop[2] = {{(ptrdiff_t)k->outer, nin * inner, nout * inner}, {inner, 1, 1}};
    switch (k->kind) {
    case EZC_FFT_R2C: return fftwf_plan_guru64_dft_r2c(1, &dim, 2, loop, in, out, flags);
    case EZC_FFT_C2R: return fftwf_plan_guru64_dft_c2r(1, &dim, 2, loop, in, out, flags);
    default:
        return fftwf_plan_guru64_dft(1, &dim, 2, loop, in, out,
                                     k->kind == EZC_FFT_C2C ? FFTW_FORWARD : FFTW_BACKWARD, flags);
    }
}

static void destroy_plan(int dbl, void *plan)
{
    if (dbl)
        fftw_destroy_plan(plan);
    else
        fftwf_destroy_plan(plan);
}

/* The cached plan for key, or a new one; *oneoff says the caller must
 * destroy it (cache full). */
static void *get_plan(const plan_entry *key, void *in, void *out, int *oneoff)
{
    void *plan = NULL;
    *oneoff = 0;
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < nplans && !plan; i++) {
        const plan_entry *e = &plans[i];
        if (e->kind == key->kind && e->dbl == key->dbl && e->aligned == key->aligned &&
            e->n == key->n && e->outer == key->outer && e->inner == key->inner)
            plan = e->plan;
    }
    if (!plan && (plan = make_plan(key, in, out))) {
        if (nplans < PLAN_CACHE) {
            plans[nplans] = *key;
            plans[nplans++].plan = plan;
        } else {
            *oneoff = 1;
        }
    }
    pthread_mutex_unlock(&plan_lock);
    return plan;
}

static void execute(const plan_entry *k, void *plan, void *in, void *out)
{
    if (k->dbl) {
        switch (k->kind) {
        case EZC_FFT_R2C: fftw_execute_dft_r2c(plan, in, out); break;
        case EZC_FFT_C2R: fftw_execute_dft_c2r(plan, in, out); break;
        default: fftw_execute_dft(plan, in, out); break;
        }
    } else {
        switch (k->kind) {
        case EZC_FFT_R2C: fftwf_execute_dft_r2c(plan, in, out); break;
        case EZC_FFT_C2R: fftwf_execute_dft_c2r(plan, in, out); break;
        default: fftwf_execute_dft(plan, in, out); break;
        }
    }
}

static int is_aligned(int dbl, void *p)
{
    return dbl ? fftw_alignment_of(p) == 0 : fftwf_alignment_of(p) == 0;
}

/* Copies x (outer, nx, inner) into s (outer, nin, inner): truncated, or
 * zero-padded at the end of the axis. */
static void pad_copy(const char *x, char *s, size_t outer, size_t nx, size_t nin, size_t inner,
                     size_t isz)
{
    size_t row = inner * isz, keep = (nx < nin ? nx : nin) * row;
    for (size_t o = 0; o < outer; o++) {
        memcpy(s + o * nin * row, x + o * nx * row, keep);
        memset(s + o * nin * row + keep, 0, nin * row - keep);
    }
}

int ezc_cpu_fft(ezc_fft_kind kind, const ezc_array *x, int axis, int64_t n, ezc_array *y,
                ezc_error *err)
{
    char op[32];
    int rc = ezc_xp_check_fft(&ezc_cpu_dev, kind, x, &axis, n, y, op, sizeof op, err);
    if (rc)
        return rc;
    int64_t nin = kind == EZC_FFT_C2R ? n / 2 + 1 : n;
    size_t outer, nx, inner;
    ezc_array_split(x, axis, &outer, &nx, &inner);
    if (!outer || !inner)
        return 0;
    size_t isz = ezc_dtype_size(x->dtype);
    int dbl = ezc_dtype_real(x->dtype) == EZC_FLOAT64;
    void *in = ezc_array_data(x), *out = ezc_array_data(y), *scratch = NULL;
    if ((int64_t)nx != nin || kind == EZC_FFT_C2R) {
        size_t bytes = outer * (size_t)nin * inner * isz;
        scratch = dbl ? (void *)fftw_malloc(bytes) : (void *)fftwf_malloc(bytes);
        if (!scratch)
            return ezc_error_set(err, EZC_ENOMEM, "xp.%s: no memory for a %zu-byte input copy", op,
                                 bytes);
        pad_copy(in, scratch, outer, nx, (size_t)nin, inner, isz);
        in = scratch;
    }
    plan_entry key = {kind,  dbl, is_aligned(dbl, in) && is_aligned(dbl, out), n, outer,
                      inner, NULL};
    int oneoff;
    void *plan = get_plan(&key, in, out, &oneoff);
    if (!plan) {
        if (scratch)
            dbl ? fftw_free(scratch) : fftwf_free(scratch);
        return ezc_error_set(err, EZC_ENOMEM,
                             "xp.%s: FFTW could not plan length %lld over %zu x %zu", op,
                             (long long)n, outer, inner);
    }
    execute(&key, plan, in, out);
    if (oneoff) {
        pthread_mutex_lock(&plan_lock);
        destroy_plan(dbl, plan);
        pthread_mutex_unlock(&plan_lock);
    }
    if (scratch)
        dbl ? fftw_free(scratch) : fftwf_free(scratch);
    if (kind == EZC_FFT_C2CI || kind == EZC_FFT_C2R) {
        /* FFTW's inverse is unnormalised; numpy's divides by n. */
        size_t m = ezc_array_size(y) * (kind == EZC_FFT_C2CI ? 2 : 1);
        if (dbl) {
            double *p = out, s = 1.0 / (double)n;
            EZC_CPU_FOR(i, m, p[i] *= s);
        } else {
            float *p = out, s = (float)(1.0 / (double)n);
            EZC_CPU_FOR(i, m, p[i] *= s);
        }
    }
    return 0;
}
