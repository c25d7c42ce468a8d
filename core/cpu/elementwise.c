/* elementwise.c — unary maps, affine, clip, pow and binary ops on the CPU.
 *
 * Every loop is EW_MAP: blocks of EW_BLOCK elements (a trip count the
 * vectoriser accepts even at -O2's cheap cost model) plus a scalar tail.
 * Outputs may be the inputs themselves, so the pointers are not `restrict`;
 * `GCC ivdep` states what holds instead: element i reads only index i. Partial
 * overlaps are refused up front. Integer arithmetic runs in uint64_t, so that
 * overflow wraps as in numpy instead of being undefined. */
#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cpu_internal.h"

#define EW_BLOCK 16

/* The hot kernels are compiled for AVX-512 and AVX2 as well as the baseline,
 * and the loader picks the best one this CPU runs (GCC/clang function
 * multiversioning); the code is the same plain C. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__clang__) &&                \
    __GNUC__ >= 8 /* clang's clones of extern functions lose the plain symbol */
#define EW_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EW_SIMD
#endif

/* ---- logarithms that vectorise ----------------------------------------
 * libm's log is one scalar call per element; numpy vectorises it. Here:
 * x = m * 2^e with m in [sqrt(1/2), sqrt(2)), ln(m) = 2 atanh(s) with
 * s = (m - 1) / (m + 1), |s| <= 0.1716, as an odd series; all in double and
 * branch-free (specials selected at the end), so the loop vectorises.
 * Terms to s^21 leave a few ulp for float64 (float32 has its own loop
 * below). */
static inline double log_core(double m, double e)
{
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, p = 1.0 / 21;
    p = p * s2 + 1.0 / 19; /* written out: a loop here would stop the vectoriser */
    p = p * s2 + 1.0 / 17;
    p = p * s2 + 1.0 / 15;
    p = p * s2 + 1.0 / 13;
    p = p * s2 + 1.0 / 11;
    p = p * s2 + 1.0 / 9;
    p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5;
    p = p * s2 + 1.0 / 3;
    p = p * s2 + 1.0;
    return e * 0.69314718055994530942 + 2.0 * s * p;
}

/* float32: no division; ln(1 + f) = f * P(f) for f = m - 1 in
 * [sqrt(1/2) - 1, sqrt(2) - 1], P of degree 9 fitted by least squares
 * (numpy, 2e5 points) to log1p(f) / f: 1.2e-7 relative in float32 Horner,
 * i.e. about an ulp. 16 lanes at a time with AVX-512. */
static inline float logf_core(float m, float e)
{
    float f = m - 1.0f;
    float p = -0.07539802334160642f;
    p = p * f + 0.12748678378781178f;
    p = p * f - 0.13198961762121258f;
    p = p * f + 0.14202609443875225f;
    p = p * f - 0.16616524984749068f;
    p = p * f + 0.20001155595464934f;
    p = p * f - 0.2500126945823116f;
    p = p * f + 0.3333333570035708f;
    p = p * f - 0.4999999146786195f;
    p = p * f + 0.9999999997635104f;
    return e * 0.693147180559945f + f * p;
}

static inline float log_f32(float x)
{
    float big = x * 0x1p23f; /* computed either way: selects, not branches */
    float xs = x < 0x1p-126f ? big : x;
    float eoff = x < 0x1p-126f ? -23.0f : 0.0f;
    uint32_t b;
    __builtin_memcpy(&b, &xs, sizeof b);
    int32_t e = (int32_t)((b >> 23) & 0xff) - 127;
    uint32_t mb = (b & 0x7fffffu) | 0x3f800000u;
    float m;
    __builtin_memcpy(&m, &mb, sizeof m);
    float half = 0.5f * m;
    float md = m > 1.41421356f ? half : m;
    float ed = (float)e + (m > 1.41421356f ? 1.0f : 0.0f) + eoff;
    float r = logf_core(md, ed);
    r = x == 0 ? -INFINITY : r;
    r = x == INFINITY ? INFINITY : r;
    return ((x < 0) | (x != x)) ? NAN : r;
}

