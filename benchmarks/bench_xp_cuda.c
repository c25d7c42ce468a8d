/* bench_xp_cuda.c — element-wise transformers' ops on the GPU against the
 * device's own copy bandwidth, measured in the same run: 64 Mi float32,
 * in place, CUDA events, median of 20 after a warm-up. Bytes counted as
 * read + written for both. Exits 77 without a GPU. */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include "ezc/ezc.h"

#define N ((int64_t)64 << 20)
#define REPS 20

static int cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef int (*op_fn)(const ezc_xp *, ezc_array *, ezc_error *);
static int op_abs(const ezc_xp *xp, ezc_array *a, ezc_error *e) { return ezc_xp_call(xp, unary, e, EZC_UNARY_ABS, a, a); }
static int op_clip(const ezc_xp *xp, ezc_array *a, ezc_error *e) { return ezc_xp_call(xp, clip, e, a, a, -0.5, 0.5); }
static int op_scale(const ezc_xp *xp, ezc_array *a, ezc_error *e) { return ezc_xp_call(xp, affine, e, a, a, 1.0001, 0.0); }
static int op_log(const ezc_xp *xp, ezc_array *a, ezc_error *e) { return ezc_xp_call(xp, unary, e, EZC_UNARY_LOG10, a, a); }

int main(void)
{
    ezc_error err;
    const ezc_xp *xp = ezc_xp_for(ezc_device_cuda(0), &err);
    if (!xp) {
        printf("skip: %s\n", err.msg);
        return 77;
    }
    int64_t n = N;
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 1, &n, NULL, ezc_device_cuda(0), &err);
    ezc_array *b = ezc_array_new(EZC_FLOAT32, 1, &n, NULL, ezc_device_cuda(0), &err);
    xp->fill(a, 0.25, &err);
    size_t bytes = (size_t)N * 4;
    cudaEvent_t t0, t1;
    cudaEventCreate(&t0);
    cudaEventCreate(&t1);
    float ms[REPS];
    /* baseline: device-to-device copy of the same bytes */
    for (int r = -2; r < REPS; r++) {
        cudaEventRecord(t0, cudaStreamPerThread);
        cudaMemcpyAsync(ezc_array_data(b), ezc_array_data(a), bytes, cudaMemcpyDeviceToDevice, cudaStreamPerThread);
        cudaEventRecord(t1, cudaStreamPerThread);
        cudaEventSynchronize(t1);
        if (r >= 0)
            cudaEventElapsedTime(&ms[r], t0, t1);
    }
    qsort(ms, REPS, sizeof ms[0], cmp);
    double copy_gbs = 2.0 * (double)bytes / (ms[REPS / 2] * 1e-3) / 1e9;
    printf("xp_cuda: 64 Mi float32 in place, median of %d, bytes read+written\n", REPS);
    printf("%-10s %10s %10s %8s\n", "op", "ms", "GB/s", "vs copy");
    printf("%-10s %10.3f %10.1f %8s\n", "d2d copy", ms[REPS / 2], copy_gbs, "1.00");
    const char *names[4] = {"abs", "clip", "scale", "log10"};
    op_fn fns[4] = {op_abs, op_clip, op_scale, op_log};
    for (int k = 0; k < 4; k++) {
        for (int r = -2; r < REPS; r++) {
            xp->fill(a, 0.25, &err);
            /* ops sync themselves; events bracket launch + kernel + sync */
            cudaEventRecord(t0, cudaStreamPerThread);
            if (fns[k](xp, a, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            cudaEventRecord(t1, cudaStreamPerThread);
            cudaEventSynchronize(t1);
            if (r >= 0)
                cudaEventElapsedTime(&ms[r], t0, t1);
        }
        qsort(ms, REPS, sizeof ms[0], cmp);
        double gbs = 2.0 * (double)bytes / (ms[REPS / 2] * 1e-3) / 1e9;
        printf("%-10s %10.3f %10.1f %8.2f\n", names[k], ms[REPS / 2], gbs, gbs / copy_gbs);
    }
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    return 0;
}
