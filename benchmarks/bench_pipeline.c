/* bench_pipeline.c — whole pipelines on every backend that answers (cpu,
 * and cuda:0 on a GPU box), the same transformer code on each, timed per
 * message with the device synchronised, and the GPU's speed-up over the CPU
 * measured in the same run:
 *   - band power on 1024 channels at 30 kHz, messages of 30 ms (900
 *     samples): butterworth order 4 band-pass 70-170 Hz -> window 0.1 s
 *     every 0.05 s -> spectrum (hann, rel_power) -> ranged_aggregate over
 *     (70, 110) and (110, 170) Hz;
 *   - LDA inference, 3 classes x 1024 features, messages of 100 samples;
 *   - Kalman (steady state), 1024 features -> 4 states, messages of 100.
 * Without a GPU the cuda column says why and the CPU figures still print.
 *
 *   meson test -C build --benchmark pipeline -v */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ezc/ezc.h"
#include "bench_util.h"

#define REPS 9

static ezc_registry *reg;

static ezc_transformer *make(const char *type, const char *const *kv)
{
    ezc_error err = {0};
    ezc_settings *s = ezc_settings_new(&err);
    for (int i = 0; kv && kv[i]; i += 2)
        ezc_settings_set(s, kv[i], kv[i + 1], NULL, &err);
    const ezc_transformer_type *t = ezc_registry_find(reg, type, &err);
    ezc_transformer *x = t ? ezc_transformer_new(t, s, &err) : NULL;
    ezc_settings_destroy(&s);
    if (!x)
        bench_die("bench_pipeline", type, err.msg);
    return x;
}

/* [time, ch] float32 noise-like values at fs, starting at sample t0. */
static ezc_array *test_signal(int64_t nt, int64_t nch, double fs, int64_t t0)
{
    ezc_error err = {0};
    int64_t shape[2] = {nt, nch};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
    if (!a)
        bench_die("bench_pipeline", "alloc", err.msg);
    float *v = ezc_array_data(a);
    uint32_t r = (uint32_t)(t0 * 2654435761u + 1);
    for (int64_t i = 0; i < nt * nch; i++) {
        r = r * 1664525u + 1013904223u;
        v[i] = (float)((int32_t)(r >> 8) % 1000) / 1000.0f +
               0.5f * (float)sin(2 * M_PI * 90.0 * (double)(t0 + i / nch) / fs);
    }
    ezc_array_set_linear_axis(a, 0, 1.0 / fs, (double)t0 / fs, "s");
    return a;
}

/* Runs msg through the chain (consumes msg); the last output or NULL. */
static ezc_array *chain(ezc_transformer **t, int n, ezc_array *msg)
{
    ezc_error err = {0};
    for (int i = 0; i < n && msg; i++) {
        ezc_array *out = NULL;
        if (ezc_transformer_process(t[i], 0, msg, &out, &err))
            bench_die("bench_pipeline", t[i]->type->name, err.msg);
        msg = out;
    }
    return msg;
}

static void sync_dev(DLDevice d)
{
    ezc_error err;
    const ezc_xp *xp = ezc_xp_for(d, &err);
    if (xp && xp->sync)
        xp->sync(d, &err);
}

/* Median ms per message of the band-power chain on device d (the input is
 * moved there first, outside the timing), or -1. */
static double bandpower(DLDevice d)
{
    const char *bw[] = {"order", "4", "cuton", "70", "cutoff", "170", NULL};
    const char *win[] = {"window_dur", "0.1", "window_shift", "0.05", "zero_pad_until",
                         "none",       NULL};
    const char *sp[] = {"transform", "rel_power", NULL};
    const char *ra[] = {"axis", "freq", "bands", "[[70, 110], [110, 170]]", NULL};
    ezc_transformer *t[4] = {make("butterworth", bw), make("window", win), make("spectrum", sp),
                             make("ranged_aggregate", ra)};
    const int64_t nt = 900, nch = 1024;
    const double fs = 30000;
    double ms[3 * REPS];
    int n = 0;
    for (int i = 0; i < 3 * REPS + 6; i++) {
        ezc_error err = {0};
        ezc_array *x = test_signal(nt, nch, fs, (int64_t)i * nt), *xd = x;
        if (d.device_type != kDLCPU) {
            xd = ezc_array_to_device(x, d, &err);
            ezc_array_destroy(&x);
            if (!xd)
                bench_die("bench_pipeline", "to_device", err.msg);
        }
        sync_dev(d);
        double t0 = bench_now();
        ezc_array *y = chain(t, 4, xd);
        sync_dev(d);
        double dt = (bench_now() - t0) * 1e3;
        ezc_array_destroy(&y);
        if (i >= 6) /* warm-up: filter state, caches, FFT plans */
            ms[n++] = dt;
    }
    for (int k = 0; k < 4; k++)
        ezc_transformer_destroy(&t[k]);
    return bench_median(ms, n);
}