static inline double log_f64(double x)
{
    double big = x * 0x1p52;
    double xs = x < 0x1p-1022 ? big : x;
    double eoff = x < 0x1p-1022 ? -52.0 : 0.0;
    uint64_t b;
    __builtin_memcpy(&b, &xs, sizeof b);
    int64_t e = (int64_t)((b >> 52) & 0x7ff) - 1023;
    uint64_t mb = (b & 0xfffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    __builtin_memcpy(&m, &mb, sizeof m);
    double half = 0.5 * m;
    double md = m > 1.4142135623730951 ? half : m;
    double ed = (double)e + (m > 1.4142135623730951 ? 1.0 : 0.0) + eoff;
    double r = log_core(md, ed);
    r = x == 0 ? -INFINITY : r;
    r = x == INFINITY ? INFINITY : r;
    return ((x < 0) | (x != x)) ? NAN : r;
}

#define F_LOG(v) _Generic((v), float : log_f32, default : log_f64)(v)

/* The natural log (xp.unary LOG, xp.log_base) is held to numpy's own
 * results, because ezmsg-sigproc's Log is np.log(x) / np.log(base): float64
 * is ln_f64_avx512 where AVX-512 DQ runs, else libm's log, numpy's baseline
 * loop (twice as fast as log_f64, which GCC leaves scalar), both about half
 * an ulp from the exact ln; float32 is (float) of a double ln(x) good to
 * 2^-44 or better: correctly rounded on every float32 (all 2^32 bit
 * patterns checked against (float)log((double)x), each difference against
 * 50 digits) once the one float each method misrounds is written in: x =
 * 0x1.2f1fd6p+3 (portable) and 0x1.827a74p-7 (AVX-512), whose logs lie
 * 2^-54.6 and 2^-53.8 from a tie; (float)log((double)x) misrounds both.
 * log_f32 above and the AVX-512 loop below (still used for log2 and log10)
 * are 1-2 ulp off. Two ways to that double:
 *
 * Portable (log_f32_cr): exponent and mantissa m in [sqrt(1/2), sqrt(2))
 * from the bits, ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716,
 * to s^15 (truncation 2^-44): eight doubles a vector, which GCC vectorises
 * (a table lookup would need gathers, which GCC's generic tuning refuses).
 *
 * AVX-512 (ln_f32_avx512, no division), glibc's logf method in double with
 * a longer polynomial: x = z 2^k with z in [LN_OFF, 2 LN_OFF) ~ [0.699,
 * 1.398) taken from the bits; the top 4 bits of z's offset pick c ~
 * 1/LN_INVC[i], ln c = -LN_LOGC[i]; r = z * LN_INVC[i] - 1 is exact
 * (LN_INVC has 20 significant bits), |r| <= 0.0297, and ln(x) = k ln 2 +
 * ln c + log1p(r), log1p(r) to r^9 (truncation 2^-53; the interval around
 * 1 has c = 1, so values near 1 keep their relative accuracy). The tables
 * are 16 doubles, a register pair: looked up by permutes. About 3.5 times
 * the instructions of the AVX-512 log2/log10 loop: eight lanes, not 16. */
static inline float log_f32_cr(float x)
{
    float big = x * 0x1p23f; /* computed either way: selects, not branches */
    float xs = x < 0x1p-126f ? big : x;
    int32_t eoff = x < 0x1p-126f ? -23 : 0;
    uint32_t b;
    __builtin_memcpy(&b, &xs, sizeof b);
    int32_t e = (int32_t)((b >> 23) & 0xff) - 127 + eoff;
    uint32_t mb = (b & 0x7fffffu) | 0x3f800000u;
    float m;
    __builtin_memcpy(&m, &mb, sizeof m);
    int32_t up = m > 1.41421356f;
    float mf = up ? 0.5f * m : m;
    double md = (double)mf, ed = (double)(e + up);
    double s = (md - 1.0) / (md + 1.0), s2 = s * s;
    double p = 1.0 / 15;
    p = p * s2 + 1.0 / 13;
    p = p * s2 + 1.0 / 11;
    p = p * s2 + 1.0 / 9;
    p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5;
    p = p * s2 + 1.0 / 3;
    float r = (float)(ed * 0.69314718055994530942 + (2.0 * s + 2.0 * s * s2 * p));
    r = x == 0x1.2f1fd6p+3f ? 0x1.1fcbcep+1f : r; /* ln(x) is 2^-54.6 from a tie */
    r = x == 0 ? -INFINITY : r;
    r = x == INFINITY ? INFINITY : r;
    return ((x < 0) | (x != x)) ? NAN : r;
}

#define F_LN(v) _Generic((v), float : log_f32_cr, default : log)(v)

/* float32 logs with AVX-512's getexp/getmant, which take zeros, denormals,
 * infinities, NaNs and negatives in their stride: x = m * 2^e with m in
 * [0.75, 1.5), ln(1 + f) = f * Q(f) for f = m - 1, Q of degree 8 fitted by
 * least squares (numpy) to log1p(f) / f on [-0.25, 0.5]: 1.7e-7 relative.
 * Used for log2 and log10 when the CPU has AVX-512F; the portable loop
 * above otherwise. */
#if defined(__x86_64__) && (defined(__clang__) || __GNUC__ >= 8)
#include <immintrin.h>
#define EW_HAVE_LOG512 1
/* EZC_CPU_BASELINE=1 turns it off, so tests can check the portable loop on
 * machines that have AVX-512 too. */
static int use_log512(void)
{
    static int use = -1;
    if (use < 0)
        use = __builtin_cpu_supports("avx512f") && !getenv("EZC_CPU_BASELINE");
    return use;
}

/* The natural log's loop needs AVX512DQ as well (int64 -> double). */
static int use_ln512(void)
{
    static int use = -1;
    if (use < 0)
        use = use_log512() && __builtin_cpu_supports("avx512dq");
    return use;
}

__attribute__((target("avx512f"))) static void log_f32_avx512(const float *x, float *y, size_t n,
                                                              float scale)
{
    static const float q[9] = {0.05356640473389397f,  -0.11938471159107096f, 0.1491078596113098f,
                               -0.16819168595209386f, 0.1998279984654463f,   -0.24994175475519123f,
                               0.33333451561307587f,  -0.5000005086932316f,  0.9999999988123625f};
    const __m512 one = _mm512_set1_ps(1.0f), ln2 = _mm512_set1_ps(0.693147180559945f);
    const __m512 k = _mm512_set1_ps(scale), ninf = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 lanes = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(lanes, x + i);
        __m512 m = _mm512_getmant_ps(v, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_nan);
        __m512 e = _mm512_getexp_ps(v);
        /* mantissas in [1.5, 2) come back halved: one more in the exponent */
        e = _mm512_mask_add_ps(e, _mm512_cmp_ps_mask(m, one, _CMP_LT_OQ), e, one);
        __m512 f = _mm512_sub_ps(m, one), p = _mm512_set1_ps(q[0]);
        for (int j = 1; j < 9; j++)
            p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(q[j]));
        __m512 r = _mm512_mul_ps(_mm512_fmadd_ps(e, ln2, _mm512_mul_ps(f, p)), k);
        /* -0 (a NaN mantissa above) is -inf like +0 */
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_EQ_OQ), ninf);
        _mm512_mask_storeu_ps(y + i, lanes, r);
    }
}

#define LN_OFF 0x3f330000u
static const double ln_invc[16] = {
    0x1.661ecp+0, 0x1.571edp+0, 0x1.4953ap+0, 0x1.3c996p+0, 0x1.30d19p+0, 0x1.25e22p+0,
    0x1.1bb4ap+0, 0x1.12359p+0, 0x1.0953fp+0, 0x1p+0,       0x1.e573ap-1, 0x1.ca4b4p-1,
    0x1.b2036p-1, 0x1.9c2d2p-1, 0x1.886e6p-1, 0x1.767dcp-1,
};
static const double ln_logc[16] = {
    -0x1.57bf623c8cf29p-2, -0x1.2beefc8dc9256p-2,
    -0x1.01eaeae26c654p-2, -0x1.b31daa75bc8e4p-3,
    -0x1.6574eb68c133ap-3, -0x1.1aa286e23edc9p-3,
    -0x1.a4e72a0b1b5a6p-4, -0x1.1973d4146545ep-4,
    -0x1.252ec4f8d0c6ep-5, 0x0p+0,
    0x1.b42eab1199da3p-5,  0x1.c5e4bcf5bed8bp-4,
    0x1.526e713a1b5a1p-3,  0x1.bc283042d98a7p-3,
    0x1.1058bd1ae4ae2p-2,  0x1.40432f686b3c6p-2,
};
#define LN2_D 0x1.62e42fefa39efp-1

