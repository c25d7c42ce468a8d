/* linalg.c — matmul (cuBLAS gemm) and dense factorisations (cuSOLVER):
 * cholesky, solve, eigh, svd, on row-major float32/float64 matrices.
 *
 * cuBLAS and cuSOLVER are column-major, and a row-major buffer read
 * column-major is the transpose, so each op is rewritten on transposes: gemm,
 * potrf, getrs and syevd need no copy of a transpose, gesvd of a wide matrix
 * none, and a small kernel transposes the rest. Handles are per thread and
 * device (cuBLAS/cuSOLVER handles must not be shared by concurrent threads),
 * bound to the thread's default stream; workspaces come from the caching
 * allocator, so the steady state calls no cudaMalloc. */
#include <cublas_v2.h>
#include <cusolverDn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cuda_internal.h"
#include "xp_check.h"
#include "kernels.h"

#define MAX_DEVICES 16

/* ---- handles: one of each per thread and device --------------------------- */

typedef struct {
    cublasHandle_t blas[MAX_DEVICES];
    cusolverDnHandle_t solver[MAX_DEVICES];
} handles;

static pthread_key_t handles_key;
static pthread_once_t handles_once = PTHREAD_ONCE_INIT;
static int handles_key_ok;

static void handles_drop(void *p)
{
    handles *h = p;
    for (int d = 0; d < MAX_DEVICES; d++) {
        if (h->blas[d] || h->solver[d])
            cudaSetDevice(d);
        if (h->blas[d])
            cublasDestroy(h->blas[d]);
        if (h->solver[d])
            cusolverDnDestroy(h->solver[d]);
    }
    free(h);
}

static void handles_init(void)
{
    handles_key_ok = pthread_key_create(&handles_key, handles_drop) == 0;
}

static handles *my_handles(const char *op, ezc_error *err)
{
    pthread_once(&handles_once, handles_init);
    if (!handles_key_ok) {
        ezc_error_set(err, EZC_ENOMEM, "xp.%s on cuda: no thread key for library handles", op);
        return NULL;
    }
    handles *h = pthread_getspecific(handles_key);
    if (!h) {
        h = calloc(1, sizeof *h);
        if (!h || pthread_setspecific(handles_key, h)) {
            free(h);
            ezc_error_set(err, EZC_ENOMEM, "xp.%s on cuda: out of host memory for handles", op);
            return NULL;
        }
    }
    return h;
}

static int blas_fail(const char *op, const char *routine, cublasStatus_t st, ezc_error *err)
{
    return ezc_error_set(err, st == CUBLAS_STATUS_ALLOC_FAILED ? EZC_ENOMEM : EZC_EIO,
                         "xp.%s on cuda: %s failed: %s", op, routine, cublasGetStatusString(st));
}

static int solver_fail(const char *op, const char *routine, cusolverStatus_t st, ezc_error *err)
{
    return ezc_error_set(err, st == CUSOLVER_STATUS_ALLOC_FAILED ? EZC_ENOMEM : EZC_EIO,
                         "xp.%s on cuda: %s failed (cusolverStatus %d)", op, routine, (int)st);
}

/* The calling thread's handle for the current device (dev), made on first use. */
static cublasHandle_t blas_handle(const char *op, int dev, ezc_error *err)
{
    handles *h = my_handles(op, err);
    if (!h)
        return NULL;
    if (!h->blas[dev]) {
        cublasHandle_t b;
        cublasStatus_t st = cublasCreate(&b);
        if (st != CUBLAS_STATUS_SUCCESS) {
            blas_fail(op, "cublasCreate", st, err);
            return NULL;
        }
        cublasSetStream(b, cudaStreamPerThread);
        h->blas[dev] = b;
    }
    return h->blas[dev];
}

static cusolverDnHandle_t solver_handle(const char *op, int dev, ezc_error *err)
{
    handles *h = my_handles(op, err);
    if (!h)
        return NULL;
    if (!h->solver[dev]) {
        cusolverDnHandle_t s;
        cusolverStatus_t st = cusolverDnCreate(&s);
        if (st != CUSOLVER_STATUS_SUCCESS) {
            solver_fail(op, "cusolverDnCreate", st, err);
            return NULL;
        }
        cusolverDnSetStream(s, cudaStreamPerThread);
        h->solver[dev] = s;
    }
    return h->solver[dev];
}

