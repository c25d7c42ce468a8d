/* kalman.c — ReFIT Kalman decoder (Gilja et al. 2012; ezmsg-learn's
 * RefitKalmanFilter): states x (S) from features z (F),
 *   x_t = A x_{t-1} + w (cov W),  z_t = H x_t + q (cov Q).
 *
 * Port `train`: [time, ...] whose flattened last `n_states` columns are the
 * states and the others the features; A, W by least squares on consecutive
 * states, H, Q by least squares of Z on X, Q scaled by
 * measurement_noise_scale. A `train` message whose column axis carries the
 * labels cursor_x, cursor_y, target_x, target_y, hold is a refit instead:
 * the decoded states become intended ones (velocity turned toward the
 * target keeping its speed, zero while holding; positions held during a
 * hold, as ezmsg-learn, or the cursor's), and only H, Q and the gain are
 * re-estimated. Port `signal`: features -> states, dims [time, state],
 * float64. mode=steady uses the Riccati gain
 * (x = x- + K(z - H x-), folded into x_t = (A - KHA) x_{t-1} + K z_t);
 * mode=full runs the covariance recursion with the Joseph update, starting
 * (as ezmsg-learn) from the steady-state P of the model, or from P = 0, with
 * ezmsg-learn's fading memory P- = alpha^2 (A P A' + W).
 * State (x, P) carries across messages and resets when the template
 * changes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dare.h"
#include "hostla.h"
#include "learn_util.h"
#include "model_file.h"

typedef struct kf_model {
    int64_t s, f;
    double *a, *w, *h, *q; /* S x S, S x S, F x S, F x F */
    double *k, *fm;        /* steady gain (S x F), A - K H A (S x S) */
    double *p;             /* steady-state covariance dare(A', H', W, Q) (S x S) */
} kf_model;

enum {
    D_A,
    D_W,
    D_H,
    D_Q,
    D_K,
    D_FM,
    D_I,
    D_X,
    D_XP,
    D_P0,
    D_P,
    D_T1,
    D_PP,
    D_PHT,
    D_HP,
    D_SM,
    D_KT,
    D_HX,
    D_E,
    D_KX,
    D_KH,
    D_IKH,
    D_KQ,
    D_KQK,
    D_N
};

enum { HOLD_PREVIOUS, HOLD_CURSOR, HOLD_SENT };

typedef struct kf_state {
    const char *axis, *save;
    int full, p_zero;
    int hold_pos; /* refit positions: HOLD_PREVIOUS, HOLD_CURSOR or HOLD_SENT */
    int64_t n_states, vel_index, pos_index;
    double noise_scale, alpha;
    kf_model m;
    int dirty;
    ezc_template tpl;
    ezc_array *d[D_N]; /* device matrices and work arrays, float64 */
    ezc_buffer *out_cache, *perm_cache;
} kf_state;