/* Eight of 16 floats (the low or high half), as doubles: float denormals
 * are normal there, and the offset trick runs on the double's bits
 * (LN_OFF_D is LN_OFF as a double: the same z, k and i). The permutes read
 * the low 4 bits of i. */
#define LN_OFF_D 0x3fe6600000000000LL
#define LN_TARGET __attribute__((target("avx512f,avx512dq")))
LN_TARGET static inline __m256 ln_half512(__m256 x, const __m512d tab[4])
{
    __m512i ix = _mm512_castpd_si512(_mm512_cvtps_pd(x));
    __m512i tmp = _mm512_sub_epi64(ix, _mm512_set1_epi64(LN_OFF_D));
    __m512i iz =
        _mm512_sub_epi64(ix, _mm512_and_si512(tmp, _mm512_set1_epi64(-0x10000000000000LL)));
    __m512i i = _mm512_srli_epi64(tmp, 48);
    __m512d k = _mm512_cvtepi64_pd(_mm512_srai_epi64(tmp, 52));
    __m512d invc = _mm512_permutex2var_pd(tab[0], i, tab[1]);
    __m512d logc = _mm512_permutex2var_pd(tab[2], i, tab[3]);
    __m512d r = _mm512_fmsub_pd(_mm512_castsi512_pd(iz), invc, _mm512_set1_pd(1.0));
    __m512d q = _mm512_set1_pd(1.0 / 9);
    static const double c[7] = {-1.0 / 8, 1.0 / 7, -1.0 / 6, 1.0 / 5, -1.0 / 4, 1.0 / 3, -1.0 / 2};
    for (int j = 0; j < 7; j++)
        q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(c[j]));
    __m512d lp = _mm512_fmadd_pd(q, _mm512_mul_pd(r, r), r);
    __m512d hi = _mm512_fmadd_pd(k, _mm512_set1_pd(LN2_D), logc);
    return _mm512_cvtpd_ps(_mm512_add_pd(hi, lp));
}

/* y = (float)ln(x) / den (den 1: the log alone), the float32 division. The
 * special values are fixed up by class (vfixupimm): +-0 -> -inf, +inf ->
 * inf, negatives and -inf -> NaN, NaN -> NaN; before the division, so that
 * a base below 1 turns -inf into inf as numpy does. */
LN_TARGET static void ln_f32_avx512(const float *x, float *y, size_t n, float den)
{
    const __m512d tab[4] = {_mm512_loadu_pd(ln_invc), _mm512_loadu_pd(ln_invc + 8),
                            _mm512_loadu_pd(ln_logc), _mm512_loadu_pd(ln_logc + 8)};
    /* class tokens QNaN SNaN 0 1 -inf +inf neg pos -> QNaN(x) QNaN(x) -inf keep
     * NaN +inf NaN keep: one nibble each, the first lowest */
    const __m512i fix = _mm512_set1_epi32(0x03530422);
    const __m512 d = _mm512_set1_ps(den);
    for (size_t j = 0; j < n; j += 16) {
        __mmask16 lanes = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(lanes, x + j);
        __m256 lo = ln_half512(_mm512_castps512_ps256(v), tab);
        __m256 hi =
            ln_half512(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)), tab);
        __m512 r = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)),
                                                       _mm256_castps_pd(hi), 1));
        /* the one float the method misrounds: ln(x) is 2^-53.8 from a tie */
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(v, _mm512_set1_ps(0x1.827a74p-7f), _CMP_EQ_OQ),
                               _mm512_set1_ps(-0x1.1c2b1ep+2f));
        r = _mm512_fixupimm_ps(r, v, fix, 0);
        if (den != 1.0f)
            r = _mm512_div_ps(r, d);
        _mm512_mask_storeu_ps(y + j, lanes, r);
    }
}
/* float64 ln with AVX-512 (ln_f64_avx512): numpy's log loop for float64
 * is vectorised (AVX512F) where libm's is one call per element, 4-7 times
 * the time. The same reduction as ln_half512 (z in [LN_OFF, 2 LN_OFF), the
 * top 4 bits of its offset picking a centre c of 8 significant bits, c = 1
 * for the interval around 1), then in double-double where a rounding would
 * show: d = z - c is exact (Sterbenz), q = d / c as q = d * (1/c) plus the
 * residual fma(-q, c, d) / c, ln(c) = LN64_HI + LN64_LO, k ln 2 = k LN2_HI
 * (exact: LN2_HI has 11 trailing zero bits) + k LN2_LO; the two leading
 * sums are error-free (Fast2Sum, then TwoSum with q), and everything else
 * goes into one tail added last. |q| < 0.0297, log1p's series to q^12
 * (truncation below 2^-64 of q). About half an ulp: one final rounding
 * plus tails below 2^-60 of the result; within one ulp of numpy's own
 * AVX-512 result (tests/test_xp_cpu.c: 10^6 values across the range). */
