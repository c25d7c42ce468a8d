/* iir_ops.c — the CUDA backend's xp.iir: the contract check and the
 * coefficient normalisation shared with every backend (core/xp_check.c),
 * then iir.cu's thread-per-signal kernel. The normalised coefficients
 * travel to the device in a buffer from the caching allocator (no
 * cudaMalloc on the steady path);
 * a cascade whose state exceeds what one thread keeps locally runs in
 * passes, the later ones in place on y, as on the CPU. */
#include <stdlib.h>
#include "cuda_internal.h"
#include "kernels.h"

#define MAX_Z 64 /* as iir.cu */

int ezc_cuda_iir(const ezc_array *x, int axis, const double *coef, int nsec, int order,
                 ezc_array *zi, ezc_array *y, ezc_error *err)
{
    int rc = ezc_xp_check_iir(&ezc_cuda_dev, x, &axis, coef, nsec, order, zi, y, err);
    if (rc)
        return rc;
    size_t per = 2 * (size_t)order + 1, ncoef = (size_t)nsec * per;
    double *cn = malloc((ncoef ? ncoef : 1) * sizeof *cn);
    if (!cn)
        return ezc_error_set(err, EZC_ENOMEM, "xp.iir: out of memory");
    if ((rc = ezc_xp_iir_normalise(coef, nsec, order, cn, err))) {
        free(cn);
        return rc;
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
        rc = ezk_iir(ezc_cuda_ktype(x), s0 ? yd : xd, yd, outer, n, inner, ezc_array_data(zi),
                     dc->data, s0, s1, order, EZC_CUDA_STREAM);
    }
    /* Waits before the coefficient block goes back to the cache (and before
     * the host copy of cn, read asynchronously, is freed). */
    rc = ezc_cuda_finish("iir", rc, err);
    ezc_buffer_unref(&dc);
    free(cn);
    return rc;
}