static const ezc_setting_spec kf_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "the sample axis; the other dims are the features", 0,
     NULL},
    {"mode", EZC_SETTING_STRING, "steady", "gain: steady-state (Riccati) or full recursion", 0,
     "steady|full"},
    {"alpha", EZC_SETTING_FLOAT, "1.0",
     "full mode: fading memory, P- = alpha^2 (A P A' + W) (>= 1)", 0, NULL},
    {"initial_covariance", EZC_SETTING_STRING, "steady_state",
     "full mode: the recursion starts from the steady-state P (as ezmsg-learn) or from P = 0", 0,
     "steady_state|zero"},
    {"n_states", EZC_SETTING_INT, "4", "training: the last n_states columns are the states", 0,
     NULL},
    {"measurement_noise_scale", EZC_SETTING_FLOAT, "1.2", "training: Q is scaled by this", 0, NULL},
    {"velocity_index", EZC_SETTING_INT, "2", "refit: the 2-D velocity is states [i, i+1]", 0, NULL},
    {"position_index", EZC_SETTING_INT, "0",
     "refit: the 2-D position is states [i, i+1] (-1: no position states, kept as sent)", 0, NULL},
    {"refit_position", EZC_SETTING_STRING, "previous",
     "refit: intended positions are the previous sample's while holding and as sent otherwise "
     "(ezmsg-learn), the cursor's (Gilja et al.), or as sent",
     0, "previous|cursor|sent"},
    {"model", EZC_SETTING_STRING, NULL, "model file to start from (docs/learn.md)", 0, NULL},
    {"save", EZC_SETTING_STRING, NULL, "model file written after each successful fit", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static const ezc_port_spec kf_ports[] = {
    {"signal", "features to decode"},
    {"train", "features followed by n_states state columns, per sample (refit: plus labelled "
              "cursor_x, cursor_y, target_x, target_y, hold columns)"},
    {NULL, NULL},
};

static void model_free(kf_model *m)
{
    free(m->a); /* one block */
    memset(m, 0, sizeof *m);
}

static void device_free(kf_state *st)
{
    for (int i = 0; i < D_N; i++)
        ezc_array_destroy(&st->d[i]);
}

static void kf_fini(void *state)
{
    kf_state *st = state;
    if (!st)
        return;
    model_free(&st->m);
    device_free(st);
    ezc_buffer_unref(&st->out_cache);
    ezc_buffer_unref(&st->perm_cache);
    free(st);
}

/* A model from host matrices (copied), with its steady-state covariance
 * P = dare(A', H', W, Q), gain K = P H' (H P H' + Q)^-1 and the folded
 * steady-state transition Fm = A - K H A. */
static int model_make(kf_model *m, int64_t s, int64_t f, const double *a, const double *w,
                      const double *h, const double *q, ezc_error *err)
{
    size_t ss = (size_t)(s * s), fs = (size_t)(f * s), ff = (size_t)(f * f);
    memset(m, 0, sizeof *m);
    double *blk = malloc((4 * ss + 2 * fs + ff) * sizeof(double));
    double *tmp = malloc((ss + 4 * fs + ff) * sizeof(double));
    if (!blk || !tmp) {
        free(blk);
        free(tmp);
        return ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    }
    m->s = s, m->f = f;
    m->a = blk, m->w = m->a + ss, m->h = m->w + ss, m->q = m->h + fs, m->k = m->q + ff,
    m->fm = m->k + fs, m->p = m->fm + ss;
    memcpy(m->a, a, ss * sizeof(double));
    memcpy(m->w, w, ss * sizeof(double));
    memcpy(m->h, h, fs * sizeof(double));
    memcpy(m->q, q, ff * sizeof(double));
    /* work: A' (S x S), H' (S x F), H P (F x S), S (F x F), K' (F x S), H A (F x S) */
    double *at = tmp, *ht = at + ss, *hp = ht + fs, *sm = hp + fs, *kt = sm + ff, *ha = kt + fs;
    int rc = 0;
    if (!lu_all_finite(blk, 2 * ss + fs + ff))
        rc = ezc_error_set(err, EZC_EINVAL, "kalman: NaN or inf in A, W, H or Q");
    if (!rc) {
        hl_transpose(s, s, a, at);
        hl_transpose(f, s, h, ht);
        if ((rc = ezc_dare_solve((int)s, (int)f, at, ht, w, q, m->p, NULL, err)))
            ezc_error_prefix(err, "kalman: steady-state gain");
    }
    if (!rc) {
        hl_matmul(f, s, s, h, 0, m->p, 0, hp, 0); /* H P */
        memcpy(sm, q, ff * sizeof(double));
        hl_matmul(f, f, s, hp, 0, h, 1, sm, 1); /* S = H P H' + Q */
        memcpy(kt, hp, fs * sizeof(double));
        if (hl_solve(f, s, sm, kt)) /* K' = S^-1 H P (S and P symmetric) */
            rc = ezc_error_set(err, EZC_ENUMERIC, "kalman: H P H' + Q is singular");
    }
    if (!rc) {
        hl_transpose(f, s, kt, m->k);
        hl_matmul(f, s, s, h, 0, a, 0, ha, 0);        /* H A */
        hl_matmul(s, s, f, m->k, 0, ha, 0, m->fm, 0); /* K H A */
        for (size_t i = 0; i < ss; i++)
            m->fm[i] = a[i] - m->fm[i];
    }
    free(tmp);
    if (rc)
        model_free(m);
    return rc;
}

static void install(kf_state *st, kf_model *m)
{
    model_free(&st->m);
    st->m = *m;
    memset(m, 0, sizeof *m);
    st->dirty = 1;
}

static int load_model(kf_state *st, const char *path, ezc_error *err)
{
    ezc_model *f = NULL;
    if (ezc_model_load(path, &f, err))
        return ezc_error_prefix(err, "kalman: setting 'model'");
    int rc = 0;
    const ezc_model_array *a, *w, *h, *q;
    int64_t any[2] = {-1, -1};
    if (strcmp(f->kind, "kalman") != 0) {
        rc = ezc_error_set(err, EZC_EINVAL,
                           "kalman: setting 'model' = %s: a '%s' model, not 'kalman'", path,
                           f->kind);
    } else if (!(a = ezc_model_get(f, path, "A", 2, any, err))) {
        rc = ezc_error_prefix(err, "kalman: setting 'model'");
    } else {
        int64_t s = a->shape[0], ss[2] = {s, s}, hs[2] = {-1, s};
        if (!(w = ezc_model_get(f, path, "W", 2, ss, err)) ||
            !(a = ezc_model_get(f, path, "A", 2, ss, err)) ||
            !(h = ezc_model_get(f, path, "H", 2, hs, err)))
            rc = ezc_error_prefix(err, "kalman: setting 'model'");
        else {
            int64_t fs[2] = {h->shape[0], h->shape[0]};
            if (!(q = ezc_model_get(f, path, "Q", 2, fs, err)))
                rc = ezc_error_prefix(err, "kalman: setting 'model'");
            else {
                kf_model m;
                if (!(rc = model_make(&m, s, h->shape[0], a->data, w->data, h->data, q->data, err)))
                    install(st, &m);
                else
                    ezc_error_prefix(err, "setting 'model' = %s", path);
            }
        }
    }
    ezc_model_destroy(&f);
    return rc;
}

static int kf_init(void **state, const ezc_settings *s, ezc_error *err)
{
    kf_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    const char *mode, *p0 = "steady_state", *hold = "previous", *model = NULL;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_string(s, "initial_covariance", &p0);
    ezc_settings_get_string(s, "refit_position", &hold);
    ezc_settings_get_string(s, "mode", &mode);
    ezc_settings_get_int(s, "n_states", &st->n_states);
    ezc_settings_get_float(s, "measurement_noise_scale", &st->noise_scale);
    st->alpha = 1.0;
    ezc_settings_get_float(s, "alpha", &st->alpha);
    ezc_settings_get_int(s, "velocity_index", &st->vel_index);
    ezc_settings_get_int(s, "position_index", &st->pos_index);
    ezc_settings_get_string(s, "model", &model);
    ezc_settings_get_string(s, "save", &st->save);
    st->full = strcmp(mode, "full") == 0;
    st->p_zero = strcmp(p0, "zero") == 0;
    st->hold_pos = !strcmp(hold, "cursor") ? HOLD_CURSOR
                   : !strcmp(hold, "sent") ? HOLD_SENT
                                           : HOLD_PREVIOUS;
    int rc = 0;
    if (st->n_states < 1 || st->n_states > 1024)
        rc = ezc_error_set(err, EZC_EINVAL, "kalman: setting 'n_states' = %lld: expected 1..1024",
                           (long long)st->n_states);
    else if (!(st->alpha >= 1.0) || isinf(st->alpha))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "kalman: setting 'alpha' = %g: expected a finite "
                           "number >= 1 (1: no fading memory)",
                           st->alpha);
    else if (!(st->noise_scale > 0) || isinf(st->noise_scale))
        rc = ezc_error_set(
            err, EZC_EINVAL,
            "kalman: setting 'measurement_noise_scale' = %g: expected a positive number",
            st->noise_scale);
    else if (st->vel_index < 0)
        rc =
            ezc_error_set(err, EZC_EINVAL, "kalman: setting 'velocity_index' = %lld: expected >= 0",
                          (long long)st->vel_index);
    else if (st->pos_index < -1)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "kalman: setting 'position_index' = %lld: expected >= 0, or -1 (keep)",
                           (long long)st->pos_index);
    else if (model)
        rc = load_model(st, model, err);
    if (rc) {
        kf_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* ---- filtering -------------------------------------------------------- */

static int build_device(kf_state *st, DLDevice dev, const ezc_xp *xp, ezc_error *err)
{
    const kf_model *m = &st->m;
    int64_t s = m->s, f = m->f;
    double *eye = calloc((size_t)(s * s), sizeof(double));
    if (!eye)
        return ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    for (int64_t i = 0; i < s; i++)
        eye[i * s + i] = 1;
    device_free(st);
    struct {
        int id;
        const double *src;
        int64_t r, c;
    } spec[] = {
        {D_A, m->a, s, s},  {D_W, m->w, s, s},   {D_H, m->h, f, s},  {D_Q, m->q, f, f},
        {D_K, m->k, s, f},  {D_FM, m->fm, s, s}, {D_I, eye, s, s},   {D_X, NULL, 1, s},
        {D_XP, NULL, 1, s}, {D_P0, m->p, s, s},  {D_P, NULL, s, s},  {D_T1, NULL, s, s},
        {D_PP, NULL, s, s}, {D_PHT, NULL, s, f}, {D_HP, NULL, f, s}, {D_SM, NULL, f, f},
        {D_KT, NULL, f, s}, {D_HX, NULL, 1, f},  {D_E, NULL, 1, f},  {D_KX, NULL, 1, s},
        {D_KH, NULL, s, s}, {D_IKH, NULL, s, s}, {D_KQ, NULL, s, f}, {D_KQK, NULL, s, s},
    };
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof spec / sizeof spec[0]; i++) {
        if (!st->full && spec[i].id > D_XP) /* steady needs x and one row */
            break;
        if (spec[i].src)
            st->d[spec[i].id] = lu_matrix(spec[i].src, spec[i].r, spec[i].c, EZC_FLOAT64, dev, err);
        else {
            int64_t sh[2] = {spec[i].r, spec[i].c};
            st->d[spec[i].id] = ezc_array_new(EZC_FLOAT64, 2, sh, NULL, dev, err);
            if (st->d[spec[i].id])
                rc = ezc_xp_call(xp, fill, err, st->d[spec[i].id], 0.0);
        }
        if (!rc && !st->d[spec[i].id])
            rc = err->code;
    }
    free(eye);
    if (!rc && st->full && !st->p_zero) /* ezmsg-learn starts from the steady state */
        rc = ezc_xp_call(xp, copy, err, st->d[D_P0], st->d[D_P]);
    if (rc)
        device_free(st);
    return rc;
}

