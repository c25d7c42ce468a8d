/* pacer.c — real-time pacing for sources (`ezc pub`, a graph's sine/noise/
 * counter nodes): one clock counted in samples, and the "behind" judgement
 * that tells a rate the machine cannot deliver from a passing stall. */
#include <math.h>
#include <stdio.h>
#include "ezc/error.h"
#include "ezc/interrupt.h"
#include "ezc/log.h"
#include "ezc/pacer.h"

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

void ezc_pacer_init(ezc_pacer *p, const char *name, double fs, int64_t chunk)
{
    *p = (ezc_pacer){0};
    snprintf(p->name, sizeof p->name, "%s", name ? name : "source");
    p->fs = fs;
    p->chunk = chunk > 0 ? chunk : 1;
    ezc_pacer_anchor(p, 0);
}

void ezc_pacer_anchor(ezc_pacer *p, int64_t samples)
{
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->base = samples;
    p->streak = p->ring_pos = 0;
}

/* Late by more than a chunk at each of the last EZC_PACER_BEHIND_WAITS
 * waits, and slower than fs between the oldest of them and now: behind. A
 * source catching up after a stall is late too, but runs faster than fs,
 * so it is not; the stall itself leaves the window after as many waits. */
static void judge(ezc_pacer *p, int64_t samples, double late, const struct timespec *now)
{
    if (!(late > (double)p->chunk / p->fs)) {
        p->streak = p->ring_pos = 0;
        return;
    }
    int k = p->ring_pos; /* the oldest slot once full */
    int full = p->streak >= EZC_PACER_BEHIND_WAITS;
    double dt = full ? since(&p->ring_t[k], now) : 0;
    double got = dt > 0 ? (double)(samples - p->ring_samples[k]) / dt : p->fs;
    p->ring_t[k] = *now;
    p->ring_samples[k] = samples;
    p->ring_pos = (k + 1) % EZC_PACER_BEHIND_WAITS;
    if (!full) /* counts up to the window, no further */
        p->streak++;
    if (!full || !(got < p->fs))
        return;
    p->behind++;
    if (p->warned)
        return;
    p->warned = 1;
    ezc_log(EZC_LOG_WARN,
            "source '%s' cannot keep up with real time: asked %g samples/s, achieving %.3g "
            "samples/s (%.3g s behind; said once)",
            p->name, p->fs, got, late);
}

int ezc_pacer_wait(ezc_pacer *p, int64_t samples, int (*stop)(void *ctx), void *ctx)
{
    if (!(p->fs > 0) || !isfinite(p->fs))
        return 0; /* no rate to keep: never wait */
    double due = (double)(samples - p->base) / p->fs;
    for (int first = 1;; first = 0) {
        if ((stop && stop(ctx)) || ezc_interrupted())
            return EZC_EINTR;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = due - since(&p->start, &now);
        if (first)
            judge(p, samples, -left, &now);
        if (left <= 0)
            return 0;
        double step = left < 0.05 ? left : 0.05;
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
}
