/* filter_design.h — IIR filter design on the host, as scipy.signal does it
 * (internal to transformers/).
 *
 * Butterworth and Chebyshev types I and II: analog prototype zeros/poles/gain, the
 * lowpass/highpass/bandpass/bandstop transform at prewarped frequencies, the
 * bilinear transform, then either second-order sections paired the way
 * scipy.signal.zpk2sos pairs them (so the sections match scipy's to
 * rounding) or one polynomial b/a. Coefficient layout everywhere: per
 * section b0..b_order then a0..a_order, which is what xp.iir reads. */
#ifndef EZC_FILTER_DESIGN_H
#define EZC_FILTER_DESIGN_H

#include "ezc/error.h"

typedef enum { EZC_BAND_LOWPASS, EZC_BAND_HIGHPASS, EZC_BAND_BANDPASS, EZC_BAND_BANDSTOP } ezc_band;

typedef enum {
    EZC_DESIGN_BUTTER, /* scipy.signal.butter */
    EZC_DESIGN_CHEBY1, /* scipy.signal.cheby1, rp dB of passband ripple */
    EZC_DESIGN_CHEBY2  /* scipy.signal.cheby2, rp dB of stopband attenuation */
} ezc_design_family;

typedef struct ezc_filter_spec {
    ezc_design_family family;
    int order; /* >= 1 */
    double rp; /* cheby1: passband ripple, cheby2: stopband attenuation, in dB (> 0) */
    ezc_band band;
    double wn[2]; /* critical frequencies / Nyquist, in (0, 1); wn[1] for band types */
} ezc_filter_spec;

/* Second-order sections as scipy's butter/cheby1/cheby2(output='sos'): *sos gets
 * malloc'ed 6 * *nsec doubles (rows b0 b1 b2 a0 a1 a2), owned by the caller. */
int ezc_filter_design_sos(const ezc_filter_spec *spec, double **sos, int *nsec, ezc_error *err);
/* One section b/a as scipy's butter/cheby1/cheby2(output='ba'): *coef gets
 * malloc'ed 2 * (*order + 1) doubles (b then a). */
int ezc_filter_design_ba(const ezc_filter_spec *spec, double **coef, int *order, ezc_error *err);

/* scipy.signal.lfilter_zi for one section of `order` (coef as above): the
 * transposed direct-form II state after a unit step held forever, order
 * doubles into zi. EZC_ENUMERIC when the filter has no steady state (sum of
 * a is 0). */
int ezc_lfilter_zi(const double *coef, int order, double *zi, ezc_error *err);
/* scipy.signal.sosfilt_zi generalised to a cascade of nsec sections of
 * `order`: nsec * order doubles, each section scaled by the DC gain of the
 * sections before it. */
int ezc_cascade_zi(const double *coef, int nsec, int order, double *zi, ezc_error *err);

#endif