/* Steady state: Y = Z K', then y_t += y_{t-1} Fm' sample by sample. */
static int run_steady(kf_state *st, const ezc_array *z, ezc_array *y, const ezc_xp *xp,
                      ezc_error *err)
{
    int64_t n = y->shape[0], s = st->m.s;
    ezc_array *x = st->d[D_X], *tmp = st->d[D_XP];
    ezc_array prev, row, last;
    int rc = ezc_xp_call(xp, matmul, err, z, st->d[D_K], y, 0, 1);
    for (int64_t t = 0; !rc && t < n; t++) {
        if (t)
            lu_view(&prev, y, t - 1, 1, s);
        lu_view(&row, y, t, 1, s);
        if (!(rc = ezc_xp_call(xp, matmul, err, t ? &prev : x, st->d[D_FM], tmp, 0, 1)))
            rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, &row, tmp, &row);
    }
    if (!rc && n) {
        lu_view(&last, y, n - 1, 1, s);
        rc = ezc_xp_call(xp, copy, err, &last, x);
    }
    return rc;
}

/* Full recursion with the Joseph-form covariance update. */
static int run_full(kf_state *st, const ezc_array *z, ezc_array *y, const ezc_xp *xp,
                    ezc_error *err)
{
    int64_t n = y->shape[0], s = st->m.s, f = st->m.f;
    ezc_array **d = st->d, zr, row;
    int rc = 0;
    for (int64_t t = 0; !rc && t < n; t++) {
        lu_view(&zr, z, t, 1, f);
        lu_view(&row, y, t, 1, s);
        if ((rc = ezc_xp_call(xp, matmul, err, d[D_X], d[D_A], d[D_XP], 0, 1)) || /* x- = A x */
            (rc = ezc_xp_call(xp, matmul, err, d[D_A], d[D_P], d[D_T1], 0,
                              0)) || /* P- = A P A' + W */
            (rc = ezc_xp_call(xp, matmul, err, d[D_T1], d[D_A], d[D_PP], 0, 1)) ||
            (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, d[D_PP], d[D_W], d[D_PP])) ||
            (st->alpha != 1.0 && /* fading memory: alpha^2 (A P A' + W) */
             (rc = ezc_xp_call(xp, affine, err, d[D_PP], d[D_PP], st->alpha * st->alpha, 0.0))) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_PP], d[D_H], d[D_PHT], 0,
                              1)) || /* S = H P- H' + Q */
            (rc = ezc_xp_call(xp, matmul, err, d[D_H], d[D_PHT], d[D_SM], 0, 0)) ||
            (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, d[D_SM], d[D_Q], d[D_SM])) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_H], d[D_PP], d[D_HP], 0,
                              0)) || /* K' = S^-1 H P- */
            (rc = ezc_xp_call(xp, solve, err, d[D_SM], d[D_HP], d[D_KT])) ||
            (rc =
                 ezc_xp_call(xp, matmul, err, d[D_XP], d[D_H], d[D_HX], 0, 1)) || /* e = z - H x- */
            (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, &zr, d[D_HX], d[D_E])) ||
            (rc =
                 ezc_xp_call(xp, matmul, err, d[D_E], d[D_KT], d[D_KX], 0, 0)) || /* x = x- + K e */
            (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, d[D_XP], d[D_KX], &row)) ||
            (rc = ezc_xp_call(xp, copy, err, &row, d[D_X])) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_KT], d[D_H], d[D_KH], 1,
                              0)) || /* P = (I-KH) P- (I-KH)' + K Q K' */
            (rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, d[D_I], d[D_KH], d[D_IKH])) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_IKH], d[D_PP], d[D_T1], 0, 0)) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_T1], d[D_IKH], d[D_P], 0, 1)) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_KT], d[D_Q], d[D_KQ], 1, 0)) ||
            (rc = ezc_xp_call(xp, matmul, err, d[D_KQ], d[D_KT], d[D_KQK], 0, 0)))
            break;
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, d[D_P], d[D_KQK], d[D_P]);
    }
    return rc;
}

