/* fbcca.c — SSVEP detection by filter-bank canonical correlation analysis
 * (ezmsg-sigproc's FBCCATransformer; Lin et al. 2007, Chen et al. 2015):
 * per window and sub-band, the largest canonical correlation rho between
 * the channels and sine/cosine references of each target frequency and its
 * harmonics; per frequency sum_k w_k rho_k^2, w_k = k^-a + b; then a
 * softmax over the frequencies (beta = 0: the sums).
 *
 * The references depend only on the window's times, so their orthonormal
 * basis Q (time x all frequencies' columns, centred) is made once per time
 * grid on the host. Per message the blocks [.., band, time, ch] are centred
 * and two xp.matmul per block give Cxx = Xc^T Xc and B = Xc^T Q, the only
 * work that grows with the window; rho^2 is then the largest eigenvalue of
 * (L^-1 B_f)^T (L^-1 B_f), Cxx = L L^T, computed on the host (a few small
 * matrices). Channels without variance, or dependent on earlier ones, are
 * left out of L, as a rank-revealing QR would. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

#define MAX_FREQS 1024
#define MAX_HARMONICS 64
#define MAX_BASIS ((int64_t)1 << 27) /* time x reference columns, doubles */
#define MAX_CH 1024                  /* channels per block: a Cholesky of c^3 each */
#define STD_MIN 1e-12                /* a column with less deviation carries nothing */

typedef struct fbcca_state {
    const char *tdim, *cdim, *bdim, *fdim;
    const double *freqs, *weights;
    size_t nfreq, nweights;
    int64_t harmonics;
    double beta, wa, wb;
    ezc_coords *fcoords;
    /* the reference basis and the grid it was made for */
    int grid_ok, tkind;
    double tgain;
    int64_t tlen;
    double *tv; /* the grid's times minus the first */
    size_t tv_cap;
    double *q; /* host: tlen x nq */
    int64_t nq, *qstart, *qcount;
    ezc_array *qdev; /* q on the message's device (NULL when it has no column) */
    DLDevice tdev;
    double *tbuf;
    size_t tbuf_cap;
    /* host scratch */
    double *work;
    size_t work_cap;
    int64_t *keep; /* the channels a block's Cholesky kept */
    size_t keep_cap;
    ezc_buffer *f64_cache, *perm_cache, *mean_cache, *gm_cache, *out_cache, *host_cache,
        *host_out_cache;
} fbcca_state;

