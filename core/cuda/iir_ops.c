/* iir_ops.c — the CUDA backend's xp.iir: the checks and the coefficient
 * normalisation of the CPU backend's (core/cpu/iir.c), then iir.cu's
 * thread-per-signal kernel. The normalised coefficients travel to the device
 * in a buffer from the caching allocator (no cudaMalloc on the steady path);
 * a cascade whose state exceeds what one thread keeps locally runs in
 * passes, the later ones in place on y, as on the CPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cuda_internal.h"
#include "kernels.h"

#define MAX_Z 64 /* as iir.cu */

static int check_args(const ezc_array *x, int *axis, int nsec, int order, const double *coef,
                      const ezc_array *zi, const ezc_array *y, ezc_error *err)
{
    int rc;
    if ((rc = ezc_cuda_check("iir", "x", x, err)) || (rc = ezc_cuda_check("iir", "y", y, err)) ||
        (rc = ezc_cuda_check_device("iir", "zi", zi, err)))
        return rc;
    int nd = x->tensor.ndim;
    if (*axis < 0)
        *axis += nd;
    if (*axis < 0 || *axis >= nd)
        return ezc_error_set(err, EZC_EINVAL, "xp.iir: axis out of range for %d dims", nd);
    if (y->dtype != x->dtype)
        return ezc_error_set(err, EZC_EDTYPE, "xp.iir: x is %s but y is %s",
                             ezc_dtype_name(x->dtype), ezc_dtype_name(y->dtype));
    if (y->tensor.ndim != nd || memcmp(x->shape, y->shape, sizeof(int64_t) * (size_t)nd) != 0)
        return ezc_error_set(err, EZC_ESHAPE, "xp.iir: x and y differ in shape");
    if (zi->dtype != EZC_FLOAT64)
        return ezc_error_set(err, EZC_EDTYPE, "xp.iir: zi has dtype %s, expected float64",
                             ezc_dtype_name(zi->dtype));
    if (x->tensor.device.device_id != y->tensor.device.device_id ||
        x->tensor.device.device_id != zi->tensor.device.device_id)
        return ezc_error_set(err, EZC_EDEVICE, "xp.iir: x, y and zi are on different cuda devices");
    if (ezc_array_data(x) != ezc_array_data(y) && x->buf == y->buf &&
        ezc_array_nbytes(x) && ezc_array_nbytes(y)) {
        const char *xa = ezc_array_data(x), *ya = ezc_array_data(y);
        if (xa < ya + ezc_array_nbytes(y) && ya < xa + ezc_array_nbytes(x))
            return ezc_error_set(err, EZC_EINVAL, "xp.iir: x and y overlap without being the same");
    }
    if (zi->buf == x->buf || zi->buf == y->buf)
        return ezc_error_set(err, EZC_EINVAL, "xp.iir: zi shares memory with x or y");
    if (nsec < 0 || order < 0 || (nsec > 0 && !coef))
        return ezc_error_set(err, EZC_EINVAL,
                             "xp.iir: %d sections of order %d%s: expected nsec >= 0, "
                             "order >= 0 and coefficients",
                             nsec, order, coef ? "" : " without coefficients");
    size_t outer, n, inner;
    ezc_array_split(x, *axis, &outer, &n, &inner);
    size_t nz = (size_t)nsec * (size_t)order * outer * inner;
    if (ezc_array_size(zi) != nz)
        return ezc_error_set(err, EZC_ESHAPE,
                             "xp.iir: zi has %zu elements; expected %d sections x order %d x "
                             "%zu x %zu = %zu elements",
                             ezc_array_size(zi), nsec, order, outer, inner, nz);
    return 0;
}

int ezc_cuda_iir(const ezc_array *x, int axis, const double *coef, int nsec, int order,
                 ezc_array *zi, ezc_array *y, ezc_error *err)
{
    int rc = check_args(x, &axis, nsec, order, coef, zi, y, err);
    if (rc)
        return rc;
    size_t per = 2 * (size_t)order + 1, ncoef = (size_t)nsec * per;
    double *cn = malloc((ncoef ? ncoef : 1) * sizeof *cn);
    if (!cn)
        return ezc_error_set(err, EZC_ENOMEM, "xp.iir: out of memory");
    for (int s = 0; s < nsec; s++) {
        const double *b = coef + (size_t)s * 2 * (order + 1), *a = b + order + 1;
        if (!(a[0] != 0) || !isfinite(a[0])) {
            free(cn);
            return ezc_error_set(err, EZC_EINVAL,
                                 "xp.iir: section %d has a[0] = %g; it must be finite and non-zero",
                                 s, a[0]);
        }
        double *c = cn + (size_t)s * per;
        for (int k = 0; k <= order; k++)
            c[k] = b[k] / a[0];
        for (int k = 1; k <= order; k++)
            c[order + k] = a[k] / a[0];
    }
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    const void *xd = ezc_array_data(x);
    void *yd = ezc_array_data(y);
    if (nsec == 0 || n == 0 || outer * inner == 0) {
        free(cn);
        return xd == yd ? 0 : ezc_cuda_copy(x, y, err);
    }
    ezc_buffer *dc = ezc_cuda_alloc(x->tensor.device, ncoef * sizeof *cn, err);
    if (!dc) {
        free(cn);
        return err ? err->code : EZC_ENOMEM;
    }
    rc = (int)cudaMemcpyAsync(dc->data, cn, ncoef * sizeof *cn, cudaMemcpyHostToDevice,
                              cudaStreamPerThread);
    /* Passes of sections whose state fits MAX_Z values; the first reads x,
     * the others y in place. */
    int per_pass = order ? MAX_Z / order : nsec;
    if (per_pass < 1)
        per_pass = 1;
    for (int s0 = 0; s0 < nsec && !rc; s0 += per_pass) {
        int s1 = s0 + per_pass < nsec ? s0 + per_pass : nsec;
        rc = ezk_iir(ezc_cuda_ktype(x), s0 ? yd : xd, yd, outer, n, inner,
                     ezc_array_data(zi), dc->data, s0, s1, order, EZC_CUDA_STREAM);
    }
    /* Waits before the coefficient block goes back to the cache (and before
     * the host copy of cn, read asynchronously, is freed). */
    rc = ezc_cuda_finish("iir", rc, err);
    ezc_buffer_unref(&dc);
    free(cn);
    return rc;
}
