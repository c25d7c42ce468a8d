/* test_xp_cuda_axis.c — diff, take, concat, permute and affine_axis on the
 * GPU against the CPU backend on the same data (itself checked against
 * numpy): data movement must match exactly, arithmetic within 1e-12
 * (float64) / 1e-6 (float32) relative; iir (a cascade of sections, state
 * carried across calls) within 1e-12 (float64) / 1e-5 (float32). Also the array-level helpers
 * (slice along a non-first axis, concat, permute) on device data. Exits 77
 * without a GPU. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ezc/ezc.h"

static const ezc_xp *cu, *cpu;

static ezc_array *rnd(ezc_dtype t, int nd, const int64_t *shape, unsigned seed)
{
    ezc_error err;
    ezc_array *a = ezc_array_new(t, nd, shape, NULL, ezc_device_cpu(), &err);
    unsigned char *p = ezc_array_data(a);
    srand(seed);
    if (t == EZC_FLOAT32 || t == EZC_FLOAT64) {
        for (size_t i = 0; i < ezc_array_size(a); i++) {
            double v = rand() / (double)RAND_MAX * 10 - 5;
            if (t == EZC_FLOAT32)
                ((float *)p)[i] = (float)v;
            else
                ((double *)p)[i] = v;
        }
    } else {
        for (size_t i = 0; i < ezc_array_nbytes(a); i++)
            p[i] = (unsigned char)rand();
    }
    return a;
}

static ezc_array *dev(const ezc_array *h)
{
    ezc_error err;
    ezc_array *d = ezc_array_to_device(h, ezc_device_cuda(0), &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    return d;
}

/* Device result equals the host result: bytes, or within tol for floats. */
static void same(const ezc_array *d, const ezc_array *h, double tol)
{
    ezc_error err;
    ezc_array *back = ezc_array_to_device(d, ezc_device_cpu(), &err);
    ck_assert_msg(back != NULL, "%s", err.msg);
    ck_assert_uint_eq(ezc_array_nbytes(back), ezc_array_nbytes(h));
    if (tol == 0 || (h->dtype != EZC_FLOAT32 && h->dtype != EZC_FLOAT64)) {
        ck_assert_int_eq(memcmp(ezc_array_data(back), ezc_array_data(h), ezc_array_nbytes(h)), 0);
    } else {
        for (size_t i = 0; i < ezc_array_size(h); i++) {
            double a = h->dtype == EZC_FLOAT32 ? ((float *)ezc_array_data(back))[i]
                                               : ((double *)ezc_array_data(back))[i];
            double b = h->dtype == EZC_FLOAT32 ? ((float *)ezc_array_data(h))[i]
                                               : ((double *)ezc_array_data(h))[i];
            ck_assert_msg(fabs(a - b) <= tol * fmax(fabs(b), 1), "[%zu] %.17g vs %.17g", i, a, b);
        }
    }
    ezc_array_destroy(&back);
}

START_TEST(t_diff)
{
    ezc_error err;
    int64_t shape[3] = {4, 37, 6};
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = ti ? EZC_FLOAT64 : EZC_FLOAT32;
        ezc_array *h = rnd(t, 3, shape, 1), *d = dev(h);
        for (int axis = 0; axis < 3; axis++) {
            int64_t ps[3] = {4, 37, 6}, ys[3] = {4, 37, 6};
            ps[axis] = 1;
            ezc_array *hp = rnd(t, 3, ps, 2), *dp = dev(hp);
            for (int with_prev = 0; with_prev < 2; with_prev++) {
                ys[axis] = shape[axis] - (with_prev ? 0 : 1);
                ezc_array *hy = ezc_array_new(t, 3, ys, NULL, ezc_device_cpu(), &err);
                ezc_array *dy = ezc_array_new(t, 3, ys, NULL, ezc_device_cuda(0), &err);
                ck_assert_int_eq(ezc_xp_call(cpu, diff, &err, h, with_prev ? hp : NULL, axis, hy),
                                 0);
                ck_assert_msg(ezc_xp_call(cu, diff, &err, d, with_prev ? dp : NULL, axis, dy) == 0,
                              "%s", err.msg);
                same(dy, hy, 0); /* one subtraction: bit-identical */
                ezc_array_destroy(&hy);
                ezc_array_destroy(&dy);
                ys[axis] = shape[axis];
            }
            ezc_array_destroy(&hp);
            ezc_array_destroy(&dp);
        }
        ezc_array_destroy(&h);
        ezc_array_destroy(&d);
    }
}
END_TEST

