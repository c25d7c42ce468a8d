/* lerp.c — linear interpolation along an axis through xp (lerp.h). */
#include "lerp.h"
#include <stdlib.h>
#include <string.h>

int ezc_lerp_reserve(ezc_lerp *l, size_t n, const char *tf, ezc_error *err)
{
    if (n <= l->cap && l->lo)
        return 0;
    n = n ? n : 1;
    int64_t *lo = realloc(l->lo, n * sizeof *lo);
    if (lo)
        l->lo = lo;
    int64_t *hi = lo ? realloc(l->hi, n * sizeof *hi) : NULL;
    if (hi)
        l->hi = hi;
    double *a = hi ? realloc(l->wlo, n * sizeof *a) : NULL;
    if (a)
        l->wlo = a;
    double *b = a ? realloc(l->whi, n * sizeof *b) : NULL;
    if (!b)
        return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", tf);
    l->whi = b;
    l->cap = n;
    return 0;
}

int ezc_lerp_run(ezc_lerp *l, const ezc_array *x, int ax, int64_t m, ezc_array **out,
                 const ezc_xp *xp, ezc_error *err)
{
    int nd = ezc_array_ndim(x), rc = 0;
    int64_t shape[EZC_MAX_DIMS];
    memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
    shape[ax] = m;
    ezc_array *a = ezc_array_new_like_cached(x, x->dtype, nd, shape, &l->a_cache, err);
    ezc_array *b = a ? ezc_array_new_like_cached(x, x->dtype, nd, shape, &l->b_cache, err) : NULL;
    if (!b)
        rc = err->code ? err->code : EZC_ENOMEM;
    else if (m > 0 && ((rc = ezc_xp_call(xp, take, err, x, ax, l->lo, (size_t)m, a)) ||
                       (rc = ezc_xp_call(xp, take, err, x, ax, l->hi, (size_t)m, b)) ||
                       (rc = ezc_xp_call(xp, affine_axis, err, a, a, ax, l->wlo, NULL)) ||
                       (rc = ezc_xp_call(xp, affine_axis, err, b, b, ax, l->whi, NULL))))
        ;
    else if (m > 0)
        rc = ezc_xp_call(xp, binary, err, EZC_BINARY_ADD, a, b, a);
    ezc_array_destroy(&b);
    if (rc)
        ezc_array_destroy(&a);
    *out = a;
    return rc;
}

void ezc_lerp_fini(ezc_lerp *l)
{
    free(l->lo);
    free(l->hi);
    free(l->wlo);
    free(l->whi);
    ezc_buffer_unref(&l->a_cache);
    ezc_buffer_unref(&l->b_cache);
    memset(l, 0, sizeof *l);
}