static int filter(kf_state *st, ezc_array *in, int axis, ezc_array **out, const ezc_xp *xp,
                  ezc_error *err)
{
    const kf_model *m = &st->m;
    if (!m->a)
        return ezc_error_set(err, EZC_EINVAL,
                             "kalman: no model yet (send data to port 'train' or set 'model')");
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "kalman: %s data are not features",
                             ezc_dtype_name(in->dtype));
    size_t outer, n, inner;
    ezc_array_split(in, axis, &outer, &n, &inner);
    if ((int64_t)(outer * inner) != m->f)
        return ezc_error_set(
            err, EZC_ESHAPE,
            "kalman: %zu features per sample (all dims but '%s'), the model has %lld",
            outer * inner, st->axis, (long long)m->f);
    int rc;
    if ((ezc_template_changed(&st->tpl, in, axis) || st->dirty || !st->d[D_A]) &&
        (rc = build_device(st, in->tensor.device, xp, err)))
        return rc;
    st->dirty = 0;
    int64_t shape[2] = {(int64_t)n, m->s};
    ezc_array *y = ezc_array_new_like_cached(in, EZC_FLOAT64, 2, shape, &st->out_cache, err),
              *z = NULL;
    if (!y)
        return err->code;
    for (int i = 0; i < 2; i++)
        ezc_array_clear_axis(y, i);
    snprintf(y->dims[0], EZC_NAME_MAX, "%s", in->dims[axis]);
    snprintf(y->dims[1], EZC_NAME_MAX, "state");
    y->axes[0] = in->axes[axis];
    ezc_coords_ref(y->axes[0].coords);
    rc = 0;
    if (n && !(rc = lu_samples_first(in, axis, EZC_FLOAT64, &st->perm_cache, &z, err)))
        rc = st->full ? run_full(st, z, y, xp, err) : run_steady(st, z, y, xp, err);
    ezc_array_destroy(&z);
    if (rc)
        ezc_array_destroy(&y);
    *out = y;
    return rc;
}

