/* bench_learn.c — learners on the CPU beside Python doing the same work in
 * the same run (bench_learn.py: numpy for the Kalman equations, scikit-learn
 * for LDA), as microseconds per sample and a ratio; medians of REPS runs.
 *   - kalman, steady state, 96 features -> 4 states, chunks of 20 samples
 *   - lda inference, 3 classes x 256 features, chunks of 100 samples
 *   - cca update (+ projections), 64 + 64 channels, batches of 100 samples
 *   - ssr (LRR) inference, 64 channels, chunks of 100 samples (numpy x - x @ W)
 *   - lda refit, 100 trials x 256 features, lsqr + Ledoit-Wolf (ms per fit)
 *   - sgd / adaptive_linear_regressor, 64 features, one train message per
 *     sample (sklearn partial_fit per sample)
 *
 *   meson test -C build --benchmark learn -v
 * (under load, OPENBLAS_NUM_THREADS=1 steadies both sides) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ezc/ezc.h"
#include "bench_util.h"

#define REPS 7

static void die(const char *what, const ezc_error *err)
{
    bench_die("bench_learn", what, err ? err->msg : "");
}

static ezc_array *load_raw(const char *path, int64_t n, int64_t f)
{
    ezc_error err;
    int64_t shape[2] = {n, f};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 2, shape, dims, ezc_device_cpu(), &err);
    FILE *fp = fopen(path, "rb");
    if (!a || !fp || fread(ezc_array_data(a), 1, ezc_array_nbytes(a), fp) != ezc_array_nbytes(a))
        die(path, NULL);
    fclose(fp);
    return a;
}

/* Median microseconds per sample of t over x in chunks of `chunk`. */
static double time_chunks(const ezc_transformer_type *type, const char *model, const ezc_array *x,
                          int64_t chunk)
{
    ezc_error err;
    double ts[REPS];
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "model", model, "bench", &err);
    int64_t n = x->shape[0], nch = n / chunk;
    ezc_array **parts = malloc((size_t)nch * sizeof *parts);
    for (int64_t c = 0; c < nch; c++)
        if (!(parts[c] = ezc_array_slice(x, 0, c * chunk, (c + 1) * chunk, &err)))
            die("slice", &err);
    for (int r = 0; r < REPS; r++) {
        ezc_transformer *t = ezc_transformer_new(type, s, &err);
        if (!t)
            die(type->name, &err);
        double t0 = bench_now();
        for (int64_t c = 0; c < nch; c++) {
            ezc_array *y = NULL;
            if (ezc_transformer_process(t, 0, ezc_array_clone(parts[c], &err), &y, &err))
                die(type->name, &err);
            ezc_array_destroy(&y);
        }
        ts[r] = (bench_now() - t0) / (double)(nch * chunk) * 1e6;
        ezc_transformer_destroy(&t);
    }
    for (int64_t c = 0; c < nch; c++)
        ezc_array_destroy(&parts[c]);
    free(parts);
    ezc_settings_destroy(&s);
    qsort(ts, REPS, sizeof ts[0], bench_cmp_double);
    return ts[REPS / 2];
}

/* Median microseconds per sample of cca over the x/y batch pairs. */
static double time_cca(const ezc_transformer_type *type, const ezc_array *x, const ezc_array *y,
                       int64_t batch)
{
    ezc_error err;
    double ts[REPS];
    int64_t nb = x->shape[0] / batch;
    ezc_array **px = malloc((size_t)nb * sizeof *px), **py = malloc((size_t)nb * sizeof *py);
    for (int64_t b = 0; b < nb; b++)
        if (!(px[b] = ezc_array_slice(x, 0, b * batch, (b + 1) * batch, &err)) ||
            !(py[b] = ezc_array_slice(y, 0, b * batch, (b + 1) * batch, &err)))
            die("slice", &err);
    for (int r = 0; r < REPS; r++) {
        ezc_transformer *t = ezc_transformer_new(type, NULL, &err);
        if (!t)
            die(type->name, &err);
        double t0 = bench_now();
        for (int64_t b = 0; b < nb; b++) {
            ezc_array *o = NULL;
            if (ezc_transformer_process(t, 0, ezc_array_clone(px[b], &err), &o, &err) ||
                ezc_transformer_process(t, 1, ezc_array_clone(py[b], &err), &o, &err))
                die(type->name, &err);
            ezc_array_destroy(&o);
        }
        ts[r] = (bench_now() - t0) / (double)(nb * batch) * 1e6;
        ezc_transformer_destroy(&t);
    }
    for (int64_t b = 0; b < nb; b++) {
        ezc_array_destroy(&px[b]);
        ezc_array_destroy(&py[b]);
    }
    free(px);
    free(py);
    qsort(ts, REPS, sizeof ts[0], bench_cmp_double);
    return ts[REPS / 2];
}

