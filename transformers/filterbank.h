/* filterbank.h — the streaming core that filterbank and filterbankdesign
 * share (internal to transformers/): K FIR kernels run in parallel over
 * one stream, from a state of zeros (ezmsg-sigproc's overlap-add), the
 * output with a new dim for the kernels: [.., axis, ..] -> [others..,
 * new_axis, axis]. */
#ifndef EZC_FILTERBANK_H
#define EZC_FILTERBANK_H

#include "ezc/plugin.h"

/* Designs nk kernels for sampling rate fs (Hz): *taps malloc'ed nk * ntaps
 * doubles, row k kernel k, shorter kernels padded with zeros at the end. */
typedef int (*ezc_fbank_design_fn)(const void *ctx, double fs, double **taps, int64_t *nk,
                                   int64_t *ntaps, ezc_error *err);

typedef struct ezc_fbank {
    char axis[EZC_NAME_MAX], new_axis[EZC_NAME_MAX];
    ezc_fbank_design_fn design; /* NULL: taps fixed at init */
    const void *ctx;
    double *taps; /* owned: nk x ntaps */
    int64_t nk, ntaps;
    ezc_template tpl;
    ezc_array *hist; /* the last ntaps - 1 input samples; zeros at a reset */
    int64_t *idx;
    size_t idx_cap;
    ezc_buffer *ext_cache, *stack_cache, *out_cache;
} ezc_fbank;

/* Fixed kernels (taps copied, nk x ntaps) or a design (taps NULL). */
int ezc_fbank_init(ezc_fbank *fb, const char *axis, const char *new_axis, const double *taps,
                   int64_t nk, int64_t ntaps, ezc_fbank_design_fn design, const void *ctx,
                   ezc_error *err);
void ezc_fbank_fini(ezc_fbank *fb);
/* Filters `in` (consumed) into *out. Integers become float64; complex and
 * bool are refused. */
int ezc_fbank_process(ezc_fbank *fb, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err);

#endif
