/* fft.c — Fourier transforms along any axis with cuFFT.
 *
 * An (outer, n, inner) array is one cufftPlanMany: along the last axis a
 * batch of `outer` rows at distance n; otherwise a batch of `inner` columns
 * at stride inner and distance 1, run once per outer slab. Plans are cached
 * per (kind, precision, n, batch, stride, device) behind a mutex, and each
 * has a lock of its own held until its work is done, since a cuFFT plan's
 * work area must not serve two threads at once. Inputs that need padding or
 * truncation, and c2r's (which cuFFT overwrites), go through a scratch copy
 * made with cudaMemcpy2DAsync. */
#include <cufft.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "cuda_internal.h"
#include "kernels.h"

#define PLAN_CACHE 64

typedef struct {
    ezc_fft_kind kind;
    int dbl, dev;
    int n, batch, stride; /* stride 1: rows at distance nin/nout; else distance 1 */
} plan_key;

typedef struct {
    plan_key key;
    cufftHandle plan;
    pthread_mutex_t lock;
} plan_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static plan_entry plans[PLAN_CACHE];
static int nplans;

static int fft_fail(const char *op, const char *what, cufftResult r, ezc_error *err)
{
    return ezc_error_set(err, r == CUFFT_ALLOC_FAILED ? EZC_ENOMEM : EZC_EIO,
                         "xp.%s on cuda: %s failed (cufftResult %d)", op, what, (int)r);
}

static cufftResult make_plan(const plan_key *k, cufftHandle *plan)
{
    static const cufftType types[2][4] = {{CUFFT_R2C, CUFFT_C2C, CUFFT_C2C, CUFFT_C2R},
                                          {CUFFT_D2Z, CUFFT_Z2Z, CUFFT_Z2Z, CUFFT_Z2D}};
    int n = k->n, nin = k->kind == EZC_FFT_C2R ? n / 2 + 1 : n;
    int nout = k->kind == EZC_FFT_R2C ? n / 2 + 1 : n;
    int rows = k->stride == 1;
    cufftResult r = cufftPlanMany(plan, 1, &n, &nin, k->stride, rows ? nin : 1, &nout, k->stride,
                                  rows ? nout : 1, types[k->dbl][k->kind], k->batch);
    if (r == CUFFT_SUCCESS && (r = cufftSetStream(*plan, cudaStreamPerThread)) != CUFFT_SUCCESS)
        cufftDestroy(*plan);
    return r;
}

/* The cached entry for key, locked; or, with the cache full, a one-off plan
 * in *oneoff (entry NULL) that the caller destroys. */