static const ezc_setting_spec fbcca_settings[] = {
    {"time_dim", EZC_SETTING_STRING, "time", "dim of the window's samples (numeric times)", 0,
     NULL},
    {"ch_dim", EZC_SETTING_STRING, "ch", "dim of the channels", 0, NULL},
    {"filterbank_dim", EZC_SETTING_STRING, NULL, "dim of the sub-bands (absent: plain CCA)", 0,
     NULL},
    {"freqs", EZC_SETTING_FLOATS, NULL, "target frequencies in Hz", 1, NULL},
    {"harmonics", EZC_SETTING_INT, "5", "sine/cosine pairs per frequency: f, 2f, ..", 0, NULL},
    {"softmax_beta", EZC_SETTING_FLOAT, "1", "softmax over the frequencies (0: the sums)", 0, NULL},
    {"target_freq_dim", EZC_SETTING_STRING, "target_freq", "output dim of the frequencies", 0,
     NULL},
    {"weight_a", EZC_SETTING_FLOAT, "1.25", "sub-band weight k^-a + b: a", 0, NULL},
    {"weight_b", EZC_SETTING_FLOAT, "0.25", "sub-band weight k^-a + b: b", 0, NULL},
    {"weights", EZC_SETTING_FLOATS, NULL, "one weight per sub-band (wins over weight_a/_b)", 0,
     NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void fbcca_fini(void *state)
{
    fbcca_state *st = state;
    if (!st)
        return;
    ezc_coords_unref(&st->fcoords);
    free(st->tv);
    free(st->q);
    free(st->qstart);
    free(st->qcount);
    free(st->tbuf);
    free(st->work);
    free(st->keep);
    ezc_array_destroy(&st->qdev);
    ezc_buffer_unref(&st->f64_cache);
    ezc_buffer_unref(&st->perm_cache);
    ezc_buffer_unref(&st->mean_cache);
    ezc_buffer_unref(&st->gm_cache);
    ezc_buffer_unref(&st->out_cache);
    ezc_buffer_unref(&st->host_cache);
    ezc_buffer_unref(&st->host_out_cache);
    free(st);
}

static int dim_setting(const ezc_settings *s, const char *name, const char **out, ezc_error *err)
{
    ezc_settings_get_string(s, name, out);
    if (*out && (!**out || strlen(*out) >= EZC_NAME_MAX))
        return ezc_error_set(err, EZC_EINVAL, "fbcca: setting '%s' = '%s': expected a dim name",
                             name, *out);
    return 0;
}

static int fbcca_init(void **state, const ezc_settings *s, ezc_error *err)
{
    fbcca_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "fbcca: out of memory");
    st->tdim = "time";
    st->cdim = "ch";
    st->fdim = "target_freq";
    st->harmonics = 5;
    st->beta = 1;
    st->wa = 1.25;
    st->wb = 0.25;
    ezc_settings_get_floats(s, "freqs", &st->freqs, &st->nfreq);
    ezc_settings_get_int(s, "harmonics", &st->harmonics);
    ezc_settings_get_float(s, "softmax_beta", &st->beta);
    ezc_settings_get_float(s, "weight_a", &st->wa);
    ezc_settings_get_float(s, "weight_b", &st->wb);
    ezc_settings_get_floats(s, "weights", &st->weights, &st->nweights);
    int rc = 0;
    if ((rc = dim_setting(s, "time_dim", &st->tdim, err)) ||
        (rc = dim_setting(s, "ch_dim", &st->cdim, err)) ||
        (rc = dim_setting(s, "filterbank_dim", &st->bdim, err)) ||
        (rc = dim_setting(s, "target_freq_dim", &st->fdim, err)))
        goto fail;
    if (!strcmp(st->tdim, st->cdim) ||
        (st->bdim && (!strcmp(st->bdim, st->tdim) || !strcmp(st->bdim, st->cdim)))) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "fbcca: settings 'time_dim', 'ch_dim' and 'filterbank_dim' must name "
                           "different dims ('%s', '%s', '%s')",
                           st->tdim, st->cdim, st->bdim ? st->bdim : "");
        goto fail;
    }
    if (st->nfreq < 1 || st->nfreq > MAX_FREQS) {
        rc = ezc_error_set(err, EZC_EINVAL, "fbcca: setting 'freqs' has %zu values: expected 1..%d",
                           st->nfreq, MAX_FREQS);
        goto fail;
    }
    for (size_t i = 0; i < st->nfreq; i++)
        if (!(st->freqs[i] > 0) || !isfinite(st->freqs[i])) {
            rc =
                ezc_error_set(err, EZC_EINVAL,
                              "fbcca: setting 'freqs' = %g (item %zu): expected a frequency > 0 Hz",
                              st->freqs[i], i);
            goto fail;
        }
    if (st->harmonics < 1 || st->harmonics > MAX_HARMONICS) {
        rc = ezc_error_set(err, EZC_EINVAL, "fbcca: setting 'harmonics' = %lld: expected 1..%d",
                           (long long)st->harmonics, MAX_HARMONICS);
        goto fail;
    }
    if (!isfinite(st->beta) || !isfinite(st->wa) || !isfinite(st->wb)) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "fbcca: settings 'softmax_beta' = %g, 'weight_a' = %g, 'weight_b' = %g: "
                           "expected finite numbers",
                           st->beta, st->wa, st->wb);
        goto fail;
    }
    for (size_t i = 0; i < st->nweights; i++)
        if (!isfinite(st->weights[i])) {
            rc = ezc_error_set(err, EZC_EINVAL,
                               "fbcca: setting 'weights' = %g (item %zu): expected a finite number",
                               st->weights[i], i);
            goto fail;
        }
    if (!(st->fcoords = ezc_coords_new(st->nfreq, st->freqs, NULL, err))) {
        rc = err->code;
        goto fail;
    }
    *state = st;
    return 0;
fail:
    fbcca_fini(st);
    return rc;
}

static int grow(double **p, size_t *cap, size_t n, ezc_error *err)
{
    if (n <= *cap && *p)
        return 0;
    double *q = realloc(*p, (n ? n : 1) * sizeof *q);
    if (!q)
        return ezc_error_set(err, EZC_ENOMEM, "fbcca: out of memory");
    *p = q;
    *cap = n;
    return 0;
}

