/* bench_xp_cuda.c — element-wise transformers' ops on the GPU against the
 * device's own copy bandwidth, measured in the same run: 64 Mi float32,
 * in place, CUDA events, median of 20 after a warm-up. Bytes counted as
 * read + written for both. Then a 16 MiB GPU -> GPU hop between two
 * processes over ipc:// (CUDA IPC; the sender is this program re-executed)
 * beside a device -> host -> device copy of the same bytes. Exits 77
 * without a GPU. */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cuda/ipc.h"
#include "ezc/ezc.h"

#define N ((int64_t)64 << 20)
#define REPS 20

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef int (*op_fn)(const ezc_xp *, ezc_array *, ezc_error *);
static int op_abs(const ezc_xp *xp, ezc_array *a, ezc_error *e)
{
    return ezc_xp_call(xp, unary, e, EZC_UNARY_ABS, a, a);
}
static int op_clip(const ezc_xp *xp, ezc_array *a, ezc_error *e)
{
    return ezc_xp_call(xp, clip, e, a, a, -0.5, 0.5);
}
static int op_scale(const ezc_xp *xp, ezc_array *a, ezc_error *e)
{
    return ezc_xp_call(xp, affine, e, a, a, 1.0001, 0.0);
}
static int op_log(const ezc_xp *xp, ezc_array *a, ezc_error *e)
{
    return ezc_xp_call(xp, unary, e, EZC_UNARY_LOG10, a, a);
}

/* ---- 16 MiB GPU -> GPU between processes over ipc:// (CUDA IPC) ------- */

#define HOP_BYTES (16u << 20)
#define HOP_MSGS 60
#define HOP_WARM 10

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Child: HOP_MSGS arrays of 16 MiB on cuda:0, one every 20 ms (latency,
 * not throughput); stays until its stdin closes (the leases). */
static int hop_sender(const char *endpoint)
{
    ezc_error err;
    ezc_pub *p = ezc_pub_new(endpoint, NULL, &err);
    if (!p || ezc_pub_wait_subscribers(p, 1, 20000, &err)) {
        fprintf(stderr, "sender: %s\n", err.msg);
        return 1;
    }
    int64_t n = HOP_BYTES / 4;
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 1, &n, NULL, ezc_device_cuda(0), &err);
    ezc_xp_of(a, &err)->fill(a, 1.5, &err);
    for (int k = 0; k < HOP_MSGS; k++) {
        if (ezc_pub_send(p, "hop", a, &err)) {
            fprintf(stderr, "sender: %s\n", err.msg);
            return 1;
        }
        struct timespec d = {0, 20 * 1000000};
        nanosleep(&d, NULL);
    }
    char buf[16];
    while (fread(buf, 1, sizeof buf, stdin) > 0)
        ;
    ezc_array_destroy(&a);
    ezc_pub_destroy(&p);
    return 0;
}

static void bench_ipc_hop(const char *self)
{
    ezc_error err;
    char endpoint[128], cmd[4096 + 256];
    snprintf(endpoint, sizeof endpoint, "ipc:///tmp/ezc-bench-cuda-ipc-%d", (int)getpid());
    ezc_sub *s = ezc_sub_new(endpoint, "", NULL, &err);
    snprintf(cmd, sizeof cmd, "'%s' --ipc-sender '%s'", self, endpoint);
    FILE *child = s ? popen(cmd, "w") : NULL;
    if (!child) {
        fprintf(stderr, "ipc hop: cannot start the sender\n");
        return;
    }
    double lat[HOP_MSGS];
    int got = 0;
    ezc_cuda_ipc_counters c0, c1;
    ezc_cuda_ipc_counters_get(&c0);
    for (int k = 0; k < HOP_MSGS; k++) {
        ezc_array *b = NULL;
        if (ezc_sub_recv(s, &b, 20000, &err)) {
            fprintf(stderr, "ipc hop: %s\n", err.msg);
            break;
        }
        double l = now_ms() - (double)b->ts_ns / 1e6; /* send stamp to received on the device */
        if (k >= HOP_WARM)
            lat[got++] = l;
        ezc_array_destroy(&b);
    }
    ezc_cuda_ipc_counters_get(&c1);
    pclose(child);
    ezc_sub_destroy(&s);
    /* baseline: the same bytes device -> host -> device in one process */
    int64_t n = HOP_BYTES / 4;
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 1, &n, NULL, ezc_device_cuda(0), &err);
    ezc_xp_of(a, &err)->fill(a, 1.5, &err);
    double base[REPS];
    for (int r = -2; r < REPS; r++) {
        double t = now_ms();
        ezc_array *h = ezc_array_to_device(a, ezc_device_cpu(), &err);
        ezc_array *back = ezc_array_to_device(h, ezc_device_cuda(0), &err);
        if (r >= 0)
            base[r] = now_ms() - t;
        ezc_array_destroy(&h);
        ezc_array_destroy(&back);
    }
    ezc_array_destroy(&a);
    if (got == 0)
        return;
    qsort(lat, (size_t)got, sizeof lat[0], cmp_d);
    qsort(base, REPS, sizeof base[0], cmp_d);
    printf(
        "\nxp_cuda: 16 MiB GPU -> GPU between processes over ipc:// (CUDA IPC handle, device copy"
        " in the receiver), %d messages every 20 ms, one-way send stamp -> array on the device\n",
        got);
    printf("%-24s %10s %10s %8s\n", "path", "p50 ms", "p99 ms", "vs d2h2d");
    printf("%-24s %10.3f %10.3f %8.2f\n", "ipc:// cuda_ipc hop", lat[got / 2], lat[got * 99 / 100],
           lat[got / 2] / base[REPS / 2]);
    printf("%-24s %10.3f %10.3f %8s\n", "d2h + h2d copy (1 proc)", base[REPS / 2], base[REPS - 1],
           "1.00");
    printf("receiver counters: %llu IPC receives, %llu host copies during the hop\n",
           (unsigned long long)(c1.ipc_receives - c0.ipc_receives),
           (unsigned long long)(c1.host_copies - c0.host_copies));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--ipc-sender") == 0)
        return hop_sender(argv[2]);
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
        cudaMemcpyAsync(ezc_array_data(b), ezc_array_data(a), bytes, cudaMemcpyDeviceToDevice,
                        cudaStreamPerThread);
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
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        bench_ipc_hop(self);
    }
    return 0;
}
