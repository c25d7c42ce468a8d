/* xp_check.h — argument checks every backend makes the same way (internal).
 * Shared so that the cpu and cuda backends word their errors alike. */
#ifndef EZC_XP_CHECK_H
#define EZC_XP_CHECK_H

#include "ezc/array.h"
#include "ezc/xp.h"

/* "(3, 4)", "(5,)", "()" into buf; returns buf. */
const char *ezc_shape_str(const ezc_array *a, char *buf, size_t n);
/* EZC_ESHAPE unless a is square: "xp.OP: a must be square, got shape (2, 3)". */
int ezc_xp_want_square(const char *op, const ezc_array *a, ezc_error *err);
/* EZC_ESHAPE unless a has shape (r,) (c < 0) or (r, c). */
int ezc_xp_want_shape(const char *op, const char *name, const ezc_array *a, int64_t r,
                      int64_t c, ezc_error *err);

/* A reduction's name ("nanmedian"), and its op without the nan- prefix
 * (*skipnan set when NaNs are to be skipped). */
const char *ezc_xp_reduce_name(ezc_reduce_op op);
ezc_reduce_op ezc_xp_reduce_base(ezc_reduce_op op, int *skipnan);

#endif
