/* filter_design.c — Butterworth and Chebyshev I/II design the way
 * scipy.signal.iirfilter does it (prototype -> band transform -> bilinear
 * -> zpk2sos or zpk2tf), written from scipy's documented algorithm.
 *
 * The pairing of poles and zeros into sections follows zpk2sos's "nearest"
 * rule step by step (pole nearest the unit circle last, each paired with its
 * nearest zero), with the same orderings and tie-breaking, so the sections
 * come out in scipy's order. Digital designs use scipy's normalisation:
 * frequencies are fractions of Nyquist, prewarped as 4 tan(pi wn / 2). */
#include "filter_design.h"
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ORDER 50
#define MAX_ROOTS (4 * MAX_ORDER + 4)

typedef double complex cplx;

typedef struct zpk {
    cplx z[MAX_ROOTS], p[MAX_ROOTS];
    int nz, np;
    double k;
} zpk;

/* ---- analog prototypes (buttap, cheb1ap, cheb2ap) ----------------------- */

/* cheb2ap: zeros on the imaginary axis at 1 / sin(m pi / 2n) (m = 0 left
 * out for odd n), Butterworth-like poles warped by sinh/cosh(mu) and
 * inverted, gain = prod(-p) / prod(-z). */
static void cheb2_prototype(const ezc_filter_spec *s, zpk *f)
{
    int n = s->order;
    double de = 1.0 / sqrt(pow(10, 0.1 * s->rp) - 1);
    double mu = asinh(1.0 / de) / n;
    f->nz = 0;
    for (int m = -n + 1; m < n; m += 2) {
        if (m == 0)
            continue;
        f->z[f->nz++] = -conj(I / sin(m * M_PI / (2.0 * n)));
    }
    f->np = n;
    cplx pz = 1, pp = 1;
    for (int i = 0; i < n; i++) {
        cplx b = -cexp(I * M_PI * (-n + 1 + 2 * i) / (2.0 * n));
        cplx w = sinh(mu) * creal(b) + I * cosh(mu) * cimag(b);
        f->p[i] = 1.0 / w;
        pp *= -f->p[i];
    }
    for (int i = 0; i < f->nz; i++)
        pz *= -f->z[i];
    f->k = creal(pp / pz);
}

static void prototype(const ezc_filter_spec *s, zpk *f)
{
    int n = s->order;
    f->nz = 0;
    f->np = n;
    if (s->family == EZC_DESIGN_BUTTER) {
        for (int i = 0; i < n; i++) {
            double m = -n + 1 + 2 * i;
            f->p[i] = -cexp(I * (M_PI * m / (2 * n)));
        }
        f->k = 1;
        return;
    }
    if (s->family == EZC_DESIGN_CHEBY2) {
        cheb2_prototype(s, f);
        return;
    }
    double eps = sqrt(pow(10, 0.1 * s->rp) - 1.0);
    double mu = 1.0 / n * asinh(1 / eps);
    cplx prod = 1;
    for (int i = 0; i < n; i++) {
        double m = -n + 1 + 2 * i, theta = M_PI * m / (2 * n);
        f->p[i] = -csinh(mu + I * theta);
        prod *= -f->p[i];
    }
    f->k = creal(prod);
    if (n % 2 == 0)
        f->k = f->k / sqrt(1 + eps * eps);
}

/* ---- band transforms (lp2lp/lp2hp/lp2bp/lp2bs_zpk) ---------------------- */

static cplx prod_neg(const cplx *r, int n)
{
    cplx q = 1;
    for (int i = 0; i < n; i++)
        q *= -r[i];
    return q;
}

