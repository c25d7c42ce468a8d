/* fir_design.c — windowed-sinc and equiripple FIR design, written from
 * scipy.signal's documented definitions (firwin, kaiserord, get_window,
 * remez).
 *
 * remez is a Remez multiple exchange on scipy's dense grid (16 points per
 * coefficient, built band by band the same way, band edges included), so
 * that the design settles on the same discrete minimax optimum as scipy's
 * (the optimum on a grid is unique); the taps are then read off the
 * optimal cosine polynomial by an inverse DFT of its values at numtaps
 * points. */
#include "fir_design.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ezc_fir_window_parse(const char *name)
{
    static const struct {
        const char *name;
        ezc_fir_window w;
    } names[] = {
        {"hamming", EZC_WIN_HAMMING},    {"hann", EZC_WIN_HANN},         {"hanning", EZC_WIN_HANN},
        {"blackman", EZC_WIN_BLACKMAN},  {"bartlett", EZC_WIN_BARTLETT}, {"boxcar", EZC_WIN_BOXCAR},
        {"rectangular", EZC_WIN_BOXCAR}, {"none", EZC_WIN_BOXCAR},       {"kaiser", EZC_WIN_KAISER},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i].name) == 0)
            return (int)names[i].w;
    return -1;
}

/* Modified Bessel function of the first kind, order 0: its power series,
 * which converges for every x (terms shrink once k > x / 2). */