/* ---- training --------------------------------------------------------- */

/* op(a) @ op(b) on the device, brought to host out. */
static int product(const ezc_array *a, int ta, const ezc_array *b, int tb, double *out,
                   const ezc_xp *xp, ezc_error *err)
{
    int64_t sh[2] = {a->shape[ta ? 1 : 0], b->shape[tb ? 0 : 1]};
    ezc_array *c = ezc_array_new(EZC_FLOAT64, 2, sh, NULL, a->tensor.device, err);
    int rc = c ? ezc_xp_call(xp, matmul, err, a, b, c, ta, tb) : err->code;
    if (!rc)
        rc = lu_to_host(c, out, err);
    ezc_array_destroy(&c);
    return rc;
}

/* x = solve(g, r) on the host (g k x k, r k x c); refuses a singular g. */
static int host_solve(const double *g, const double *r, int64_t k, int64_t c, double *x,
                      const char *what, ezc_error *err)
{
    if (!lu_all_finite(g, (size_t)(k * k)) || !lu_all_finite(r, (size_t)(k * c)))
        return ezc_error_set(err, EZC_EINVAL, "kalman: training data contain NaN or inf");
    double *lu = malloc((size_t)(k * k) * sizeof *lu);
    if (!lu)
        return ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    memcpy(lu, g, (size_t)(k * k) * sizeof *lu);
    memcpy(x, r, (size_t)(k * c) * sizeof *x);
    int rc = hl_solve(k, c, lu, x);
    free(lu);
    if (rc == EZC_ENOMEM)
        return ezc_error_set(err, rc, "kalman: out of memory");
    if (rc)
        return ezc_error_set(err, EZC_ENUMERIC,
                             "kalman: %s is singular (states constant or linearly dependent?)",
                             what);
    return 0;
}

