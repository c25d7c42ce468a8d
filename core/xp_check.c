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

static const char *const reduce_names[EZC_REDUCE_COUNT] = {
    "sum",    "prod",   "mean",      "min",       "max",       "std",    "var",
    "median", "argmin", "argmax",    "nansum",    "nanmean",   "nanmin", "nanmax",
    "nanstd", "nanvar", "nanmedian", "nanargmin", "nanargmax",
};

const char *ezc_xp_reduce_name(ezc_reduce_op op)
{
    return (unsigned)op < EZC_REDUCE_COUNT ? reduce_names[op] : "?";
}

ezc_reduce_op ezc_xp_reduce_base(ezc_reduce_op op, int *skipnan)
{
    static const ezc_reduce_op plain[] = {
        [EZC_REDUCE_NANSUM] = EZC_REDUCE_SUM,       [EZC_REDUCE_NANMEAN] = EZC_REDUCE_MEAN,
        [EZC_REDUCE_NANMIN] = EZC_REDUCE_MIN,       [EZC_REDUCE_NANMAX] = EZC_REDUCE_MAX,
        [EZC_REDUCE_NANSTD] = EZC_REDUCE_STD,       [EZC_REDUCE_NANVAR] = EZC_REDUCE_VAR,
        [EZC_REDUCE_NANMEDIAN] = EZC_REDUCE_MEDIAN, [EZC_REDUCE_NANARGMIN] = EZC_REDUCE_ARGMIN,
        [EZC_REDUCE_NANARGMAX] = EZC_REDUCE_ARGMAX,
    };
    int skip = op >= EZC_REDUCE_NANSUM && op < EZC_REDUCE_COUNT;
    if (skipnan)
        *skipnan = skip;
    return skip ? plain[op] : op;
}
