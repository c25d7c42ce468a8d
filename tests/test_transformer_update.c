/* test_transformer_update.c — live settings (ezc_transformer_update): a
 * butterworth keeps its state across a change (the same settings give the
 * very output of an unbroken run; a new cutoff converges to a fresh filter
 * without a restart), a refused change leaves everything as it was, a type
 * without the hook is made again, and an ABI-1 type table (no update field)
 * is read by the registry without touching the bytes after it. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "check_run.h"
#include "ezc/ezc.h"

#define NCHUNK 20

static ezc_array *chunks[NCHUNK];

static void make_chunks(void)
{
    ezc_error err;
    ezc_synth_options o;
    ezc_synth_options_init(&o);
    o.kind = EZC_SYNTH_NOISE;
    o.channels = 2;
    o.chunk = 50;
    o.dtype = EZC_FLOAT64;
    ezc_synth *s = ezc_synth_new(&o, &err);
    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < NCHUNK; i++)
        ck_assert_ptr_nonnull(chunks[i] = ezc_synth_next(s, &err));
    ezc_synth_destroy(&s);
}

static void free_chunks(void)
{
    for (int i = 0; i < NCHUNK; i++)
        ezc_array_destroy(&chunks[i]);
}

static ezc_settings *bw_settings(const char *cutoff)
{
    ezc_error err;
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "order", "4", NULL, &err);
    ezc_settings_set(s, "cutoff", cutoff, NULL, &err);
    return s;
}

static const ezc_transformer_type *find(ezc_registry *r, const char *name)
{
    ezc_error err;
    const ezc_transformer_type *t = ezc_registry_find(r, name, &err);
    ck_assert_msg(t != NULL, "%s", err.msg);
    return t;
}

/* Runs chunks [from, to) through t; out[i] owns chunk i's result. */
static void run(ezc_transformer *t, int from, int to, ezc_array **out)
{
    ezc_error err;
    for (int i = from; i < to; i++) {
        ezc_array *in = ezc_array_copy(chunks[i], &err);
        ck_assert_ptr_nonnull(in);
        ck_assert_msg(ezc_transformer_process(t, 0, in, &out[i], &err) == 0, "%s", err.msg);
    }
}

static double maxdiff(ezc_array *a, ezc_array *b)
{
    const double *x = ezc_array_data(a), *y = ezc_array_data(b);
    double m = 0;
    for (size_t i = 0; i < ezc_array_size(a); i++) {
        double d = x[i] > y[i] ? x[i] - y[i] : y[i] - x[i];
        m = d > m ? d : m;
    }
    return m;
}

static void free_out(ezc_array **out)
{
    for (int i = 0; i < NCHUNK; i++)
        ezc_array_destroy(&out[i]);
}

START_TEST(t_butterworth_keeps_state)
{
    ezc_error err;
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    const ezc_transformer_type *bw = find(r, "butterworth");
    ck_assert_ptr_nonnull(bw->update);
    make_chunks();
    ezc_settings *s50 = bw_settings("50"), *s20 = bw_settings("20"), *bad = bw_settings("-1");
    ezc_array *ref[NCHUNK] = {0}, *got[NCHUNK] = {0}, *moved[NCHUNK] = {0}, *fresh[NCHUNK] = {0};

    ezc_transformer *t = ezc_transformer_new(bw, s50, &err);
    run(t, 0, NCHUNK, ref);
    ezc_transformer_destroy(&t);

    /* The same settings again mid-stream, and a refused change: the output
     * of an unbroken run, to the bit. */
    t = ezc_transformer_new(bw, s50, &err);
    run(t, 0, NCHUNK / 2, got);
    int kept = -1;
    ck_assert_int_eq(ezc_transformer_update(t, s50, &kept, &err), 0);
    ck_assert_int_eq(kept, 1);
    ck_assert_int_eq(ezc_transformer_update(t, bad, &kept, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "butterworth: setting 'cutoff' = -1: must be > 0 Hz"), "%s",
                  err.msg);
    double c = 0;
    ck_assert_int_eq(ezc_settings_get_float(t->settings, "cutoff", &c), 0);
    ck_assert(c == 50);
    run(t, NCHUNK / 2, NCHUNK, got);
    for (int i = 0; i < NCHUNK; i++)
        ck_assert_msg(maxdiff(got[i], ref[i]) == 0, "chunk %d", i);
    ezc_transformer_destroy(&t);

    /* A new cutoff: the delay line carries over (no restart transient), and
     * the output converges to that of a filter that always had it. */
    t = ezc_transformer_new(bw, s50, &err);
    run(t, 0, NCHUNK / 2, moved);
    ck_assert_int_eq(ezc_transformer_update(t, s20, &kept, &err), 0);
    ck_assert_int_eq(kept, 1);
    run(t, NCHUNK / 2, NCHUNK, moved);
    ezc_transformer_destroy(&t);
    t = ezc_transformer_new(bw, s20, &err);
    run(t, 0, NCHUNK, fresh);
    ezc_transformer_destroy(&t);
    ck_assert(maxdiff(moved[NCHUNK / 2], ref[NCHUNK / 2]) > 1e-3); /* it did change */
    ck_assert_msg(maxdiff(moved[NCHUNK - 1], fresh[NCHUNK - 1]) < 1e-6, "%g",
                  maxdiff(moved[NCHUNK - 1], fresh[NCHUNK - 1]));

    free_out(ref);
    free_out(got);
    free_out(moved);
    free_out(fresh);
    ezc_settings_destroy(&s50);
    ezc_settings_destroy(&s20);
    ezc_settings_destroy(&bad);
    free_chunks();
    ezc_registry_destroy(&r);
}
END_TEST

