/* binned_aggregate.c — reduces an axis to regular bins of bin_duration
 * seconds, the open bin carried across messages (ezmsg-sigproc's
 * BinnedAggregate and its BinSchedule). Bin m covers the stream's samples
 * [B(m), B(m + 1)) with B(m) = int(m * spb), spb = bin_duration * fs
 * (fractional) or int(bin_duration * fs) (fixed): indexed by the global bin
 * number, so any chunking gives the same bins. Each message: work =
 * carry ++ message (xp.concat), each closed bin gathered (xp.take) and
 * reduced (the `aggregate` reductions) into a staging array laid out
 * [op][bin][before][after], permuted to [before, bin, after, op] when that
 * is not already the output's layout; the samples after the last closed
 * bin become the carry. argmin/argmax give the time of the extreme. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregation.h"
#include "filter_stream.h"
#include "tf_util.h"

#define MAX_OPS 8

typedef struct binagg_state {
    char axis[EZC_NAME_MAX], newaxis[EZC_NAME_MAX];
    double dur;
    int fractional, multi, nops;
    ezc_agg_op ops[MAX_OPS];
    ezc_coords *op_labels;
    ezc_template tpl;
    double spb, out_gain;
    int64_t m_done, carry_n;
    ezc_array *carry;
    ezc_buffer *c_work, *c_carry, *c_tmp, *c_r, *c_stage, *c_out, *c_trap;
    int64_t *idx;
    double *xv;
    size_t idx_cap;
} binagg_state;

static const ezc_setting_spec binagg_settings[] = {
    {"axis", EZC_SETTING_STRING, "time", "dim to bin (linear: gain = 1/fs)", 0, NULL},
    {"bin_duration", EZC_SETTING_FLOAT, "0.02", "seconds per bin", 0, NULL},
    {"operation", EZC_SETTING_STRING, "mean", "reduction in each bin", 0, NULL},
    {"operations", EZC_SETTING_STRINGS, NULL,
     "several reductions instead, stacked on a trailing `newaxis`", 0, NULL},
    {"newaxis", EZC_SETTING_STRING, "metric", "name of the trailing dim of `operations`", 0, NULL},
    {"fractional", EZC_SETTING_BOOL, "true",
     "bins of bin_duration * fs samples exactly (true) or int() of it", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void binagg_fini(void *state)
{
    binagg_state *st = state;
    if (!st)
        return;
    for (int j = 0; j < MAX_OPS; j++)
        ezc_agg_free(&st->ops[j]);
    ezc_coords_unref(&st->op_labels);
    ezc_array_destroy(&st->carry);
    ezc_buffer **c[] = {&st->c_work,  &st->c_carry, &st->c_tmp, &st->c_r,
                        &st->c_stage, &st->c_out,   &st->c_trap};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        ezc_buffer_unref(c[i]);
    free(st->idx);
    free(st->xv);
    free(st);
}

static int binagg_init(void **state, const ezc_settings *s, ezc_error *err)
{
    binagg_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "binned_aggregate: out of memory");
    const char *axis = "time", *newaxis = "metric", *op = "mean";
    const char *const *ops = NULL;
    size_t nops = 0;
    st->dur = 0.02;
    st->fractional = 1;
    ezc_settings_get_string(s, "axis", &axis);
    ezc_settings_get_string(s, "newaxis", &newaxis);
    ezc_settings_get_string(s, "operation", &op);
    ezc_settings_get_float(s, "bin_duration", &st->dur);
    ezc_settings_get_bool(s, "fractional", &st->fractional);
    ezc_settings_get_strings(s, "operations", &ops, &nops);
    snprintf(st->axis, sizeof st->axis, "%s", axis);
    snprintf(st->newaxis, sizeof st->newaxis, "%s", newaxis);
    int rc = 0;
    if (!(st->dur > 0) || isinf(st->dur))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "binned_aggregate: setting 'bin_duration' = %g: must be a positive "
                           "number of seconds",
                           st->dur);
    else if (ops && (nops < 1 || nops > MAX_OPS))
        rc = ezc_error_set(err, EZC_EINVAL,
                           "binned_aggregate: setting 'operations' has %zu names: 1 to %d", nops,
                           MAX_OPS);
    if (!rc && ops) {
        st->multi = 1;
        st->nops = (int)nops;
        for (size_t j = 0; !rc && j < nops; j++)
            rc = ezc_agg_parse("binned_aggregate", ops[j], &st->ops[j], err);
        if (!rc && !(st->op_labels = ezc_coords_new(nops, NULL, ops, err)))
            rc = err->code;
    } else if (!rc) {
        st->nops = 1;
        rc = ezc_agg_parse("binned_aggregate", op, &st->ops[0], err);
    }
    if (rc) {
        binagg_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int reset(binagg_state *st, const ezc_array *x, int ax, ezc_error *err)
{
    double fs;
    int rc = ezc_axis_rate(x, ax, &fs, err);
    if (rc)
        return rc;
    double spb = st->dur * fs;
    if (!st->fractional)
        spb = floor(spb);
    if (!(spb >= 1))
        return ezc_error_set(err, EZC_EINVAL,
                             "setting 'bin_duration' = %g s: under one sample at fs = %g Hz",
                             st->dur, fs);
    st->spb = spb;
    st->out_gain = st->fractional ? st->dur : spb / fs;
    st->m_done = 0;
    st->carry_n = 0;
    ezc_array_destroy(&st->carry);
    return 0;
}

static int64_t boundary(const binagg_state *st, int64_t m)
{
    return (int64_t)((double)m * st->spb);
}

/* The output dtype: the ops' common one; float64 when they differ, and for
 * argmin/argmax (times). */