/* ---- limits ------------------------------------------------------------------ */

/* The contract is checked by core/xp_check.c; here what cuBLAS/cuSOLVER and
 * the per-device handle table add: a known device, int dims and products. */
static int fits(const char *op, const char *name, const ezc_array *a, ezc_error *err)
{
    if (a->tensor.device.device_id < 0 || a->tensor.device.device_id >= MAX_DEVICES)
        return ezc_error_set(err, EZC_EDEVICE,
                             "xp.%s: %s is on cuda:%d, beyond the %d devices "
                             "this backend knows",
                             op, name, a->tensor.device.device_id, MAX_DEVICES);
    char s[128];
    for (int i = 0; i < a->tensor.ndim; i++)
        if (a->shape[i] > INT_MAX / 2)
            return ezc_error_set(err, EZC_ESHAPE,
                                 "xp.%s: %s of shape %s is too large for "
                                 "cuBLAS/cuSOLVER",
                                 op, name, ezc_shape_str(a, s, sizeof s));
    /* Products of two dims index the matrix in int; keep them in range too. */
    if (a->tensor.ndim == 2 && a->shape[0] * a->shape[1] > INT_MAX)
        return ezc_error_set(err, EZC_ESHAPE,
                             "xp.%s: %s of shape %s is too large for "
                             "cuBLAS/cuSOLVER",
                             op, name, ezc_shape_str(a, s, sizeof s));
    return 0;
}

/* ---- a job: workspaces, then one wait ------------------------------------- */

typedef struct {
    const char *op;
    int dev;
    ezc_buffer *bufs[6];
    int nbufs;
} job;

static int job_alloc(job *j, size_t bytes, void **p, ezc_error *err)
{
    ezc_error e;
    ezc_buffer *b = ezc_cuda_alloc(ezc_device_cuda(j->dev), bytes ? bytes : 1, &e);
    if (!b)
        return ezc_error_set(err, e.code, "xp.%s: workspace of %zu bytes: %s", j->op, bytes, e.msg);
    j->bufs[j->nbufs++] = b;
    *p = b->data;
    return 0;
}

/* Waits for what was queued, then gives the workspaces back (a block must
 * not return to the cache while a kernel may still use it); rc is the first
 * error met, if any. */
static int job_end(job *j, int rc, ezc_error *err)
{
    int sync = (int)cudaStreamSynchronize(cudaStreamPerThread);
    for (int i = 0; i < j->nbufs; i++)
        ezc_buffer_unref(&j->bufs[i]);
    if (!rc && sync)
        rc = ezc_cuda_fail(err, j->op, sync);
    return rc;
}

static int cu(job *j, int cuda_rc, ezc_error *err)
{
    return cuda_rc ? ezc_cuda_fail(err, j->op, cuda_rc) : 0;
}

/* Copies the device int at dinfo to the host (waiting for the work before it). */
static int read_info(job *j, const int *dinfo, int *info, ezc_error *err)
{
    int rc = (int)cudaMemcpyAsync(info, dinfo, sizeof *info, cudaMemcpyDeviceToHost,
                                  cudaStreamPerThread);
    if (!rc)
        rc = (int)cudaStreamSynchronize(cudaStreamPerThread);
    return cu(j, rc, err);
}

static int copy_d2d(job *j, void *dst, const void *src, size_t bytes, ezc_error *err)
{
    if (dst == src || !bytes)
        return 0;
    return cu(j,
              (int)cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cudaStreamPerThread),
              err);
}

static int ktype(const ezc_array *a)
{
    return a->dtype == EZC_FLOAT32 ? EZK_F32 : EZK_F64;
}

/* ---- matmul ------------------------------------------------------------- */

