/* filter_stream.h — the streaming cores that butterworth, cheby, filter,
 * decimate, ewma, downsample and the FIR filters share (internal to
 * transformers/).
 *
 * ezc_iir_stream: a cascade of sections run by xp.iir along a named axis,
 * its state (float64, on the data's device) carried from message to message
 * and rebuilt only when ezc_template_changed says the stream changed; the
 * first sample after a reset sets the state to the steady state for that
 * input (scipy's sosfilt_zi/lfilter_zi scaled by the sample), so a filter
 * starts without a step transient — unless zero_start asks for a state of
 * zeros (ewma: ezmsg's EWMA starts from 0 and corrects the bias).
 * ezc_ds_stream: keeps every q-th sample with the phase carried across
 * messages, so chunked and whole runs give the same samples. */
#ifndef EZC_FILTER_STREAM_H
#define EZC_FILTER_STREAM_H

#include "ezc/plugin.h"

/* Designs coefficients for sampling rate fs (Hz; 0 when the axis has no
 * linear gain): *coef malloc'ed, nsec sections of order (see xp.iir). */
typedef int (*ezc_iir_design_fn)(const void *ctx, double fs, double **coef, int *nsec, int *order,
                                 ezc_error *err);

typedef struct ezc_iir_stream {
    char axis[EZC_NAME_MAX];
    ezc_iir_design_fn design; /* NULL: coef given once, kept */
    const void *ctx;
    double *coef; /* owned */
    int nsec, order;
    double *zi_unit; /* nsec * order: state for a constant unit input */
    ezc_template tpl;
    ezc_array *zi;   /* on the data's device */
    int primed;      /* zi set from a first sample since the last reset */
    int zero_start;  /* set by the caller: a reset starts from zeros, not the first sample */
    uint64_t resets; /* streams begun so far (a caller's own per-stream state follows it) */
    ezc_buffer *cache;
    ezc_buffer *prime_cache; /* the first sample as float64, when priming */
} ezc_iir_stream;

/* Fixed coefficients (copied); design NULL. Or design + ctx, coef NULL. */
int ezc_iir_stream_init(ezc_iir_stream *st, const char *axis, const double *coef, int nsec,
                        int order, ezc_iir_design_fn design, const void *ctx, ezc_error *err);
void ezc_iir_stream_fini(ezc_iir_stream *st);
/* Filters `in` (consumed) into *out. Integer data is converted to float64
 * first; complex is refused; a message with no samples along the axis is
 * returned as it is. */
int ezc_iir_stream_process(ezc_iir_stream *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err);
/* Sampling rate of the axis at index ax: 1/gain of a linear axis, else an
 * error naming `who` and the axis. */
int ezc_axis_rate(const ezc_array *a, int ax, double *fs, ezc_error *err);

/* butterworth's settings (order, cuton, cutoff, coef_type; errors name
 * `who`) and its design for a rate (ctx: the params), shared with
 * butterworthzerophase. */
typedef struct ezc_butter_params {
    int order, ba;
    int has_on, has_off;
    double cuton, cutoff;
} ezc_butter_params;
int ezc_butter_params_read(ezc_butter_params *p, const ezc_settings *s, const char *who,
                           ezc_error *err);
int ezc_butter_design(const void *ctx, double fs, double **coef, int *nsec, int *order,
                      ezc_error *err);

/* ezc_fir_stream: taps run by xp.fir along a named axis, the last
 * ntaps - 1 input samples (in the data's dtype, on its device) carried
 * from message to message; at a reset they are filled with the first
 * sample, as if the input had always been equal to it (lfilter_zi x x[0]
 * for an FIR, as ezmsg-sigproc starts its filters). Taps are designed for
 * the stream's sampling rate, again when the template changes. */
typedef int (*ezc_fir_design_fn)(const void *ctx, double fs, double **taps, int64_t *ntaps,
                                 ezc_error *err);

typedef struct ezc_fir_stream {
    char axis[EZC_NAME_MAX];
    ezc_fir_design_fn design;
    const void *ctx;
    double *taps; /* owned, ntaps of them */
    int64_t ntaps;
    ezc_template tpl;
    ezc_array *hist; /* ntaps - 1 samples along the axis; NULL for one tap */
    int64_t *idx;    /* host scratch of ntaps - 1 indices */
    int primed;
    ezc_buffer *ext_cache, *out_cache;
} ezc_fir_stream;

int ezc_fir_stream_init(ezc_fir_stream *st, const char *axis, ezc_fir_design_fn design,
                        const void *ctx);
void ezc_fir_stream_fini(ezc_fir_stream *st);
/* Filters `in` (consumed) into *out, as ezc_iir_stream_process. */
int ezc_fir_stream_process(ezc_fir_stream *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                           ezc_error *err);

typedef struct ezc_ds_stream {
    char axis[EZC_NAME_MAX];
    int64_t factor;     /* > 0 when given */
    double target_rate; /* > 0 when given (factor wins) */
    ezc_template tpl;
    int64_t q;     /* factor in use */
    int64_t phase; /* counter value of the next message's first sample */
    int64_t *idx;  /* host scratch of kept indices */
    size_t idx_cap;
    ezc_buffer *cache;
} ezc_ds_stream;

/* Reads settings axis, target_rate, factor (errors name `who`). */
int ezc_ds_settings(ezc_ds_stream *st, const ezc_settings *s, const char *who, ezc_error *err);
void ezc_ds_stream_fini(ezc_ds_stream *st);
/* The factor for a's rate: factor, or floor(fs / target_rate) (1 when the
 * target is above fs), as ezmsg-sigproc's Downsample. */
int ezc_ds_stream_factor(const ezc_ds_stream *st, const ezc_array *a, int ax, int64_t *q,
                         ezc_error *err);
/* Keeps every q-th sample along the axis (consumes in); the axis's gain is
 * multiplied by q and its offset moved to the first kept sample. */
int ezc_ds_stream_process(ezc_ds_stream *st, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err);

#endif
