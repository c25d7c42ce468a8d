/* bench_tf.h — what the transformer benchmarks share: the same noise input
 * the scipy side generates its own of (uniform in [-1, 1), [time, ch] at a
 * linear time axis), and the time of a whole stream through a transformer
 * message by message. */
#ifndef EZC_BENCH_TF_H
#define EZC_BENCH_TF_H

#include "ezc/ezc.h"
#include "bench_util.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* [nt, nch] float64 noise (a fixed LCG, so runs compare), time axis at fs.
 * Exits through bench_die naming prog on failure. */
static inline ezc_array *bench_tf_noise(const char *prog, int64_t nt, int64_t nch, double fs)
{
    ezc_error err = {0};
    int64_t shape[2] = {nt, nch};
    const char *dims[2] = {"time", "ch"};
    ezc_array *x = ezc_array_new(EZC_FLOAT64, 2, shape, dims, ezc_device_cpu(), &err);
    if (!x)
        bench_die(prog, "alloc", err.msg);
    ezc_array_set_linear_axis(x, 0, 1.0 / fs, 0, "s");
    unsigned s = 12345;
    double *v = ezc_array_data(x);
    for (size_t i = 0; i < ezc_array_size(x); i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (double)((s >> 8) & 0xffff) / 32768.0 - 1.0;
    }
    return x;
}

/* Milliseconds to run all of x (messages of `chunk` samples along axis 0)
 * through a fresh type{kv: nkv strings, name then value}, median of reps
 * (at most 16). */
static inline double bench_tf_stream_ms(const char *prog, const ezc_transformer_type *type,
                                        const char *const *kv, int nkv, const ezc_array *x,
                                        int64_t chunk, int reps)
{
    ezc_error err = {0};
    ezc_settings *set = ezc_settings_new(&err);
    for (int i = 0; i + 1 < nkv; i += 2)
        if (!set || ezc_settings_set(set, kv[i], kv[i + 1], NULL, &err))
            bench_die(prog, "settings", err.msg);
    double times[16];
    reps = reps < 1 ? 1 : reps > 16 ? 16 : reps;
    for (int r = 0; r < reps; r++) {
        ezc_transformer *tf = ezc_transformer_new(type, set, &err);
        if (!tf)
            bench_die(prog, type->name, err.msg);
        double t0 = bench_now();
        for (int64_t at = 0; at < x->shape[0]; at += chunk) {
            ezc_array *c = ezc_array_slice(x, 0, at, at + chunk, &err), *y = NULL;
            if (!c || ezc_transformer_process(tf, 0, c, &y, &err))
                bench_die(prog, "process", err.msg);
            ezc_array_destroy(&y);
        }
        times[r] = (bench_now() - t0) * 1e3;
        ezc_transformer_destroy(&tf);
    }
    ezc_settings_destroy(&set);
    return bench_median(times, reps);
}

/* Lane-FMAs per second: 16 independent chains (enough to hide the
 * latency), best of 5 runs of 2^22 steps. */
#if defined(__x86_64__)
__attribute__((target("avx512f"))) static inline double fma_rate_avx512(void)
{
    double best = 0;
    for (int r = 0; r < 5; r++) {
        __m512d acc[16], m = _mm512_set1_pd(0.999999), a = _mm512_set1_pd(1e-9);
        for (int k = 0; k < 16; k++)
            acc[k] = _mm512_set1_pd((double)k);
        double t0 = bench_now();
        for (int i = 0; i < 1 << 22; i++)
            for (int k = 0; k < 16; k++)
                acc[k] = _mm512_fmadd_pd(acc[k], m, a);
        double dt = bench_now() - t0;
        __m512d s = acc[0];
        for (int k = 1; k < 16; k++)
            s = _mm512_add_pd(s, acc[k]);
        if (_mm512_reduce_add_pd(s) == 42.0) /* keeps the loop */
            printf(" ");
        double rate = 16.0 * 8.0 * (double)(1 << 22) / dt;
        best = rate > best ? rate : best;
    }
    return best;
}

__attribute__((target("avx2,fma"))) static inline double fma_rate_avx2(void)
{
    double best = 0;
    for (int r = 0; r < 5; r++) {
        __m256d acc[16], m = _mm256_set1_pd(0.999999), a = _mm256_set1_pd(1e-9);
        for (int k = 0; k < 16; k++)
            acc[k] = _mm256_set1_pd((double)k);
        double t0 = bench_now();
        for (int i = 0; i < 1 << 22; i++)
            for (int k = 0; k < 16; k++)
                acc[k] = _mm256_fmadd_pd(acc[k], m, a);
        double dt = bench_now() - t0;
        double out[4], sum = 0;
        for (int k = 0; k < 16; k++) {
            _mm256_storeu_pd(out, acc[k]);
            sum += out[0] + out[1] + out[2] + out[3];
        }
        if (sum == 42.0)
            printf(" ");
        double rate = 16.0 * 4.0 * (double)(1 << 22) / dt;
        best = rate > best ? rate : best;
    }
    return best;
}
#endif

/* The machine's fused multiply-add rate in this process (lane-FMAs per
 * second with the widest vectors it has; *isa names them), 0 when unknown:
 * the bound a filter's FMA count divided by it gives. */
static inline double bench_fma_rate(const char **isa)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        *isa = "AVX-512";
        return fma_rate_avx512();
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *isa = "AVX2";
        return fma_rate_avx2();
    }
#endif
    *isa = "none";
    return 0;
}

#endif