int ezc_cuda_matmul(const ezc_array *a, const ezc_array *b, ezc_array *c, int trans_a, int trans_b,
                    ezc_error *err)
{
    const char *op = "matmul";
    int rc;
    if ((rc = ezc_xp_check_matmul(&ezc_cuda_dev, a, b, c, trans_a, trans_b, err)) ||
        (rc = fits(op, "a", a, err)) || (rc = fits(op, "b", b, err)) ||
        (rc = fits(op, "c", c, err)))
        return rc;
    int dev = a->tensor.device.device_id;
    int64_t m = a->shape[trans_a ? 1 : 0], k = a->shape[trans_a ? 0 : 1];
    int64_t n = b->shape[trans_b ? 0 : 1];
    if (!m || !n)
        return 0;
    cudaSetDevice(dev);
    job j = {op, dev, {0}, 0};
    if (!k)
        return job_end(
            &j,
            cu(&j,
               (int)cudaMemsetAsync(ezc_array_data(c), 0, ezc_array_nbytes(c), cudaStreamPerThread),
               err),
            err);
    cublasHandle_t h = blas_handle(op, dev, err);
    if (!h)
        return err ? err->code : EZC_EIO;
    int lda = a->shape[1] ? (int)a->shape[1] : 1, ldb = b->shape[1] ? (int)b->shape[1] : 1;
    /* Column-major, the row-major c is c^T (n x m) = op(b)^T @ op(a)^T, and
     * b's buffer read column-major already is b^T (likewise a). */
    cublasOperation_t tb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasStatus_t st;
    if (a->dtype == EZC_FLOAT32) {
        const float one = 1.0f, zero = 0.0f;
        st = cublasSgemm(h, tb, ta, (int)n, (int)m, (int)k, &one, ezc_array_data(b), ldb,
                         ezc_array_data(a), lda, &zero, ezc_array_data(c), (int)n);
    } else {
        const double one = 1.0, zero = 0.0;
        st = cublasDgemm(h, tb, ta, (int)n, (int)m, (int)k, &one, ezc_array_data(b), ldb,
                         ezc_array_data(a), lda, &zero, ezc_array_data(c), (int)n);
    }
    rc = st == CUBLAS_STATUS_SUCCESS
             ? 0
             : blas_fail(op, a->dtype == EZC_FLOAT32 ? "cublasSgemm" : "cublasDgemm", st, err);
    return job_end(&j, rc, err);
}

/* ---- cholesky ----------------------------------------------------------- */

int ezc_cuda_cholesky(const ezc_array *a, ezc_array *l, ezc_error *err)
{
    const char *op = "cholesky";
    int rc;
    if ((rc = ezc_xp_check_cholesky(&ezc_cuda_dev, a, l, err)) || (rc = fits(op, "a", a, err)))
        return rc;
    int n = (int)a->shape[0], dbl = a->dtype == EZC_FLOAT64;
    if (!n)
        return 0;
    job j = {op, a->tensor.device.device_id, {0}, 0};
    cudaSetDevice(j.dev);
    cusolverDnHandle_t h = solver_handle(op, j.dev, err);
    if (!h)
        return err ? err->code : EZC_EIO;
    void *p = ezc_array_data(l), *work = NULL, *dinfo = NULL;
    int lwork = 0, info = 0;
    /* a's buffer read column-major is a^T = a; its upper factor u (a = u^T u)
     * read back row-major is the lower l with a = l l^T. */
    cublasFillMode_t up = CUBLAS_FILL_MODE_UPPER;
    cusolverStatus_t st = dbl ? cusolverDnDpotrf_bufferSize(h, up, n, p, n, &lwork)
                              : cusolverDnSpotrf_bufferSize(h, up, n, p, n, &lwork);
    if (st)
        return solver_fail(op, "potrf_bufferSize", st, err);
    if ((rc = copy_d2d(&j, p, ezc_array_data(a), ezc_array_nbytes(a), err)) ||
        (rc = job_alloc(&j, sizeof(int), &dinfo, err)) ||
        (rc = job_alloc(&j, (size_t)lwork * ezc_dtype_size(a->dtype), &work, err)))
        return job_end(&j, rc, err);
    st = dbl ? cusolverDnDpotrf(h, up, n, p, n, work, lwork, dinfo)
             : cusolverDnSpotrf(h, up, n, p, n, work, lwork, dinfo);
    if (st)
        rc = solver_fail(op, dbl ? "cusolverDnDpotrf" : "cusolverDnSpotrf", st, err);
    if (!rc)
        rc = read_info(&j, dinfo, &info, err);
    if (!rc && info > 0)
        rc = ezc_error_set(err, EZC_ENUMERIC,
                           "xp.%s: matrix is not positive definite (leading minor of order %d)", op,
                           info);
    else if (!rc && info < 0)
        rc = ezc_error_set(err, EZC_EINVAL, "xp.%s: potrf rejected argument %d", op, -info);
    if (!rc)
        rc = cu(&j, ezk_upper_zero(ktype(a), p, (size_t)n, EZC_CUDA_STREAM), err);
    return job_end(&j, rc, err);
}

