/* stream_align.h — time-aligns two streams (not installed): what align and
 * merge share. Each port buffers its samples along the alignment dim (a
 * linear axis: the sampling times) up to `buffer_dur` seconds; whenever
 * both hold samples, the leading samples of the earlier one that the other
 * cannot match are dropped and the common samples are read out in pairs.
 * Every dropped sample is counted per port and reported as an error (the
 * node counts it), so nothing goes missing silently and memory stays
 * bounded. The samples that pair are kept for the next call then. */
#ifndef EZC_STREAM_ALIGN_H
#define EZC_STREAM_ALIGN_H

#include "ezc/plugin.h"

typedef struct ezc_align_side {
    ezc_array *held;       /* buffered samples, NULL when none */
    ezc_buffer *pool[2];   /* what held lives in after a join */
    ezc_buffer *out_cache; /* what a read writes into */
    int axis;              /* the alignment dim's index in held */
} ezc_align_side;

typedef struct ezc_stream_align {
    const char *tf;
    const char *axis_setting; /* the setting naming it, for messages */
    const char *axis;         /* the alignment dim (NULL or "": the first) */
    const char *port[2];      /* ports in messages: "a", "b" (renamed after init) */
    double buffer_dur, gain_rtol;
    ezc_align_side side[2];
    int64_t *iota; /* 0, 1, 2, ... for reads */
    size_t niota;
    uint64_t dropped[2]; /* samples dropped per port, ever */
} ezc_stream_align;

/* Reads setting `axis_setting` (the alignment dim, default "time"),
 * `buffer_dur` and `gain_rtol`; the errors name tf, the setting and the
 * value. */
int ezc_stream_align_init(ezc_stream_align *al, const char *tf, const ezc_settings *s,
                          const char *axis_setting, ezc_error *err);
void ezc_stream_align_fini(ezc_stream_align *al);
/* Buffers `in` (consumed) from port 0 or 1. When both ports hold samples of
 * common times, *a and *b receive them (the caller owns them; equal lengths
 * along the alignment dim, a's times); otherwise both are NULL. Samples
 * dropped on the way (times the other port has passed, a buffer over
 * buffer_dur, a port restarted by a new template, gap or rate) make the
 * call return EZC_EINVAL saying how many and why, with *a = *b = NULL; what
 * pairs is returned by the next call. A message without a linear
 * alignment axis is refused (EZC_EINVAL; nothing is buffered). */
int ezc_stream_align_push(ezc_stream_align *al, int port, ezc_array *in, ezc_array **a,
                          ezc_array **b, ezc_error *err);

/* The buffer of one side, for transformers that pair samples otherwise
 * (resampleconcat interpolates): */
/* Samples side sd holds along its alignment dim (0 when none). */
int64_t ezc_align_held_len(const ezc_align_side *sd);
/* True when `in` can follow side sd's held samples: the same dtype, device,
 * dims and lengths but along the alignment dim (`axis` in `in`), and the
 * same rate (within gain_rtol). */
int ezc_align_same_template(const ezc_stream_align *al, const ezc_align_side *sd,
                            const ezc_array *in, int axis);
/* Appends in (consumed) to side s's held samples; axis: the alignment dim. */
int ezc_align_append(ezc_stream_align *al, int s, ezc_array *in, int axis, ezc_error *err);
/* Buffers `in` (consumed) from port s, its alignment dim at index axis (a
 * linear axis, checked by the caller): what side s holds is dropped first
 * when in cannot follow it (other dims, dtype or rate, or a jump in time),
 * then in is appended, then the oldest samples beyond buffer_dur are
 * dropped. Dropped samples are added to lost[s]; the reason is written to
 * why (cap bytes) when why is still empty. 0, or the error of a failed
 * append or drop (EZC_ENOMEM). */
int ezc_align_take(ezc_stream_align *al, int s, ezc_array *in, int axis, uint64_t lost[2],
                   char *why, size_t cap, ezc_error *err);
/* The error for samples dropped without a partner: EZC_EINVAL saying
 * lost[] per port, why and the totals (al->dropped); 0 when lost[] is 0. */
int ezc_align_report(const ezc_stream_align *al, const uint64_t lost[2], const char *why,
                     ezc_error *err);
/* Removes the first k held samples of side s (all when k >= its length).
 * With count, they are dropped: added to *count and al->dropped[s];
 * without, they were read. */
int ezc_align_drop_front(ezc_stream_align *al, int s, int64_t k, uint64_t *count, ezc_error *err);

#endif