/* The orthonormal basis of each frequency's centred references (modified
 * Gram-Schmidt, twice; columns with no deviation or dependent on earlier
 * ones are left out), for the grid st->tv of st->tlen samples. */
static int make_basis(fbcca_state *st, DLDevice dev, ezc_error *err)
{
    int64_t n = st->tlen, cols = 2 * st->harmonics;
    size_t total;
    int64_t shape[2] = {n, (int64_t)st->nfreq * cols};
    if (ezc_shape_count(2, shape, "fbcca: references", &total, err))
        return err->code;
    if ((int64_t)total > MAX_BASIS)
        return ezc_error_set(err, EZC_ESHAPE,
                             "fbcca: %lld samples x %lld reference columns exceed %lld values",
                             (long long)n, (long long)shape[1], (long long)MAX_BASIS);
    free(st->q);
    st->q = malloc((total ? total : 1) * sizeof *st->q);
    double *col = malloc((size_t)(n ? n : 1) * sizeof *col);
    int64_t *qs = realloc(st->qstart, st->nfreq * sizeof *qs);
    if (qs)
        st->qstart = qs;
    int64_t *qc = qs ? realloc(st->qcount, st->nfreq * sizeof *qc) : NULL;
    if (qc)
        st->qcount = qc;
    if (!st->q || !col || !qc) {
        free(col);
        return ezc_error_set(err, EZC_ENOMEM, "fbcca: out of memory");
    }
    /* column-major while building: basis column c at q + c * n */
    int64_t nq = 0;
    for (size_t f = 0; f < st->nfreq; f++) {
        st->qstart[f] = nq;
        for (int64_t c = 0; c < cols; c++) {
            double w = 2 * M_PI * (double)(c / 2 + 1) * st->freqs[f], mean = 0, ss = 0;
            for (int64_t i = 0; i < n; i++) {
                col[i] = c % 2 ? cos(w * st->tv[i]) : sin(w * st->tv[i]);
                mean += col[i];
            }
            mean /= (double)(n ? n : 1);
            for (int64_t i = 0; i < n; i++) {
                col[i] -= mean;
                ss += col[i] * col[i];
            }
            if (!(sqrt(ss / (double)(n ? n : 1)) > STD_MIN))
                continue;
            double norm0 = sqrt(ss);
            for (int pass = 0; pass < 2; pass++)
                for (int64_t k = st->qstart[f]; k < nq; k++) {
                    const double *qk = st->q + k * n;
                    double d = 0;
                    for (int64_t i = 0; i < n; i++)
                        d += qk[i] * col[i];
                    for (int64_t i = 0; i < n; i++)
                        col[i] -= d * qk[i];
                }
            double norm = 0;
            for (int64_t i = 0; i < n; i++)
                norm += col[i] * col[i];
            norm = sqrt(norm);
            if (!(norm > 1e-10 * norm0))
                continue;
            for (int64_t i = 0; i < n; i++)
                st->q[nq * n + i] = col[i] / norm;
            nq++;
        }
        st->qcount[f] = nq - st->qstart[f];
    }
    free(col);
    st->nq = nq;
    /* to row-major time x nq for the matmul */
    double *rm = malloc((size_t)(n * nq > 0 ? n * nq : 1) * sizeof *rm);
    if (!rm)
        return ezc_error_set(err, EZC_ENOMEM, "fbcca: out of memory");
    for (int64_t c = 0; c < nq; c++)
        for (int64_t i = 0; i < n; i++)
            rm[i * nq + c] = st->q[c * n + i];
    free(st->q);
    st->q = rm;
    ezc_array_destroy(&st->qdev);
    if (!nq || !n)
        return 0;
    int64_t qshape[2] = {n, nq};
    ezc_buffer *b = ezc_buffer_new(ezc_device_cpu(), (size_t)(n * nq) * sizeof(double), err);
    ezc_array *h = b ? ezc_array_from_buffer(b, 0, EZC_FLOAT64, 2, qshape, NULL, err) : NULL;
    ezc_buffer_unref(&b);
    if (!h)
        return err->code;
    memcpy(ezc_array_data(h), st->q, (size_t)(n * nq) * sizeof(double));
    if (dev.device_type == kDLCPU) {
        st->qdev = h;
        return 0;
    }
    st->qdev = ezc_array_to_device(h, dev, err);
    ezc_array_destroy(&h);
    return st->qdev ? 0 : err->code;
}