static void to_band(zpk *f, ezc_band band, double w0, double w1)
{
    int degree = f->np - f->nz;
    switch (band) {
    case EZC_BAND_LOWPASS:
        for (int i = 0; i < f->nz; i++)
            f->z[i] *= w0;
        for (int i = 0; i < f->np; i++)
            f->p[i] *= w0;
        f->k *= pow(w0, degree);
        return;
    case EZC_BAND_HIGHPASS: {
        double g = creal(prod_neg(f->z, f->nz) / prod_neg(f->p, f->np));
        for (int i = 0; i < f->nz; i++)
            f->z[i] = w0 / f->z[i];
        for (int i = 0; i < f->np; i++)
            f->p[i] = w0 / f->p[i];
        for (int i = 0; i < degree; i++)
            f->z[f->nz++] = 0;
        f->k *= g;
        return;
    }
    case EZC_BAND_BANDPASS:
    case EZC_BAND_BANDSTOP: {
        double bw = w1 - w0, wo = sqrt(w0 * w1);
        int stop = band == EZC_BAND_BANDSTOP;
        double g = stop ? creal(prod_neg(f->z, f->nz) / prod_neg(f->p, f->np)) : pow(bw, degree);
        cplx *sets[2] = {f->z, f->p};
        int *counts[2] = {&f->nz, &f->np};
        for (int w = 0; w < 2; w++) {
            cplx *r = sets[w];
            int n = *counts[w];
            for (int i = 0; i < n; i++) {
                cplx lp = stop ? (bw / 2) / r[i] : r[i] * bw / 2;
                cplx root = csqrt(lp * lp - wo * wo);
                r[i] = lp + root;
                r[n + i] = lp - root;
            }
            *counts[w] = 2 * n;
        }
        if (stop) {
            for (int i = 0; i < degree; i++)
                f->z[f->nz++] = I * wo;
            for (int i = 0; i < degree; i++)
                f->z[f->nz++] = -I * wo;
        } else {
            for (int i = 0; i < degree; i++)
                f->z[f->nz++] = 0;
        }
        f->k *= g;
        return;
    }
    }
}

static void bilinear(zpk *f)
{
    const double fs2 = 4.0; /* 2 * fs with fs = 2: frequencies are / Nyquist */
    int degree = f->np - f->nz;
    cplx num = 1, den = 1;
    for (int i = 0; i < f->nz; i++)
        num *= fs2 - f->z[i];
    for (int i = 0; i < f->np; i++)
        den *= fs2 - f->p[i];
    for (int i = 0; i < f->nz; i++)
        f->z[i] = (fs2 + f->z[i]) / (fs2 - f->z[i]);
    for (int i = 0; i < f->np; i++)
        f->p[i] = (fs2 + f->p[i]) / (fs2 - f->p[i]);
    for (int i = 0; i < degree; i++)
        f->z[f->nz++] = -1;
    f->k *= creal(num / den);
}

static int design_zpk(const ezc_filter_spec *s, zpk *f, ezc_error *err)
{
    int two = s->band == EZC_BAND_BANDPASS || s->band == EZC_BAND_BANDSTOP;
    if (s->order < 1 || s->order > MAX_ORDER)
        return ezc_error_set(err, EZC_EINVAL, "filter order %d: expected 1 to %d", s->order,
                             MAX_ORDER);
    for (int i = 0; i < 1 + two; i++)
        if (!(s->wn[i] > 0 && s->wn[i] < 1))
            return ezc_error_set(err, EZC_EINVAL,
                                 "critical frequency %g (fraction of Nyquist) must lie in "
                                 "(0, 1)",
                                 s->wn[i]);
    if (two && !(s->wn[0] < s->wn[1]))
        return ezc_error_set(err, EZC_EINVAL, "band edges %g >= %g", s->wn[0], s->wn[1]);
    if (s->family != EZC_DESIGN_BUTTER && !(s->rp > 0 && isfinite(s->rp)))
        return ezc_error_set(err, EZC_EINVAL, "ripple %g dB must be positive", s->rp);
    memset(f, 0, sizeof *f);
    prototype(s, f);
    double w0 = 4 * tan(M_PI * s->wn[0] / 2), w1 = two ? 4 * tan(M_PI * s->wn[1] / 2) : 0;
    to_band(f, s->band, w0, w1);
    bilinear(f);
    return 0;
}