static const double ln64_c[16] = {
    0x1.6ep-1, 0x1.7ep-1, 0x1.8ep-1, 0x1.9ep-1, 0x1.aep-1, 0x1.bep-1, 0x1.cep-1, 0x1.dep-1,
    0x1.eep-1, 0x1p+0,    0x1.0ep+0, 0x1.1ep+0, 0x1.2ep+0, 0x1.3ep+0, 0x1.4ep+0, 0x1.5ep+0,
};
static const double ln64_invc[16] = {
    0x1.661ec6a5122f9p+0, 0x1.571ed3c506b3ap+0,
    0x1.49539e3b2d067p+0, 0x1.3c995a47babe7p+0,
    0x1.30d190130d190p+0, 0x1.25e22708092f1p+0,
    0x1.1bb4a4046ed29p+0, 0x1.12358e75d3033p+0,
    0x1.0953f39010954p+0, 0x1p+0,
    0x1.e573ac901e574p-1, 0x1.ca4b3055ee191p-1,
    0x1.b2036406c80d9p-1, 0x1.9c2d14ee4a102p-1,
    0x1.886e5f0abb04ap-1, 0x1.767dce434a9b1p-1,
};
/* ln(c) to 60 digits (Python's decimal), split into a double and the rest */
static const double ln64_hi[16] = {
    -0x1.57bf753c8d1fbp-2, -0x1.2bef07cdc9354p-2,
    -0x1.01eae5626c691p-2, -0x1.b31d8575bce3dp-3,
    -0x1.6574ebe8c133ap-3, -0x1.1aa2b7e23f72ap-3,
    -0x1.a4e7640b1bc38p-4, -0x1.1973bd1465567p-4,
    -0x1.252f32f8d183fp-5, 0x0p+0,
    0x1.b42dd711971bfp-5,  0x1.c5e548f5bc743p-4,
    0x1.526e5e3a1b438p-3,  0x1.bc286742d8cd6p-3,
    0x1.1058bf9ae4ad5p-2,  0x1.404308686a7e4p-2,
};
static const double ln64_lo[16] = {
    0x1.0908d15f88b63p-57,  0x1.82dad7fd86088p-56,
    0x1.18290bd2932e2p-59,  0x1.6353ab386a94dp-57,
    0x1.d34f0f4621bedp-60,  0x1.c6ef1d9b2ef7ep-59,
    0x1.5b5ca203e4259p-58,  0x1.7558367a6acf6p-59,
    0x1.947f792615916p-59,  0x0p+0,
    -0x1.eb9759c130499p-60, 0x1.5d617ef8161b1p-60,
    -0x1.746ff8a470d3ap-57, 0x1.4fce744870f55p-58,
    0x1.89fa0ab4cb31dp-58,  -0x1.0bcfb6082ce6dp-56,
};
#define LN2_HI 0x1.62e42fefa3800p-1
#define LN2_LO 0x1.ef35793c76730p-45

LN_TARGET static void ln_f64_avx512(const double *x, double *y, size_t n, double den)
{
    const __m512d c0 = _mm512_loadu_pd(ln64_c), c1 = _mm512_loadu_pd(ln64_c + 8);
    const __m512d i0 = _mm512_loadu_pd(ln64_invc), i1 = _mm512_loadu_pd(ln64_invc + 8);
    const __m512d h0 = _mm512_loadu_pd(ln64_hi), h1 = _mm512_loadu_pd(ln64_hi + 8);
    const __m512d l0 = _mm512_loadu_pd(ln64_lo), l1 = _mm512_loadu_pd(ln64_lo + 8);
    const __m512i fix = _mm512_set1_epi64(0x03530422); /* as ln_f32_avx512's */
    const __m512d d_den = _mm512_set1_pd(den);
    /* log1p(q) = q + q^2 P(q): P's coefficients -1/2, 1/3, ..., -1/12 from the
     * highest power down */
    static const double pc[11] = {-1.0 / 12, 1.0 / 11, -1.0 / 10, 1.0 / 9, -1.0 / 8, 1.0 / 7,
                                  -1.0 / 6,  1.0 / 5,  -1.0 / 4,  1.0 / 3, -1.0 / 2};
    for (size_t j = 0; j < n; j += 8) {
        __mmask8 lanes = n - j >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (n - j)) - 1);
        __m512d v = _mm512_maskz_loadu_pd(lanes, x + j);
        /* subnormals (and the specials, fixed up below) scaled by 2^52 */
        __mmask8 tiny = _mm512_cmp_pd_mask(v, _mm512_set1_pd(0x1p-1022), _CMP_LT_OQ);
        __m512d vs = _mm512_mask_mul_pd(v, tiny, v, _mm512_set1_pd(0x1p52));
        __m512i ix = _mm512_castpd_si512(vs);
        __m512i tmp = _mm512_sub_epi64(ix, _mm512_set1_epi64(LN_OFF_D));
        __m512i iz =
            _mm512_sub_epi64(ix, _mm512_and_si512(tmp, _mm512_set1_epi64(-0x10000000000000LL)));
        __m512i i = _mm512_srli_epi64(tmp, 48);
        __m512d k = _mm512_cvtepi64_pd(_mm512_srai_epi64(tmp, 52));
        k = _mm512_mask_sub_pd(k, tiny, k, _mm512_set1_pd(52.0));
        __m512d z = _mm512_castsi512_pd(iz);
        __m512d c = _mm512_permutex2var_pd(c0, i, c1);
        __m512d invc = _mm512_permutex2var_pd(i0, i, i1);
        __m512d lch = _mm512_permutex2var_pd(h0, i, h1);
        __m512d lcl = _mm512_permutex2var_pd(l0, i, l1);
        __m512d d = _mm512_sub_pd(z, c);
        __m512d q = _mm512_mul_pd(d, invc);
        __m512d rl = _mm512_mul_pd(_mm512_fnmadd_pd(q, c, d), invc);
        __m512d p = _mm512_set1_pd(pc[0]);
        for (int m = 1; m < 11; m++)
            p = _mm512_fmadd_pd(p, q, _mm512_set1_pd(pc[m]));
        /* s + e = k LN2_HI + ln c exactly (|k LN2_HI| >= |ln c| unless k = 0) */
        __m512d a = _mm512_mul_pd(k, _mm512_set1_pd(LN2_HI));
        __m512d s = _mm512_add_pd(a, lch);
        __m512d e = _mm512_add_pd(_mm512_sub_pd(a, s), lch);
        /* t + te = s + q exactly (TwoSum: either may be the larger) */
        __m512d t = _mm512_add_pd(s, q);
        __m512d bv = _mm512_sub_pd(t, s);
        __m512d te = _mm512_add_pd(_mm512_sub_pd(s, _mm512_sub_pd(t, bv)), _mm512_sub_pd(q, bv));
        __m512d tail = _mm512_fmadd_pd(k, _mm512_set1_pd(LN2_LO), _mm512_add_pd(e, lcl));
        tail = _mm512_add_pd(_mm512_add_pd(tail, te), rl);
        tail = _mm512_fmadd_pd(_mm512_mul_pd(q, q), p, tail);
        __m512d r = _mm512_add_pd(t, tail);
        r = _mm512_fixupimm_pd(r, v, fix, 0);
        if (den != 1.0)
            r = _mm512_div_pd(r, d_den);
        _mm512_mask_storeu_pd(y + j, lanes, r);
    }
}
#endif

