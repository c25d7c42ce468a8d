/* fir.c — xp.fir on the CPU: the "valid" part of a convolution with host
 * taps along one axis, direct form, arithmetic in float64.
 *
 * Independent signals side by side are the vector lanes when the axis is
 * not last: LANES contiguous inner elements, Q outputs at a time, each
 * input row loaded once for the Q outputs it reaches (Q multiply-adds per
 * load). When the axis is last, LANES consecutive outputs of one signal
 * are the lanes. Every output sums its taps in the order k = 0, 1, ..., so
 * the result does not depend on where a stream was cut into messages.
 * Long filters on long messages go through FFTW instead (fir_fft): the
 * same values to rounding (1e-15 of the signal), not to the bit. */
#include <stdlib.h>
#include <string.h>
#include "cpu_internal.h"
#include "../xp_check.h"

#define LANES 8
/* One build, the widest vectors the machine has (as elementwise.c): the
 * AVX-512 clone holds a block of LANES signals in one register and fuses
 * the multiply-adds, about 3x the SSE2 default. */
#define FIR_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))

#define Q 8 /* outputs per block */
/* FFT path: taps below FFT_MIN_TAPS always run direct; above, the FFT when
 * FFT_COST N log2 N < taps x outputs. Measured with `bench_fir --sweep`
 * (64 signals [time, ch], float64, AVX-512 direct path): the FFT wins from
 * about 1000 taps on messages of 3000 samples or more, never on messages of
 * 300 (up to 2048 taps); FFT_COST 40 puts the switch there. */
#define FFT_MIN_TAPS 256
#define FFT_COST 40.0

typedef double vd __attribute__((vector_size(LANES * sizeof(double))));
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));

static int check_fir(const ezc_array *x, int *axis, const double *taps, int64_t ntaps,
                     const ezc_array *y, ezc_error *err)
{
    const char *op = "fir";
    const ezc_xp_dev *d = &ezc_cpu_dev;
    int rc;
    if ((rc = d->place(op, "x", x, NULL, err)) || (rc = d->place(op, "y", y, x, err)) ||
        (rc = ezc_xp_axis(op, x, axis, err)) || (rc = ezc_xp_disjoint(op, x, y, err)))
        return rc;
    if (x->dtype != EZC_FLOAT32 && x->dtype != EZC_FLOAT64)
        return d->bad_dtype(op, "x", x, "float32 or float64", err);
    if (y->dtype != x->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.fir: x is %s but y is %s",
                             ezc_dtype_name(x->dtype), ezc_dtype_name(y->dtype));
    if (ntaps < 1 || !taps || ntaps > x->shape[*axis])
        return ezc_error_set(err, EZC_EINVAL,
                             "xp.fir: %lld taps for %lld samples along axis %d: expected 1 to "
                             "the number of samples",
                             (long long)ntaps, (long long)x->shape[*axis], *axis);
    int nd = ezc_array_ndim(x);
    for (int i = 0; i < nd; i++) {
        int64_t want = i == *axis ? x->shape[i] - ntaps + 1 : x->shape[i];
        if (ezc_array_ndim(y) != nd || y->shape[i] != want) {
            char sx[128], sy[128];
            return ezc_error_set(err, EZC_ESHAPE,
                                 "xp.fir: y has shape %s; expected x's shape %s with %lld "
                                 "samples along axis %d",
                                 ezc_shape_str(y, sy, sizeof sy), ezc_shape_str(x, sx, sizeof sx),
                                 (long long)(x->shape[*axis] - ntaps + 1), *axis);
        }
    }
    return 0;
}

/* clang-format off */
/* Load / store LANES consecutive elements as one double vector. */
#define LOAD_f64(p) ({ vd v_; __builtin_memcpy(&v_, (p), sizeof v_); v_; })
#define LOAD_f32(p) ({ vf v_; __builtin_memcpy(&v_, (p), sizeof v_); __builtin_convertvector(v_, vd); })
#define STORE_f64(p, v) do { vd s_ = (v); __builtin_memcpy((p), &s_, sizeof s_); } while (0)
#define STORE_f32(p, v) do { vf s_ = __builtin_convertvector((v), vf); __builtin_memcpy((p), &s_, sizeof s_); } while (0)

