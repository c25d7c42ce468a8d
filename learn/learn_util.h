/* learn_util.h — what the learners share (internal): moving small matrices
 * (coefficients, Gram matrices) between the host and the data's device,
 * borrowed row views, and "samples first" 2-D views of a message. */
#ifndef EZC_LEARN_UTIL_H
#define EZC_LEARN_UTIL_H

#include "ezc/plugin.h"

/* A new rows x cols array of dtype t on dev holding host (row-major). */
ezc_array *lu_matrix(const double *host, int64_t rows, int64_t cols, ezc_dtype t, DLDevice dev,
                     ezc_error *err);
/* a (any float dtype, any device) copied to host doubles out[size(a)]. */
int lu_to_host(const ezc_array *a, double *out, ezc_error *err);
/* A borrowed 2-D view (no references: never destroy it, never let it
 * outlive m) of rows [row0, row0 + rows) of the C-contiguous m read as
 * (m.size / cols) x cols. */
void lu_view(ezc_array *v, const ezc_array *m, int64_t row0, int64_t rows, int64_t cols);
/* in as an n x F matrix of dtype t, the samples (dim `axis`) first and the
 * other dims flattened in C order: a view of in when it already is one,
 * else converted/permuted into a buffer kept in *cache. *x is owned by the
 * caller. */
int lu_samples_first(const ezc_array *in, int axis, ezc_dtype t, ezc_buffer **cache, ezc_array **x,
                     ezc_error *err);
/* 1 when every value of the host doubles is finite. */
int lu_all_finite(const double *v, size_t n);

#endif