START_TEST(t_take_concat_permute_any_dtype)
{
    ezc_error err;
    ezc_dtype types[4] = {EZC_INT16, EZC_FLOAT32, EZC_COMPLEX128, EZC_UINT8};
    for (int ti = 0; ti < 4; ti++) {
        ezc_dtype t = types[ti];
        int64_t shape[4] = {3, 5, 7, 2};
        ezc_array *h = rnd(t, 4, shape, 3 + (unsigned)ti), *d = dev(h);
        /* take along dim 2, repeats and reordering */
        int64_t idx[5] = {6, 0, 3, 3, 1};
        int64_t ts[4] = {3, 5, 5, 2};
        ezc_array *hy = ezc_array_new(t, 4, ts, NULL, ezc_device_cpu(), &err);
        ezc_array *dy = ezc_array_new(t, 4, ts, NULL, ezc_device_cuda(0), &err);
        ck_assert_int_eq(ezc_xp_call(cpu, take, &err, h, 2, idx, 5, hy), 0);
        ck_assert_msg(ezc_xp_call(cu, take, &err, d, 2, idx, 5, dy) == 0, "%s", err.msg);
        same(dy, hy, 0);
        ezc_array_destroy(&hy);
        ezc_array_destroy(&dy);
        /* permute (2, 0, 3, 1) */
        int perm[4] = {2, 0, 3, 1};
        int64_t psh[4] = {7, 3, 2, 5};
        hy = ezc_array_new(t, 4, psh, NULL, ezc_device_cpu(), &err);
        dy = ezc_array_new(t, 4, psh, NULL, ezc_device_cuda(0), &err);
        ck_assert_int_eq(ezc_xp_call(cpu, permute, &err, h, perm, hy), 0);
        ck_assert_msg(ezc_xp_call(cu, permute, &err, d, perm, dy) == 0, "%s", err.msg);
        same(dy, hy, 0);
        ezc_array_destroy(&hy);
        ezc_array_destroy(&dy);
        /* concat three pieces along dim 1 */
        int64_t s2[4] = {3, 2, 7, 2}, s3[4] = {3, 4, 7, 2}, cs[4] = {3, 11, 7, 2};
        ezc_array *h2 = rnd(t, 4, s2, 9), *h3 = rnd(t, 4, s3, 10), *d2 = dev(h2), *d3 = dev(h3);
        const ezc_array *hs[3] = {h, h2, h3}, *ds[3] = {d, d2, d3};
        hy = ezc_array_new(t, 4, cs, NULL, ezc_device_cpu(), &err);
        dy = ezc_array_new(t, 4, cs, NULL, ezc_device_cuda(0), &err);
        ck_assert_int_eq(ezc_xp_call(cpu, concat, &err, hs, 3, 1, hy), 0);
        ck_assert_msg(ezc_xp_call(cu, concat, &err, ds, 3, 1, dy) == 0, "%s", err.msg);
        same(dy, hy, 0);
        ezc_array_destroy(&hy);
        ezc_array_destroy(&dy);
        ezc_array_destroy(&h2);
        ezc_array_destroy(&h3);
        ezc_array_destroy(&d2);
        ezc_array_destroy(&d3);
        ezc_array_destroy(&h);
        ezc_array_destroy(&d);
    }
}
END_TEST

START_TEST(t_affine_axis)
{
    ezc_error err;
    int64_t shape[3] = {6, 4, 9};
    double scale[4] = {1.5, -2, 0.25, 3}, offset[4] = {0, 1, -1, 10};
    for (int ti = 0; ti < 2; ti++) {
        ezc_dtype t = ti ? EZC_FLOAT64 : EZC_FLOAT32;
        ezc_array *h = rnd(t, 3, shape, 5), *d = dev(h);
        ezc_array *hy = ezc_array_new(t, 3, shape, NULL, ezc_device_cpu(), &err);
        ck_assert_int_eq(ezc_xp_call(cpu, affine_axis, &err, h, hy, 1, scale, offset), 0);
        ck_assert_msg(ezc_xp_call(cu, affine_axis, &err, d, d, 1, scale, offset) == 0, "%s",
                      err.msg);
        same(d, hy, ti ? 1e-12 : 1e-6);
        ck_assert_int_eq(ezc_xp_call(cu, affine_axis, &err, d, d, 1, NULL, offset), 0);
        ezc_array_destroy(&hy);
        ezc_array_destroy(&h);
        ezc_array_destroy(&d);
    }
}
END_TEST