static int save_model(const kf_state *st, ezc_error *err)
{
    const kf_model *m = &st->m;
    int64_t ss[2] = {m->s, m->s}, hs[2] = {m->f, m->s}, qs[2] = {m->f, m->f};
    ezc_model *f = ezc_model_new("kalman", err);
    int rc = f ? 0 : err->code;
    if (!rc && !(rc = ezc_model_add(f, "A", 2, ss, m->a, err)) &&
        !(rc = ezc_model_add(f, "W", 2, ss, m->w, err)) &&
        !(rc = ezc_model_add(f, "H", 2, hs, m->h, err)) &&
        !(rc = ezc_model_add(f, "Q", 2, qs, m->q, err)) && (rc = ezc_model_save(st->save, f, err)))
        ezc_error_prefix(err, "kalman: setting 'save' (the new model is in use)");
    ezc_model_destroy(&f);
    return rc;
}

/* The refit columns' labels, in the order they are used. */
static const char *const refit_names[5] = {"cursor_x", "cursor_y", "target_x", "target_y", "hold"};

/* 1 with cols[] filled when the column axis (the one other dim of a 2-D
 * message) is labelled with all five refit names, 0 for a plain fit, an
 * error when only some of them are there. */
static int find_refit_columns(const ezc_array *in, int axis, int64_t cols[5], ezc_error *err)
{
    if (in->tensor.ndim != 2)
        return 0;
    int other = 1 - axis, found = 0;
    const ezc_coords *c = in->axes[other].coords;
    if (in->axes[other].kind != EZC_AXIS_COORD || !c || !c->labels)
        return 0;
    for (int k = 0; k < 5; k++) {
        cols[k] = -1;
        for (size_t j = 0; j < c->n && cols[k] < 0; j++)
            if (strcmp(c->labels[j], refit_names[k]) == 0)
                cols[k] = (int64_t)j;
        found += cols[k] >= 0;
    }
    if (found == 0)
        return 0;
    for (int k = 0; found < 5 && k < 5; k++)
        if (cols[k] < 0)
            return ezc_error_set(err, EZC_EINVAL,
                                 "kalman: a refit needs the columns cursor_x, cursor_y, target_x, "
                                 "target_y and hold labelled along '%s'; '%s' is missing",
                                 in->dims[other], refit_names[k]);
    return 1;
}

/* ReFIT intended states (host, n x s) from the decoded states and the refit
 * columns (r: n x (s + 5), states first): the velocity keeps its speed but
 * points at the target, and is zero while holding (or kept when the cursor
 * is on the target already); positions per refit_position: `previous`
 * (ezmsg-learn: as sent, but while holding the previous sample's intended
 * position, so a hold stays where it began), `cursor` or `sent`. */
static int intended_states(const kf_state *st, const double *r, int64_t n, int64_t s, double *x,
                           ezc_error *err)
{
    if (!lu_all_finite(r, (size_t)(n * (s + 5))))
        return ezc_error_set(err, EZC_EINVAL, "kalman: refit data contain NaN or inf");
    int64_t vi = st->vel_index, pi = st->pos_index;
    for (int64_t t = 0; t < n; t++) {
        const double *row = r + t * (s + 5), *k = row + s; /* cursor x, y, target x, y, hold */
        double *o = x + t * s;
        memcpy(o, row, (size_t)s * sizeof(double));
        if (pi >= 0 && st->hold_pos == HOLD_CURSOR)
            o[pi] = k[0], o[pi + 1] = k[1];
        if (k[4] != 0) {
            o[vi] = o[vi + 1] = 0;
            if (pi >= 0 && st->hold_pos == HOLD_PREVIOUS && t > 0)
                o[pi] = o[pi - s], o[pi + 1] = o[pi + 1 - s];
            continue;
        }
        double dx = k[2] - k[0], dy = k[3] - k[1], dist = hypot(dx, dy);
        if (dist > 1e-5) {
            double speed = hypot(row[vi], row[vi + 1]);
            o[vi] = speed * dx / dist;
            o[vi + 1] = speed * dy / dist;
        }
    }
    return 0;
}

