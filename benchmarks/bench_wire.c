/* bench_wire.c — header encode and decode for a [100 time, 64 ch] float32
 * message with a linear time axis and 64 channel labels, next to two
 * baselines from the same run: memcpy of the header bytes, and msgpack-c's
 * own object unpacker on the same bytes (which validates nothing). */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ezc/ezc.h"

#define ITERS 20000
#define REPS 9

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, REPS, sizeof *v, cmp);
    return v[REPS / 2];
}

int main(void)
{
    ezc_error err;
    int64_t shape[2] = {100, 64};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_zeros(EZC_FLOAT32, 2, shape, dims, &err);
    ezc_array_set_linear_axis(a, 0, 1.0 / 1000, 12.5, "s");
    char names[64][8];
    const char *labels[64];
    for (int c = 0; c < 64; c++) {
        snprintf(names[c], sizeof names[c], "ch%02d", c);
        labels[c] = names[c];
    }
    ezc_array_set_coord_labels(a, 1, labels, 64, "", &err);
    ezc_array_set_key(a, "amp-1", &err);
    ezc_wire_encoder *enc = ezc_wire_encoder_new(&err);
    ezc_buffer *data = ezc_buffer_new_host(ezc_array_nbytes(a), &err);
    const void *h;
    size_t hl;
    ezc_wire_encode_header(enc, a, &h, &hl, &err);
    char *copy = malloc(hl), *dst = malloc(hl);
    memcpy(copy, h, hl);
    double t_enc[REPS], t_dec[REPS], t_both[REPS], t_memcpy[REPS], t_unpack[REPS];
    volatile size_t sink = 0;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    for (int r = 0; r < REPS; r++) {
        double t0 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            ezc_wire_encode_header(enc, a, &h, &hl, &err);
            sink += hl;
        }
        double t1 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            ezc_array *b;
            ezc_wire_decode(copy, hl, data, &b, &err);
            ezc_array_destroy(&b);
        }
        double t2 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            ezc_array *b;
            ezc_wire_encode_header(enc, a, &h, &hl, &err);
            ezc_wire_decode(h, hl, data, &b, &err);
            ezc_array_destroy(&b);
        }
        double t3 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            memcpy(dst, copy, hl);
            sink += (size_t)dst[i % hl];
        }
        double t4 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            msgpack_object obj;
            size_t off = 0;
            msgpack_unpack(copy, hl, &off, &zone, &obj);
            msgpack_zone_clear(&zone);
        }
        double t5 = now_ns();
        t_enc[r] = (t1 - t0) / ITERS;
        t_dec[r] = (t2 - t1) / ITERS;
        t_both[r] = (t3 - t2) / ITERS;
        t_memcpy[r] = (t4 - t3) / ITERS;
        t_unpack[r] = (t5 - t4) / ITERS;
    }
    double unpack = median(t_unpack);
    printf("wire: header of [100 time, 64 ch] float32, linear time axis, 64 labels: %zu bytes\n",
           hl);
    printf("median of %d runs x %d iterations, ns per header\n", REPS, ITERS);
    printf("%-34s %9s %14s\n", "", "ns", "vs msgpack_unpack");
    printf("%-34s %9.0f %14.2f\n", "ezc encode", median(t_enc), median(t_enc) / unpack);
    printf("%-34s %9.0f %14.2f\n", "ezc decode (validating)", median(t_dec),
           median(t_dec) / unpack);
    printf("%-34s %9.0f %14.2f   target < 5000\n", "ezc encode + decode", median(t_both),
           median(t_both) / unpack);
    printf("%-34s %9.0f %14.2f\n", "baseline: msgpack-c msgpack_unpack", unpack, 1.0);
    printf("%-34s %9.0f %14.2f\n", "baseline: memcpy of the bytes", median(t_memcpy),
           median(t_memcpy) / unpack);
    msgpack_zone_destroy(&zone);
    free(copy);
    free(dst);
    ezc_buffer_unref(&data);
    ezc_wire_encoder_destroy(&enc);
    ezc_array_destroy(&a);
    return sink == 0;
}