/* Median time of t's training on port 1: the messages parts[0..np) sent
 * `loops` times to one new transformer per run, divided by `per`. */
static double time_train(const ezc_transformer_type *type, const char *key, const char *value,
                         ezc_array **parts, int64_t np, int loops, double per)
{
    ezc_error err;
    double ts[REPS];
    ezc_settings *s = ezc_settings_new(&err);
    if (key && ezc_settings_set(s, key, value, "bench", &err))
        die(key, &err);
    for (int r = 0; r < REPS; r++) {
        ezc_transformer *t = ezc_transformer_new(type, s, &err);
        if (!t)
            die(type->name, &err);
        double t0 = bench_now();
        for (int l = 0; l < loops; l++)
            for (int64_t c = 0; c < np; c++) {
                ezc_array *y = NULL;
                if (ezc_transformer_process(t, 1, ezc_array_clone(parts[c], &err), &y, &err))
                    die(type->name, &err);
            }
        ts[r] = (bench_now() - t0) / per;
        ezc_transformer_destroy(&t);
    }
    ezc_settings_destroy(&s);
    qsort(ts, REPS, sizeof ts[0], bench_cmp_double);
    return ts[REPS / 2];
}

/* x (n x f) cut into n one-sample messages, labelled from y when given. */
static ezc_array **one_sample_parts(const ezc_array *x, const double *y)
{
    ezc_error err;
    int64_t n = x->shape[0];
    ezc_array **parts = malloc((size_t)n * sizeof *parts);
    for (int64_t i = 0; parts && i < n; i++)
        if (!(parts[i] = ezc_array_slice(x, 0, i, i + 1, &err)) ||
            (y && ezc_array_set_coord_values(parts[i], 0, y + i, 1, "", &err)))
            die("slice", &err);
    return parts;
}

static void free_parts(ezc_array **parts, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        ezc_array_destroy(&parts[i]);
    free(parts);
}