static ezc_dtype out_dtype(const binagg_state *st, ezc_dtype t)
{
    ezc_dtype d = ezc_agg_is_arg(&st->ops[0]) ? EZC_FLOAT64 : ezc_agg_dtype(&st->ops[0], t);
    for (int j = 1; j < st->nops; j++)
        if ((ezc_agg_is_arg(&st->ops[j]) ? EZC_FLOAT64 : ezc_agg_dtype(&st->ops[j], t)) != d)
            return EZC_FLOAT64;
    return d;
}

static int grow(binagg_state *st, size_t n, ezc_error *err)
{
    if (n <= st->idx_cap && st->idx)
        return 0;
    int64_t *i = realloc(st->idx, (n ? n : 1) * sizeof *i);
    if (i)
        st->idx = i;
    double *v = i ? realloc(st->xv, (n ? n : 1) * sizeof *v) : NULL;
    if (!v)
        return ezc_error_set(err, EZC_ENOMEM, "binned_aggregate: out of memory");
    st->xv = v;
    st->idx_cap = n;
    return 0;
}

/* A header of dtype t and shape over b at element offset `at`. */
static ezc_array *view(ezc_buffer *b, size_t byte0, ezc_dtype t, size_t at, int nd,
                       const int64_t *shape, ezc_error *err)
{
    return ezc_array_from_buffer(b, byte0 + at * ezc_dtype_size(t), t, nd, shape, NULL, err);
}

/* Reduces bin [s, e) of work (first sample at time t0, spacing g) with op
 * into the staging block `blk` (work's shape with 1 along ax, dtype dt). */
static int one_bin(binagg_state *st, ezc_agg_op *op, const ezc_array *work, int ax, int64_t s,
                   int64_t e, double t0, double g, ezc_array *blk, const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(work), rc;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, work->shape, sizeof shape);
    shape[ax] = e - s;
    for (int64_t i = s; i < e; i++) {
        st->idx[i - s] = i;
        st->xv[i - s] = t0 + g * (double)i;
    }
    ezc_array *tmp = ezc_array_new_like_cached(work, work->dtype, nd, shape, &st->c_tmp, err);
    if (!tmp)
        return err->code;
    rc = ezc_xp_call(xp, take, err, work, ax, st->idx, (size_t)(e - s), tmp);
    ezc_dtype rd = ezc_agg_dtype(op, work->dtype);
    if (!rc && rd == blk->dtype && !ezc_agg_is_arg(op)) {
        rc = ezc_agg_run(op, tmp, ax, st->xv, blk, &st->c_trap, xp, err);
    } else if (!rc) {
        shape[ax] = 1;
        ezc_array *r = ezc_array_new_like_cached(work, rd, nd, shape, &st->c_r, err);
        rc = r ? ezc_agg_run(op, tmp, ax, st->xv, r, &st->c_trap, xp, err) : err->code;
        if (!rc)
            rc = ezc_xp_call(xp, astype, err, r, blk);
        if (!rc && ezc_agg_is_arg(op)) /* index in the bin -> its time */
            rc = ezc_xp_call(xp, affine, err, blk, blk, g, t0 + g * (double)s);
        ezc_array_destroy(&r);
    }
    ezc_array_destroy(&tmp);
    return rc;
}