/* H (F x S) and Q (F x F, scaled) by least squares of z (n x F) on x (n x S). */
static int fit_observation(const kf_state *st, const ezc_array *xd, const ezc_array *zd, double *h,
                           double *q, const ezc_xp *xp, ezc_error *err)
{
    int64_t n = xd->shape[0], s = xd->shape[1], f = zd->shape[1];
    size_t ss = (size_t)(s * s), fs = (size_t)(f * s), ff = (size_t)(f * f);
    double *g = malloc((ss + 2 * fs) * sizeof(double)), *xz = g + ss, *ht = xz + fs;
    ezc_array *md = NULL, *e = NULL;
    int rc = g ? 0 : ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    if (!rc && !(rc = product(xd, 1, xd, 0, g, xp, err)) &&
        !(rc = product(xd, 1, zd, 0, xz, xp, err)))
        rc = host_solve(g, xz, s, f, ht, "X'X (states)", err); /* H' (S x F) */
    if (!rc) { /* Q = D'D / n * scale, D = Z - X H' */
        int64_t es[2] = {n, f};
        if (!(md = lu_matrix(ht, s, f, EZC_FLOAT64, xd->tensor.device, err)) ||
            !(e = ezc_array_new(EZC_FLOAT64, 2, es, NULL, xd->tensor.device, err)))
            rc = err->code;
        else if (!(rc = ezc_xp_call(xp, matmul, err, xd, md, e, 0, 0)) &&
                 !(rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, zd, e, e)) &&
                 !(rc = product(e, 1, e, 0, q, xp, err)))
            for (size_t i = 0; i < ff; i++)
                q[i] *= st->noise_scale / (double)n;
    }
    if (!rc)
        for (int64_t i = 0; i < f; i++)
            for (int64_t j = 0; j < s; j++)
                h[i * s + j] = ht[j * f + i];
    ezc_array_destroy(&md);
    ezc_array_destroy(&e);
    free(g);
    return rc;
}

/* A and W by least squares on consecutive states of x (n x S): A' =
 * (X1'X1)^-1 X1'X2, W = E'E / (n - 1) with E = X2 - X1 A'. */
static int fit_dynamics(const ezc_array *xd, double *a, double *w, const ezc_xp *xp, ezc_error *err)
{
    int64_t n = xd->shape[0], s = xd->shape[1];
    size_t ss = (size_t)(s * s);
    double *g = malloc(3 * ss * sizeof(double)), *c = g + ss, *at = c + ss;
    ezc_array x1, x2, *md = NULL, *e = NULL;
    int rc = g ? 0 : ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    lu_view(&x1, xd, 0, n - 1, s);
    lu_view(&x2, xd, 1, n - 1, s);
    if (!rc && !(rc = product(&x1, 1, &x1, 0, g, xp, err)) &&
        !(rc = product(&x1, 1, &x2, 0, c, xp, err)))
        rc = host_solve(g, c, s, s, at, "X1'X1 (consecutive states)", err);
    if (!rc) {
        int64_t es[2] = {n - 1, s};
        if (!(md = lu_matrix(at, s, s, EZC_FLOAT64, xd->tensor.device, err)) ||
            !(e = ezc_array_new(EZC_FLOAT64, 2, es, NULL, xd->tensor.device, err)))
            rc = err->code;
        else if (!(rc = ezc_xp_call(xp, matmul, err, &x1, md, e, 0, 0)) &&
                 !(rc = ezc_xp_call(xp, binary, err, EZC_BINARY_SUB, &x2, e, e)) &&
                 !(rc = product(e, 1, e, 0, w, xp, err)))
            for (size_t i = 0; i < ss; i++)
                w[i] /= (double)(n - 1);
    }
    if (!rc)
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++)
                a[i * s + j] = at[j * s + i];
    ezc_array_destroy(&md);
    ezc_array_destroy(&e);
    free(g);
    return rc;
}

/* Checks a refit's shape against the model in force and the index settings. */
static int refit_check(const kf_state *st, int64_t f, ezc_error *err)
{
    const kf_model *m = &st->m;
    if (!m->a)
        return ezc_error_set(err, EZC_EINVAL,
                             "kalman: a refit needs a model (fit first or set 'model')");
    if (f != m->f)
        return ezc_error_set(err, EZC_ESHAPE,
                             "kalman: refit with %lld feature columns, the model has %lld",
                             (long long)f, (long long)m->f);
    if (st->vel_index + 1 >= m->s)
        return ezc_error_set(err, EZC_EINVAL,
                             "kalman: setting 'velocity_index' = %lld: the model has %lld states",
                             (long long)st->vel_index, (long long)m->s);
    if (st->pos_index >= 0 && st->pos_index + 1 >= m->s)
        return ezc_error_set(err, EZC_EINVAL,
                             "kalman: setting 'position_index' = %lld: the model has %lld states",
                             (long long)st->pos_index, (long long)m->s);
    if (st->pos_index >= 0 && llabs(st->pos_index - st->vel_index) < 2)
        return ezc_error_set(err, EZC_EINVAL,
                             "kalman: setting 'position_index' = %lld overlaps velocity_index %lld",
                             (long long)st->pos_index, (long long)st->vel_index);
    return 0;
}