/* Rebuilds the basis when the window's time grid is not the one it was
 * made for. */
static int check_grid(fbcca_state *st, const ezc_array *x, int ti, ezc_error *err)
{
    const ezc_axis *ax = &x->axes[ti];
    int64_t n = x->shape[ti];
    int numeric = 0, rc;
    if ((rc = ezc_tf_axis_values("fbcca", x, ti, &st->tbuf, &st->tbuf_cap, &numeric, err)))
        return rc;
    if (!numeric && n > 0)
        return ezc_error_set(err, EZC_EINVAL,
                             "fbcca: setting 'time_dim' = '%s': the dim has no times (a linear "
                             "axis or numeric coordinates)",
                             st->tdim);
    for (int64_t i = n - 1; i >= 0; i--)
        st->tbuf[i] =
            ax->kind == EZC_AXIS_LINEAR ? ax->gain * (double)i : st->tbuf[i] - st->tbuf[0];
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(st->tbuf[i]))
            return ezc_error_set(err, EZC_EINVAL, "fbcca: dim '%s' has a time that is not finite",
                                 st->tdim);
    int same = st->grid_ok && st->tlen == n && st->tkind == (int)ax->kind &&
               ezc_device_equal(st->tdev, x->tensor.device);
    if (same && ax->kind == EZC_AXIS_LINEAR)
        same = st->tgain == ax->gain;
    else if (same)
        same = !memcmp(st->tv, st->tbuf, (size_t)n * sizeof *st->tv);
    if (same)
        return 0;
    if ((rc = grow(&st->tv, &st->tv_cap, (size_t)n, err)))
        return rc;
    memcpy(st->tv, st->tbuf, (size_t)n * sizeof *st->tv);
    st->tlen = n;
    st->tkind = (int)ax->kind;
    st->tgain = ax->gain;
    st->tdev = x->tensor.device;
    rc = make_basis(st, x->tensor.device, err);
    st->grid_ok = !rc;
    return rc;
}

/* The largest eigenvalue of the symmetric n x n matrix a (destroyed):
 * cyclic Jacobi rotations. */
static double eig_max(double *a, int64_t n)
{
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, diag = 0;
        for (int64_t p = 0; p < n; p++) {
            diag += a[p * n + p] * a[p * n + p];
            for (int64_t q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        }
        if (off <= 1e-30 * diag || off == 0)
            break;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int64_t k = 0; k < n; k++) {
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int64_t k = 0; k < n; k++) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
    }
    double m = 0;
    for (int64_t p = 0; p < n; p++)
        m = fmax(m, a[p * n + p]);
    return m;
}

/* rho^2 per frequency for one block: g is Cxx (c x c), b is Xc^T Q
 * (c x nq); n samples. work holds c * c + c * nq + min(c, 2 harmonics)^2,
 * keep c. */
static void block_rho2(const fbcca_state *st, const double *g, const double *b, int64_t c,
                       int64_t n, double *work, int64_t *keep, double *rho2)
{
    int64_t nq = st->nq;
    double *l = work, *w = l + c * c, *s = w + c * nq;
    int64_t nk = 0;
    /* Cholesky of the kept channels, row by row: l[r][k] for kept rows r */
    for (int64_t i = 0; i < c; i++) {
        double gii = g[i * c + i];
        if (!(sqrt(fmax(gii, 0) / (double)n) > STD_MIN))
            continue;
        double *li = l + nk * c;
        for (int64_t k = 0; k < nk; k++) {
            double v = g[i * c + keep[k]];
            for (int64_t j = 0; j < k; j++)
                v -= li[j] * l[k * c + j];
            li[k] = v / l[k * c + k];
        }
        double d = gii;
        for (int64_t j = 0; j < nk; j++)
            d -= li[j] * li[j];
        if (!(d > 1e-11 * gii))
            continue; /* a combination of earlier channels */
        li[nk] = sqrt(d);
        keep[nk++] = i;
    }
    /* w = l^-1 b (kept rows), forward substitution */
    for (int64_t r = 0; r < nk; r++)
        for (int64_t q = 0; q < nq; q++) {
            double v = b[keep[r] * nq + q];
            for (int64_t j = 0; j < r; j++)
                v -= l[r * c + j] * w[j * nq + q];
            w[r * nq + q] = v / l[r * c + r];
        }
    for (size_t f = 0; f < st->nfreq; f++) {
        int64_t q0 = st->qstart[f], nr = st->qcount[f];
        if (!nk || !nr) {
            rho2[f] = 0;
            continue;
        }
        /* the smaller of w_f^T w_f (nr x nr) and w_f w_f^T (nk x nk) */
        int64_t k = nr <= nk ? nr : nk;
        for (int64_t p = 0; p < k; p++)
            for (int64_t q = 0; q <= p; q++) {
                double v = 0;
                if (nr <= nk)
                    for (int64_t r = 0; r < nk; r++)
                        v += w[r * nq + q0 + p] * w[r * nq + q0 + q];
                else
                    for (int64_t j = 0; j < nr; j++)
                        v += w[p * nq + q0 + j] * w[q * nq + q0 + j];
                s[p * k + q] = s[q * k + p] = v;
            }
        rho2[f] = eig_max(s, k);
    }
}