/* ---- solve -------------------------------------------------------------- */

int ezc_cuda_solve(const ezc_array *a, const ezc_array *b, ezc_array *x, ezc_error *err)
{
    const char *op = "solve";
    int rc;
    if ((rc = ezc_xp_check_solve(&ezc_cuda_dev, a, b, x, err)) || (rc = fits(op, "a", a, err)) ||
        (rc = fits(op, "b", b, err)))
        return rc;
    int dev = a->tensor.device.device_id;
    int64_t n64 = a->shape[0], k = b->tensor.ndim == 2 ? b->shape[1] : -1;
    int n = (int)n64, nrhs = k < 0 ? 1 : (int)k, dbl = a->dtype == EZC_FLOAT64;
    if (!n || !nrhs)
        return 0;
    job j = {op, dev, {0}, 0};
    cudaSetDevice(dev);
    cusolverDnHandle_t h = solver_handle(op, dev, err);
    if (!h)
        return err ? err->code : EZC_EIO;
    size_t isz = ezc_dtype_size(a->dtype);
    void *lu = NULL, *piv = NULL, *dinfo = NULL, *work = NULL, *rhs = ezc_array_data(x);
    int lwork = 0, info = 0;
    if ((rc = job_alloc(&j, (size_t)n * (size_t)n * isz, &lu, err)))
        return job_end(&j, rc, err);
    cusolverStatus_t st = dbl ? cusolverDnDgetrf_bufferSize(h, n, n, lu, n, &lwork)
                              : cusolverDnSgetrf_bufferSize(h, n, n, lu, n, &lwork);
    if (st)
        return job_end(&j, solver_fail(op, "getrf_bufferSize", st, err), err);
    if ((rc = job_alloc(&j, (size_t)n * sizeof(int), &piv, err)) ||
        (rc = job_alloc(&j, sizeof(int), &dinfo, err)) ||
        (rc = job_alloc(&j, (size_t)lwork * isz, &work, err)) ||
        (nrhs > 1 && (rc = job_alloc(&j, (size_t)n * (size_t)nrhs * isz, &rhs, err))) ||
        (rc = copy_d2d(&j, lu, ezc_array_data(a), ezc_array_nbytes(a), err)))
        return job_end(&j, rc, err);
    /* lu holds the factors of a's buffer read column-major, a^T. */
    st = dbl ? cusolverDnDgetrf(h, n, n, lu, n, work, piv, dinfo)
             : cusolverDnSgetrf(h, n, n, lu, n, work, piv, dinfo);
    if (st)
        return job_end(&j, solver_fail(op, dbl ? "cusolverDnDgetrf" : "cusolverDnSgetrf", st, err),
                       err);
    if ((rc = read_info(&j, dinfo, &info, err)))
        return job_end(&j, rc, err);
    if (info > 0)
        return job_end(&j,
                       ezc_error_set(err, EZC_ENUMERIC,
                                     "xp.%s: matrix is singular (U[%d, %d] of its LU factors "
                                     "is zero)",
                                     op, info - 1, info - 1),
                       err);
    if (info < 0)
        return job_end(
            &j, ezc_error_set(err, EZC_EINVAL, "xp.%s: getrf rejected argument %d", op, -info),
            err);
    /* The right-hand sides column-major: one column is b itself; more are b
     * transposed. */
    rc = nrhs > 1 ? cu(&j,
                       ezk_transpose(ktype(a), ezc_array_data(b), rhs, (size_t)n, (size_t)nrhs,
                                     EZC_CUDA_STREAM),
                       err)
                  : copy_d2d(&j, rhs, ezc_array_data(b), ezc_array_nbytes(b), err);
    if (rc)
        return job_end(&j, rc, err);
    /* (a^T)^T x = b */
    st = dbl ? cusolverDnDgetrs(h, CUBLAS_OP_T, n, nrhs, lu, n, piv, rhs, n, dinfo)
             : cusolverDnSgetrs(h, CUBLAS_OP_T, n, nrhs, lu, n, piv, rhs, n, dinfo);
    if (st)
        return job_end(&j, solver_fail(op, dbl ? "cusolverDnDgetrs" : "cusolverDnSgetrs", st, err),
                       err);
    if (nrhs > 1)
        rc = cu(&j,
                ezk_transpose(ktype(a), rhs, ezc_array_data(x), (size_t)nrhs, (size_t)n,
                              EZC_CUDA_STREAM),
                err);
    return job_end(&j, rc, err);
}