static int binagg_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    binagg_state *st = state;
    (void)port;
    *out = NULL;
    ezc_array *work = NULL, *stage = NULL, *y = NULL;
    int ax, rc = ezc_tf_axis("binned_aggregate", in, st->axis, &ax, err);
    int nd = ezc_array_ndim(in);
    if (!rc && nd >= EZC_MAX_DIMS && st->multi)
        rc = ezc_error_set(err, EZC_ESHAPE, "binned_aggregate: at most %d dims with 'operations'",
                           EZC_MAX_DIMS - 1);
    if (!rc && (ezc_dtype_is_complex(in->dtype) || in->dtype == EZC_BOOL))
        rc = ezc_error_set(err, EZC_EDTYPE, "binned_aggregate: %s data is not supported",
                           ezc_dtype_name(in->dtype));
    if (!rc && ezc_template_changed(&st->tpl, in, ax) && (rc = reset(st, in, ax, err)))
        st->tpl.valid = 0;
    if (rc)
        goto done;
    size_t outer, n_new, inner;
    ezc_array_split(in, ax, &outer, &n_new, &inner);
    double g = in->axes[ax].gain;
    int64_t in_done = boundary(st, st->m_done), data0 = in_done + st->carry_n;
    int64_t avail = data0 + (int64_t)n_new;
    double out_offset = in->axes[ax].offset - (double)data0 * g + (double)st->m_done * st->out_gain;
    /* the last bin that closes: B(m_hi) <= avail < B(m_hi + 1) */
    int64_t m_hi = (int64_t)floor((double)avail / st->spb) + 1;
    while (m_hi > st->m_done && boundary(st, m_hi) > avail)
        m_hi--;
    while (boundary(st, m_hi + 1) <= avail)
        m_hi++;
    int64_t nb = m_hi - st->m_done, last = boundary(st, m_hi) - in_done;
    /* the output: in's shape with nb along ax (+ the ops) */
    int ond = nd + st->multi;
    int64_t oshape[EZC_MAX_DIMS];
    memcpy(oshape, in->shape, sizeof oshape);
    oshape[ax] = nb;
    if (st->multi)
        oshape[nd] = st->nops;
    ezc_dtype dt = out_dtype(st, in->dtype);
    y = ezc_array_new_like_cached(in, dt, ond, oshape, &st->c_out, err);
    if (!y) {
        rc = err->code;
        goto done;
    }
    if (st->multi && (rc = ezc_array_set_dim(y, nd, st->newaxis, err)))
        goto done;
    ezc_array_set_linear_axis(y, ax, st->out_gain, out_offset, in->axes[ax].unit);
    if (st->multi) {
        y->axes[nd].kind = EZC_AXIS_COORD;
        y->axes[nd].coords = ezc_coords_ref(st->op_labels);
    }
    if (ezc_array_size(in) == 0) { /* no data: count the bins, keep no carry */
        st->m_done = nb > 0 ? m_hi : st->m_done;
        st->carry_n = nb > 0 ? avail - boundary(st, m_hi) : avail - in_done;
        ezc_array_destroy(&st->carry);
        goto done;
    }
    /* work = carry ++ in */
    int64_t wshape[EZC_MAX_DIMS];
    memcpy(wshape, in->shape, sizeof wshape);
    wshape[ax] = st->carry_n + (int64_t)n_new;
    if (st->carry && st->carry_n > 0) {
        work = ezc_array_new_like_cached(in, in->dtype, nd, wshape, &st->c_work, err);
        const ezc_array *parts[2] = {st->carry, in};
        rc = work ? ezc_xp_call(xp, concat, err, parts, 2, ax, work)
                  : (err->code ? err->code : EZC_ENOMEM);
    } else {
        work = ezc_array_clone(in, err);
        rc = work ? 0 : (err->code ? err->code : EZC_ENOMEM);
    }
    if (rc || (rc = grow(st, (size_t)wshape[ax], err)))
        goto done;
    double t0 = in->axes[ax].offset - (double)st->carry_n * g; /* time of work[0] */
    /* staging [op][bin][outer][inner], or y itself when that is its layout */
    int direct = outer == 1 && st->nops == 1;
    if (direct) {
        stage = ezc_array_clone(y, err);
    } else {
        int64_t sshape[4] = {st->nops, nb, (int64_t)outer, (int64_t)inner};
        ezc_buffer *b = ezc_buffer_cached(&st->c_stage, ezc_array_nbytes(y), y->tensor.device, err);
        stage = b ? ezc_array_from_buffer(b, 0, dt, 4, sshape, NULL, err) : NULL;
        ezc_buffer_unref(&b);
    }
    if (!stage) {
        rc = err->code;
        goto done;
    }
    int64_t bshape[EZC_MAX_DIMS];
    memcpy(bshape, in->shape, sizeof bshape);
    bshape[ax] = 1;
    for (int j = 0; !rc && j < st->nops; j++)
        for (int64_t k = 0; !rc && k < nb; k++) {
            int64_t s = boundary(st, st->m_done + k) - in_done,
                    e = boundary(st, st->m_done + k + 1) - in_done;
            ezc_array *blk =
                view(stage->buf, stage->tensor.byte_offset, dt,
                     ((size_t)j * (size_t)nb + (size_t)k) * outer * inner, nd, bshape, err);
            rc = blk ? one_bin(st, &st->ops[j], work, ax, s, e, t0, g, blk, xp, err) : err->code;
            ezc_array_destroy(&blk);
        }
    if (!rc && !direct) { /* [op, bin, outer, inner] -> [outer, bin, inner, op] */
        int64_t pshape[4] = {(int64_t)outer, nb, (int64_t)inner, st->nops};
        ezc_array *p = view(y->buf, y->tensor.byte_offset, dt, 0, 4, pshape, err);
        const int perm[4] = {2, 1, 3, 0};
        rc = p ? ezc_xp_call(xp, permute, err, stage, perm, p) : err->code;
        ezc_array_destroy(&p);
    }
    if (rc)
        goto done;
    /* the new carry: work[last:] */
    int64_t keep = wshape[ax] - last;
    ezc_array_destroy(&st->carry);
    if (keep > 0) {
        wshape[ax] = keep;
        st->carry = ezc_array_new_like_cached(in, in->dtype, nd, wshape, &st->c_carry, err);
        if (!st->carry) {
            rc = err->code;
            goto done;
        }
        for (int64_t i = 0; i < keep; i++)
            st->idx[i] = last + i;
        rc = ezc_xp_call(xp, take, err, work, ax, st->idx, (size_t)keep, st->carry);
    }
    st->carry_n = keep;
    st->m_done = m_hi;
done:
    if (rc) { /* a failed message leaves a clean stream behind */
        st->tpl.valid = 0;
        ezc_array_destroy(&y);
    }
    ezc_array_destroy(&in);
    ezc_array_destroy(&work);
    ezc_array_destroy(&stage);
    *out = y;
    return rc;
}

const ezc_transformer_type ezc_binned_aggregate_type = {
    .name = "binned_aggregate",
    .summary = "reduce an axis to regular bins of bin_duration (mean, min, max, ...), carried",
    .settings = binagg_settings,
    .init = binagg_init,
    .process = binagg_process,
    .fini = binagg_fini,
};
