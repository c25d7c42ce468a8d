/* test_tf_steady.c — "no transformer allocates on the steady path": every
 * built-in transformer, with typical settings, gets a warm-up and then 20
 * messages of the same template (each a buffer of its own, made before the
 * count starts, as upstream nodes hand them over); the thread's buffer
 * counter (ezc_buffer_new_count) must not move while they are processed and
 * their outputs released. Headers and coordinate tables are small mallocs
 * and not counted: data buffers are. */
#include <stdio.h>
#include <string.h>
#include "tf_test.h"

#define WARM 3
#define RUNS 20

/* [time, ch] float32 at 1 kHz, channel labels, values in (0.1, 1.1). */
static ezc_array *input(int64_t nt, int64_t nch)
{
    ezc_error err = {0};
    int64_t shape[2] = {nt, nch};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    float *v = ezc_array_data(a);
    for (int64_t i = 0; i < nt * nch; i++)
        v[i] = 0.1f + (float)((i * 7919) % 1000) / 1000.0f;
    ezc_array_set_linear_axis(a, 0, 1e-3, 0, "s");
    const char *labels[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, labels, (size_t)nch, "", &err), 0);
    return a;
}

static const struct {
    const char *type, *settings;
    int nch;
} cases[] = {
    {"abs", "", 8},
    {"clip", "min=0.2; max=0.9", 8},
    {"log", "clip_zero=true", 8},
    {"scale", "scale=2", 8},
    {"invert", "", 8},
    {"pow", "exponent=3", 8},
    {"add", "value=1", 8},
    {"difference", "value=1; subtrahend=false", 8},
    {"linear", "scale=[1, 2, 3, 4, 5, 6, 7, 8]; offset=1; axis=ch", 8},
    {"diff", "scale_by_fs=true", 8},
    {"transpose", "axes=[ch, time]", 8},
    {"slicer", "selection=1:5", 8},
    {"slicer", "selection=0:50; axis=time", 8},
    {"aggregate", "axis=time; operation=median", 8},
    {"aggregate", "axis=ch; operation=trapezoid", 8},
    {"ranged_aggregate", "axis=time; bands=[[-1e9, 1e9], [0, 1e9]]; operation=max", 8},
    {"coordinate_spaces", "", 2},
    {"coordinate_spaces", "mode=pol2cart", 2},
    {"affine", "weights=[[1, 0], [0, 1], [1, 1], [0, 0], [2, 1], [1, 2], [0, 3], [3, 0]]; axis=ch", 8},
    {"affine", "weights=[[1, 0], [0, 1], [1, 1], [0, 0], [2, 1], [1, 2], [0, 3], [3, 0], [5, 5]]", 8},
    {"common_rereference", "", 8},
    {"common_rereference", "mode=median; clusters=[0, 0, 0, 0, 1, 1, 1, 1]", 8},
    {"butterworth", "order=4; cuton=10; cutoff=100", 8},
    {"filter", "b=[0.2, 0.3]; a=[1, -0.5]", 8},
    {"downsample", "factor=3", 8},
    {"decimate", "factor=2", 8},
    {"ewma", "time_constant=0.05", 8},
    {"adaptive_standard_scaler", "time_constant=0.05", 8},
    {"window", "window_dur=0.032; window_shift=0.016", 8},
    {"spectrum", "", 8},
    {"spectrum", "transform=rel_db; window=hamming", 8},
    {"spectrogram", "window_dur=0.032; window_shift=0.016", 8},
    {"bandpower", "window_dur=0.032; window_shift=0.016; bands=[[50, 200], [200, 400]]", 8},
    {"to_device", "device=cpu", 8},
};

START_TEST(t_steady)
{
    ezc_error err = {0};
    ezc_registry *reg = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(reg, &err), 0);
    const char *type = cases[_i].type, *set = cases[_i].settings;
    const ezc_transformer_type *tt = ezc_registry_find(reg, type, &err);
    ck_assert_msg(tt != NULL, "%s", err.msg);
    ezc_transformer *t = tc_make(tt, set);
    ezc_array *proto = input(100, cases[_i].nch), *in[WARM + RUNS];
    for (int i = 0; i < WARM + RUNS; i++) {
        in[i] = ezc_array_copy(proto, &err);
        ck_assert_ptr_nonnull(in[i]);
        in[i]->axes[0].offset = 0.1 * i; /* consecutive messages */
    }
    for (int i = 0; i < WARM; i++) {
        ezc_array *y = tc_apply(t, in[i]);
        ezc_array_destroy(&y);
    }
    uint64_t before = ezc_buffer_new_count();
    for (int i = WARM; i < WARM + RUNS; i++) {
        ezc_array *y = tc_apply(t, in[i]);
        ezc_array_destroy(&y);
    }
    ck_assert_msg(ezc_buffer_new_count() == before, "%s {%s}: %llu data buffers allocated on "
                  "the steady path", type, set,
                  (unsigned long long)(ezc_buffer_new_count() - before));
    ezc_array_destroy(&proto);
    ezc_transformer_destroy(&t);
    ezc_registry_destroy(&reg);
}
END_TEST

int main(void)
{
    tc_devices_init();
    Suite *s = suite_create("tf_steady");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, t_steady, 0, (int)(sizeof cases / sizeof *cases));
    suite_add_tcase(s, tc);
    return tc_run_suite(s);
}
