/* bench_curve.c — what CURVE costs on a tcp:// edge: the same ezc publisher
 * and subscriber over tcp://127.0.0.1, plaintext and CURVE-encrypted, in
 * the same run.
 *
 * For float32 100x64 (25.6 KB) and 1 MiB messages, a publisher thread sends
 * as fast as the subscriber (this thread) takes them (back-pressure, hwm
 * 100) for about a second; messages/s and MB/s are counted at the
 * subscriber from its first message. Each case runs REPEATS times,
 * plaintext and CURVE alternating, and the median is printed with the ratio
 * CURVE / plaintext. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ezc/ezc.h"

#define HWM 100
#define SECONDS 1.0
#define REPEATS 5

static char dir[] = "/tmp/ezc-bench-curve.XXXXXX";
static char key_srv[600], pub_srv[600], key_cli[600], allow[600];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_curve: %s: %s\n", what, why);
    exit(1);
}

typedef struct {
    ezc_pub *pub;
    ezc_array *a;
    atomic_int stop;
} sender;

static void *send_loop(void *arg)
{
    sender *s = arg;
    ezc_error err;
    while (!atomic_load(&s->stop))
        if (ezc_pub_send(s->pub, "b", s->a, &err))
            die("send", err.msg);
    if (ezc_pub_send_eos(s->pub, "b", &err))
        die("send eos", err.msg);
    return NULL;
}

/* One measurement: messages per second received. */
static double run_once(int curve, size_t bytes)
{
    ezc_error err;
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.hwm = HWM;
    if (curve) {
        po.curve_server_key = key_srv;
        po.curve_allow_dir = allow;
    }
    sender s = {0};
    if (!(s.pub = ezc_pub_new("tcp://127.0.0.1:*", &po, &err)))
        die("pub", err.msg);
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    so.hwm = HWM;
    if (curve) {
        so.curve_client_key = key_cli;
        so.curve_server_pub = pub_srv;
    }
    ezc_sub *sub = ezc_sub_new(ezc_pub_endpoint(s.pub), "", &so, &err);
    if (!sub)
        die("sub", err.msg);
    if (ezc_pub_wait_subscribers(s.pub, 1, 5000, &err))
        die("wait", err.msg);
    const int64_t shape[1] = {(int64_t)(bytes / 4)};
    const char *dims[1] = {"time"};
    s.a = ezc_array_new(EZC_FLOAT32, 1, shape, dims, ezc_device_cpu(), &err);
    if (!s.a)
        die("array", err.msg);
    memset(ezc_array_data(s.a), 0x3f, bytes);
    pthread_t th;
    pthread_create(&th, NULL, send_loop, &s);
    double t0 = 0, t1 = 0;
    long n = 0;
    for (;;) {
        ezc_array *in = NULL;
        int rc = ezc_sub_recv(sub, &in, 5000, &err);
        if (rc == EZC_EEOS)
            break;
        if (rc)
            die("recv", err.msg);
        ezc_array_destroy(&in);
        double t = now_s();
        if (!t0) {
            t0 = t;
        } else if (!atomic_load(&s.stop)) {
            n++;
            t1 = t;
            if (t - t0 >= SECONDS)
                atomic_store(&s.stop, 1); /* then drain up to the end of stream */
        }
    }
    pthread_join(th, NULL);
    ezc_array_destroy(&s.a);
    ezc_sub_destroy(&sub);
    ezc_pub_destroy(&s.pub);
    return n / (t1 - t0);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    if (!ezc_curve_available()) {
        printf("bench_curve: libzmq has no CURVE; skipped\n");
        return 77;
    }
    if (!mkdtemp(dir))
        die("mkdtemp", dir);
    char name[600];
    ezc_error err;
    snprintf(name, sizeof name, "%s/srv", dir);
    if (ezc_curve_keygen(name, &err))
        die("keygen", err.msg);
    snprintf(allow, sizeof allow, "%s/allow", dir);
    snprintf(name, sizeof name, "%s/allow/cli", dir);
    if (mkdir(allow, 0700) || ezc_curve_keygen(name, &err))
        die("keygen", err.msg);
    snprintf(key_srv, sizeof key_srv, "%s/srv.key", dir);
    snprintf(pub_srv, sizeof pub_srv, "%s/srv.pub", dir);
    snprintf(key_cli, sizeof key_cli, "%s/cli.key", dir);
    /* the secret key stays out of the allowed folder: only .pub files count */
    char moved[600];
    snprintf(moved, sizeof moved, "%s/cli.key", dir);
    snprintf(name, sizeof name, "%s/allow/cli.key", dir);
    if (rename(name, moved))
        die("rename", name);

    const size_t sizes[2] = {100 * 64 * 4, 1 << 20};
    const char *names[2] = {"25.6 KB (float32 100x64)", "1 MiB"};
    printf("CURVE vs plaintext over tcp://127.0.0.1 (one process, publisher thread, hwm %d), "
           "median of %d runs of %.0f s:\n",
           HWM, REPEATS, SECONDS);
    printf("%-26s %14s %10s %14s %10s %8s\n", "message", "plain msg/s", "MB/s", "curve msg/s",
           "MB/s", "ratio");
    for (int k = 0; k < 2; k++) {
        double plain[REPEATS], curve[REPEATS];
        for (int r = 0; r < REPEATS; r++) {
            plain[r] = run_once(0, sizes[k]);
            curve[r] = run_once(1, sizes[k]);
        }
        qsort(plain, REPEATS, sizeof *plain, by_value);
        qsort(curve, REPEATS, sizeof *curve, by_value);
        double p = plain[REPEATS / 2], c = curve[REPEATS / 2];
        printf("%-26s %14.0f %10.1f %14.0f %10.1f %8.2f\n", names[k], p, p * sizes[k] / 1e6, c,
               c * sizes[k] / 1e6, c / p);
    }
    snprintf(name, sizeof name, "rm -rf '%s'", dir);
    if (system(name) != 0)
        fprintf(stderr, "bench_curve: could not remove %s\n", dir);
    return 0;
}
