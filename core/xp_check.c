/* xp_check.c — shape checks shared by the array backends. */
#include <stdio.h>
#include "xp_check.h"

const char *ezc_shape_str(const ezc_array *a, char *buf, size_t n)
{
    size_t at = 0;
    int nd = a->tensor.ndim;
    at += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < nd && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    if (at < n)
        snprintf(buf + at, n - at, nd == 1 ? ",)" : ")");
    return buf;
}

int ezc_xp_want_square(const char *op, const ezc_array *a, ezc_error *err)
{
    if (a->shape[0] == a->shape[1])
        return 0;
    char s[128];
    return ezc_error_set(err, EZC_ESHAPE, "xp.%s: a must be square, got shape %s", op,
                         ezc_shape_str(a, s, sizeof s));
}

int ezc_xp_want_shape(const char *op, const char *name, const ezc_array *a, int64_t r, int64_t c,
                      ezc_error *err)
{
    int nd = c < 0 ? 1 : 2;
    if (a->tensor.ndim == nd && a->shape[0] == r && (nd == 1 || a->shape[1] == c))
        return 0;
    char s[128];
    if (nd == 1)
        return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has shape %s, expected (%lld,)", op,
                             name, ezc_shape_str(a, s, sizeof s), (long long)r);
    return ezc_error_set(err, EZC_ESHAPE, "xp.%s: %s has shape %s, expected (%lld, %lld)", op,
                         name, ezc_shape_str(a, s, sizeof s), (long long)r, (long long)c);
}
