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

/* A linear model's prediction y = x coef' + intercept on the data's device
 * (the regressors, sgd): the coefficients are copied to the device when the
 * stream template changes or the caller marks them stale; the steady path
 * allocates nothing. Zero-initialise; lu_linear_free releases. */
typedef struct lu_linear {
    ezc_template tpl;
    ezc_array *w; /* rows x f, the output dtype, on the data's device */
    double *bias; /* rows */
    int stale;    /* set when the model changed */
    ezc_buffer *out_cache, *perm_cache;
} lu_linear;

/* *y (owned by the caller): n x rows of in's samples (dim `axis`, the other
 * dims flattened in C order must be f features), float32 for float32 in,
 * else float64; its first dim is in's sample dim with its axis, the second
 * unnamed. coef is rows x f, host. `who` names the learner in errors. */
int lu_linear_apply(lu_linear *p, const char *who, const double *coef, const double *intercept,
                    int64_t rows, int64_t f, const ezc_array *in, int axis, ezc_array **y,
                    const ezc_xp *xp, ezc_error *err);
void lu_linear_free(lu_linear *p);

/* One sample of scikit-learn 1.2's _plain_sgd (penalty l2, no averaging,
 * dense data, sample and class weight 1), including its scaled weight
 * vector (w = wscale v, reset below 1e-9 and at the end of each
 * partial_fit call) so that ezc and sklearn round alike. */
enum { LU_HINGE, LU_LOG_LOSS, LU_SQUARED };
enum { LU_OPTIMAL, LU_CONSTANT, LU_INVSCALING };
typedef struct lu_sgd {
    int loss, schedule;
    double alpha, eta0, power_t;
} lu_sgd;

/* The learning rate of sample t (sklearn's t_, from 1). */
double lu_sgd_eta(const lu_sgd *s, double t);
/* partial_fit of one sample x (f) with target y (+1/-1 for classifiers):
 * updates w (f) and *b. */
void lu_sgd_step(const lu_sgd *s, double t, double *w, double *b, const double *x, int64_t f,
                 double y);

#endif