/* ys[i] = (TY)(EXPR) with v = xs[i], for i < n. */
#define EW_MAP(TX, TY, xp_, yp_, n_, EXPR)                                                         \
    do {                                                                                           \
        const TX *xs_ = (const TX *)(xp_);                                                         \
        TY *ys_ = (TY *)(yp_);                                                                     \
        size_t n__ = (n_), nb_ = n__ / EW_BLOCK * EW_BLOCK, i_ = 0;                                \
        for (; i_ < nb_; i_ += EW_BLOCK) {                                                         \
            _Pragma("GCC ivdep") for (size_t j_ = 0; j_ < EW_BLOCK; j_++)                          \
            {                                                                                      \
                TX v = xs_[i_ + j_];                                                               \
                ys_[i_ + j_] = (TY)(EXPR);                                                         \
            }                                                                                      \
        }                                                                                          \
        for (; i_ < n__; i_++) {                                                                   \
            TX v = xs_[i_];                                                                        \
            ys_[i_] = (TY)(EXPR);                                                                  \
        }                                                                                          \
    } while (0)

/* ys[i] = (T)(EXPR) with a = as[i], b = bs[i]. */
#define EW_MAP2(T, ap_, bp_, yp_, n_, EXPR)                                                        \
    do {                                                                                           \
        const T *as_ = (const T *)(ap_), *bs_ = (const T *)(bp_);                                  \
        T *ys_ = (T *)(yp_);                                                                       \
        size_t n__ = (n_), nb_ = n__ / EW_BLOCK * EW_BLOCK, i_ = 0;                                \
        for (; i_ < nb_; i_ += EW_BLOCK) {                                                         \
            _Pragma("GCC ivdep") for (size_t j_ = 0; j_ < EW_BLOCK; j_++)                          \
            {                                                                                      \
                T a = as_[i_ + j_], b = bs_[i_ + j_];                                              \
                ys_[i_ + j_] = (T)(EXPR);                                                          \
            }                                                                                      \
        }                                                                                          \
        for (; i_ < n__; i_++) {                                                                   \
            T a = as_[i_], b = bs_[i_];                                                            \
            ys_[i_] = (T)(EXPR);                                                                   \
        }                                                                                          \
    } while (0)

/* Type-generic real math (float or double by the argument's type). */
#define M_ABS(v) _Generic((v), float : fabsf, default : fabs)(v)
#define M_SQRT(v) _Generic((v), float : sqrtf, default : sqrt)(v)
#define M_EXP(v) _Generic((v), float : expf, default : exp)(v)
#define M_POW(v, p) _Generic((v), float : powf, default : pow)((v), (p))
#define M_SIN(v) _Generic((v), float : sinf, default : sin)(v)
#define M_COS(v) _Generic((v), float : cosf, default : cos)(v)
#define M_ATAN2(a, b) _Generic((a), float : atan2f, default : atan2)((a), (b))
#define M_HYPOT(a, b) _Generic((a), float : hypotf, default : hypot)((a), (b))
#define C_ABS(v) _Generic((v), float _Complex : cabsf, default : cabs)(v)

/* numpy.sign: 1, -1, 0 (for both zeros), NaN for NaN. */
#define F_SIGN(T, v) ((v) > 0 ? (T)1 : (v) < 0 ? (T)-1 : (v) == 0 ? (T)0 : (v))
/* numpy.minimum/maximum: a NaN on either side wins. */
#define F_MIN(a, b) (((a) <= (b) || isnan(a)) ? (a) : (b))
#define F_MAX(a, b) (((a) >= (b) || isnan(a)) ? (a) : (b))
#define WRAP(T, expr) ((T)(uint64_t)(expr))
#define U64(v) ((uint64_t)(v))

static const char *const unary_names[EZC_UNARY_COUNT] = {
    "abs", "neg",  "square", "sign",       "sqrt", "exp",
    "log", "log2", "log10",  "reciprocal", "sin",  "cos",
};
static const char *const binary_names[EZC_BINARY_COUNT] = {
    "add", "sub", "mul", "div", "minimum", "maximum", "arctan2", "hypot",
};

/* ---- unary ------------------------------------------------------------- */

/* Each returns 0, or 1 when the op does not apply to the dtype. */
#define DEF_UNARY_FLOAT(E, T, S)                                                                   \
    EW_SIMD static int unary_##S(ezc_unary_op op, const void *x, void *y, size_t n)                \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_UNARY_ABS: EW_MAP(T, T, x, y, n, M_ABS(v)); return 0;                             \
        case EZC_UNARY_NEG: EW_MAP(T, T, x, y, n, -v); return 0;                                   \
        case EZC_UNARY_SQUARE: EW_MAP(T, T, x, y, n, v *v); return 0;                              \
        case EZC_UNARY_SIGN: EW_MAP(T, T, x, y, n, F_SIGN(T, v)); return 0;                        \
        case EZC_UNARY_SQRT: EW_MAP(T, T, x, y, n, M_SQRT(v)); return 0;                           \
        case EZC_UNARY_EXP: EW_MAP(T, T, x, y, n, M_EXP(v)); return 0;                             \
        case EZC_UNARY_LOG: EW_MAP(T, T, x, y, n, (T)F_LN(v)); return 0;                           \
        case EZC_UNARY_LOG2: EW_MAP(T, T, x, y, n, (T)(F_LOG(v) * (T)1.4426950408889634));         \
            return 0;                                                                              \
        case EZC_UNARY_LOG10:                                                                      \
            EW_MAP(T, T, x, y, n, (T)(F_LOG(v) * (T)0.43429448190325183));                         \
            return 0;                                                                              \
        case EZC_UNARY_RECIPROCAL: EW_MAP(T, T, x, y, n, (T)1 / v); return 0;                      \
        case EZC_UNARY_SIN: EW_MAP(T, T, x, y, n, M_SIN(v)); return 0;                             \
        case EZC_UNARY_COS: EW_MAP(T, T, x, y, n, M_COS(v)); return 0;                             \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_FLOATS(DEF_UNARY_FLOAT)

#define DEF_UNARY_SINT(E, T, S)                                                                    \
    static int unary_##S(ezc_unary_op op, const void *x, void *y, size_t n)                        \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_UNARY_ABS: EW_MAP(T, T, x, y, n, v < 0 ? WRAP(T, 0 - U64(v)) : v); return 0;      \
        case EZC_UNARY_NEG: EW_MAP(T, T, x, y, n, WRAP(T, 0 - U64(v))); return 0;                  \
        case EZC_UNARY_SQUARE: EW_MAP(T, T, x, y, n, WRAP(T, U64(v) * U64(v))); return 0;          \
        case EZC_UNARY_SIGN: EW_MAP(T, T, x, y, n, (v > 0) - (v < 0)); return 0;                   \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_SINTS(DEF_UNARY_SINT)