/* A 2-D header over `rows` x `cols` doubles of a's buffer at element off. */
static ezc_array *view(const ezc_array *a, size_t off, int64_t rows, int64_t cols, ezc_error *err)
{
    int64_t shape[2] = {rows, cols};
    return ezc_array_from_buffer(a->buf, a->tensor.byte_offset + off * sizeof(double), EZC_FLOAT64,
                                 2, shape, NULL, err);
}

/* Centres each block and fills gm: per block Cxx (c x c) then Xc^T Q. */
static int block_products(fbcca_state *st, ezc_array *xw, ezc_array *gm, int64_t nblk, int64_t n,
                          int64_t c, const double *mean, const ezc_xp *xp, ezc_error *err)
{
    size_t per = (size_t)(c * c + c * st->nq);
    double *neg = st->work; /* c values; the work area is free here */
    int rc = 0;
    for (int64_t j = 0; j < nblk && !rc; j++) {
        for (int64_t i = 0; i < c; i++)
            neg[i] = -mean[j * c + i];
        ezc_array *x = view(xw, (size_t)(j * n * c), n, c, err);
        ezc_array *g = x ? view(gm, (size_t)j * per, c, c, err) : NULL;
        ezc_array *b = g ? view(gm, (size_t)j * per + (size_t)(c * c), c, st->nq, err) : NULL;
        if (!b)
            rc = err->code;
        else if (!(rc = ezc_xp_call(xp, affine_axis, err, x, x, 1, NULL, neg)) &&
                 !(rc = ezc_xp_call(xp, matmul, err, x, x, g, 1, 0)) && st->nq)
            rc = ezc_xp_call(xp, matmul, err, x, st->qdev, b, 1, 0);
        ezc_array_destroy(&x);
        ezc_array_destroy(&g);
        ezc_array_destroy(&b);
    }
    return rc;
}

/* The host copy of a (a itself on the CPU). */
static ezc_array *on_host(const ezc_array *a, ezc_buffer **cache, ezc_error *err)
{
    if (a->tensor.device.device_type == kDLCPU)
        return ezc_array_clone(a, err);
    ezc_buffer *b = ezc_buffer_cached(cache, ezc_array_nbytes(a), ezc_device_cpu(), err);
    ezc_array *h =
        b ? ezc_array_from_buffer(b, 0, a->dtype, ezc_array_ndim(a), a->shape, NULL, err) : NULL;
    ezc_buffer_unref(&b);
    const ezc_xp *xp = h ? ezc_xp_of(a, err) : NULL;
    if (h && (!xp || ezc_xp_call(xp, copy, err, a, h)))
        ezc_array_destroy(&h);
    return h;
}