START_TEST(t_array_helpers_on_device)
{
    ezc_error err;
    int64_t shape[2] = {10, 6};
    const char *dims[2] = {"time", "ch"};
    ezc_array *h = rnd(EZC_FLOAT32, 2, shape, 7);
    ezc_array_set_dim(h, 0, dims[0], &err);
    ezc_array_set_dim(h, 1, dims[1], &err);
    const char *labels[6] = {"a", "b", "c", "d", "e", "f"};
    ezc_array_set_coord_labels(h, 1, labels, 6, "", &err);
    ezc_array *d = dev(h);
    ezc_array *hs = ezc_array_slice(h, 1, 2, 5, &err);
    ezc_array *ds = ezc_array_slice(d, 1, 2, 5, &err);
    ck_assert_msg(ds != NULL, "%s", err.msg);
    ck_assert_int_eq(ds->tensor.device.device_type, kDLCUDA);
    ck_assert_str_eq(ds->axes[1].coords->labels[0], "c");
    same(ds, hs, 0);
    int perm[2] = {1, 0};
    ezc_array *dp = ezc_array_permute(d, perm, &err), *hp = ezc_array_permute(h, perm, &err);
    ck_assert_msg(dp != NULL, "%s", err.msg);
    ck_assert_str_eq(dp->dims[0], "ch");
    same(dp, hp, 0);
    ezc_array_destroy(&hs);
    ezc_array_destroy(&ds);
    ezc_array_destroy(&hp);
    ezc_array_destroy(&dp);
    ezc_array_destroy(&h);
    ezc_array_destroy(&d);
}
END_TEST

/* xp.iir on the GPU against the CPU backend: a stable 3-section order-2
 * cascade (sosfilt), one order-4 section (lfilter), a 70-tap FIR as one
 * section above the locally kept state (the global-state path), and 40
 * order-2 sections (two passes), along axis 0, the middle and the last,
 * float32 and float64, in place and not, over two calls so the final state
 * of the first is the initial state of the second. Both compute in float64
 * in the same order without fused multiply-adds; the tolerances (1e-12
 * float64, 1e-5 float32 relative to max(|y|, 1)) cover rounding that the
 * feedback carries. */
static void iir_coefs(int kind, int *nsec, int *order, double **coef)
{
    if (kind == 0) { /* butter(6, 0.2, output='sos') */
        static const double sos[3][6] = {
            {4.8243239425693105e-04, 9.6486478851386210e-04, 4.8243239425693105e-04, 1.0,
             -0.9428090415820635, 0.3333333333333333},
            {1.0, 2.0, 1.0, 1.0, -1.0330377471475624, 0.4330096651883089},
            {1.0, 2.0, 1.0, 1.0, -1.2416739021896566, 0.6669765432012683},
        };
        *nsec = 3;
        *order = 2;
        *coef = malloc(sizeof sos);
        memcpy(*coef, sos, sizeof sos);
    } else if (kind == 1) { /* one order-4 section, a[0] = 2 to check the normalisation */
        static const double ba[10] = {0.2, 0.1, -0.05, 0.3, 0.1, 2.0, -1.2, 0.5, -0.1, 0.02};
        *nsec = 1;
        *order = 4;
        *coef = malloc(sizeof ba);
        memcpy(*coef, ba, sizeof ba);
    } else if (kind == 2) { /* 70-tap FIR: b random, a = [1, 0...] */
        *nsec = 1;
        *order = 70;
        *coef = calloc(2 * 71, sizeof(double));
        srand(11);
        for (int k = 0; k <= 70; k++)
            (*coef)[k] = rand() / (double)RAND_MAX - 0.5;
        (*coef)[71] = 1.0;
    } else { /* 40 mild resonators: 80 state values, two passes */
        *nsec = 40;
        *order = 2;
        *coef = malloc(40 * 6 * sizeof(double));
        for (int s = 0; s < 40; s++) {
            double r = 0.5 + 0.01 * s, w = 0.1 + 0.02 * s;
            double c[6] = {1 - r, 0, 0, 1, -2 * r * cos(w), r * r};
            memcpy(*coef + 6 * s, c, sizeof c);
        }
    }
}

