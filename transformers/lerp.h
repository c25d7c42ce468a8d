/* lerp.h — linear interpolation along an axis through xp (internal to
 * transformers/): what resample and resampleconcat share. The caller fills,
 * per output point j, the neighbours lo[j], hi[j] (indices along the axis)
 * and their weights wlo[j], whi[j]; ezc_lerp_run gathers both neighbours
 * (two xp.take), weights them (two xp.affine_axis) and adds (xp.binary)
 * into an output with its own caches, so a steady stream allocates nothing.
 * One stream, one thread. */
#ifndef EZC_LERP_H
#define EZC_LERP_H

#include "ezc/plugin.h"

typedef struct ezc_lerp {
    int64_t *lo, *hi;
    double *wlo, *whi;
    size_t cap;
    ezc_buffer *a_cache, *b_cache;
} ezc_lerp;

/* Room for n points (n >= 1) in lo/hi/wlo/whi; EZC_ENOMEM naming tf. */
int ezc_lerp_reserve(ezc_lerp *l, size_t n, const char *tf, ezc_error *err);
/* *out = x[.., lo[j], ..] * wlo[j] + x[.., hi[j], ..] * whi[j] along axis ax,
 * j < m: x's metadata, length m along ax (the caller sets that axis). */
int ezc_lerp_run(ezc_lerp *l, const ezc_array *x, int ax, int64_t m, ezc_array **out,
                 const ezc_xp *xp, ezc_error *err);
void ezc_lerp_fini(ezc_lerp *l);

#endif