static int train(kf_state *st, ezc_array *in, int axis, const ezc_xp *xp, ezc_error *err)
{
    if (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL)
        return ezc_error_set(err, EZC_EDTYPE, "kalman: %s data are not features",
                             ezc_dtype_name(in->dtype));
    int64_t rcols[5];
    int refit = find_refit_columns(in, axis, rcols, err);
    if (refit < 0)
        return refit;
    size_t outer, nn, inner;
    ezc_array_split(in, axis, &outer, &nn, &inner);
    int64_t n = (int64_t)nn, cols = (int64_t)(outer * inner), nr = refit ? 5 : 0;
    int64_t s = refit ? st->m.s : st->n_states, f = cols - nr - s;
    int rc = refit ? refit_check(st, f, err) : 0;
    if (rc)
        return rc;
    if (f < 1 || n < s + 2)
        return ezc_error_set(
            err, EZC_ESHAPE,
            "kalman: training needs more than n_states (%lld) columns and at least "
            "%lld samples (got %lld x %lld)",
            (long long)s, (long long)(s + 2), (long long)n, (long long)(f + s));
    ezc_array *all = NULL, *xd = NULL, *zd = NULL, *xi = NULL;
    ezc_buffer *scratch = NULL;
    int64_t *idx = malloc((size_t)cols * sizeof *idx);
    size_t ss = (size_t)(s * s), fs = (size_t)(f * s), ff = (size_t)(f * f);
    size_t hostn = refit ? (size_t)(n * (2 * s + 5)) : 0;
    double *a = malloc((2 * ss + fs + ff + hostn) * sizeof(double));
    double *w = a + ss, *h = w + ss, *q = h + fs, *r = q + ff, *x = r + (refit ? n * (s + 5) : 0);
    rc = idx && a ? 0 : ezc_error_set(err, EZC_ENOMEM, "kalman: out of memory");
    if (!rc) { /* column order: states, refit columns, features */
        int64_t k = 0, kf = s + nr, kept = 0;
        for (int64_t j = 0; j < cols; j++) {
            int is_refit = 0;
            for (int64_t c = 0; c < nr; c++)
                is_refit |= rcols[c] == j;
            if (is_refit)
                continue;
            if (kept++ < f)
                idx[kf++] = j;
            else
                idx[k++] = j;
        }
        for (int64_t c = 0; c < nr; c++)
            idx[s + c] = rcols[c];
        rc = lu_samples_first(in, axis, EZC_FLOAT64, &scratch, &all, err);
    }
    if (!rc) {
        int64_t xs[2] = {n, s + nr}, zs[2] = {n, f};
        xd = ezc_array_new(EZC_FLOAT64, 2, xs, NULL, in->tensor.device, err);
        zd = ezc_array_new(EZC_FLOAT64, 2, zs, NULL, in->tensor.device, err);
        if (!xd || !zd || (rc = ezc_xp_call(xp, take, err, all, 1, idx, (size_t)(s + nr), xd)) ||
            (rc = ezc_xp_call(xp, take, err, all, 1, idx + s + nr, (size_t)f, zd)))
            rc = rc ? rc : err->code;
    }
    if (!rc && !refit) {
        rc = fit_dynamics(xd, a, w, xp, err);
    } else if (!rc) { /* A, W stay; the states become intended ones */
        memcpy(a, st->m.a, ss * sizeof(double));
        memcpy(w, st->m.w, ss * sizeof(double));
        if (!(rc = lu_to_host(xd, r, err)) && !(rc = intended_states(st, r, n, s, x, err)) &&
            !(xi = lu_matrix(x, n, s, EZC_FLOAT64, in->tensor.device, err)))
            rc = err->code;
    }
    if (!rc)
        rc = fit_observation(st, refit ? xi : xd, zd, h, q, xp, err);
    if (!rc) {
        kf_model m;
        if (!(rc = model_make(&m, s, f, a, w, h, q, err))) {
            install(st, &m);
            if (st->save)
                rc = save_model(st, err);
        }
    }
    ezc_array_destroy(&all);
    ezc_array_destroy(&xd);
    ezc_array_destroy(&zd);
    ezc_array_destroy(&xi);
    ezc_buffer_unref(&scratch);
    free(idx);
    free(a);
    return rc;
}

static int kf_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    kf_state *st = state;
    int axis, rc = ezc_array_require_axis(in, st->axis, &axis, err);
    *out = NULL;
    if (!rc)
        rc = port == 1 ? train(st, in, axis, xp, err) : filter(st, in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_kalman_type = {
    .name = "kalman",
    .summary = "ReFIT Kalman decoder: features -> states (train on port 'train')",
    .settings = kf_settings,
    .inputs = kf_ports,
    .init = kf_init,
    .process = kf_process,
    .fini = kf_fini,
};
