/* ezc/synth.h — synthetic signal sources: sine, noise, counter.
 *
 * Each call to ezc_synth_next yields the next chunk of a continuous signal
 * as a [time, ch] array with a linear time axis (gain 1/fs, offset = time
 * of the chunk's first sample since the start) and channel labels ch0.. */
#ifndef EZC_SYNTH_H
#define EZC_SYNTH_H

#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { EZC_SYNTH_SINE, EZC_SYNTH_NOISE, EZC_SYNTH_COUNTER } ezc_synth_kind;

typedef struct ezc_synth_options {
    ezc_synth_kind kind;
    double fs;        /* samples per second; default 1000 */
    int channels;     /* default 8 */
    int chunk;        /* samples per message; default 100 */
    ezc_dtype dtype;  /* default float32 */
    double freq;      /* sine: Hz of channel 0; channel c runs at freq * (c + 1); default 10 */
    double amplitude; /* sine amplitude or noise standard deviation; default 1 */
    uint64_t seed;    /* noise */
    const char *key;  /* stream key; default "synth" */
} ezc_synth_options;

typedef struct ezc_synth ezc_synth;

void ezc_synth_options_init(ezc_synth_options *o);
/* Parses "sine", "noise", "counter". */
int ezc_synth_kind_parse(const char *name, ezc_synth_kind *out, ezc_error *err);
ezc_synth *ezc_synth_new(const ezc_synth_options *o, ezc_error *err);
void ezc_synth_destroy(ezc_synth **s);
/* The next chunk; caller owns it. */
ezc_array *ezc_synth_next(ezc_synth *s, ezc_error *err);
/* Samples produced so far. */
uint64_t ezc_synth_samples(const ezc_synth *s);
/* A generator made again with new options goes on where prev was: the
 * same next sample and, with the same seed, the same random stream. */
void ezc_synth_continue(ezc_synth *s, const ezc_synth *prev);

#ifdef __cplusplus
}
#endif
#endif