/* ---- eigh --------------------------------------------------------------- */

int ezc_cuda_eigh(const ezc_array *a, ezc_array *w, ezc_array *v, ezc_error *err)
{
    const char *op = "eigh";
    int rc;
    if ((rc = ezc_xp_check_eigh(&ezc_cuda_dev, a, w, v, err)) || (rc = fits(op, "a", a, err)))
        return rc;
    int dev = a->tensor.device.device_id;
    int64_t n64 = a->shape[0];
    int n = (int)n64, dbl = a->dtype == EZC_FLOAT64;
    if (!n)
        return 0;
    job j = {op, dev, {0}, 0};
    cudaSetDevice(dev);
    cusolverDnHandle_t h = solver_handle(op, dev, err);
    if (!h)
        return err ? err->code : EZC_EIO;
    size_t isz = ezc_dtype_size(a->dtype);
    void *s = NULL, *dinfo = NULL, *work = NULL, *wd = ezc_array_data(w);
    int lwork = 0, info = 0;
    /* Symmetric: the buffer read column-major is a itself; its upper half is
     * a's row-major lower half, the one LAPACK's row-major 'L' reads. */
    cusolverEigMode_t job_v = CUSOLVER_EIG_MODE_VECTOR;
    cublasFillMode_t up = CUBLAS_FILL_MODE_UPPER;
    if ((rc = job_alloc(&j, (size_t)n * (size_t)n * isz, &s, err)))
        return job_end(&j, rc, err);
    cusolverStatus_t st = dbl ? cusolverDnDsyevd_bufferSize(h, job_v, up, n, s, n, wd, &lwork)
                              : cusolverDnSsyevd_bufferSize(h, job_v, up, n, s, n, wd, &lwork);
    if (st)
        return job_end(&j, solver_fail(op, "syevd_bufferSize", st, err), err);
    if ((rc = job_alloc(&j, sizeof(int), &dinfo, err)) ||
        (rc = job_alloc(&j, (size_t)lwork * isz, &work, err)) ||
        (rc = copy_d2d(&j, s, ezc_array_data(a), ezc_array_nbytes(a), err)))
        return job_end(&j, rc, err);
    st = dbl ? cusolverDnDsyevd(h, job_v, up, n, s, n, wd, work, lwork, dinfo)
             : cusolverDnSsyevd(h, job_v, up, n, s, n, wd, work, lwork, dinfo);
    if (st)
        return job_end(&j, solver_fail(op, dbl ? "cusolverDnDsyevd" : "cusolverDnSsyevd", st, err),
                       err);
    if ((rc = read_info(&j, dinfo, &info, err)))
        return job_end(&j, rc, err);
    if (info > 0)
        return job_end(&j,
                       ezc_error_set(err, EZC_ENUMERIC,
                                     "xp.%s: eigenvalues did not converge (info %d)", op, info),
                       err);
    if (info < 0)
        return job_end(
            &j, ezc_error_set(err, EZC_EINVAL, "xp.%s: syevd rejected argument %d", op, -info),
            err);
    /* Column-major eigenvectors in columns; row-major v wants them the same,
     * which is the transpose of the buffer read row-major. */
    rc =
        cu(&j, ezk_transpose(ktype(a), s, ezc_array_data(v), (size_t)n, (size_t)n, EZC_CUDA_STREAM),
           err);
    return job_end(&j, rc, err);
}

/* ---- svd ---------------------------------------------------------------- */