static int fbcca_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                         ezc_error *err)
{
    fbcca_state *st = state;
    (void)port;
    *out = NULL;
    ezc_array *xf = NULL, *xw = NULL, *mean = NULL, *gm = NULL, *hm = NULL, *hg = NULL, *y = NULL,
              *hy = NULL;
    int rc = 0, nd = ezc_array_ndim(in), ti, ci, bi = -1;
    char dims[EZC_DIMS_STR_MAX];
    const char *need[3] = {st->tdim, st->cdim, st->bdim};
    const char *what[3] = {"time_dim", "ch_dim", "filterbank_dim"};
    int idx[3] = {-1, -1, -1};
    for (int k = 0; k < 3 && need[k]; k++)
        if ((idx[k] = ezc_array_axis_index(in, need[k])) < 0) {
            rc = ezc_error_set(err, EZC_ENOTFOUND,
                               "fbcca: setting '%s' = '%s': the message has no such dim (dims: %s)",
                               what[k], need[k], ezc_array_dims_str(in, dims, sizeof dims));
            goto done;
        }
    ti = idx[0];
    ci = idx[1];
    bi = idx[2];
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL) {
        rc = ezc_error_set(err, EZC_EDTYPE, "fbcca: %s data is not supported (real numbers only)",
                           ezc_dtype_name(in->dtype));
        goto done;
    }
    /* [others.., band, time, ch] */
    int perm[EZC_MAX_DIMS], no = 0;
    int64_t oshape[EZC_MAX_DIMS], nblk = 1, nb = bi >= 0 ? in->shape[bi] : 1;
    for (int i = 0; i < nd; i++)
        if (i != ti && i != ci && i != bi) {
            if (!strcmp(in->dims[i], st->fdim)) {
                rc = ezc_error_set(err, EZC_EINVAL,
                                   "fbcca: setting 'target_freq_dim' = '%s': the message has "
                                   "that dim already",
                                   st->fdim);
                goto done;
            }
            oshape[no] = in->shape[i];
            perm[no++] = i;
            nblk *= in->shape[i];
        }
    int nbatch = no;
    int64_t batch = nblk;
    if (bi >= 0)
        perm[no++] = bi;
    perm[no++] = ti;
    perm[no++] = ci;
    nblk *= nb;
    int64_t n = in->shape[ti], c = in->shape[ci];
    if (st->weights && st->nweights != (size_t)nb) {
        rc = ezc_error_set(err, EZC_ESHAPE,
                           "fbcca: setting 'weights' has %zu values, but the message has %lld "
                           "sub-bands along '%s'",
                           st->nweights, (long long)nb, st->bdim ? st->bdim : "(none)");
        goto done;
    }
    /* no samples, channels or sub-bands: no correlation (scores of 0) */
    int empty = n == 0 || c == 0 || nb == 0;
    if (!empty && batch > 0) {
        size_t cells;
        int64_t gshape[3] = {nblk, c, c + (int64_t)st->nfreq * 2 * st->harmonics};
        if (ezc_shape_count(3, gshape, "fbcca: channel products", &cells, err)) {
            rc = err->code;
            goto done;
        }
        if (c > MAX_CH || (int64_t)cells > MAX_BASIS) {
            rc = ezc_error_set(err, EZC_ESHAPE,
                               "fbcca: %lld blocks of %lld channels: more than %d channels or "
                               "%lld products",
                               (long long)nblk, (long long)c, MAX_CH, (long long)MAX_BASIS);
            goto done;
        }
        if ((rc = check_grid(st, in, ti, err)))
            goto done;
    }
    if (in->dtype != EZC_FLOAT64) {
        if (!(xf = ezc_array_new_like_cached(in, EZC_FLOAT64, 0, NULL, &st->f64_cache, err)) ||
            (ezc_array_size(in) && ezc_xp_call(xp, astype, err, in, xf))) {
            rc = err->code;
            goto done;
        }
    }
    if (!(xw = ezc_array_permute_cached(xf ? xf : in, perm, &st->perm_cache, err))) {
        rc = err->code;
        goto done;
    }
    oshape[nbatch] = (int64_t)st->nfreq;
    if (!(y = ezc_array_new_like_cached(xw, EZC_FLOAT64, nbatch + 1, oshape, &st->out_cache,
                                        err)) ||
        (rc = ezc_array_set_dim(y, nbatch, st->fdim, err))) {
        rc = err->code;
        goto done;
    }
    ezc_array_clear_axis(y, nbatch);
    y->axes[nbatch].kind = EZC_AXIS_COORD;
    y->axes[nbatch].coords = ezc_coords_ref(st->fcoords);
    if (batch == 0)
        goto emit;
    /* scratch: one block's matrices, then rho^2 per block and frequency */
    int64_t m = c < 2 * st->harmonics ? c : 2 * st->harmonics; /* the eigenproblem's size */
    size_t per = empty ? 0 : (size_t)(c * c + c * st->nq);
    size_t pre = empty ? 0 : per + (size_t)(m * m);
    if ((rc = grow(&st->work, &st->work_cap, pre + (size_t)nblk * st->nfreq, err)))
        goto done;
    if (!empty && ((size_t)c > st->keep_cap || !st->keep)) {
        int64_t *k = realloc(st->keep, (size_t)(c > 0 ? c : 1) * sizeof *k);
        if (!k) {
            rc = ezc_error_set(err, EZC_ENOMEM, "fbcca: out of memory");
            goto done;
        }
        st->keep = k;
        st->keep_cap = (size_t)c;
    }
    double *rho2 = st->work + pre;
    if (!empty) {
        int64_t mshape[2] = {nblk, c}, gshape[1] = {(int64_t)(nblk * (int64_t)per)};
        ezc_array *x3 = NULL;
        int64_t s3[3] = {nblk, n, c};
        if (!(x3 = ezc_array_from_buffer(xw->buf, xw->tensor.byte_offset, EZC_FLOAT64, 3, s3, NULL,
                                         err)) ||
            !(mean = ezc_array_new_like_cached(x3, EZC_FLOAT64, 2, mshape, &st->mean_cache, err)) ||
            (rc = ezc_xp_call(xp, reduce, err, EZC_REDUCE_MEAN, x3, 1, mean)) ||
            !(hm = on_host(mean, &st->host_cache, err)) ||
            !(gm = ezc_array_new_like_cached(x3, EZC_FLOAT64, 1, gshape, &st->gm_cache, err))) {
            ezc_array_destroy(&x3);
            rc = rc ? rc : err->code;
            goto done;
        }
        ezc_array_destroy(&x3);
        /* hm's values are read before the host cache is reused for gm */
        double *mv = ezc_array_data(hm);
        if ((rc = block_products(st, xw, gm, nblk, n, c, mv, xp, err)))
            goto done;
        ezc_array_destroy(&hm);
        if (!(hg = on_host(gm, &st->host_cache, err))) {
            rc = err->code;
            goto done;
        }
        const double *gv = ezc_array_data(hg);
        for (int64_t j = 0; j < nblk; j++)
            block_rho2(st, gv + (size_t)j * per, gv + (size_t)j * per + (size_t)(c * c), c, n,
                       st->work, st->keep, rho2 + (size_t)j * st->nfreq);
    } else {
        memset(rho2, 0, (size_t)nblk * st->nfreq * sizeof *rho2);
    }
    /* combine the sub-bands, then the softmax, into a host array of y's shape */
    if (!(hy = on_host(y, &st->host_out_cache, err))) {
        rc = err->code;
        goto done;
    }
    double *yv = ezc_array_data(hy);
    for (int64_t b = 0; b < batch; b++) {
        double *row = yv + (size_t)b * st->nfreq;
        for (size_t f = 0; f < st->nfreq; f++) {
            double v = 0;
            for (int64_t k = 0; k < nb; k++) {
                double w = st->weights ? st->weights[k] : pow((double)(k + 1), -st->wa) + st->wb;
                v += w * rho2[(size_t)(b * nb + k) * st->nfreq + f];
            }
            row[f] = v;
        }
        if (st->beta != 0) {
            double mx = row[0], sum = 0;
            for (size_t f = 1; f < st->nfreq; f++)
                mx = fmax(mx, row[f]);
            for (size_t f = 0; f < st->nfreq; f++)
                sum += row[f] = exp(st->beta * (row[f] - mx));
            for (size_t f = 0; f < st->nfreq; f++)
                row[f] /= sum;
        }
    }
    if (hy->buf != y->buf && (rc = ezc_xp_call(xp, copy, err, hy, y)))
        goto done;
emit:
    *out = y;
    y = NULL;
done:
    ezc_array_destroy(&in);
    ezc_array_destroy(&xf);
    ezc_array_destroy(&xw);
    ezc_array_destroy(&mean);
    ezc_array_destroy(&gm);
    ezc_array_destroy(&hm);
    ezc_array_destroy(&hg);
    ezc_array_destroy(&y);
    ezc_array_destroy(&hy);
    return rc;
}

const ezc_transformer_type ezc_fbcca_type = {
    .name = "fbcca",
    .summary = "SSVEP scores per target frequency by filter-bank canonical correlation analysis",
    .settings = fbcca_settings,
    .init = fbcca_init,
    .process = fbcca_process,
    .fini = fbcca_fini,
};
