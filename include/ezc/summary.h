/* summary.h — a message described for people: the header line `ezc echo`
 * prints and a graph's `print` sink shows, and the values under it.
 *
 * Display only: values are read through an explicit copy to the host as
 * float64 (device data included), so none of this belongs on a hot path.
 * Every function writes to the FILE given; none locks it: a caller that
 * shares the stream between threads wraps its calls in flockfile. */
#ifndef EZC_SUMMARY_H
#define EZC_SUMMARY_H

#include <stdio.h>
#include "ezc/array.h"

/* How much of the data a summary shows. */
typedef enum ezc_summary_values {
    EZC_SUMMARY_NONE = 0, /* the header only */
    EZC_SUMMARY_STATS,    /* per channel: first, last, min, max, mean */
    EZC_SUMMARY_FULL      /* every value, one line per row of the last dim */
} ezc_summary_values;

/* "none", "summary" or "full" -> *out; EZC_EINVAL (naming the text and the
 * choices) for anything else. */
int ezc_summary_values_parse(const char *text, ezc_summary_values *out, ezc_error *err);

/* Writes, without a newline:
 *   seq=12 topic=raw key=k dtype=float32 shape=[100, 8] dims=[time, ch]
 *   device=cpu time.offset=1.200000s fs=1000
 * "topic=" only when topic is not NULL; "time.offset= fs=" only when the
 * array has a linear `time` axis. */
void ezc_summary_header(FILE *f, const char *topic, const ezc_array *a);

/* Min and max over every element (NaN skipped). 0, or -1 when there is no
 * such value: no elements, a complex or bool dtype, a copy that failed. */
int ezc_summary_min_max(const ezc_array *a, double *mn, double *mx);

/* Writes the values of a, each line starting with `indent`:
 *   STATS: a line per channel (an index of the last dim; a 0-d or 1-d array
 *          is one channel), at most max_channels of them then one line
 *          saying how many more (max_channels <= 0: all):
 *            ch=3: first=0.1 last=-0.2 min=-1 max=1 mean=0.01 (over 100)
 *          (a channel with a label on the last axis is named by it: "Fz: ...")
 *   FULL:  every value, a line per row of the last dim:
 *            [17]: 0.1 0.2 0.3
 *   NONE:  nothing.
 * Complex and bool data get one line saying their values are not shown;
 * an empty array gets "(no values)". Returns 0, or -1 when the values
 * could not be read (the line written says so). */
int ezc_summary_values_write(FILE *f, const char *indent, const ezc_array *a,
                             ezc_summary_values mode, int max_channels);

#endif