#define DEF_UNARY_UINT(E, T, S)                                                                    \
    static int unary_##S(ezc_unary_op op, const void *x, void *y, size_t n)                        \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_UNARY_ABS: EW_MAP(T, T, x, y, n, v); return 0;                                    \
        case EZC_UNARY_SQUARE: EW_MAP(T, T, x, y, n, WRAP(T, U64(v) * U64(v))); return 0;          \
        case EZC_UNARY_SIGN: EW_MAP(T, T, x, y, n, v > 0); return 0;                               \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_UINTS(DEF_UNARY_UINT)

static int unary_b8(ezc_unary_op op, const void *x, void *y, size_t n)
{
    if (op != EZC_UNARY_ABS)
        return 1;
    EW_MAP(uint8_t, uint8_t, x, y, n, v);
    return 0;
}

#define DEF_UNARY_CPLX(E, T, S)                                                                    \
    static int unary_##S(ezc_unary_op op, const void *x, void *y, size_t n)                        \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_UNARY_ABS: EW_MAP(T, __typeof__(C_ABS((T)0)), x, y, n, C_ABS(v)); return 0;       \
        case EZC_UNARY_NEG: EW_MAP(T, T, x, y, n, -v); return 0;                                   \
        case EZC_UNARY_SQUARE: EW_MAP(T, T, x, y, n, v *v); return 0;                              \
        case EZC_UNARY_RECIPROCAL: EW_MAP(T, T, x, y, n, 1 / v); return 0;                         \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_COMPLEX(DEF_UNARY_CPLX)

/* Common checks of x -> y element-wise ops: host arrays, same shape, y of
 * dtype `yt`, no partial overlap (or none at all when the element sizes
 * differ). */
static int check_map(const char *op, const ezc_array *x, ezc_array *y, ezc_dtype yt, ezc_error *err)
{
    int rc;
    if ((rc = ezc_cpu_check(op, "x", x, err)) || (rc = ezc_cpu_check(op, "y", y, err)) ||
        (rc = ezc_xp_same_shape(op, "x", x, "y", y, err)) ||
        (rc = ezc_xp_want_dtype(op, "y", y, yt, err)))
        return rc;
    if (ezc_dtype_size(x->dtype) != ezc_dtype_size(yt))
        return ezc_xp_disjoint(op, x, y, err);
    return ezc_xp_no_partial_overlap(op, x, y, err);
}

#define UNARY_CASE(E, T, S)                                                                        \
    case E: bad = unary_##S(op, xd, yd, n); break;

int ezc_cpu_unary(ezc_unary_op op, const ezc_array *x, ezc_array *y, ezc_error *err)
{
    if ((unsigned)op >= EZC_UNARY_COUNT)
        return ezc_error_set(err, EZC_EINVAL, "xp.unary: unknown op %d", (int)op);
    char name[48];
    snprintf(name, sizeof name, "unary(%s)", unary_names[op]);
    int rc = ezc_cpu_check(name, "x", x, err);
    if (rc)
        return rc;
    ezc_dtype yt = op == EZC_UNARY_ABS ? ezc_dtype_real(x->dtype) : x->dtype;
    if ((rc = check_map(name, x, y, yt, err)))
        return rc;
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    size_t n = ezc_array_size(x);
#ifdef EW_HAVE_LOG512
    if (x->dtype == EZC_FLOAT32 && (op == EZC_UNARY_LOG2 || op == EZC_UNARY_LOG10) &&
        use_log512()) {
        log_f32_avx512(xd, yd, n,
                       op == EZC_UNARY_LOG2 ? 1.44269504088896341f : 0.434294481903251828f);
        return 0;
    }
    if (x->dtype == EZC_FLOAT64 && op == EZC_UNARY_LOG && use_ln512()) {
        ln_f64_avx512(xd, yd, n, 1.0);
        return 0;
    }
    if (x->dtype == EZC_FLOAT32 && op == EZC_UNARY_LOG && use_ln512()) {
        ln_f32_avx512(xd, yd, n, 1.0f);
        return 0;
    }
#endif
    int bad = 1;
    switch (x->dtype) {
        EZC_CPU_ALL(UNARY_CASE)
    default: break;
    }
    return bad ? ezc_cpu_bad_dtype(name, x->dtype, err) : 0;
}

/* ---- log in a base ------------------------------------------------------ */

/* One pass: the log and the division by ln(base) rounded to the dtype, the
 * two roundings numpy's np.log(x) / np.log(base) makes. */
EW_SIMD static void log_base_f32(const float *x, float *y, size_t n, float den)
{
    EW_MAP(float, float, x, y, n, log_f32_cr(v) / den);
}

static void log_base_f64(const double *x, double *y, size_t n, double den)
{
    EW_MAP(double, double, x, y, n, log(v) / den);
}

int ezc_cpu_log_base(const ezc_array *x, ezc_array *y, double base, ezc_error *err)
{
    const char *op = "log_base";
    int rc = ezc_cpu_check(op, "x", x, err);
    if (rc || (rc = check_map(op, x, y, x->dtype, err)))
        return rc;
    if (!(base > 0) || base == 1 || isinf(base))
        return ezc_error_set(err, EZC_EINVAL,
                             "xp.log_base: base (%g) must be positive, finite and not 1", base);
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    size_t n = ezc_array_size(x);
    double den = log(base);
    if (x->dtype == EZC_FLOAT32) {
#ifdef EW_HAVE_LOG512
        if (use_ln512()) {
            ln_f32_avx512(xd, yd, n, (float)den);
            return 0;
        }
#endif
        log_base_f32(xd, yd, n, (float)den);
        return 0;
    }
    if (x->dtype == EZC_FLOAT64) {
#ifdef EW_HAVE_LOG512
        if (use_ln512()) {
            ln_f64_avx512(xd, yd, n, den);
            return 0;
        }
#endif
        log_base_f64(xd, yd, n, den);
        return 0;
    }
    return ezc_cpu_bad_dtype(op, x->dtype, err);
}