int main(void)
{
    ezc_error err;
    char dir[] = "/tmp/ezc_bench_learn_XXXXXX", cmd[2048], path[512], model[512];
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    const char *py = getenv("EZC_PYTHON") ? getenv("EZC_PYTHON") : "/usr/bin/python3";
    const char *src = getenv("EZC_SOURCE_DIR") ? getenv("EZC_SOURCE_DIR") : "..";
    snprintf(cmd, sizeof cmd, "EZC_SOURCE_DIR=%s %s %s/benchmarks/bench_learn.py %s %d", src, py,
             src, dir, REPS);
    FILE *p = popen(cmd, "r");
    double base_kf = 0, base_lda = 0, base_cca = 0, base_ssr = 0, v;
    double base_ldafit = 0, base_sgd = 0, base_sgdr = 0;
    char name[32];
    while (p && fscanf(p, "%31s %lf", name, &v) == 2) {
        if (!strcmp(name, "kalman"))
            base_kf = v;
        if (!strcmp(name, "lda"))
            base_lda = v;
        if (!strcmp(name, "cca"))
            base_cca = v;
        if (!strcmp(name, "ssr"))
            base_ssr = v;
        if (!strcmp(name, "lda_fit"))
            base_ldafit = v;
        if (!strcmp(name, "sgd"))
            base_sgd = v;
        if (!strcmp(name, "sgd_reg"))
            base_sgdr = v;
    }
    if (!p || pclose(p) != 0 || !base_kf || !base_lda || !base_cca || !base_ssr || !base_ldafit ||
        !base_sgd || !base_sgdr)
        die("python baseline failed", NULL);

    ezc_registry *reg = ezc_registry_new(&err);
    if (!reg || ezc_registry_add_builtins(reg, &err))
        die("registry", &err);
    printf("%-44s %12s %12s %8s\n", "case (CPU, float64)", "ezc us/smp", "python", "ratio");
    snprintf(path, sizeof path, "%s/kf_z.bin", dir);
    snprintf(model, sizeof model, "%s/kf.ezm", dir);
    ezc_array *z = load_raw(path, 4000, 96);
    double kf = time_chunks(ezc_registry_find(reg, "kalman", &err), model, z, 20);
    printf("%-44s %12.3f %12.3f %8.2f\n", "kalman steady 96 -> 4, chunks of 20 (numpy)", kf,
           base_kf, base_kf / kf);
    snprintf(path, sizeof path, "%s/lda_x.bin", dir);
    snprintf(model, sizeof model, "%s/lda.ezm", dir);
    ezc_array *x = load_raw(path, 5000, 256);
    double lda = time_chunks(ezc_registry_find(reg, "lda", &err), model, x, 100);
    printf("%-44s %12.3f %12.3f %8.2f\n", "lda 3 x 256, chunks of 100 (sklearn)", lda, base_lda,
           base_lda / lda);
    snprintf(path, sizeof path, "%s/cca_x.bin", dir);
    ezc_array *cx = load_raw(path, 4000, 64);
    snprintf(path, sizeof path, "%s/cca_y.bin", dir);
    ezc_array *cy = load_raw(path, 4000, 64);
    double cca = time_cca(ezc_registry_find(reg, "cca", &err), cx, cy, 100);
    printf("%-44s %12.3f %12.3f %8.2f\n", "cca 64 + 64, batches of 100 (numpy)", cca, base_cca,
           base_cca / cca);
    snprintf(path, sizeof path, "%s/ssr_x.bin", dir);
    snprintf(model, sizeof model, "%s/ssr.ezm", dir);
    ezc_array *sx = load_raw(path, 5000, 64);
    double ssr = time_chunks(ezc_registry_find(reg, "ssr", &err), model, sx, 100);
    printf("%-44s %12.3f %12.3f %8.2f\n", "ssr (LRR) 64 ch, chunks of 100 (numpy)", ssr, base_ssr,
           base_ssr / ssr);
    ezc_array_destroy(&sx);

    /* training */
    snprintf(path, sizeof path, "%s/ldafit_x.bin", dir);
    ezc_array *fx = load_raw(path, 100, 256), *fy = NULL;
    snprintf(path, sizeof path, "%s/ldafit_y.bin", dir);
    fy = load_raw(path, 100, 1);
    if (ezc_array_set_coord_values(fx, 0, ezc_array_data(fy), 100, "", &err))
        die("labels", &err);
    double fit =
        time_train(ezc_registry_find(reg, "lda", &err), "shrinkage", "auto", &fx, 1, 10, 10 / 1e3);
    printf("%-44s %12.3f %12.3f %8.2f\n", "lda refit 100 x 256, lsqr auto (ms per fit)", fit,
           base_ldafit, base_ldafit / fit);
    snprintf(path, sizeof path, "%s/sgd_x.bin", dir);
    ezc_array *gx = load_raw(path, 2000, 64), *gy = NULL;
    snprintf(path, sizeof path, "%s/sgd_y.bin", dir);
    gy = load_raw(path, 2000, 1);
    ezc_array **gp = one_sample_parts(gx, ezc_array_data(gy));
    double sgd = time_train(ezc_registry_find(reg, "sgd", &err), "classes", "[0, 1]", gp, 2000, 1,
                            2000 / 1e6);
    printf("%-44s %12.3f %12.3f %8.2f\n", "sgd hinge 64 feat., 1 sample/msg (partial_fit)", sgd,
           base_sgd, base_sgd / sgd);
    free_parts(gp, 2000);
    snprintf(path, sizeof path, "%s/sgdr_xt.bin", dir);
    ezc_array *rx = load_raw(path, 2000, 65);
    gp = one_sample_parts(rx, NULL);
    double sgdr = time_train(ezc_registry_find(reg, "adaptive_linear_regressor", &err), NULL, NULL,
                             gp, 2000, 1, 2000 / 1e6);
    printf("%-44s %12.3f %12.3f %8.2f\n", "adaptive_linear_regressor 64, 1 sample/msg", sgdr,
           base_sgdr, base_sgdr / sgdr);
    free_parts(gp, 2000);
    ezc_array_destroy(&fx);
    ezc_array_destroy(&fy);
    ezc_array_destroy(&gx);
    ezc_array_destroy(&gy);
    ezc_array_destroy(&rx);
    printf("(ratio = python time / ezc time: above 1, ezc is faster)\n");
    ezc_array_destroy(&cx);
    ezc_array_destroy(&cy);
    ezc_array_destroy(&z);
    ezc_array_destroy(&x);
    ezc_registry_destroy(&reg);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