static double bessel_i0(double x)
{
    double q = x * x / 4, term = 1, sum = 1;
    for (int k = 1; k < 500; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

void ezc_fir_window_values(ezc_fir_window w, double beta, int64_t n, double *out)
{
    if (n <= 1) {
        for (int64_t i = 0; i < n; i++)
            out[i] = 1;
        return;
    }
    double step = 2 * M_PI / (double)(n - 1), half = (double)(n - 1) / 2;
    for (int64_t i = 0; i < n; i++) {
        /* general_cosine's fac: numpy.linspace(-pi, pi, n) */
        double fac = i == n - 1 ? M_PI : (double)i * step - M_PI;
        switch (w) {
        case EZC_WIN_HAMMING: out[i] = 0.54 + 0.46 * cos(fac); break;
        case EZC_WIN_HANN: out[i] = 0.5 + 0.5 * cos(fac); break;
        case EZC_WIN_BLACKMAN: out[i] = 0.42 + 0.5 * cos(fac) + 0.08 * cos(2 * fac); break;
        case EZC_WIN_BARTLETT:
            out[i] = (double)i <= half ? 2.0 * (double)i / (double)(n - 1)
                                       : 2.0 - 2.0 * (double)i / (double)(n - 1);
            break;
        case EZC_WIN_BOXCAR: out[i] = 1; break;
        case EZC_WIN_KAISER: {
            double r = ((double)i - half) / half;
            out[i] = bessel_i0(beta * sqrt(1 - r * r)) / bessel_i0(beta);
            break;
        }
        }
    }
}

double ezc_kaiser_beta(double a)
{
    if (a > 50)
        return 0.1102 * (a - 8.7);
    if (a > 21)
        return 0.5842 * pow(a - 21, 0.4) + 0.07886 * (a - 21);
    return 0;
}

double ezc_kaiser_atten(int64_t numtaps, double width)
{
    return 2.285 * (double)(numtaps - 1) * M_PI * width + 7.95;
}

int ezc_kaiserord(double ripple, double width, int64_t *numtaps, double *beta, ezc_error *err)
{
    double a = fabs(ripple);
    if (!(a >= 8) || !isfinite(a))
        return ezc_error_set(err, EZC_EINVAL,
                             "ripple %g dB: the Kaiser formula needs at least 8 dB", ripple);
    if (!(width > 0 && width <= 1))
        return ezc_error_set(err, EZC_EINVAL,
                             "transition width %g (fraction of Nyquist): expected (0, 1]", width);
    double n = ceil((a - 7.95) / 2.285 / (M_PI * width) + 1);
    if (n > 1e6)
        return ezc_error_set(err, EZC_EINVAL,
                             "ripple %g dB with width %g needs %.0f taps: more than 1000000",
                             ripple, width, n);
    *numtaps = (int64_t)n;
    *beta = ezc_kaiser_beta(a);
    return 0;
}

int ezc_fir_pass_zero(const char *who, const char *text, size_t ncut, int *pass_zero,
                      ezc_error *err)
{
    static const char *const kinds[4] = {"lowpass", "bandstop", "highpass", "bandpass"};
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        *pass_zero = text[0] == 't';
        return 0;
    }
    for (int k = 0; k < 4; k++) {
        if (strcmp(text, kinds[k]) != 0)
            continue;
        int one = k % 2 == 0; /* lowpass, highpass: exactly one cutoff */
        if (one ? ncut != 1 : ncut < 2)
            return ezc_error_set(err, EZC_EINVAL,
                                 "%s: setting 'pass_zero' = '%s' needs %s cutoff, got %zu", who,
                                 text, one ? "exactly one" : "at least two", ncut);
        *pass_zero = k < 2;
        return 0;
    }
    return ezc_error_set(err, EZC_EINVAL,
                         "%s: setting 'pass_zero' = '%s': expected true, false, lowpass, "
                         "highpass, bandpass or bandstop",
                         who, text);
}

static double sinc(double x)
{
    double y = M_PI * (x == 0 ? 1.0e-20 : x);
    return sin(y) / y;
}

int ezc_firwin(int64_t numtaps, const double *cutoff, int ncut, ezc_fir_window w, double beta,
               int pass_zero, int scale, double *h, ezc_error *err)
{
    if (numtaps < 1)
        return ezc_error_set(err, EZC_EINVAL, "%lld taps: expected at least 1", (long long)numtaps);
    if (ncut < 1)
        return ezc_error_set(err, EZC_EINVAL, "no cutoff frequency given");
    for (int i = 0; i < ncut; i++) {
        if (!(cutoff[i] > 0 && cutoff[i] < 1))
            return ezc_error_set(err, EZC_EINVAL,
                                 "cutoff %g (fraction of Nyquist) must lie in (0, 1)", cutoff[i]);
        if (i && !(cutoff[i] > cutoff[i - 1]))
            return ezc_error_set(err, EZC_EINVAL, "cutoff frequencies must strictly increase");
    }
    int pass_nyq = (ncut & 1) ^ (pass_zero != 0);
    if (pass_nyq && numtaps % 2 == 0)
        return ezc_error_set(err, EZC_EINVAL,
                             "%lld taps: an even number of taps must have zero response at "
                             "Nyquist (use an odd number)",
                             (long long)numtaps);
    /* edges with 0 and/or 1 added: pairs of passband edges */
    double e[66];
    int ne = 0;
    if (ncut > 64)
        return ezc_error_set(err, EZC_EINVAL, "%d cutoff frequencies: at most 64", ncut);
    if (pass_zero)
        e[ne++] = 0;
    for (int i = 0; i < ncut; i++)
        e[ne++] = cutoff[i];
    if (pass_nyq)
        e[ne++] = 1;
    double alpha = 0.5 * (double)(numtaps - 1);
    for (int64_t i = 0; i < numtaps; i++)
        h[i] = 0;
    for (int b = 0; b < ne; b += 2) {
        double left = e[b], right = e[b + 1];
        for (int64_t i = 0; i < numtaps; i++) {
            double m = (double)i - alpha;
            h[i] += right * sinc(right * m);
            h[i] -= left * sinc(left * m);
        }
    }
    double *win = malloc((size_t)numtaps * sizeof *win);
    if (!win)
        return ezc_error_set(err, EZC_ENOMEM, "out of memory");
    ezc_fir_window_values(w, beta, numtaps, win);
    for (int64_t i = 0; i < numtaps; i++)
        h[i] *= win[i];
    free(win);
    if (scale) {
        double left = e[0], right = e[1];
        double f = left == 0 ? 0.0 : right == 1 ? 1.0 : 0.5 * (left + right), s = 0;
        for (int64_t i = 0; i < numtaps; i++)
            s += h[i] * cos(M_PI * ((double)i - alpha) * f);
        for (int64_t i = 0; i < numtaps; i++)
            h[i] /= s;
    }
    return 0;
}

/* ---- remez ------------------------------------------------------------------ */

typedef struct remez_problem {
    double *grid, *des, *wt; /* dense grid (fractions of fs), desired, weight */
    int ngrid;
    int r;      /* cosine coefficients (numtaps = 2r - 1); r + 1 extremal points */
    double *x;  /* 2 pi f at the extremal points (the abscissae are cos of these) */
    double *cx; /* cos x */
    double *ad; /* barycentric weights */
    double *y;  /* values of the interpolant at the extremal points */
} remez_problem;

/* scipy's grid: from each band's lower edge in steps of 0.5 / (16 r)
 * (accumulated), the last point below the upper edge replaced by it. */
static int build_grid(remez_problem *p, const double *bands, int nbands, const double *desired,
                      const double *weight, int hilbert)
{
    double delf = 0.5 / (16.0 * p->r);
    int cap = 16 * p->r * 2 + 4 * nbands + 16, n = 0;
    p->grid = malloc((size_t)cap * sizeof(double));
    p->des = malloc((size_t)cap * sizeof(double));
    p->wt = malloc((size_t)cap * sizeof(double));
    if (!p->grid || !p->des || !p->wt)
        return -1;
    for (int b = 0; b < nbands; b++) {
        double f = bands[2 * b], fup = bands[2 * b + 1];
        if (hilbert && b == 0 && f < delf) /* the weight vanishes at 0 */
            f = delf;
        for (;;) {
            if (n >= cap)
                return -1;
            p->grid[n] = f;
            p->des[n] = desired[b];
            p->wt[n] = weight[b];
            n++;
            f += delf;
            if (!(f <= fup))
                break;
        }
        p->grid[n - 1] = fup;
    }
    /* Hilbert (odd length): A(f) = sin(2 pi f) P(f) vanishes at 0 and fs/2,
     * so the cosine polynomial P is fitted to D / sin with weight W sin,
     * and the point at fs/2 (if within a step of it) is left out */
    if (hilbert && n > 0 && p->grid[n - 1] > 0.5 - delf)
        n--;
    for (int i = 0; hilbert && i < n; i++) {
        double c = sin(2 * M_PI * p->grid[i]);
        p->des[i] /= c;
        p->wt[i] *= c;
    }
    p->ngrid = n;
    return 0;
}

/* cos a - cos b (ca, cb their cosines) to about 1e-14 relative however
 * close a and b are: the plain difference where it is at least 0.01 (its
 * rounding is 1e-16 absolute), else the product form. */
static double cos_diff(double a, double ca, double b, double cb)
{
    double d = ca - cb;
    return fabs(d) >= 0.01 ? d : -2 * sin((a + b) / 2) * sin((a - b) / 2);
}

/* Barycentric weights of the extremal points, each product taken with
 * factors 2 (x_j - x_k) so that it stays near 1 for hundreds of points. */
static void weights(remez_problem *p, int nz)
{
    for (int j = 0; j < nz; j++) {
        double q = 1;
        for (int k = 0; k < nz; k++)
            if (k != j)
                q *= 2 * cos_diff(p->x[j], p->cx[j], p->x[k], p->cx[k]);
        p->ad[j] = 1 / q;
    }
}

/* The interpolant through (x_j, y_j) at x = cos(2 pi f). */
static double interp(const remez_problem *p, int nz, double f)
{
    double t = 2 * M_PI * f, ct = cos(t), num = 0, den = 0;
    for (int j = 0; j < nz; j++) {
        if (t == p->x[j])
            return p->y[j];
        double d = cos_diff(t, ct, p->x[j], p->cx[j]);
        double c = p->ad[j] / d;
        num += c * p->y[j];
        den += c;
    }
    return num / den;
}

/* One exchange: from the extremal set ext (nz indices into the grid, in
 * increasing order), the levelled deviation and the new set. Returns the
 * number of indices that changed, or -1 if the new set is short. */
static int exchange(remez_problem *p, int *ext, int nz, double *err_buf, int *cand,
                    double *delta_out)
{
    for (int j = 0; j < nz; j++)
        p->cx[j] = cos(p->x[j] = 2 * M_PI * p->grid[ext[j]]);
    weights(p, nz);
    double num = 0, den = 0;
    for (int j = 0; j < nz; j++) {
        num += p->ad[j] * p->des[ext[j]];
        den += (j % 2 ? -1.0 : 1.0) * p->ad[j] / p->wt[ext[j]];
    }
    double delta = num / den;
    for (int j = 0; j < nz; j++)
        p->y[j] = p->des[ext[j]] - (j % 2 ? -1.0 : 1.0) * delta / p->wt[ext[j]];
    *delta_out = fabs(delta);
    /* weighted error on the whole grid; local extrema at least |delta| */
    for (int i = 0; i < p->ngrid; i++)
        err_buf[i] = p->wt[i] * (interp(p, nz, p->grid[i]) - p->des[i]);
    /* the error is a difference of numbers near the desired values: its
     * rounding is absolute, so the floor gives way by that much */
    double scale = 0;
    for (int i = 0; i < p->ngrid; i++)
        scale = fmax(scale, p->wt[i] * (1 + fabs(p->des[i])));
    double noise = 1e-13 * scale, floor_ = fabs(delta) * (1 - 1e-9) - noise;
    int nc = 0;
    for (int i = 0; i < p->ngrid; i++) {
        double e = err_buf[i], a = fabs(e);
        if (a < floor_)
            continue;
        double prev = i > 0 ? err_buf[i - 1] : 0, next = i + 1 < p->ngrid ? err_buf[i + 1] : 0;
        int peak = e > 0 ? (i == 0 || e >= prev) && (i + 1 == p->ngrid || e >= next)
                         : (i == 0 || e <= prev) && (i + 1 == p->ngrid || e <= next);
        if (!peak)
            continue;
        /* alternation: of neighbours with one sign keep the larger */
        if (nc > 0 && (err_buf[cand[nc - 1]] > 0) == (e > 0)) {
            if (a > fabs(err_buf[cand[nc - 1]]))
                cand[nc - 1] = i;
            continue;
        }
        cand[nc++] = i;
    }
    if (nc < nz || fabs(delta) < 1e4 * noise) {
        /* too few alternating peaks, or a deviation lost in the rounding (a
         * degenerate first guess): move each point to the largest error of
         * its expected sign between its neighbours */
        double sg = delta > 0 ? -1.0 : 1.0;
        int changed = 0;
        for (int j = 0; j < nz; j++, sg = -sg) {
            int lo = j ? ext[j - 1] + 1 : 0, hi = j + 1 < nz ? ext[j + 1] - 1 : p->ngrid - 1;
            int best = ext[j];
            for (int i = lo; i <= hi; i++)
                if (sg * err_buf[i] > sg * err_buf[best])
                    best = i;
            changed += best != ext[j];
            ext[j] = best;
        }
        return changed ? changed : -1;
    }
    int lo = 0, hi = nc - 1;
    while (hi - lo + 1 > nz) { /* drop the smaller end: alternation holds */
        if (fabs(err_buf[cand[lo]]) < fabs(err_buf[cand[hi]]))
            lo++;
        else
            hi--;
    }
    int changed = 0;
    for (int j = 0; j < nz; j++) {
        changed += ext[j] != cand[lo + j];
        ext[j] = cand[lo + j];
    }
    return changed;
}

static int remez_run(int64_t numtaps, const double *bands, int nbands, const double *desired,
                     const double *weight, int hilbert, double *h, ezc_error *err)
{
    if (numtaps < 3 || numtaps % 2 == 0 || numtaps > 100001)
        return ezc_error_set(err, EZC_EINVAL, "remez: %lld taps: expected an odd number >= 3",
                             (long long)numtaps);
    for (int i = 0; i < 2 * nbands; i++)
        if (!(bands[i] >= 0 && bands[i] <= 0.5) || (i && !(bands[i] > bands[i - 1])))
            return ezc_error_set(err, EZC_EINVAL,
                                 "remez: band edges must increase within [0, fs/2]");
    for (int b = 0; b < nbands; b++)
        if (!(weight[b] > 0) || !isfinite(desired[b]))
            return ezc_error_set(err, EZC_EINVAL, "remez: band %d has weight %g: expected > 0", b,
                                 weight[b]);
    remez_problem p = {.r = hilbert ? (int)(numtaps / 2) : (int)(numtaps + 1) / 2};
    int nz = p.r + 1, rc = 0;
    int *ext = malloc((size_t)nz * sizeof *ext), *cand = NULL;
    double *ebuf = NULL;
    p.x = malloc((size_t)nz * sizeof(double));
    p.cx = malloc((size_t)nz * sizeof(double));
    p.ad = malloc((size_t)nz * sizeof(double));
    p.y = malloc((size_t)nz * sizeof(double));
    if (!ext || !p.x || !p.cx || !p.ad || !p.y ||
        build_grid(&p, bands, nbands, desired, weight, hilbert)) {
        rc = ezc_error_set(err, EZC_ENOMEM, "remez: out of memory");
        goto done;
    }
    if (p.ngrid < nz) {
        rc = ezc_error_set(err, EZC_EINVAL, "remez: the bands are too narrow for %lld taps",
                           (long long)numtaps);
        goto done;
    }
    ebuf = malloc((size_t)p.ngrid * sizeof *ebuf);
    cand = malloc((size_t)p.ngrid * sizeof *cand);
    if (!ebuf || !cand) {
        rc = ezc_error_set(err, EZC_ENOMEM, "remez: out of memory");
        goto done;
    }
    /* first guess: equally spaced along the grid, as scipy's */
    double step = (double)(p.ngrid - 1) / (double)p.r;
    for (int j = 0; j < p.r; j++)
        ext[j] = (int)((double)j * step);
    ext[p.r] = p.ngrid - 1;
    int it, changed = 1;
    double delta = 0;
    for (it = 0; it < 100 && changed; it++) {
        changed = exchange(&p, ext, nz, ebuf, cand, &delta);
        if (changed < 0) {
            rc = ezc_error_set(err, EZC_ENUMERIC, "remez: lost the alternation (iteration %d)",
                               it + 1);
            goto done;
        }
    }
    if (changed) {
        rc = ezc_error_set(err, EZC_ENUMERIC, "remez: did not converge in %d iterations", it);
        goto done;
    }
    /* the final interpolant (ext settled, x/ad/y of the last exchange) */
    for (int j = 0; j < nz; j++)
        p.cx[j] = cos(p.x[j] = 2 * M_PI * p.grid[ext[j]]);
    weights(&p, nz);
    {
        double num = 0, den = 0;
        for (int j = 0; j < nz; j++) {
            num += p.ad[j] * p.des[ext[j]];
            den += (j % 2 ? -1.0 : 1.0) * p.ad[j] / p.wt[ext[j]];
        }
        double dl = num / den;
        for (int j = 0; j < nz; j++)
            p.y[j] = p.des[ext[j]] - (j % 2 ? -1.0 : 1.0) * dl / p.wt[ext[j]];
    }
    int64_t n = numtaps;
    double *amp = ebuf; /* reuse: p.r values */
    if (hilbert) {
        /* A(f) = sin(2 pi f) P(f) = sum_m g_m sin(2 pi m f), m = 1 .. M:
         * g_m by the sine transform of A at k / N; h[M -+ m] = +-g_m / 2 */
        int64_t mid = (n - 1) / 2;
        for (int64_t k = 1; k <= mid; k++) {
            double f = (double)k / (double)n;
            amp[k - 1] = sin(2 * M_PI * f) * interp(&p, nz, f);
        }
        h[mid] = 0;
        for (int64_t m = 1; m <= mid; m++) {
            double g = 0;
            for (int64_t k = 1; k <= mid; k++)
                g += amp[k - 1] * sin(2 * M_PI * (double)((k * m) % n) / (double)n);
            g *= 4 / (double)n;
            h[mid - m] = g / 2;
            h[mid + m] = -g / 2;
        }
        goto done;
    }
    /* taps: A(f) = a0 + sum a_k cos(2 pi k f) sampled at m / N, inverse DFT */
    for (int m = 0; m < p.r; m++)
        amp[m] = interp(&p, nz, (double)m / (double)n);
    double c = (double)(n - 1) / 2;
    for (int64_t i = 0; i <= (n - 1) / 2; i++) {
        double s = amp[0];
        for (int m = 1; m < p.r; m++)
            s += 2 * amp[m] * cos(2 * M_PI * (double)m * ((double)i - c) / (double)n);
        h[i] = h[n - 1 - i] = s / (double)n;
    }
done:
    free(ext);
    free(cand);
    free(ebuf);
    free(p.x);
    free(p.cx);
    free(p.ad);
    free(p.y);
    free(p.grid);
    free(p.des);
    free(p.wt);
    return rc;
}

int ezc_remez(int64_t numtaps, const double *bands, int nbands, const double *desired,
              const double *weight, double *h, ezc_error *err)
{
    return remez_run(numtaps, bands, nbands, desired, weight, 0, h, err);
}

int ezc_remez_hilbert(int64_t numtaps, const double *bands, int nbands, const double *desired,
                      const double *weight, double *h, ezc_error *err)
{
    return remez_run(numtaps, bands, nbands, desired, weight, 1, h, err);
}
