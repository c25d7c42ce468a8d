/* tf_util.h — what the built-in transformers share (not installed).
 *
 * Small steps every transformer repeats: finding the axis a setting names,
 * getting a writable floating-point array to compute on, and running an
 * element-wise step on it with the usual ownership rules. */
#ifndef EZC_TF_UTIL_H
#define EZC_TF_UTIL_H

#include "ezc/plugin.h"

/* The index of the dim named `axis` in a (NULL or "": the last dim);
 * EZC_ENOTFOUND naming the transformer and the setting otherwise:
 * "diff: setting 'axis' = 'time': the message has no such dim (dims: ch, win)". */
int ezc_tf_axis(const char *tf, const ezc_array *a, const char *axis, int *index, ezc_error *err);

/* Makes *x writable floating point in place of the caller's reference:
 * float (and complex, when allow_complex) arrays are made writable
 * (copied only when shared); integers and bool become float64, as numpy
 * promotes them. On error *x is destroyed. */
int ezc_tf_writable_float(const char *tf, ezc_array **x, int allow_complex, const ezc_xp *xp,
                          ezc_error *err);

/* An element-wise step on a writable floating array. */
typedef int (*ezc_tf_map_fn)(const void *st, ezc_array *x, const ezc_xp *xp, ezc_error *err);

/* The body of an element-wise transformer's process: consumes in, runs fn
 * on a writable float version of it (ezc_tf_writable_float), sets *out. */
int ezc_tf_map(const char *tf, int allow_complex, ezc_array *in, ezc_array **out, const ezc_xp *xp,
               ezc_tf_map_fn fn, const void *st, ezc_error *err);

/* Reads a list setting that may hold one number (for every index) or one
 * per index along an axis: *n is 1 or the list length. */
int ezc_tf_floats(const ezc_settings *s, const char *name, double dflt, double **out, size_t *n,
                  ezc_error *err);

/* The values along dim `axis` of a, on the host, into *buf (grown as
 * needed; *cap its length): linear offset + gain * i, numeric coordinates,
 * or the indices i when the dim has neither (*numeric = 0 then; numeric may
 * be NULL). */
int ezc_tf_axis_values(const char *tf, const ezc_array *a, int axis, double **buf, size_t *cap,
                       int *numeric, ezc_error *err);

/* Copies setting `name` of s (a string, a number or a list of numbers) to
 * d as setting `as`, as text; nothing when s has no value for it. For
 * transformers made of others (spectrogram, bandpower). */
int ezc_tf_setting_copy(ezc_settings *d, const ezc_settings *s, const char *name, const char *as,
                        ezc_error *err);

/* Reads `time_constant` (seconds, > 0 and finite) and `axis` for the
 * running-average transformers; the error names tf, the setting and the
 * value. */
int ezc_tf_time_constant(const char *tf, const ezc_settings *s, double *tau, const char **axis,
                         ezc_error *err);

/* y = x with NaN replaced by 0 (x, y: one float dtype and shape; y may not
 * be x). Through xp only: a nansum over an added length-1 axis. */
int ezc_tf_nan_to_zero(const ezc_xp *xp, const ezc_array *x, ezc_array *y, ezc_error *err);

/* Rounds a (float64, writable) to the nearest integer, halves to even, as
 * numpy.round: through xp only (|a| + 2^52 - 2^52 below 2^52, where larger
 * values are integers already). s and m: float64 scratch of a's shape.
 * NaN stays NaN, +-inf stays +-inf. */
int ezc_tf_round_even(const ezc_xp *xp, ezc_array *a, ezc_array *s, ezc_array *m, ezc_error *err);

/* The input of a filter stream (fir_stream, iir_stream): real data with a
 * dim `axis` (its index in *ax); integers become float64 (*x replaced, the
 * original released). On error *x stays the caller's to release; complex
 * and bool are EZC_EDTYPE. */
int ezc_tf_filter_input(ezc_array **x, const char *axis, int *ax, const ezc_xp *xp, ezc_error *err);

/* The integer grid of quantize and digitize: a = round_half_even((clip(x,
 * lo, hi) - lo) / range * scale + offset) in float64 (a: float64 of x's
 * shape; s, m: float64 scratch of that shape). range is hi - lo as the
 * caller computed it; an offset of 0 adds nothing. */
int ezc_tf_to_grid(const ezc_xp *xp, const ezc_array *x, ezc_array *a, ezc_array *s, ezc_array *m,
                   double lo, double hi, double range, double scale, double offset, ezc_error *err);

/* The arrays of quantize and digitize for input x: a, s, m float64 of x's
 * shape and y of dtype out, each from its cache (c[0..3], kept by the
 * caller's state). Complex x is EZC_EDTYPE naming tf. On error every array
 * is NULL; x stays the caller's either way. */
int ezc_tf_grid_arrays(const char *tf, const ezc_array *x, ezc_dtype out, ezc_buffer **c,
                       ezc_array **a, ezc_array **s, ezc_array **m, ezc_array **y, ezc_error *err);

#endif