START_TEST(t_no_hook_recreates)
{
    ezc_error err;
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    const ezc_transformer_type *clip = find(r, "clip");
    ck_assert_ptr_null(clip->update);
    ezc_settings *s = ezc_settings_new(&err);
    ezc_settings_set(s, "min", "-1", NULL, &err);
    ezc_settings_set(s, "max", "1", NULL, &err);
    ezc_transformer *t = ezc_transformer_new(clip, s, &err);
    ck_assert_ptr_nonnull(t);
    int kept = -1;
    ezc_settings_set(s, "max", "0.5", NULL, &err);
    ck_assert_int_eq(ezc_transformer_update(t, s, &kept, &err), 0);
    ck_assert_int_eq(kept, 0);
    int64_t shape[1] = {3};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), &err), *y;
    double *x = ezc_array_data(a);
    x[0] = -3, x[1] = 0.25, x[2] = 3;
    ck_assert_int_eq(ezc_transformer_process(t, 0, a, &y, &err), 0);
    x = ezc_array_data(y);
    ck_assert(x[0] == -1 && x[1] == 0.25 && x[2] == 0.5);
    ezc_array_destroy(&y);
    /* refused by the schema: nothing changes */
    ezc_settings_set(s, "max", "lots", NULL, &err);
    ck_assert_int_eq(ezc_transformer_update(t, s, &kept, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "clip: setting 'max' = 'lots'"), "%s", err.msg);
    double mx = 0;
    ck_assert_int_eq(ezc_settings_get_float(t->settings, "max", &mx), 0);
    ck_assert(mx == 0.5);
    ezc_transformer_destroy(&t);
    ezc_settings_destroy(&s);
    ezc_registry_destroy(&r);
}
END_TEST

static int v1_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                      ezc_error *err)
{
    (void)state, (void)port, (void)xp, (void)err;
    *out = in;
    return 0;
}

START_TEST(t_abi1_table_read_short)
{
    /* An ABI-1 table as an old plugin has it: the fields before `update`,
     * then someone else's bytes (here 0xab), never to be read as a hook. */
    size_t v1 = offsetof(ezc_transformer_type, update);
    unsigned char *mem = malloc(sizeof(ezc_transformer_type) + 64);
    memset(mem, 0xab, sizeof(ezc_transformer_type) + 64);
    ezc_transformer_type full = {.name = "old_pass", .summary = "ABI 1", .process = v1_process};
    memcpy(mem, &full, v1);
    const ezc_transformer_type *types[] = {(const ezc_transformer_type *)mem, NULL};
    ezc_plugin_info info = {1, "old", types};
    ezc_error err;
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_msg(ezc_registry_add(r, &info, "old.so", &err) == 0, "%s", err.msg);
    const ezc_transformer_type *t = find(r, "old_pass");
    ck_assert_ptr_ne(t, (const void *)mem); /* a copy... */
    ck_assert_ptr_null(t->update);          /* ...without the bytes after the table */
    ezc_transformer *tr = ezc_transformer_new(t, NULL, &err);
    int kept = -1;
    ck_assert_int_eq(ezc_transformer_update(tr, NULL, &kept, &err), 0);
    ck_assert_int_eq(kept, 0);
    ezc_transformer_destroy(&tr);
    info.abi = EZC_PLUGIN_ABI + 1;
    ck_assert_int_eq(ezc_registry_add(r, &info, "new.so", &err), EZC_EABI);
    info.abi = 0;
    ck_assert_int_eq(ezc_registry_add(r, &info, "older.so", &err), EZC_EABI);
    ezc_registry_destroy(&r);
    free(mem);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("transformer_update");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, t_butterworth_keeps_state);
    tcase_add_test(tc, t_no_hook_recreates);
    tcase_add_test(tc, t_abi1_table_read_short);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