/* ---- zpk -> sos with scipy's "nearest" pairing -------------------------- */

static int is_real(cplx c)
{
    return cimag(c) == 0;
}

/* Insertion sort of idx[0..n) by key (stable, as numpy's lexsort). */
static void sort_idx(int *idx, int n, const double *key1, const double *key2)
{
    for (int i = 1; i < n; i++) {
        int v = idx[i], j = i;
        while (j > 0) {
            int u = idx[j - 1];
            int gt = key1[u] > key1[v] || (key1[u] == key1[v] && key2 && key2[u] > key2[v]);
            if (!gt)
                break;
            idx[j] = u;
            j--;
        }
        idx[j] = v;
    }
}

/* _cplxreal: one of each conjugate pair (positive imaginary part, averaged
 * with its partner) followed by the real values, in scipy's order. */
static int cplxreal(cplx *r, int n, ezc_error *err)
{
    const double tol = 100 * DBL_EPSILON;
    double re[MAX_ROOTS] = {0}, aim[MAX_ROOTS] = {0};
    int idx[MAX_ROOTS];
    for (int i = 0; i < n; i++) {
        re[i] = creal(r[i]);
        aim[i] = fabs(cimag(r[i]));
        idx[i] = i;
    }
    sort_idx(idx, n, re, aim);
    cplx pos[MAX_ROOTS], neg[MAX_ROOTS], out[MAX_ROOTS];
    double reals[MAX_ROOTS];
    int npos = 0, nneg = 0, nreal = 0;
    for (int i = 0; i < n; i++) {
        cplx c = r[idx[i]];
        if (fabs(cimag(c)) <= tol * cabs(c))
            reals[nreal++] = creal(c);
        else if (cimag(c) > 0)
            pos[npos++] = c;
        else
            neg[nneg++] = c;
    }
    if (npos != nneg)
        return ezc_error_set(err, EZC_ENUMERIC, "filter design: unpaired complex root");
    /* runs of (nearly) equal real part, each sorted by |imag| */
    for (int start = 0; start < npos;) {
        int stop = start;
        while (stop + 1 < npos && creal(pos[stop + 1]) - creal(pos[stop]) <= tol * cabs(pos[stop]))
            stop++;
        if (stop > start) {
            cplx *chunks[2] = {pos + start, neg + start};
            for (int c = 0; c < 2; c++) {
                int m = stop - start + 1, id[MAX_ROOTS];
                double key[MAX_ROOTS];
                cplx tmp[MAX_ROOTS];
                for (int i = 0; i < m; i++) {
                    id[i] = i;
                    key[i] = fabs(cimag(chunks[c][i]));
                    tmp[i] = chunks[c][i];
                }
                sort_idx(id, m, key, NULL);
                for (int i = 0; i < m; i++)
                    chunks[c][i] = tmp[id[i]];
            }
        }
        start = stop + 1;
    }
    int m = 0;
    for (int i = 0; i < npos; i++) {
        if (cabs(pos[i] - conj(neg[i])) > tol * cabs(neg[i]))
            return ezc_error_set(err, EZC_ENUMERIC, "filter design: unpaired complex root");
        out[m++] = (pos[i] + conj(neg[i])) / 2;
    }
    for (int i = 0; i < nreal; i++)
        out[m++] = reals[i];
    memcpy(r, out, (size_t)m * sizeof *r);
    return m;
}

static void remove_at(cplx *r, int *n, int i)
{
    memmove(r + i, r + i + 1, (size_t)(*n - i - 1) * sizeof *r);
    (*n)--;
}

enum { ANY, REAL_ONLY, COMPLEX_ONLY };

