/* affine.c — a matrix applied along one dim (ezmsg-sigproc's
 * AffineTransform): y = x @ W with W of n_in x n_out (right_multiply, the
 * default), or y = W @ x with W of n_out x n_in. The ones-column rule: when
 * W has one row more than the dim is long (one column more, left-multiplied),
 * the data is taken as having a trailing 1, so that row is an offset added
 * to every output. The dim keeps its name; its coordinates survive a square
 * W and are dropped otherwise. Integers become float64.
 *
 * W comes from `weights` (a nested or flat list, row-major; `n_out` fixes
 * the shape when the flat length alone is ambiguous) or `weights_file`
 * (text: one row a line, numbers separated by commas or spaces; relative
 * paths are taken from the working directory). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "matrix_axis.h"
#include "tf_util.h"

typedef struct affine_state {
    const char *axis;
    int right;
    double *w;         /* as given: rows x cols, row-major */
    size_t nw, rows;   /* rows: 0 = not known from the source */
    int64_t n_out_set; /* from `n_out`, 0 = absent */
    int64_t n_in_now;  /* the dim length the matrix is built for */
    ezc_matrix_axis m;
} affine_state;

static const ezc_setting_spec affine_settings[] = {
    {"weights", EZC_SETTING_FLOATS, NULL, "matrix, row-major ([[...], ...] or flat)", 0, NULL},
    {"weights_file", EZC_SETTING_STRING, NULL, "text file of the matrix, one row a line", 0, NULL},
    {"n_out", EZC_SETTING_INT, NULL, "output length (to read a flat list)", 0, NULL},
    {"axis", EZC_SETTING_STRING, NULL, "dim to transform (default: the last)", 0, NULL},
    {"right_multiply", EZC_SETTING_BOOL, "true", "true: x @ W; false: W @ x", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void affine_fini(void *state)
{
    affine_state *st = state;
    if (!st)
        return;
    free(st->w);
    ezc_matrix_axis_clear(&st->m);
    free(st);
}

static int read_matrix(affine_state *st, const char *path, ezc_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ezc_error_set(err, EZC_EIO, "affine: setting 'weights_file' = '%s': %s", path,
                             strerror(errno));
    char line[65536];
    size_t cap = 0, cols = 0, lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = 0;
        char *p = line, *end;
        for (;;) {
            while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
            if (!*p || *p == '#')
                break;
            double v = strtod(p, &end);
            if (end == p) {
                rc = ezc_error_set(err, EZC_EINVAL, "affine: %s:%zu: '%.20s' is not a number", path,
                                   lineno, p);
                break;
            }
            if (st->nw == cap) {
                cap = cap ? 2 * cap : 256;
                double *w = realloc(st->w, cap * sizeof *w);
                if (!w) {
                    rc = ezc_error_set(err, EZC_ENOMEM, "affine: out of memory");
                    break;
                }
                st->w = w;
            }
            st->w[st->nw++] = v;
            n++;
            p = end;
        }
        if (rc || n == 0)
            continue;
        if (cols && n != cols)
            rc = ezc_error_set(err, EZC_EINVAL,
                               "affine: %s:%zu: %zu numbers, but the first "
                               "row has %zu",
                               path, lineno, n, cols);
        cols = n;
        st->rows++;
    }
    fclose(f);
    if (!rc && !st->nw)
        rc = ezc_error_set(err, EZC_EINVAL, "affine: %s: no numbers", path);
    return rc;
}

static int affine_init(void **state, const ezc_settings *s, ezc_error *err)
{
    affine_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "affine: out of memory");
    const double *w = NULL;
    const char *file = NULL;
    size_t nw = 0;
    int rc = 0;
    ezc_settings_get_string(s, "axis", &st->axis);
    ezc_settings_get_bool(s, "right_multiply", &st->right);
    ezc_settings_get_int(s, "n_out", &st->n_out_set);
    ezc_settings_get_floats(s, "weights", &w, &nw);
    ezc_settings_get_string(s, "weights_file", &file);
    if ((w != NULL) == (file != NULL))
        rc = ezc_error_set(err, EZC_EINVAL, "affine: give one of 'weights' and 'weights_file'");
    else if (file)
        rc = read_matrix(st, file, err);
    else if (!(st->w = malloc(nw * sizeof *st->w)))
        rc = ezc_error_set(err, EZC_ENOMEM, "affine: out of memory");
    else {
        memcpy(st->w, w, nw * sizeof *w);
        st->nw = nw;
    }
    if (!rc && st->n_out_set < 0)
        rc = ezc_error_set(err, EZC_EINVAL, "affine: setting 'n_out' = %lld: expected > 0",
                           (long long)st->n_out_set);
    if (rc) {
        affine_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* Builds the right-multiply matrix (n_in x n_out) and bias for a dim of
 * length n from the weights as given. */
static int affine_build(affine_state *st, int64_t n, ezc_error *err)
{
    /* the given matrix's shape: inner = the side that meets the data */
    size_t inner, outer;
    size_t nw = st->nw;
    if (n == 0)
        return ezc_error_set(err, EZC_ESHAPE, "affine: the dim to transform has length 0");
    if (st->rows) {
        inner = st->right ? st->rows : nw / st->rows;
    } else if (st->n_out_set) {
        inner = nw % (size_t)st->n_out_set ? 0 : nw / (size_t)st->n_out_set;
    } else {
        inner = nw % (size_t)n == 0 ? (size_t)n : nw % (size_t)(n + 1) == 0 ? (size_t)n + 1 : 0;
    }
    if (inner != (size_t)n && inner != (size_t)n + 1)
        return ezc_error_set(err, EZC_ESHAPE,
                             "affine: setting 'weights' has %zu values: no %s of %lld (or %lld "
                             "with the offset %s) for a dim of length %lld",
                             nw, st->right ? "rows" : "columns", (long long)n, (long long)n + 1,
                             st->right ? "row" : "column", (long long)n);
    outer = nw / inner;
    double *w = malloc((size_t)n * outer * sizeof *w);
    double *bias = inner > (size_t)n ? malloc(outer * sizeof *bias) : NULL;
    if (!w || (inner > (size_t)n && !bias)) {
        free(w);
        free(bias);
        return ezc_error_set(err, EZC_ENOMEM, "affine: out of memory");
    }
    for (size_t i = 0; i < inner; i++)
        for (size_t o = 0; o < outer; o++) {
            /* right: W[i][o]; left: W[o][i] (so x @ W.T) */
            double v = st->right ? st->w[i * outer + o] : st->w[o * inner + i];
            if (i < (size_t)n)
                w[i * outer + o] = v;
            else
                bias[o] = v;
        }
    ezc_matrix_axis_set(&st->m, n, (int64_t)outer, w, bias);
    st->n_in_now = n;
    return 0;
}

static int affine_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    affine_state *st = state;
    (void)port;
    int axis, rc = ezc_tf_axis("affine", in, st->axis, &axis, err);
    if (!rc && !ezc_dtype_is_float(in->dtype))
        rc = ezc_tf_writable_float("affine", &in, 0, xp, err);
    if (!rc && in->shape[axis] != st->n_in_now)
        rc = affine_build(st, in->shape[axis], err);
    if (!rc)
        rc = ezc_matrix_axis_apply(&st->m, "affine", in, axis, out, xp, err);
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_affine_type = {
    .name = "affine",
    .summary = "matrix along a dim (with an offset row: the ones-column rule)",
    .settings = affine_settings,
    .init = affine_init,
    .process = affine_process,
    .fini = affine_fini,
};