/* ---- affine ------------------------------------------------------------ */

#define AFFINE_CASE(E, T, S)                                                                       \
    case E: {                                                                                      \
        __typeof__(M_ABS((T)0)) s = scale, o = offset;                                             \
        EW_MAP(T, T, xd, yd, n, v *s + o);                                                         \
        return 0;                                                                                  \
    }
#define AFFINE_CASE_C(E, T, S)                                                                     \
    case E: {                                                                                      \
        __typeof__(C_ABS((T)0)) s = scale, o = offset;                                             \
        EW_MAP(T, T, xd, yd, n, v *s + o);                                                         \
        return 0;                                                                                  \
    }

EW_SIMD int ezc_cpu_affine(const ezc_array *x, ezc_array *y, double scale, double offset,
                           ezc_error *err)
{
    int rc = ezc_cpu_check("affine", "x", x, err);
    if (rc || (rc = check_map("affine", x, y, x->dtype, err)))
        return rc;
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    size_t n = ezc_array_size(x);
    switch (x->dtype) {
        EZC_CPU_FLOATS(AFFINE_CASE)
        EZC_CPU_COMPLEX(AFFINE_CASE_C)
    default: break;
    }
    return ezc_cpu_bad_dtype("affine", x->dtype, err);
}

/* Along an axis: for inner == 1 the factors vary along the contiguous run;
 * otherwise each (outer, i) row of `inner` elements shares one factor. */
#define DEF_AFFINE_AXIS(E, T, S, R)                                                                \
    static void affine_axis_##S(const T *x, T *y, size_t outer, size_t n, size_t inner,            \
                                const double *sc, const double *of)                                \
    {                                                                                              \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *xo = x + o * n * inner;                                                       \
            T *yo = y + o * n * inner;                                                             \
            if (inner == 1) {                                                                      \
                if (sc && of) {                                                                    \
                    _Pragma("GCC ivdep") for (size_t i = 0; i < n; i++) yo[i] =                    \
                        xo[i] * (R)sc[i] + (R)of[i];                                               \
                } else if (sc) {                                                                   \
                    _Pragma("GCC ivdep") for (size_t i = 0; i < n; i++) yo[i] = xo[i] * (R)sc[i];  \
                } else {                                                                           \
                    _Pragma("GCC ivdep") for (size_t i = 0; i < n; i++) yo[i] = xo[i] + (R)of[i];  \
                }                                                                                  \
                continue;                                                                          \
            }                                                                                      \
            for (size_t i = 0; i < n; i++) {                                                       \
                R s = sc ? (R)sc[i] : 1, f = of ? (R)of[i] : 0;                                    \
                EW_MAP(T, T, xo + i * inner, yo + i * inner, inner, v * s + f);                    \
            }                                                                                      \
        }                                                                                          \
    }
DEF_AFFINE_AXIS(EZC_FLOAT32, float, f32, float)
DEF_AFFINE_AXIS(EZC_FLOAT64, double, f64, double)
DEF_AFFINE_AXIS(EZC_COMPLEX64, float _Complex, c64, float)
DEF_AFFINE_AXIS(EZC_COMPLEX128, double _Complex, c128, double)

#define AFFINE_AXIS_CASE(E, T, S)                                                                  \
    case E: affine_axis_##S(xd, yd, outer, n, inner, scale, offset); return 0;

int ezc_cpu_affine_axis(const ezc_array *x, ezc_array *y, int axis, const double *scale,
                        const double *offset, ezc_error *err)
{
    const char *op = "affine_axis";
    int rc = ezc_cpu_check(op, "x", x, err);
    if (rc || (rc = check_map(op, x, y, x->dtype, err)) || (rc = ezc_xp_axis(op, x, &axis, err)))
        return rc;
    if (!ezc_array_size(y)) /* no output: O(elements) work, not O(other dims) */
        return 0;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    if (!scale && !offset)
        return ezc_cpu_copy(x, y, err);
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    switch (x->dtype) {
        EZC_CPU_FLOATS(AFFINE_AXIS_CASE)
        EZC_CPU_COMPLEX(AFFINE_AXIS_CASE)
    default: break;
    }
    return ezc_cpu_bad_dtype(op, x->dtype, err);
}

/* ---- clip ---------------------------------------------------------------- */

/* min(max(v, lo), hi) with lo already lowered to hi when lo > hi; a NaN v
 * fails both comparisons and passes through. Written as (b < a ? b : a) and
 * (a > b ? a : b) with v second, the shapes x86 maxps/minps implement
 * exactly (they return the second operand when one is NaN). */
#define CLIP_LO(v, lo) ((lo) > (v) ? (lo) : (v))
#define CLIP_EXPR(v, lo, hi) ((hi) < CLIP_LO(v, lo) ? (hi) : CLIP_LO(v, lo))

#define CLIP_FLOAT(E, T, S)                                                                        \
    case E: {                                                                                      \
        T h = (T)hi, l = (T)lo > h ? h : (T)lo;                                                    \
        EW_MAP(T, T, xd, yd, n, CLIP_EXPR(v, l, h));                                               \
        return 0;                                                                                  \
    }
#define CLIP_INT(E, T, S)                                                                          \
    case E: {                                                                                      \
        T h = (T)ihi, l = (T)ilo > h ? h : (T)ilo;                                                 \
        EW_MAP(T, T, xd, yd, n, CLIP_EXPR(v, l, h));                                               \
        return 0;                                                                                  \
    }

EW_SIMD int ezc_cpu_clip(const ezc_array *x, ezc_array *y, double lo, double hi, ezc_error *err)
{
    int rc = ezc_cpu_check("clip", "x", x, err);
    if (rc || (rc = check_map("clip", x, y, x->dtype, err)))
        return rc;
    if (isnan(lo) || isnan(hi))
        return ezc_error_set(err, EZC_EINVAL, "xp.clip: bound is NaN (lo %g, hi %g)", lo, hi);
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    size_t n = ezc_array_size(x);
    double tmin, tend, ilo = 0, ihi = 0;
    if (ezc_dtype_is_int(x->dtype) && ezc_cpu_int_range(x->dtype, &tmin, &tend)) {
        /* Bounds round inward, then into the dtype's range. */
        double tmax = nextafter(tend, 0.0);
        ilo = fmin(fmax(ceil(lo), tmin), tmax);
        ihi = fmin(fmax(floor(hi), tmin), tmax);
    }
    switch (x->dtype) {
        EZC_CPU_FLOATS(CLIP_FLOAT)
        EZC_CPU_INTS(CLIP_INT)
    default: break;
    }
    return ezc_cpu_bad_dtype("clip", x->dtype, err);
}