#define DEFINE_FIR(S, T)                                                                           \
    /* Q outputs x LANES signals: each input row loaded once serves the Q                         \
     * outputs it reaches; rows go newest first, so every output sums its                        \
     * taps in the order k = 0, 1, ... */                                                         \
    static inline __attribute__((always_inline)) void block_##S(const T *x, size_t xs, T *y, size_t ys, const double *h,         \
                                 size_t nt, size_t q)                                             \
    {                                                                                              \
        vd acc[Q] = {{0}};                                                                         \
        size_t m = nt - 1;                                                                         \
        for (size_t r = q - 1 + m + 1; r-- > 0;) { /* ext row r: output j uses tap j + m - r */   \
            vd v = LOAD_##S(x + r * xs);                                                           \
            size_t jlo = r > m ? r - m : 0, jhi = r < q - 1 ? r : q - 1;                           \
            for (size_t j = jlo; j <= jhi; j++)                                                    \
                acc[j] += h[j + m - r] * v;                                                        \
        }                                                                                          \
        for (size_t j = 0; j < q; j++)                                                             \
            STORE_##S(y + j * ys, acc[j]);                                                         \
    }                                                                                              \
    FIR_SIMD static void run_##S(const T *x, T *y, size_t outer, size_t nx, size_t inner, const double *h, \
                        size_t nt)                                                                 \
    {                                                                                              \
        size_t ny = nx - nt + 1;                                                                   \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * nx * inner;                                                      \
            T *yo = y + o * ny * inner;                                                            \
            if (inner == 1) { /* lanes: LANES consecutive outputs of the one signal */             \
                size_t n = 0;                                                                      \
                for (; n + LANES * Q <= ny; n += LANES * Q)                                        \
                    for (size_t j = 0; j < Q; j++) {                                               \
                        vd acc = {0};                                                              \
                        for (size_t k = 0; k < nt; k++)                                            \
                            acc += h[k] * LOAD_##S(xo + n + j * LANES + nt - 1 - k);               \
                        STORE_##S(yo + n + j * LANES, acc);                                        \
                    }                                                                              \
                for (; n < ny; n++) {                                                              \
                    double a = 0;                                                                  \
                    for (size_t k = 0; k < nt; k++)                                                \
                        a += h[k] * (double)xo[n + nt - 1 - k];                                    \
                    yo[n] = (T)a;                                                                  \
                }                                                                                  \
                continue;                                                                          \
            }                                                                                      \
            for (size_t i = 0; i < inner; i += LANES) {                                            \
                size_t w = inner - i < LANES ? inner - i : LANES;                                  \
                for (size_t n = 0; n < ny; n += Q) {                                               \
                    size_t q = ny - n < Q ? ny - n : Q;                                            \
                    if (w == LANES) {                                                              \
                        block_##S(xo + n * inner + i, inner, yo + n * inner + i, inner, h, nt, q); \
                        continue;                                                                  \
                    }                                                                              \
                    /* a partial block of lanes: scalar, the same order of taps */                 \
                    for (size_t j = 0; j < q; j++) {                                               \
                        for (size_t l = 0; l < w; l++) {                                           \
                            double a = 0;                                                          \
                            for (size_t k = 0; k < nt; k++)                                        \
                                a += h[k] * (double)xo[(n + j + nt - 1 - k) * inner + i + l];      \
                            yo[(n + j) * inner + i + l] = (T)a;                                    \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
/* clang-format on */

DEFINE_FIR(f64, double)
DEFINE_FIR(f32, float)

/* ---- FFT path: one circular convolution per signal --------------------- */

static void free_data(void *data, void *ctx)
{
    (void)ctx;
    free(data);
}

/* A float64 or complex128 host array of `shape` over fresh malloc'd memory
 * (a wrapped buffer: scratch, not a data buffer of the stream). */
static ezc_array *scratch(ezc_dtype t, int nd, const int64_t *shape, ezc_error *err)
{
    size_t n = ezc_dtype_size(t);
    for (int i = 0; i < nd; i++)
        n *= (size_t)shape[i];
    void *p = malloc(n ? n : 1);
    ezc_buffer *b = p ? ezc_buffer_wrap(p, n, ezc_device_cpu(), free_data, NULL, err) : NULL;
    if (!b) {
        free(p);
        if (!err->code)
            ezc_error_set(err, EZC_ENOMEM, "xp.fir: out of memory");
        return NULL;
    }
    ezc_array *a = ezc_array_from_buffer(b, 0, t, nd, shape, NULL, err);
    ezc_buffer_unref(&b);
    return a;
}

/* Overlap-save in one block: with N >= len(x), the circular convolution
 * of x and the taps (both zero-padded to N) equals the linear one from
 * index ntaps - 1 on, which is exactly the "valid" part. float32 data is
 * transformed as float64. */
static int fir_fft(const ezc_array *x, int axis, const double *h, size_t nt, ezc_array *y,
                   int64_t nfft, ezc_error *err)
{
    size_t outer, nx, inner;
    ezc_array_split(x, axis, &outer, &nx, &inner);
    int nd = ezc_array_ndim(x), rc = 0;
    int64_t shape[EZC_MAX_DIMS], one = nfft / 2 + 1, hn = (int64_t)nt;
    memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
    ezc_array *x64 = NULL, *X = NULL, *full = NULL, *hx = NULL, *H = NULL;
    const ezc_array *src = x;
    if (x->dtype != EZC_FLOAT64) {
        if (!(x64 = scratch(EZC_FLOAT64, nd, shape, err)) || (rc = ezc_cpu_astype(x, x64, err)))
            goto done;
        src = x64;
    }
    shape[axis] = one;
    if (!(X = scratch(EZC_COMPLEX128, nd, shape, err)) ||
        !(hx = scratch(EZC_FLOAT64, 1, &hn, err)) || !(H = scratch(EZC_COMPLEX128, 1, &one, err))) {
        rc = err->code;
        goto done;
    }
    memcpy(ezc_array_data(hx), h, nt * sizeof *h);
    if ((rc = ezc_cpu_fft(EZC_FFT_R2C, src, axis, nfft, X, err)) ||
        (rc = ezc_cpu_fft(EZC_FFT_R2C, hx, 0, nfft, H, err)))
        goto done;
    double _Complex *xf = ezc_array_data(X);
    const double _Complex *hf = ezc_array_data(H);
    for (size_t o = 0; o < outer; o++)
        for (int64_t f = 0; f < one; f++) {
            double _Complex *row = xf + (o * (size_t)one + (size_t)f) * inner, c = hf[f];
            for (size_t i = 0; i < inner; i++)
                row[i] *= c;
        }
    shape[axis] = nfft;
    if (!(full = scratch(EZC_FLOAT64, nd, shape, err))) {
        rc = err->code;
        goto done;
    }
    if ((rc = ezc_cpu_fft(EZC_FFT_C2R, X, axis, nfft, full, err)))
        goto done;
    size_t ny = nx - nt + 1;
    const double *fd = ezc_array_data(full);
    for (size_t o = 0; o < outer; o++) {
        const double *from = fd + (o * (size_t)nfft + nt - 1) * inner;
        if (y->dtype == EZC_FLOAT64)
            memcpy((double *)ezc_array_data(y) + o * ny * inner, from, ny * inner * sizeof *from);
        else
            for (size_t i = 0; i < ny * inner; i++)
                ((float *)ezc_array_data(y))[o * ny * inner + i] = (float)from[i];
    }
done:
    ezc_array_destroy(&x64);
    ezc_array_destroy(&X);
    ezc_array_destroy(&full);
    ezc_array_destroy(&hx);
    ezc_array_destroy(&H);
    return rc;
}

/* The FFT length when the FFT path is cheaper, else 0. Direct costs ntaps
 * multiply-adds per output; the FFT about c N log2 N per signal for N >=
 * len(x) (a power of two), c measured (benchmarks/bench_fir.c, sizes
 * in between). EZC_FIR_FFT=0 / 1 forces one path (benchmarks, tests). */
static int64_t fft_length(size_t nx, size_t nt)
{
    static int forced = -2;
    if (forced == -2) {
        const char *e = getenv("EZC_FIR_FFT");
        forced = e && *e ? atoi(e) != 0 : -1;
    }
    int64_t n = 16;
    while ((size_t)n < nx)
        n *= 2;
    if (forced >= 0)
        return forced && nt > 1 ? n : 0;
    if (nt < FFT_MIN_TAPS || n > ((int64_t)1 << 24))
        return 0;
    double direct = (double)nt * (double)(nx - nt + 1), lg = 0;
    for (int64_t m = n; m > 1; m /= 2)
        lg += 1;
    return FFT_COST * (double)n * lg < direct ? n : 0;
}

int ezc_cpu_fir(const ezc_array *x, int axis, const double *taps, int64_t ntaps, ezc_array *y,
                ezc_error *err)
{
    int rc = check_fir(x, &axis, taps, ntaps, y, err);
    if (rc)
        return rc;
    size_t outer, nx, inner, nt = (size_t)ntaps;
    ezc_array_split(x, axis, &outer, &nx, &inner);
    if (ezc_array_size(y) == 0)
        return 0;
    int64_t nfft = fft_length(nx, nt);
    if (nfft)
        return fir_fft(x, axis, taps, nt, y, nfft, err);
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    if (x->dtype == EZC_FLOAT64)
        run_f64(xd, yd, outer, nx, inner, taps, nt);
    else
        run_f32(xd, yd, outer, nx, inner, taps, nt);
    return 0;
}