/* A learner trained on synthetic data on the CPU, then timed on device d:
 * median µs per sample over messages of 100 samples. */
static double learner(const char *type, DLDevice d)
{
    ezc_error err = {0};
    const int64_t f = 1024, n = 2000;
    ezc_transformer *t;
    if (!strcmp(type, "lda")) {
        const char *kv[] = {"solver", "lsqr", "shrinkage", "auto", NULL};
        t = make("lda", kv);
        ezc_array *x = test_signal(n, f, 1000, 0);
        double *lab = malloc((size_t)n * sizeof *lab);
        float *v = ezc_array_data(x);
        for (int64_t i = 0; i < n; i++) { /* 3 classes, shifted means */
            lab[i] = (double)(i % 3);
            for (int64_t j = 0; j < 16; j++)
                v[i * f + j * 7 + (i % 3)] += 1.0f;
        }
        ezc_array_set_coord_values(x, 0, lab, (size_t)n, "", &err);
        free(lab);
        ezc_array *out = NULL;
        if (ezc_transformer_process(t, 1, x, &out, &err))
            bench_die("bench_pipeline", "lda train", err.msg);
    } else {
        const char *kv[] = {"n_states", "4", NULL};
        t = make("kalman", kv);
        ezc_array *z = test_signal(n, f + 4, 1000, 0); /* features then 4 "states" */
        float *v = ezc_array_data(z);
        for (int64_t i = 0; i < n; i++)
            for (int s = 0; s < 4; s++) {
                float st = (float)sin(0.01 * (double)i * (s + 1));
                v[i * (f + 4) + f + s] = st;
                for (int64_t j = s; j < f; j += 4)
                    v[i * (f + 4) + j] += st;
            }
        ezc_array *out = NULL;
        if (ezc_transformer_process(t, 1, z, &out, &err))
            bench_die("bench_pipeline", "kalman train", err.msg);
    }
    double us[REPS];
    for (int r = 0; r < REPS + 2; r++) {
        ezc_array *x = test_signal(100, f, 1000, (int64_t)r * 100), *xd = x;
        if (d.device_type != kDLCPU) {
            xd = ezc_array_to_device(x, d, &err);
            ezc_array_destroy(&x);
            if (!xd)
                bench_die("bench_pipeline", "to_device", err.msg);
        }
        sync_dev(d);
        double t0 = bench_now();
        ezc_array *y = chain(&t, 1, xd);
        sync_dev(d);
        if (r >= 2)
            us[r - 2] = (bench_now() - t0) * 1e6 / 100;
        ezc_array_destroy(&y);
    }
    ezc_transformer_destroy(&t);
    return bench_median(us, REPS);
}

int main(void)
{
    ezc_error err = {0};
    reg = ezc_registry_new(&err);
    if (!reg || ezc_registry_add_builtins(reg, &err))
        bench_die("bench_pipeline", "registry", err.msg);
    int gpu = ezc_xp_for(ezc_device_cuda(0), &err) != NULL;
    char why[EZC_ERROR_MSG_MAX];
    snprintf(why, sizeof why, "%s", gpu ? "" : err.msg);
    DLDevice cpu = ezc_device_cpu(), cu = ezc_device_cuda(0);
    printf("pipelines, same transformer code per backend (median of %d)\n", REPS);
    printf("%-52s %12s %12s %9s\n", "case", "cpu", "cuda:0", "speed-up");
    struct {
        const char *label, *unit;
        double scale;
        int which;
    } rows[3] = {
        {"band power 1024 ch x 30 kHz, 30 ms messages (ms)", "ms", 1, 0},
        {"lda 3 x 1024 features (us per sample)", "us", 1, 1},
        {"kalman 1024 -> 4, steady (us per sample)", "us", 1, 2},
    };
    for (int r = 0; r < 3; r++) {
        double c = rows[r].which == 0 ? bandpower(cpu) : learner(r == 1 ? "lda" : "kalman", cpu);
        char gc[32] = "-", sp[32] = "-";
        if (gpu) {
            double g = rows[r].which == 0 ? bandpower(cu) : learner(r == 1 ? "lda" : "kalman", cu);
            snprintf(gc, sizeof gc, "%.3f", g);
            snprintf(sp, sizeof sp, "%.1fx", c / g);
        }
        printf("%-52s %12.3f %12s %9s\n", rows[r].label, c, gc, sp);
    }
    if (!gpu)
        printf("cuda:0 not measured: %s\n", why);
    ezc_registry_destroy(&reg);
    return 0;
}
