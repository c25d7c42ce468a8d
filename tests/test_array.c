/* test_array.c — AxisArray core: life cycle, dims and axes, attrs, dtypes,
 * devices, and copy-on-write (a write through one holder never shows up in
 * another). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check_run.h"
#include "ezc/ezc.h"

static ezc_array *make_2d(int64_t t, int64_t c)
{
    ezc_error err;
    int64_t shape[2] = {t, c};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    float *d = ezc_array_data(a);
    for (int64_t i = 0; i < t * c; i++)
        d[i] = (float)i;
    ezc_array_set_linear_axis(a, 0, 0.001, 10.0, "s");
    return a;
}

START_TEST(t_new_and_metadata)
{
    ezc_array *a = make_2d(100, 8);
    ck_assert_int_eq(ezc_array_ndim(a), 2);
    ck_assert_uint_eq(ezc_array_size(a), 800);
    ck_assert_uint_eq(ezc_array_nbytes(a), 3200);
    ck_assert_int_eq(a->tensor.dtype.code, kDLFloat);
    ck_assert_int_eq(a->tensor.dtype.bits, 32);
    ck_assert_ptr_eq(a->tensor.shape, a->shape);
    ck_assert_int_eq(ezc_array_axis_index(a, "ch"), 1);
    ck_assert_int_eq(ezc_array_axis_index(a, "freq"), -1);
    ck_assert_str_eq(a->key, "");
    ck_assert_uint_eq((uintptr_t)ezc_array_data(a) % 64, 0);
    ezc_array_destroy(&a);
    ck_assert_ptr_null(a);
    ezc_array_destroy(&a); /* NULL-safe */
}
END_TEST

