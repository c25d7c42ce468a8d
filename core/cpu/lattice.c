/* lattice.c — the CPU backend's adaptive lattice notch: a nonlinear
 * recursion, sequential in time, so it runs sample by sample with the
 * independent series of the inner dims side by side (contiguous in memory
 * for data laid out [time, ch]); float64 arithmetic on float32 or float64
 * data, as numpy computes it from float64 state. */
#include <math.h>
#include <stddef.h>
#include "cpu_internal.h"

#define DEF_LATTICE(T, S)                                                                          \
    static void lattice_##S(const T *x, T *y, T *f, size_t outer, size_t n, size_t inner,          \
                            double *st, double gamma, double mu, double eta)                       \
    {                                                                                              \
        size_t m = outer * inner;                                                                  \
        double *s1 = st, *s2 = st + m, *p = st + 2 * m, *q = st + 3 * m, *k1 = st + 4 * m;         \
        for (size_t o = 0; o < outer; o++)                                                         \
            for (size_t t = 0; t < n; t++)                                                         \
                for (size_t k = 0; k < inner; k++) {                                               \
                    size_t j = o * inner + k, e = (o * n + t) * inner + k;                         \
                    double a1 = s1[j], a2 = s2[j], kk = k1[j];                                     \
                    double s = (double)x[e] - kk * (1 + gamma) * a1 - gamma * a2;                  \
                    y[e] = (T)(s + 2 * kk * a1 + a2);                                              \
                    p[j] = eta * p[j] + (1 - eta) * (a1 * (s + a2));                               \
                    q[j] = eta * q[j] + (1 - eta) * (2 * (a1 * a1));                               \
                    double nk = -p[j] / (q[j] + 1e-8);                                             \
                    nk = nk < -1 ? -1 : nk > 1 ? 1 : nk;                                           \
                    kk = mu * kk + (1 - mu) * nk;                                                  \
                    k1[j] = kk;                                                                    \
                    if (f)                                                                         \
                        f[e] = (T)acos(-kk);                                                       \
                    s2[j] = a1;                                                                    \
                    s1[j] = s;                                                                     \
                }                                                                                  \
    }

DEF_LATTICE(float, f32)
DEF_LATTICE(double, f64)

int ezc_cpu_lattice_notch(const ezc_array *x, int axis, double gamma, double mu, double eta,
                          ezc_array *st, ezc_array *y, ezc_array *f, ezc_error *err)
{
    int rc = ezc_xp_check_lattice_notch(&ezc_cpu_dev, x, &axis, st, y, f, err);
    if (rc)
        return rc;
    size_t outer, n, inner;
    ezc_array_split(x, axis, &outer, &n, &inner);
    if (!outer || !n || !inner)
        return 0;
    if (x->dtype == EZC_FLOAT32)
        lattice_f32(ezc_array_data(x), ezc_array_data(y), f ? ezc_array_data(f) : NULL, outer, n,
                    inner, ezc_array_data(st), gamma, mu, eta);
    else
        lattice_f64(ezc_array_data(x), ezc_array_data(y), f ? ezc_array_data(f) : NULL, outer, n,
                    inner, ezc_array_data(st), gamma, mu, eta);
    return 0;
}