/* ---- pow ----------------------------------------------------------------- */

#define POW_CASE(E, T, S)                                                                          \
    case E: {                                                                                      \
        T q = (T)p;                                                                                \
        if (p == 2.0)                                                                              \
            EW_MAP(T, T, xd, yd, n, v *v);                                                         \
        else if (p == 1.0)                                                                         \
            EW_MAP(T, T, xd, yd, n, v);                                                            \
        else                                                                                       \
            EW_MAP(T, T, xd, yd, n, M_POW(v, q));                                                  \
        return 0;                                                                                  \
    }

int ezc_cpu_pow(const ezc_array *x, ezc_array *y, double p, ezc_error *err)
{
    int rc = ezc_cpu_check("pow", "x", x, err);
    if (rc || (rc = check_map("pow", x, y, x->dtype, err)))
        return rc;
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    size_t n = ezc_array_size(x);
    switch (x->dtype) {
        EZC_CPU_FLOATS(POW_CASE)
    default: break;
    }
    return ezc_cpu_bad_dtype("pow", x->dtype, err);
}

/* ---- binary -------------------------------------------------------------- */

#define DEF_BINARY_FLOAT(E, T, S)                                                                  \
    EW_SIMD static int binary_##S(ezc_binary_op op, const void *a_, const void *b_, void *y,       \
                                  size_t n)                                                        \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_BINARY_ADD: EW_MAP2(T, a_, b_, y, n, a + b); return 0;                            \
        case EZC_BINARY_SUB: EW_MAP2(T, a_, b_, y, n, a - b); return 0;                            \
        case EZC_BINARY_MUL: EW_MAP2(T, a_, b_, y, n, a *b); return 0;                             \
        case EZC_BINARY_DIV: EW_MAP2(T, a_, b_, y, n, a / b); return 0;                            \
        case EZC_BINARY_MIN: EW_MAP2(T, a_, b_, y, n, F_MIN(a, b)); return 0;                      \
        case EZC_BINARY_MAX: EW_MAP2(T, a_, b_, y, n, F_MAX(a, b)); return 0;                      \
        case EZC_BINARY_ATAN2: EW_MAP2(T, a_, b_, y, n, M_ATAN2(a, b)); return 0;                  \
        case EZC_BINARY_HYPOT: EW_MAP2(T, a_, b_, y, n, M_HYPOT(a, b)); return 0;                  \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_FLOATS(DEF_BINARY_FLOAT)

/* Integer division is left out: numpy's `/` would change the dtype and `//`
 * has its own rules; neither is what "a, b, y of one dtype" promises. */
#define DEF_BINARY_INT(E, T, S)                                                                    \
    static int binary_##S(ezc_binary_op op, const void *a_, const void *b_, void *y, size_t n)     \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_BINARY_ADD: EW_MAP2(T, a_, b_, y, n, WRAP(T, U64(a) + U64(b))); return 0;         \
        case EZC_BINARY_SUB: EW_MAP2(T, a_, b_, y, n, WRAP(T, U64(a) - U64(b))); return 0;         \
        case EZC_BINARY_MUL: EW_MAP2(T, a_, b_, y, n, WRAP(T, U64(a) * U64(b))); return 0;         \
        case EZC_BINARY_MIN: EW_MAP2(T, a_, b_, y, n, a < b ? a : b); return 0;                    \
        case EZC_BINARY_MAX: EW_MAP2(T, a_, b_, y, n, a > b ? a : b); return 0;                    \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_INTS(DEF_BINARY_INT)

#define DEF_BINARY_CPLX(E, T, S)                                                                   \
    static int binary_##S(ezc_binary_op op, const void *a_, const void *b_, void *y, size_t n)     \
    {                                                                                              \
        switch (op) {                                                                              \
        case EZC_BINARY_ADD: EW_MAP2(T, a_, b_, y, n, a + b); return 0;                            \
        case EZC_BINARY_SUB: EW_MAP2(T, a_, b_, y, n, a - b); return 0;                            \
        case EZC_BINARY_MUL: EW_MAP2(T, a_, b_, y, n, a *b); return 0;                             \
        case EZC_BINARY_DIV: EW_MAP2(T, a_, b_, y, n, a / b); return 0;                            \
        default: return 1;                                                                         \
        }                                                                                          \
    }
EZC_CPU_COMPLEX(DEF_BINARY_CPLX)

#define BINARY_CASE(E, T, S)                                                                       \
    case E: bad = binary_##S(op, ad, bd, yd, n); break;

int ezc_cpu_binary(ezc_binary_op op, const ezc_array *a, const ezc_array *b, ezc_array *y,
                   ezc_error *err)
{
    if ((unsigned)op >= EZC_BINARY_COUNT)
        return ezc_error_set(err, EZC_EINVAL, "xp.binary: unknown op %d", (int)op);
    char name[48];
    snprintf(name, sizeof name, "binary(%s)", binary_names[op]);
    int rc;
    if ((rc = ezc_cpu_check(name, "a", a, err)) || (rc = ezc_cpu_check(name, "b", b, err)) ||
        (rc = ezc_cpu_check(name, "y", y, err)))
        return rc;
    if (b->dtype != a->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.%s: a is %s but b is %s", name,
                             ezc_dtype_name(a->dtype), ezc_dtype_name(b->dtype));
    if ((rc = ezc_xp_same_shape(name, "a", a, "b", b, err)) ||
        (rc = check_map(name, a, y, a->dtype, err)) ||
        (rc = ezc_xp_no_partial_overlap(name, b, y, err)))
        return rc;
    const void *ad = ezc_array_data(a), *bd = ezc_array_data(b);
    void *yd = ezc_array_data(y);
    size_t n = ezc_array_size(a);
    int bad = 1;
    switch (a->dtype) {
        EZC_CPU_REALS(BINARY_CASE)
        EZC_CPU_COMPLEX(BINARY_CASE)
    default: break;
    }
    return bad ? ezc_cpu_bad_dtype(name, a->dtype, err) : 0;
}