/* _nearest_real_complex_idx: index of the element of fro nearest to `to`
 * among the wanted kind (first of equals, as a stable argsort). */
static int nearest(const cplx *fro, int n, cplx to, int which)
{
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < n; i++) {
        int real = is_real(fro[i]);
        if ((which == REAL_ONLY && !real) || (which == COMPLEX_ONLY && real))
            continue;
        double d = cabs(fro[i] - to);
        if (best < 0 || d < bd) {
            best = i;
            bd = d;
        }
    }
    return best;
}

/* poly(roots) for up to two roots, real part, right-aligned into out[3]. */
static void poly2(const cplx *r, int n, double *out)
{
    cplx c[3] = {1, 0, 0};
    if (n == 1) {
        c[1] = -r[0];
    } else if (n == 2) {
        c[1] = -r[0] + -r[1];
        c[2] = r[0] * r[1];
    }
    out[0] = out[1] = out[2] = 0;
    for (int i = 0; i <= n; i++)
        out[3 - (n + 1) + i] = creal(c[i]);
}

static void single_sos(const cplx *z, int nz, const cplx *p, int np, double *row)
{
    poly2(z, nz, row);
    poly2(p, np, row + 3);
}

static int zpk2sos(zpk *f, double **sos_out, int *nsec_out, ezc_error *err)
{
    cplx *z = f->z, *p = f->p;
    int nz = f->nz, np = f->np;
    while (nz < np)
        z[nz++] = 0;
    while (np < nz)
        p[np++] = 0;
    int nsec = (np + 1) / 2;
    if (np % 2 == 1) {
        p[np++] = 0;
        z[nz++] = 0;
    }
    if ((nz = cplxreal(z, nz, err)) < 0 || (np = cplxreal(p, np, err)) < 0)
        return err->code;
    double *sos = calloc((size_t)nsec * 6, sizeof *sos);
    if (!sos)
        return ezc_error_set(err, EZC_ENOMEM, "filter design: out of memory");
    for (int si = nsec - 1; si >= 0; si--) {
        double *row = sos + 6 * si;
        int i1 = 0;
        for (int i = 1; i < np; i++)
            if (fabs(1 - cabs(p[i])) < fabs(1 - cabs(p[i1])))
                i1 = i;
        cplx p1 = p[i1];
        remove_at(p, &np, i1);
        int nreal_p = 0, nreal_z = 0;
        for (int i = 0; i < np; i++)
            nreal_p += is_real(p[i]);
        for (int i = 0; i < nz; i++)
            nreal_z += is_real(z[i]);
        if (is_real(p1) && nreal_p == 0) {
            /* last remaining real pole */
            int j = nearest(z, nz, p1, REAL_ONLY);
            cplx zz[2] = {z[j], 0}, pp[2] = {p1, 0};
            remove_at(z, &nz, j);
            single_sos(zz, 2, pp, 2, row);
        } else if (np + 1 == nz && !is_real(p1) && nreal_p == 1 && nreal_z == 1) {
            /* one real pole and one real zero left: pair with a complex zero */
            int j = nearest(z, nz, p1, COMPLEX_ONLY);
            cplx zz[2] = {z[j], conj(z[j])}, pp[2] = {p1, conj(p1)};
            remove_at(z, &nz, j);
            single_sos(zz, 2, pp, 2, row);
        } else {
            cplx p2;
            if (is_real(p1)) {
                int j = -1;
                for (int i = 0; i < np; i++)
                    if (is_real(p[i]) && (j < 0 || fabs(cabs(p[i]) - 1) < fabs(cabs(p[j]) - 1)))
                        j = i;
                p2 = p[j];
                remove_at(p, &np, j);
            } else {
                p2 = conj(p1);
            }
            cplx pp[2] = {p1, p2};
            if (nz > 0) {
                int j = nearest(z, nz, p1, ANY);
                cplx z1 = z[j];
                remove_at(z, &nz, j);
                if (!is_real(z1)) {
                    cplx zz[2] = {z1, conj(z1)};
                    single_sos(zz, 2, pp, 2, row);
                } else if (nz > 0) {
                    int j2 = nearest(z, nz, p1, REAL_ONLY);
                    cplx zz[2] = {z1, z[j2]};
                    remove_at(z, &nz, j2);
                    single_sos(zz, 2, pp, 2, row);
                } else {
                    single_sos(&z1, 1, pp, 2, row);
                }
            } else {
                single_sos(NULL, 0, pp, 2, row);
            }
        }
    }
    for (int i = 0; i < 3; i++)
        sos[i] *= f->k;
    *sos_out = sos;
    *nsec_out = nsec;
    return 0;
}