int ezc_cuda_svd(const ezc_array *a, ezc_array *u, ezc_array *s, ezc_array *vt, ezc_error *err)
{
    const char *op = "svd";
    int rc;
    if ((rc = ezc_xp_check_svd(&ezc_cuda_dev, a, u, s, vt, err)) || (rc = fits(op, "a", a, err)))
        return rc;
    int dev = a->tensor.device.device_id;
    int64_t m64 = a->shape[0], n64 = a->shape[1], k64 = m64 < n64 ? m64 : n64;
    int m = (int)m64, n = (int)n64, k = (int)k64, dbl = a->dtype == EZC_FLOAT64;
    if (!k)
        return 0;
    job j = {op, dev, {0}, 0};
    cudaSetDevice(dev);
    cusolverDnHandle_t h = solver_handle(op, dev, err);
    if (!h)
        return err ? err->code : EZC_EIO;
    size_t isz = ezc_dtype_size(a->dtype);
    int wide = n >= m; /* a^T, the buffer read column-major, is tall: gesvd takes it as is */
    int rows = wide ? n : m, cols = wide ? m : n;
    void *t = NULL, *dinfo = NULL, *work = NULL, *ub = NULL, *vb = NULL;
    int lwork = 0, info = 0;
    cusolverStatus_t st = dbl ? cusolverDnDgesvd_bufferSize(h, rows, cols, &lwork)
                              : cusolverDnSgesvd_bufferSize(h, rows, cols, &lwork);
    if (st)
        return solver_fail(op, "gesvd_bufferSize", st, err);
    if ((rc = job_alloc(&j, (size_t)m * (size_t)n * isz, &t, err)) ||
        (rc = job_alloc(&j, sizeof(int), &dinfo, err)) ||
        (rc = job_alloc(&j, (size_t)lwork * isz, &work, err)))
        return job_end(&j, rc, err);
    if (wide) {
        /* a^T = U1 S V1^T, so a = V1 S U1^T: u = V1, whose column-major V1^T
         * (gesvd's vt, ld m) is u row-major; vt = U1^T, which is U1 (ld n)
         * read row-major. No transposes. */
        rc = copy_d2d(&j, t, ezc_array_data(a), ezc_array_nbytes(a), err);
        ub = ezc_array_data(vt);
        vb = ezc_array_data(u);
    } else {
        /* a^T would be wide: factor a itself, made column-major first. */
        if (!(rc = job_alloc(&j, (size_t)m * (size_t)k * isz, &ub, err)) &&
            !(rc = job_alloc(&j, (size_t)k * (size_t)n * isz, &vb, err)))
            rc = cu(&j,
                    ezk_transpose(ktype(a), ezc_array_data(a), t, (size_t)m, (size_t)n,
                                  EZC_CUDA_STREAM),
                    err);
    }
    if (rc)
        return job_end(&j, rc, err);
    st = dbl ? cusolverDnDgesvd(h, 'S', 'S', rows, cols, t, rows, ezc_array_data(s), ub, rows, vb,
                                cols, work, lwork, NULL, dinfo)
             : cusolverDnSgesvd(h, 'S', 'S', rows, cols, t, rows, ezc_array_data(s), ub, rows, vb,
                                cols, work, lwork, NULL, dinfo);
    if (st)
        return job_end(&j, solver_fail(op, dbl ? "cusolverDnDgesvd" : "cusolverDnSgesvd", st, err),
                       err);
    if ((rc = read_info(&j, dinfo, &info, err)))
        return job_end(&j, rc, err);
    if (info > 0)
        return job_end(
            &j, ezc_error_set(err, EZC_ENUMERIC, "xp.%s: did not converge (info %d)", op, info),
            err);
    if (info < 0)
        return job_end(
            &j, ezc_error_set(err, EZC_EINVAL, "xp.%s: gesvd rejected argument %d", op, -info),
            err);
    if (!wide) {
        /* U (m x k) and V^T (k x n) column-major, to row-major. */
        if (!(rc = cu(&j,
                      ezk_transpose(ktype(a), ub, ezc_array_data(u), (size_t)k, (size_t)m,
                                    EZC_CUDA_STREAM),
                      err)))
            rc = cu(&j,
                    ezk_transpose(ktype(a), vb, ezc_array_data(vt), (size_t)n, (size_t)k,
                                  EZC_CUDA_STREAM),
                    err);
    }
    return job_end(&j, rc, err);
}