START_TEST(t_default_dim_names)
{
    ezc_error err;
    int64_t shape[3] = {2, 3, 4};
    ezc_array *a = ezc_array_zeros(EZC_INT16, 3, shape, NULL, &err);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->dims[2], "dim2");
    int16_t *d = ezc_array_data(a);
    for (int i = 0; i < 24; i++)
        ck_assert_int_eq(d[i], 0);
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_bad_shapes)
{
    ezc_error err;
    int64_t neg[1] = {-1};
    ck_assert_ptr_null(ezc_array_new(EZC_FLOAT32, 1, neg, NULL, ezc_device_cpu(), &err));
    ck_assert_int_eq(err.code, EZC_ESHAPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "shape[0]"));
    int64_t huge[2] = {1 << 30, 1 << 30};
    ck_assert_ptr_null(ezc_array_new(EZC_FLOAT32, 2, huge, NULL, ezc_device_cpu(), &err));
    ck_assert_int_eq(err.code, EZC_ESHAPE);
    int64_t one[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_ptr_null(ezc_array_new(EZC_FLOAT32, 9, one, NULL, ezc_device_cpu(), &err));
    ck_assert_int_eq(err.code, EZC_ESHAPE);
    ck_assert_ptr_null(ezc_array_new(EZC_DTYPE_INVALID, 1, one, NULL, ezc_device_cpu(), &err));
    ck_assert_int_eq(err.code, EZC_EDTYPE);
    const char *longname[1] = {"a_dim_name_that_is_far_too_long_for_ezc"};
    ck_assert_ptr_null(ezc_array_new(EZC_FLOAT32, 1, one, longname, ezc_device_cpu(), &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
}
END_TEST

START_TEST(t_clone_shares_and_cow)
{
    ezc_error err;
    ezc_array *a = make_2d(10, 4);
    ck_assert(ezc_array_is_writable(a));
    ezc_array *b = ezc_array_clone(a, &err);
    ck_assert_ptr_eq(ezc_array_data(a), ezc_array_data(b));
    ck_assert(!ezc_array_is_writable(a));
    ck_assert(!ezc_array_is_writable(b));
    /* b writes: it gets its own copy; a keeps the original values. */
    ck_assert_int_eq(ezc_array_make_writable(b, &err), 0);
    ck_assert_ptr_ne(ezc_array_data(a), ezc_array_data(b));
    ((float *)ezc_array_data(b))[5] = -1.0f;
    ck_assert_float_eq(((float *)ezc_array_data(a))[5], 5.0f);
    ck_assert_float_eq(((float *)ezc_array_data(b))[6], 6.0f);
    /* Now both are unique again: writing in place needs no copy. */
    ck_assert(ezc_array_is_writable(a));
    void *before = ezc_array_data(a);
    ck_assert_int_eq(ezc_array_make_writable(a, &err), 0);
    ck_assert_ptr_eq(ezc_array_data(a), before);
    /* The axis travels with the clone. */
    ck_assert_int_eq(b->axes[0].kind, EZC_AXIS_LINEAR);
    ck_assert_double_eq(b->axes[0].offset, 10.0);
    ck_assert_str_eq(b->axes[0].unit, "s");
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

START_TEST(t_coords_and_check)
{
    ezc_error err;
    ezc_array *a = make_2d(5, 3);
    const char *labels[3] = {"C3", "Cz", "C4"};
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, labels, 3, "", &err), 0);
    ck_assert_str_eq(a->axes[1].coords->labels[2], "C4");
    ezc_array *b = ezc_array_clone(a, &err);
    ck_assert_ptr_eq(a->axes[1].coords, b->axes[1].coords); /* shared, not copied */
    ck_assert_int_eq(ezc_array_check(a, &err), 0);
    /* Wrong coordinate count for the dim. */
    const char *two[2] = {"x", "y"};
    ezc_array_set_coord_labels(b, 1, two, 2, "", &err);
    ck_assert_int_eq(ezc_array_check(b, &err), EZC_ESHAPE);
    ck_assert_ptr_nonnull(strstr(err.msg, "axes.ch"));
    ck_assert_str_eq(a->axes[1].coords->labels[0], "C3"); /* a unaffected */
    /* Duplicate dims are refused. */
    ezc_array_set_dim(b, 1, "time", &err);
    ck_assert_int_eq(ezc_array_check(b, &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "duplicate dim 'time'"));
    double vals[3] = {1.5, 2.5, 3.5}, v;
    ck_assert_int_eq(ezc_array_set_coord_values(a, 1, vals, 3, "mm", &err), 0);
    ck_assert_int_eq(ezc_axis_value(&a->axes[1], 2, &v), 0);
    ck_assert_double_eq(v, 3.5);
    ck_assert_int_eq(ezc_axis_value(&a->axes[0], 4, &v), 0);
    ck_assert_double_eq_tol(v, 10.004, 1e-12);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

START_TEST(t_require_axis_message)
{
    ezc_error err;
    int idx = -1;
    ezc_array *a = make_2d(2, 2);
    ck_assert_int_eq(ezc_array_require_axis(a, "freq", &idx, &err), EZC_ENOTFOUND);
    ck_assert_str_eq(err.msg, "array has no dim 'freq' (dims: time, ch)");
    ck_assert_int_eq(ezc_array_require_axis(a, "ch", &idx, &err), 0);
    ck_assert_int_eq(idx, 1);
    ezc_array_destroy(&a);
}
END_TEST

START_TEST(t_attrs_copy_on_set)
{
    ezc_error err;
    ezc_array *a = make_2d(2, 2);
    ck_assert_int_eq(ezc_array_attr_set_str(a, "subject", "S01", &err), 0);
    ck_assert_int_eq(ezc_array_attr_set_int(a, "trial", 7, &err), 0);
    ezc_array *b = ezc_array_clone(a, &err);
    ck_assert_int_eq(ezc_array_attr_set_float(b, "trial", 2.5, &err), 0); /* replaces */
    ck_assert_int_eq(ezc_array_attr_set_bool(b, "ok", 1, &err), 0);
    const ezc_attr *t = ezc_array_attr(a, "trial");
    ck_assert_int_eq(t->type, EZC_ATTR_INT);
    ck_assert_int_eq(t->v.i, 7);
    t = ezc_array_attr(b, "trial");
    ck_assert_int_eq(t->type, EZC_ATTR_FLOAT);
    ck_assert_double_eq(t->v.f, 2.5);
    ck_assert_uint_eq(b->attrs->n, 3);
    ck_assert_ptr_null(ezc_array_attr(a, "ok"));
    ck_assert_str_eq(ezc_array_attr(b, "subject")->v.s.ptr, "S01");
    ck_assert_int_eq(ezc_array_attr_remove(b, "subject"), 0);
    ck_assert_ptr_null(ezc_array_attr(b, "subject"));
    ck_assert_int_eq(ezc_array_attr_remove(b, "subject"), EZC_ENOTFOUND);
    ck_assert_int_eq(ezc_array_set_key(b, "dev42", &err), 0);
    ck_assert_str_eq(b->key, "dev42");
    ck_assert_str_eq(a->key, "");
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
}
END_TEST

START_TEST(t_dtypes)
{
    const char *names[] = {"float32", "float64",   "int8",      "int16",  "int32",
                           "int64",   "uint8",     "uint16",    "uint32", "uint64",
                           "bool",    "complex64", "complex128"};
    const size_t sizes[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8, 1, 8, 16};
    for (int i = 0; i < 13; i++) {
        ezc_dtype t = ezc_dtype_from_name(names[i], (size_t)-1);
        ck_assert_int_ne(t, EZC_DTYPE_INVALID);
        ck_assert_str_eq(ezc_dtype_name(t), names[i]);
        ck_assert_uint_eq(ezc_dtype_size(t), sizes[i]);
        ck_assert_int_eq(ezc_dtype_from_dl(ezc_dtype_to_dl(t)), t);
    }
    ck_assert_int_eq(ezc_dtype_from_name("float16", (size_t)-1), EZC_DTYPE_INVALID);
    ck_assert_int_eq(ezc_dtype_from_name("float32x", 7), EZC_FLOAT32);
    ck_assert_int_eq(ezc_dtype_real(EZC_COMPLEX64), EZC_FLOAT32);
    ck_assert_int_eq(ezc_dtype_complex(EZC_FLOAT64), EZC_COMPLEX128);
    ck_assert(ezc_dtype_is_int(EZC_UINT16) && !ezc_dtype_is_signed(EZC_UINT16));
}
END_TEST

START_TEST(t_devices)
{
    ezc_error err;
    DLDevice d;
    char buf[32];
    ck_assert_int_eq(ezc_device_parse("cuda:3", &d, &err), 0);
    ck_assert_int_eq(d.device_type, kDLCUDA);
    ck_assert_int_eq(d.device_id, 3);
    ck_assert_str_eq(ezc_device_format(d, buf, sizeof buf), "cuda:3");
    ck_assert_int_eq(ezc_device_parse("cpu", &d, &err), 0);
    ck_assert_int_eq(d.device_type, kDLCPU);
    ck_assert_int_eq(ezc_device_parse("gpu0", &d, &err), EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "'gpu0'"));
    ck_assert_int_eq(ezc_device_parse("cuda:x", &d, &err), EZC_EINVAL);
}
END_TEST

START_TEST(t_missing_backend_is_an_error)
{
    ezc_error err;
    /* A module path that cannot load stands for "no CUDA here". */
    setenv("EZC_CUDA_MODULE", "/nonexistent/libezc-cuda.so", 1);
    const ezc_xp *xp = ezc_xp_for(ezc_device_cuda(0), &err);
    ck_assert_ptr_null(xp);
    ck_assert_int_eq(err.code, EZC_EDEVICE);
    ck_assert_ptr_nonnull(strstr(err.msg, "cuda:0"));
    ezc_error_clear(&err);
    ezc_buffer *b = ezc_buffer_new(ezc_device_cuda(0), 16, &err);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(err.code, EZC_EDEVICE);
    DLDevice odd = {kDLVulkan, 0};
    ck_assert_ptr_null(ezc_xp_for(odd, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "device7:0"));
    ck_assert_ptr_nonnull(ezc_xp_for(ezc_device_cpu(), &err));
}
END_TEST

static int freed;
static void count_free(void *data, void *ctx)
{
    (void)data;
    (void)ctx;
    freed++;
}

START_TEST(t_buffer_wrap_frees_once)
{
    ezc_error err;
    static float mem[16];
    freed = 0;
    ezc_buffer *b = ezc_buffer_wrap(mem, sizeof mem, ezc_device_cpu(), count_free, NULL, &err);
    int64_t shape[1] = {16};
    ezc_array *a = ezc_array_from_buffer(b, 0, EZC_FLOAT32, 1, shape, NULL, &err);
    ezc_array *c = ezc_array_clone(a, &err);
    ezc_buffer_unref(&b);
    ck_assert_ptr_null(b);
    ezc_array_destroy(&a);
    ck_assert_int_eq(freed, 0);
    ezc_array_destroy(&c);
    ck_assert_int_eq(freed, 1);
    /* A buffer too small for the shape is refused. */
    b = ezc_buffer_wrap(mem, 8, ezc_device_cpu(), NULL, NULL, &err);
    ck_assert_ptr_null(ezc_array_from_buffer(b, 0, EZC_FLOAT32, 1, shape, NULL, &err));
    ck_assert_int_eq(err.code, EZC_ESHAPE);
    ezc_buffer_unref(&b);
}
END_TEST

START_TEST(t_error_helpers)
{
    ezc_error err;
    ck_assert_int_eq(ezc_error_set(&err, EZC_EINVAL, "min (%d) > max (%d)", 5, 1), EZC_EINVAL);
    ezc_error_prefix(&err, "clip");
    ck_assert_str_eq(err.msg, "clip: min (5) > max (1)");
    ck_assert_int_eq(ezc_error_set(NULL, EZC_EIO, "ignored"), EZC_EIO);
    ck_assert_ptr_nonnull(strstr(ezc_strerror(EZC_EPROTO), "malformed"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("array");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_new_and_metadata);
    tcase_add_test(tc, t_default_dim_names);
    tcase_add_test(tc, t_bad_shapes);
    tcase_add_test(tc, t_clone_shares_and_cow);
    tcase_add_test(tc, t_coords_and_check);
    tcase_add_test(tc, t_require_axis_message);
    tcase_add_test(tc, t_attrs_copy_on_set);
    tcase_add_test(tc, t_dtypes);
    tcase_add_test(tc, t_devices);
    tcase_add_test(tc, t_missing_backend_is_an_error);
    tcase_add_test(tc, t_buffer_wrap_frees_once);
    tcase_add_test(tc, t_error_helpers);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