int ezc_filter_design_sos(const ezc_filter_spec *spec, double **sos, int *nsec, ezc_error *err)
{
    zpk f;
    int rc = design_zpk(spec, &f, err);
    return rc ? rc : zpk2sos(&f, sos, nsec, err);
}

/* numpy.poly: the polynomial with the given roots, by repeated convolution. */
static void poly(const cplx *r, int n, double *out)
{
    cplx c[MAX_ROOTS + 1];
    c[0] = 1;
    for (int i = 0; i < n; i++) {
        c[i + 1] = 0;
        for (int j = i + 1; j >= 1; j--)
            c[j] = c[j] + c[j - 1] * -r[i];
    }
    for (int i = 0; i <= n; i++)
        out[i] = creal(c[i]);
}

int ezc_filter_design_ba(const ezc_filter_spec *spec, double **coef, int *order, ezc_error *err)
{
    zpk f;
    int rc = design_zpk(spec, &f, err);
    if (rc)
        return rc;
    int n = f.np > f.nz ? f.np : f.nz;
    double *c = calloc(2 * ((size_t)n + 1), sizeof *c);
    if (!c)
        return ezc_error_set(err, EZC_ENOMEM, "filter design: out of memory");
    /* b = k * poly(z) and a = poly(p), right-aligned when the counts differ */
    poly(f.z, f.nz, c + (n - f.nz));
    for (int i = 0; i <= n; i++)
        c[i] *= f.k;
    poly(f.p, f.np, c + n + 1 + (n - f.np));
    *coef = c;
    *order = n;
    return 0;
}

/* ---- steady-state initial conditions ------------------------------------ */

int ezc_lfilter_zi(const double *coef, int order, double *zi, ezc_error *err)
{
    const double *b = coef, *a = coef + order + 1;
    double sb = 0, sa = 0;
    for (int k = 0; k <= order; k++) {
        sb += b[k] / a[0];
        sa += a[k] / a[0];
    }
    if (order == 0)
        return 0;
    if (sa == 0 || !isfinite(sb / sa))
        return ezc_error_set(err, EZC_ENUMERIC,
                             "filter has no steady state (its denominator sums to 0)");
    double y = sb / sa; /* DC gain: the output for a constant unit input */
    double acc = 0;
    for (int k = order - 1; k >= 0; k--) {
        acc += b[k + 1] / a[0] - a[k + 1] / a[0] * y;
        zi[k] = acc;
    }
    return 0;
}

int ezc_cascade_zi(const double *coef, int nsec, int order, double *zi, ezc_error *err)
{
    double scale = 1;
    for (int s = 0; s < nsec; s++) {
        const double *c = coef + (size_t)s * 2 * (order + 1);
        int rc = ezc_lfilter_zi(c, order, zi + (size_t)s * order, err);
        if (rc)
            return rc;
        double sb = 0, sa = 0;
        for (int k = 0; k <= order; k++) {
            sb += c[k];
            sa += c[order + 1 + k];
        }
        for (int k = 0; k < order; k++)
            zi[(size_t)s * order + k] *= scale;
        scale *= sb / sa;
    }
    return 0;
}
