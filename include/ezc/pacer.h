/* pacer.h — real-time pacing of a source: wait until the next message's
 * first sample is due, and notice a source that cannot keep up.
 *
 * The clock is the sample count: sample k is due k / fs seconds after the
 * anchor (CLOCK_MONOTONIC), so pacing never drifts. A source is *behind*
 * when it has been more than one message's worth of samples late at more
 * than EZC_PACER_BEHIND_WAITS waits in a row and produced fewer than fs
 * samples per second over the last EZC_PACER_BEHIND_WAITS of them. A
 * one-off stall (a busy machine, a send that waits for a subscriber) is
 * caught up by sending at once, faster than fs, and so is not "behind";
 * the stall itself leaves the measured window after that many waits. The
 * first time a pacer is behind it logs one warning (ezc/log.h,
 * "ezc[warn]: source 'NAME' cannot keep up with real time: asked ...
 * samples/s, achieving ... samples/s ...").
 *
 * A pacer belongs to one thread; ezc_pacer_behind may be read by it only
 * (copy it where other threads look). No allocation. Fields are private:
 * the struct is public only so that a pacer can live on the stack. */
#ifndef EZC_PACER_H
#define EZC_PACER_H

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_PACER_BEHIND_WAITS 8

typedef struct ezc_pacer {
    char name[64];         /* the source, for the warning */
    double fs;             /* samples per second asked for */
    int64_t chunk;         /* samples per message: "a chunk behind" */
    struct timespec start; /* when sample `base` was due */
    int64_t base;
    int streak;   /* waits in a row late by more than a chunk (at most
                                EZC_PACER_BEHIND_WAITS) */
    int ring_pos; /* the next slot of the ring below */
    int64_t ring_samples[EZC_PACER_BEHIND_WAITS]; /* the last waits of the streak */
    struct timespec ring_t[EZC_PACER_BEHIND_WAITS];
    int warned;
    uint64_t behind; /* messages sent while behind */
} ezc_pacer;

/* Sets the pacer up for a source called name (copied, truncated to 63
 * bytes) producing chunk samples per message at fs samples per second
 * (fs > 0), and anchors it: sample 0 is due now. */
void ezc_pacer_init(ezc_pacer *p, const char *name, double fs, int64_t chunk);

/* Re-anchors: sample `samples` is due now (after a pause the source does
 * not want to catch up on). */
void ezc_pacer_anchor(ezc_pacer *p, int64_t samples);

/* Waits until sample `samples` (the first of the next message) is due,
 * sleeping in slices of at most 50 ms; before each slice stop(ctx) is asked
 * (when stop is not NULL) and ezc_interrupted() looked at. Returns 0 when
 * the sample is due (at once when late: a late source catches up; at
 * once always when fs is not a positive finite rate), or
 * EZC_EINTR when it stopped waiting because of either. Updates the
 * "behind" state and may log its one warning. */
int ezc_pacer_wait(ezc_pacer *p, int64_t samples, int (*stop)(void *ctx), void *ctx);

/* Messages this pacer let go while behind (0: never behind). */
static inline uint64_t ezc_pacer_behind(const ezc_pacer *p)
{
    return p->behind;
}

#ifdef __cplusplus
}
#endif
#endif
