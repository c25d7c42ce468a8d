/* transpose.c — reorders dims (ezmsg-sigproc's Transpose). `axes` lists dim
 * names (or indices) in the wanted order; one "..." stands for every dim not
 * named, in their current order. Axes travel with their dims. The data is
 * rearranged (C-contiguous out), so downstream sees the new layout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tf_util.h"

typedef struct transpose_state {
    const char *const *axes;
    size_t naxes;
    ezc_buffer *cache;
} transpose_state;

static const ezc_setting_spec transpose_settings[] = {
    {"axes", EZC_SETTING_STRINGS, NULL,
     "dims in the new order, by name or index; one '...' for the rest", 1, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void transpose_fini(void *state)
{
    transpose_state *st = state;
    if (st)
        ezc_buffer_unref(&st->cache);
    free(st);
}

static int transpose_init(void **state, const ezc_settings *s, ezc_error *err)
{
    transpose_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "transpose: out of memory");
    ezc_settings_get_strings(s, "axes", &st->axes, &st->naxes);
    int ellipses = 0;
    for (size_t i = 0; i < st->naxes; i++)
        ellipses += strcmp(st->axes[i], "...") == 0;
    if (ellipses > 1 || st->naxes > EZC_MAX_DIMS + 1) {
        transpose_fini(st);
        return ezc_error_set(err, EZC_EINVAL, "transpose: setting 'axes': %s",
                             ellipses > 1 ? "'...' may appear once" : "too many dims");
    }
    *state = st;
    return 0;
}

/* The dim index an `axes` item names in a, or -1. */
static int item_index(const ezc_array *a, const char *item)
{
    int i = ezc_array_axis_index(a, item);
    if (i >= 0)
        return i;
    char *end;
    errno = 0;
    long v = strtol(item, &end, 10);
    if (*item && !*end && !errno && v >= -ezc_array_ndim(a) && v < ezc_array_ndim(a))
        return (int)(v < 0 ? v + ezc_array_ndim(a) : v);
    return -1;
}

static int transpose_perm(const transpose_state *st, const ezc_array *a, int *perm, ezc_error *err)
{
    int nd = ezc_array_ndim(a), used[EZC_MAX_DIMS] = {0}, np = 0, ell = -1;
    for (size_t i = 0; i < st->naxes; i++) {
        if (strcmp(st->axes[i], "...") == 0) {
            ell = np;
            continue;
        }
        int d = item_index(a, st->axes[i]);
        if (d < 0 || used[d]++)
            return ezc_error_set(err, EZC_ENOTFOUND, "transpose: setting 'axes': '%s' %s",
                                 st->axes[i],
                                 d < 0 ? "is not a dim of the message" : "is named twice");
        if (np >= nd)
            return ezc_error_set(err, EZC_EINVAL,
                                 "transpose: setting 'axes' names more dims "
                                 "than the message has (%d)",
                                 nd);
        perm[np++] = d;
    }
    if (ell < 0 && np != nd)
        return ezc_error_set(err, EZC_EINVAL,
                             "transpose: setting 'axes' names %d of the message's %d dims; "
                             "add '...' for the rest",
                             np, nd);
    if (ell >= 0) { /* the unnamed dims go where '...' was */
        int rest[EZC_MAX_DIMS], nr = 0;
        for (int d = 0; d < nd; d++)
            if (!used[d])
                rest[nr++] = d;
        memmove(perm + ell + nr, perm + ell, (size_t)(np - ell) * sizeof *perm);
        memcpy(perm + ell, rest, (size_t)nr * sizeof *perm);
    }
    return 0;
}

static int transpose_process(void *state, int port, ezc_array *in, ezc_array **out,
                             const ezc_xp *xp, ezc_error *err)
{
    transpose_state *st = state;
    (void)port;
    (void)xp;
    int perm[EZC_MAX_DIMS], identity = 1;
    int rc = transpose_perm(st, in, perm, err);
    for (int i = 0; !rc && i < ezc_array_ndim(in); i++)
        identity &= perm[i] == i;
    if (!rc && identity) {
        *out = in; /* nothing moves */
        return 0;
    }
    if (!rc && !(*out = ezc_array_permute_cached(in, perm, &st->cache, err)))
        rc = err->code;
    ezc_array_destroy(&in);
    return rc;
}

const ezc_transformer_type ezc_transpose_type = {
    .name = "transpose",
    .summary = "reorder dims (axes travel with them)",
    .settings = transpose_settings,
    .init = transpose_init,
    .process = transpose_process,
    .fini = transpose_fini,
};
