/* cuda_internal.h — what the CUDA backend's C files share (internal). */
#ifndef EZC_CUDA_INTERNAL_H
#define EZC_CUDA_INTERNAL_H

#include <cuda_runtime_api.h>
#include "ezc/xp.h"
#include "ipc.h"
#include "xp_check.h"

/* Every op runs on the calling thread's default stream and waits for it
 * before returning, so a buffer handed back to the cache is never still in
 * use by a kernel another thread's op could race with. */
#define EZC_CUDA_STREAM ((void *)cudaStreamPerThread)

/* memory.c */
ezc_buffer *ezc_cuda_alloc(DLDevice device, size_t nbytes, ezc_error *err);
int ezc_cuda_copy(const ezc_array *src, ezc_array *dst, ezc_error *err);
void ezc_cuda_cache_stats(size_t *hits, size_t *misses, size_t *cached_bytes);
/* Copies between a cuda device and the host so far (xp.copy). */
uint64_t ezc_cuda_host_copies(void);

/* ipc.c: registered with the core when the module starts. */
extern const ezc_cuda_ipc_ops ezc_cuda_ipc_table;

/* xp_cuda.c: the checks every op makes. _device: on a cuda device (and
 * makes it current); plain: also float32/float64. */
int ezc_cuda_check_device(const char *op, const char *name, const ezc_array *a, ezc_error *err);
int ezc_cuda_check(const char *op, const char *name, const ezc_array *a, ezc_error *err);
/* The cuda backend as core/xp_check.c's contract checkers see it: place is
 * ezc_cuda_check_device plus "on the same device as the others". */
extern const ezc_xp_dev ezc_cuda_dev;
int ezc_cuda_ktype(const ezc_array *a); /* EZK_F32 / EZK_F64 */
/* Waits for the launched work (rc: the launcher's result) and reports errors. */
int ezc_cuda_finish(const char *op, int rc, ezc_error *err);

/* axis_ops.c */
int ezc_cuda_diff(const ezc_array *x, const ezc_array *prev, int axis, ezc_array *y,
                  ezc_error *err);
int ezc_cuda_take(const ezc_array *x, int axis, const int64_t *idx, size_t n, ezc_array *y,
                  ezc_error *err);
int ezc_cuda_concat(const ezc_array *const *xs, size_t n, int axis, ezc_array *y, ezc_error *err);
int ezc_cuda_permute(const ezc_array *x, const int *perm, ezc_array *y, ezc_error *err);
int ezc_cuda_affine_axis(const ezc_array *x, ezc_array *y, int axis, const double *scale,
                         const double *offset, ezc_error *err);

/* "xp.copy: cudaMemcpy failed: <cuda's words>" */
int ezc_cuda_fail(ezc_error *err, const char *op, int cuda_rc);

/* xp_cuda.c: a is non-NULL, on a cuda device, float32/float64 (or, with
 * complex_ok, complex64/complex128 too); makes its device current. */
int ezc_cuda_check_types(const char *op, const char *name, const ezc_array *a, int complex_ok,
                         ezc_error *err);

/* linalg.c (cuBLAS, cuSOLVER) */
int ezc_cuda_matmul(const ezc_array *a, const ezc_array *b, ezc_array *c, int trans_a, int trans_b,
                    ezc_error *err);
int ezc_cuda_cholesky(const ezc_array *a, ezc_array *l, ezc_error *err);
int ezc_cuda_solve(const ezc_array *a, const ezc_array *b, ezc_array *x, ezc_error *err);
int ezc_cuda_eigh(const ezc_array *a, ezc_array *w, ezc_array *v, ezc_error *err);
int ezc_cuda_svd(const ezc_array *a, ezc_array *u, ezc_array *s, ezc_array *vt, ezc_error *err);

/* reduce_ops.c */
int ezc_cuda_reduce(ezc_reduce_op op, const ezc_array *x, int axis, ezc_array *y, ezc_error *err);

/* iir_ops.c */
int ezc_cuda_iir(const ezc_array *x, int axis, const double *coef, int nsec, int order,
                 ezc_array *zi, ezc_array *y, ezc_error *err);

/* fft.c (cuFFT) */
int ezc_cuda_fft(ezc_fft_kind kind, const ezc_array *x, int axis, int64_t n, ezc_array *y,
                 ezc_error *err);

#endif
