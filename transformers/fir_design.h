/* fir_design.h — FIR design on the host as scipy.signal does it (internal
 * to transformers/): symmetric windows (get_window(..., fftbins=False)),
 * the Kaiser formulas (kaiser_beta, kaiser_atten, kaiserord), the windowed
 * sinc (firwin) and the Parks–McClellan equiripple design (remez, types
 * 'bandpass' and 'hilbert', odd lengths). Frequencies are fractions of Nyquist for the
 * window designs and fractions of fs (0 .. 0.5) for remez, as in scipy. */
#ifndef EZC_FIR_DESIGN_H
#define EZC_FIR_DESIGN_H

#include <stddef.h>
#include <stdint.h>
#include "ezc/error.h"

typedef enum {
    EZC_WIN_HAMMING,
    EZC_WIN_HANN,
    EZC_WIN_BLACKMAN,
    EZC_WIN_BARTLETT,
    EZC_WIN_BOXCAR,
    EZC_WIN_KAISER /* with a beta */
} ezc_fir_window;

/* "hamming" ... "kaiser" ("hanning" and "rectangular"/"none" too); -1 if unknown. */
int ezc_fir_window_parse(const char *name);
/* scipy.signal.get_window(w, n, fftbins=False) into out[n]. */
void ezc_fir_window_values(ezc_fir_window w, double beta, int64_t n, double *out);

double ezc_kaiser_beta(double atten_db);
double ezc_kaiser_atten(int64_t numtaps, double width);
/* scipy.signal.kaiserord(ripple, width): width as a fraction of Nyquist;
 * EZC_EINVAL for ripple < 8 dB (the formula's range) or width not in (0, 1]. */
int ezc_kaiserord(double ripple, double width, int64_t *numtaps, double *beta, ezc_error *err);

/* firwin's pass_zero given as text: "true"/"false", or a band type that
 * needs one ("lowpass", "highpass") or at least two ("bandpass",
 * "bandstop") cutoffs. 0 and *pass_zero set, or EZC_EINVAL naming the
 * setting (`who`: the transformer) and the cutoff count. */
int ezc_fir_pass_zero(const char *who, const char *text, size_t ncut, int *pass_zero,
                      ezc_error *err);

/* scipy.signal.firwin(numtaps, cutoff, window, pass_zero, scale) with cutoff
 * as ncut increasing fractions of Nyquist in (0, 1); pass_zero: DC in the
 * first passband. h gets numtaps values. EZC_EINVAL, naming the problem, for
 * what scipy refuses (an even numtaps with a passband at Nyquist, edges not
 * increasing). */
int ezc_firwin(int64_t numtaps, const double *cutoff, int ncut, ezc_fir_window w, double beta,
               int pass_zero, int scale, double *h, ezc_error *err);

/* scipy.signal.remez(numtaps, bands, desired, weight) for an odd numtaps,
 * type 'bandpass', grid_density 16: nbands bands (2 * nbands increasing
 * edges in [0, 0.5], fractions of fs), one desired value and weight per
 * band. h gets numtaps values. EZC_ENUMERIC when the exchange does not
 * settle. */
int ezc_remez(int64_t numtaps, const double *bands, int nbands, const double *desired,
              const double *weight, double *h, ezc_error *err);
/* The same with type 'hilbert' (odd numtaps: an antisymmetric type III
 * filter, h[(numtaps - 1) / 2] = 0, gain 0 at 0 and fs/2): scipy's grid
 * starts a first band edge below one grid step at that step and leaves out
 * a last point within a step of fs/2. */
int ezc_remez_hilbert(int64_t numtaps, const double *bands, int nbands, const double *desired,
                      const double *weight, double *h, ezc_error *err);

/* scipy.signal.minimum_phase (scipy 1.10, n_fft by default: 2^ceil(log2(2 (n
 * - 1) / 0.01))) of h[n] (n >= 3) into out[n / 2 + n % 2] (*nout set);
 * EZC_EINVAL for fewer than 3 taps or an FFT above 2^22 (about 20,000 taps). */
typedef enum { EZC_MIN_PHASE_NONE, EZC_MIN_PHASE_HILBERT, EZC_MIN_PHASE_HOMOMORPHIC } ezc_min_phase;
/* "none", "hilbert", "homomorphic"; -1 if unknown. */
int ezc_min_phase_parse(const char *name);
int ezc_minimum_phase(const double *h, int64_t n, ezc_min_phase method, double *out, int64_t *nout,
                      ezc_error *err);
/* Each row k of *taps (nk rows of *ntaps, the first len[k] taps of row k
 * the kernel; len NULL: all) made minimum phase, the rows packed again,
 * zero-padded, to the new longest (*taps replaced, *ntaps set). NONE:
 * nothing changes. */
int ezc_min_phase_rows(double **taps, int64_t nk, int64_t *ntaps, const int64_t *len,
                       ezc_min_phase method, ezc_error *err);

#endif