static cufftResult get_plan(const plan_key *key, plan_entry **entry, cufftHandle *oneoff,
                            int *have_oneoff)
{
    *entry = NULL;
    *have_oneoff = 0;
    cufftResult r = CUFFT_SUCCESS;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < nplans && !*entry; i++)
        if (!memcmp(&plans[i].key, key, sizeof *key))
            *entry = &plans[i];
    if (!*entry) {
        cufftHandle plan;
        r = make_plan(key, &plan);
        if (r == CUFFT_SUCCESS && nplans < PLAN_CACHE) {
            plan_entry *e = &plans[nplans];
            if (pthread_mutex_init(&e->lock, NULL) == 0) {
                e->key = *key;
                e->plan = plan;
                nplans++;
                *entry = e;
            } else {
                *oneoff = plan;
                *have_oneoff = 1;
            }
        } else if (r == CUFFT_SUCCESS) {
            *oneoff = plan;
            *have_oneoff = 1;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    if (*entry)
        pthread_mutex_lock(&(*entry)->lock);
    return r;
}

static cufftResult execute(const plan_key *k, cufftHandle plan, void *in, void *out)
{
    switch (k->kind) {
    case EZC_FFT_R2C: return k->dbl ? cufftExecD2Z(plan, in, out) : cufftExecR2C(plan, in, out);
    case EZC_FFT_C2R: return k->dbl ? cufftExecZ2D(plan, in, out) : cufftExecC2R(plan, in, out);
    default: {
        int dir = k->kind == EZC_FFT_C2C ? CUFFT_FORWARD : CUFFT_INVERSE;
        return k->dbl ? cufftExecZ2Z(plan, in, out, dir) : cufftExecC2C(plan, in, out, dir);
    }
    }
}

/* s (outer, nin, inner) = x (outer, nx, inner) truncated or zero-padded at
 * the end of the axis, in units of row = inner * itemsize bytes. */
static int pad_copy(const char *x, char *s, size_t outer, size_t nx, size_t nin, size_t row)
{
    size_t keep = (nx < nin ? nx : nin) * row, sp = nx * row, dp = nin * row;
    cudaStream_t st = cudaStreamPerThread;
    int rc = 0;
    if (outer == 1) {
        if (keep)
            rc = (int)cudaMemcpyAsync(s, x, keep, cudaMemcpyDeviceToDevice, st);
        if (!rc && dp > keep)
            rc = (int)cudaMemsetAsync(s + keep, 0, dp - keep, st);
        return rc;
    }
    if (keep)
        rc = (int)cudaMemcpy2DAsync(s, dp, x, sp, keep, outer, cudaMemcpyDeviceToDevice, st);
    if (!rc && dp > keep)
        rc = (int)cudaMemset2DAsync(s + keep, dp, 0, dp - keep, outer, st);
    return rc;
}

int ezc_cuda_fft(ezc_fft_kind kind, const ezc_array *x, int axis, int64_t n, ezc_array *y,
                 ezc_error *err)
{
    char op[32];
    int rc = ezc_xp_check_fft(&ezc_cuda_dev, kind, x, &axis, n, y, op, sizeof op, err);
    if (rc)
        return rc;
    if (n > INT_MAX / 2) /* cuFFT's sizes are int */
        return ezc_error_set(err, EZC_EINVAL, "xp.%s: length n = %lld must be in 1..%d", op,
                             (long long)n, INT_MAX / 2);
    int64_t nin = kind == EZC_FFT_C2R ? n / 2 + 1 : n;
    int64_t nout = kind == EZC_FFT_R2C ? n / 2 + 1 : n;
    size_t outer, nx, inner;
    ezc_array_split(x, axis, &outer, &nx, &inner);
    if (!outer || !inner)
        return 0;
    int rows = inner == 1;
    if ((rows ? outer : inner) > INT_MAX || (rows ? 1 : inner) > INT_MAX ||
        (size_t)nin * inner > INT_MAX || (size_t)nout * inner > INT_MAX)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %zu x %lld x %zu is too large for cuFFT", op,
                             outer, (long long)n, inner);
    int dev = x->tensor.device.device_id;
    size_t isz = ezc_dtype_size(x->dtype), osz = ezc_dtype_size(y->dtype);
    int dbl = ezc_dtype_real(x->dtype) == EZC_FLOAT64;
    void *in = ezc_array_data(x), *out = ezc_array_data(y);
    ezc_buffer *scratch = NULL;
    if ((int64_t)nx != nin || kind == EZC_FFT_C2R) {
        ezc_error e;
        size_t bytes = outer * (size_t)nin * inner * isz;
        if (!(scratch = ezc_cuda_alloc(x->tensor.device, bytes, &e)))
            return ezc_error_set(err, e.code, "xp.%s: input copy of %zu bytes: %s", op, bytes,
                                 e.msg);
        in = scratch->data;
        if ((rc = pad_copy(ezc_array_data(x), in, outer, nx, (size_t)nin, inner * isz))) {
            cudaStreamSynchronize(cudaStreamPerThread);
            ezc_buffer_unref(&scratch);
            return ezc_cuda_fail(err, op, rc);
        }
    }
    /* Along a middle axis the plan runs once per outer slab, and cuFFT wants
     * every base pointer aligned to its complex element (8 or 16 bytes): an
     * odd real length puts slab 1 off that, so such slabs go through
     * scratch copies whose pitch is rounded up to 16 bytes. */
    size_t in_row = (size_t)nin * inner * isz, out_row = (size_t)nout * inner * osz;
    size_t in_pitch = in_row, out_pitch = out_row;
    ezc_buffer *aligned_in = NULL, *aligned_out = NULL;
    if (!rows && outer > 1 && (in_row % 16 || out_row % 16)) {
        ezc_error e;
        in_pitch = (in_row + 15) & ~(size_t)15;
        out_pitch = (out_row + 15) & ~(size_t)15;
        if (!(aligned_in = ezc_cuda_alloc(x->tensor.device, outer * in_pitch, &e)) ||
            !(aligned_out = ezc_cuda_alloc(x->tensor.device, outer * out_pitch, &e))) {
            ezc_buffer_unref(&aligned_in);
            ezc_buffer_unref(&scratch);
            return ezc_error_set(err, e.code, "xp.%s: aligned copies: %s", op, e.msg);
        }
        rc = (int)cudaMemcpy2DAsync(aligned_in->data, in_pitch, in, in_row, in_row, outer,
                                    cudaMemcpyDeviceToDevice, cudaStreamPerThread);
        if (rc) {
            cudaStreamSynchronize(cudaStreamPerThread);
            ezc_buffer_unref(&aligned_in);
            ezc_buffer_unref(&aligned_out);
            ezc_buffer_unref(&scratch);
            return ezc_cuda_fail(err, op, rc);
        }
        in = aligned_in->data;
        out = aligned_out->data;
    }
    plan_key key = {kind, dbl, dev, (int)n, (int)(rows ? outer : inner), (int)(rows ? 1 : inner)};
    plan_entry *entry;
    cufftHandle oneoff = 0;
    int have_oneoff;
    cufftResult r = get_plan(&key, &entry, &oneoff, &have_oneoff);
    if (r == CUFFT_SUCCESS) {
        cufftHandle plan = entry ? entry->plan : oneoff;
        size_t loops = rows ? 1 : outer;
        for (size_t o = 0; o < loops && r == CUFFT_SUCCESS; o++)
            r = execute(&key, plan, (char *)in + o * in_pitch, (char *)out + o * out_pitch);
        if (r != CUFFT_SUCCESS) {
            rc = fft_fail(op, "execute", r, err);
        } else {
            int crc = 0; /* a cudaError_t */
            if (aligned_out)
                crc = (int)cudaMemcpy2DAsync(ezc_array_data(y), out_row, out, out_pitch, out_row,
                                             outer, cudaMemcpyDeviceToDevice, cudaStreamPerThread);
            if (!crc && (kind == EZC_FFT_C2CI || kind == EZC_FFT_C2R))
                /* cuFFT's inverse is unnormalised; numpy's divides by n. */
                crc = ezk_affine(dbl ? EZK_F64 : EZK_F32, ezc_array_data(y), ezc_array_data(y),
                                 ezc_array_size(y) * (kind == EZC_FFT_C2CI ? 2 : 1),
                                 1.0 / (double)n, 0.0, EZC_CUDA_STREAM);
            if (crc)
                rc = ezc_cuda_fail(err, op, crc);
        }
    } else {
        rc = fft_fail(op, "cufftPlanMany", r, err);
    }
    int sync = (int)cudaStreamSynchronize(cudaStreamPerThread);
    if (entry)
        pthread_mutex_unlock(&entry->lock);
    else if (have_oneoff)
        cufftDestroy(oneoff);
    ezc_buffer_unref(&scratch);
    ezc_buffer_unref(&aligned_in);
    ezc_buffer_unref(&aligned_out);
    return !rc && sync ? ezc_cuda_fail(err, op, sync) : rc;
}