START_TEST(t_iir)
{
    ezc_error err;
    int64_t shape[3] = {5, 300, 7};
    for (int kind = 0; kind < 4; kind++) {
        int nsec, order;
        double *coef;
        iir_coefs(kind, &nsec, &order, &coef);
        for (int ti = 0; ti < 2; ti++) {
            ezc_dtype t = ti ? EZC_FLOAT64 : EZC_FLOAT32;
            double tol = ti ? 1e-12 : 1e-5;
            for (int axis = 0; axis < 3; axis++) {
                size_t other = 1;
                for (int d = 0; d < 3; d++)
                    other *= d == axis ? 1 : (size_t)shape[d];
                int64_t zs[1] = {(int64_t)((size_t)nsec * (size_t)order * other)};
                ezc_array *hz = ezc_array_new(EZC_FLOAT64, 1, zs, NULL, ezc_device_cpu(), &err);
                ck_assert_int_eq(cpu->fill(hz, 0.0, &err), 0);
                ezc_array *dz = dev(hz);
                for (int call = 0; call < 2; call++) {
                    ezc_array *h = rnd(t, 3, shape, 20 + (unsigned)call), *d = dev(h);
                    ezc_array *hy = ezc_array_new(t, 3, shape, NULL, ezc_device_cpu(), &err);
                    int in_place = (axis + call) % 2;
                    ezc_array *dy =
                        in_place ? d : ezc_array_new(t, 3, shape, NULL, ezc_device_cuda(0), &err);
                    ck_assert_int_eq(
                        ezc_xp_call(cpu, iir, &err, h, axis, coef, nsec, order, hz, hy), 0);
                    ck_assert_msg(ezc_xp_call(cu, iir, &err, d, axis, coef, nsec, order, dz, dy) ==
                                      0,
                                  "kind %d axis %d: %s", kind, axis, err.msg);
                    same(dy, hy, tol);
                    same(dz, hz,
                         1e-12 *
                             (ti ? 1
                                 : 1e6)); /* float32 inputs: state in float64 from rounded data */
                    if (!in_place)
                        ezc_array_destroy(&dy);
                    ezc_array_destroy(&hy);
                    ezc_array_destroy(&h);
                    ezc_array_destroy(&d);
                }
                ezc_array_destroy(&hz);
                ezc_array_destroy(&dz);
            }
        }
        free(coef);
    }
}
END_TEST

START_TEST(t_iir_errors)
{
    ezc_error err;
    int64_t shape[2] = {10, 3}, zs[1] = {2 * 3};
    double coef[6] = {1, 0, 0, 0, 0.5, 0};
    ezc_array *d = ezc_array_new(EZC_FLOAT32, 2, shape, NULL, ezc_device_cuda(0), &err);
    ezc_array *z = ezc_array_new(EZC_FLOAT64, 1, zs, NULL, ezc_device_cuda(0), &err);
    ezc_array *z32 = ezc_array_new(EZC_FLOAT32, 1, zs, NULL, ezc_device_cuda(0), &err);
    ck_assert_int_eq(cu->fill(z, 0, &err), 0);
    ck_assert_int_eq(cu->fill(d, 1, &err), 0);
    /* a[0] = 0 */
    ck_assert_int_eq(ezc_xp_call(cu, iir, &err, d, 0, coef, 1, 2, z, d), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "a[0]") != NULL, "%s", err.msg);
    coef[3] = 1;
    ck_assert_int_eq(ezc_xp_call(cu, iir, &err, d, 0, coef, 1, 2, z32, d), EZC_EDTYPE);
    ck_assert_msg(strstr(err.msg, "zi") != NULL, "%s", err.msg);
    ck_assert_int_eq(ezc_xp_call(cu, iir, &err, d, 1, coef, 1, 2, z, d), EZC_ESHAPE);
    ck_assert_msg(strstr(err.msg, "zi has 6 elements") != NULL, "%s", err.msg);
    ezc_array *h = ezc_array_new(EZC_FLOAT32, 2, shape, NULL, ezc_device_cpu(), &err);
    ck_assert_int_eq(ezc_xp_call(cu, iir, &err, h, 0, coef, 1, 2, z, d), EZC_EDEVICE);
    /* still usable after the errors */
    ck_assert_msg(ezc_xp_call(cu, iir, &err, d, 0, coef, 1, 2, z, d) == 0, "%s", err.msg);
    ezc_array_destroy(&h);
    ezc_array_destroy(&d);
    ezc_array_destroy(&z);
    ezc_array_destroy(&z32);
}
END_TEST

int main(void)
{
    ezc_error err;
    cpu = ezc_xp_cpu();
    if (!(cu = ezc_xp_for(ezc_device_cuda(0), &err))) {
        printf("skip: %s\n", err.msg);
        return 77;
    }
    Suite *s = suite_create("xp_cuda_axis");
    TCase *tc = tcase_create("gpu");
    tcase_add_test(tc, t_diff);
    tcase_add_test(tc, t_take_concat_permute_any_dtype);
    tcase_add_test(tc, t_affine_axis);
    tcase_add_test(tc, t_array_helpers_on_device);
    tcase_add_test(tc, t_iir);
    tcase_add_test(tc, t_iir_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
