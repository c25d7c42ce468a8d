/* test_names_registry.c — the stream-name registry (ezc/names.h) through
 * its C API: which names are valid, register / resolve / list / describe /
 * unregister, a second holder refused, a dead owner's entry removed by the
 * next reader, close matches in the not-found message, and a named
 * publisher without an endpoint read with ezc_sub_new_by_name. Each test
 * works in a run folder of its own (EZC_RUN_DIR). */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check_run.h"
#include "pubsub_sample.h"

static char run_dir[128];

static void setup(void)
{
    snprintf(run_dir, sizeof run_dir, "/tmp/ezc-names-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    setenv("EZC_RUN_DIR", run_dir, 1);
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", run_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static ezc_stream_info info_of(const char *name, const char *endpoint)
{
    ezc_stream_info si = {.ndim = -1};
    snprintf(si.name, sizeof si.name, "%s", name);
    snprintf(si.endpoint, sizeof si.endpoint, "%s", endpoint);
    return si;
}

START_TEST(t_check)
{
    ezc_error err;
    const char *good[] = {"emg", "emg/envelope", "lab2:amp-1", "a.b_c+d@e", "g/n/x"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(ezc_names_check(good[i], &err) == 0, "%s: %s", good[i], err.msg);
    const char *bad[] = {"", ".x", "/x", "a//b", "tcp://x:1", "foo://bar", "a b", "a\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(ezc_names_check(bad[i], &err) == EZC_EINVAL, "%s accepted", bad[i]);
    char longname[EZC_STREAM_NAME_MAX + 1];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(ezc_names_check(longname, &err), EZC_EINVAL);
    ck_assert(ezc_names_is_endpoint("ipc:///x") && ezc_names_is_endpoint("tcp://h:1") &&
              ezc_names_is_endpoint("inproc://x") && !ezc_names_is_endpoint("emg"));
    ck_assert_uint_eq(ezc_names_stream_id("emg"), ezc_names_stream_id("emg"));
    ck_assert_uint_ne(ezc_names_stream_id("emg"), ezc_names_stream_id("emh"));
    ck_assert_uint_lt(ezc_names_stream_id("emg"), (uint64_t)1 << 63);
}
END_TEST

START_TEST(t_register_resolve_list)
{
    ezc_error err;
    ezc_names_reg *a = NULL, *b = NULL;
    ezc_stream_info si = info_of("emg/raw", "ipc:///tmp/raw");
    snprintf(si.graph, sizeof si.graph, "lab");
    ck_assert_int_eq(ezc_names_register(&si, &a, &err), 0);
    si = info_of("emg/envelope", "tcp://127.0.0.1:5999");
    ck_assert_int_eq(ezc_names_register(&si, &b, &err), 0);

    ezc_stream_info got;
    ck_assert_int_eq(ezc_names_resolve("emg/raw", &got, &err), 0);
    ck_assert_str_eq(got.endpoint, "ipc:///tmp/raw");
    ck_assert_str_eq(got.graph, "lab");
    ck_assert_int_eq(got.pid, getpid());
    ck_assert_int_eq(got.ndim, -1);
    ck_assert_str_eq(got.dtype, "");

    /* describe: the first message's dtype, shape, dims and rate */
    ezc_array *m = sample_make(0, "t");
    ck_assert_int_eq(ezc_names_describe(a, "raw", m, &err), 0);
    ezc_array_destroy(&m);
    ck_assert_int_eq(ezc_names_resolve("emg/raw", &got, &err), 0);
    ck_assert_str_eq(got.dtype, "float32");
    ck_assert_int_eq(got.ndim, 2);
    ck_assert_int_eq(got.shape[0], SAMPLE_T);
    ck_assert_int_eq(got.shape[1], SAMPLE_C);
    ck_assert_str_eq(got.dims[0], "time");
    ck_assert_str_eq(got.dims[1], "ch");
    ck_assert_str_eq(got.topic, "raw");
    ck_assert_double_eq_tol(got.fs, 1000.0, 1e-9);

    ezc_stream_info *v = NULL;
    size_t n = 0;
    ck_assert_int_eq(ezc_names_list(&v, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].name, "emg/envelope"); /* sorted */
    ck_assert_str_eq(v[1].name, "emg/raw");
    free(v);

    /* a second holder of a live name, even in this process, is refused */
    ezc_names_reg *again = NULL;
    si = info_of("emg/raw", "ipc:///tmp/other");
    ck_assert_int_eq(ezc_names_register(&si, &again, &err), EZC_EIO);
    ck_assert_ptr_null(again);
    char want[128];
    snprintf(want, sizeof want, "name 'emg/raw' is in use by pid %ld (endpoint ipc:///tmp/raw)",
             (long)getpid());
    ck_assert_msg(strstr(err.msg, want), "%s", err.msg);

    ezc_names_unregister(&a);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(ezc_names_resolve("emg/raw", &got, &err), EZC_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "no stream named 'emg/raw'"), "%s", err.msg);
    /* and free again for a new holder */
    ck_assert_int_eq(ezc_names_register(&si, &a, &err), 0);
    ezc_names_unregister(&a);
    ezc_names_unregister(&b);
    ck_assert_int_eq(ezc_names_list(&v, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(t_dead_owner)
{
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) { /* registers and dies without a word */
        ezc_names_reg *r = NULL;
        ezc_stream_info si = info_of("ghost", "ipc:///tmp/ghost");
        _exit(ezc_names_register(&si, &r, NULL) ? 1 : 0);
    }
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char entry[256];
    snprintf(entry, sizeof entry, "%s/streams/ghost.stream", run_dir);
    ck_assert_int_eq(access(entry, F_OK), 0); /* left behind */
    ezc_error err;
    ezc_stream_info got;
    ck_assert_int_eq(ezc_names_resolve("ghost", &got, &err), EZC_ENOTFOUND);
    ck_assert_int_ne(access(entry, F_OK), 0); /* removed by the reader */
    strcat(entry, ".lock");
    ck_assert_int_ne(access(entry, F_OK), 0);
    /* the name is free */
    ezc_names_reg *r = NULL;
    ezc_stream_info si = info_of("ghost", "ipc:///tmp/ghost");
    ck_assert_int_eq(ezc_names_register(&si, &r, &err), 0);
    ezc_names_unregister(&r);
}
END_TEST

START_TEST(t_not_found_suggests)
{
    ezc_error err;
    ezc_names_reg *a = NULL, *b = NULL;
    ezc_stream_info si = info_of("emg/envelope", "ipc:///tmp/a");
    ck_assert_int_eq(ezc_names_register(&si, &a, &err), 0);
    si = info_of("eeg/alpha", "ipc:///tmp/b");
    ck_assert_int_eq(ezc_names_register(&si, &b, &err), 0);
    ezc_stream_info got;
    ck_assert_int_eq(ezc_names_resolve("emg/envelop", &got, &err), EZC_ENOTFOUND);
    ck_assert_str_eq(err.msg,
                     "no stream named 'emg/envelop' (did you mean: emg/envelope?; `ezc ls` lists "
                     "them)");
    ck_assert_int_eq(ezc_names_resolve("zzz", &got, &err), EZC_ENOTFOUND);
    ck_assert_str_eq(err.msg, "no stream named 'zzz' (2 streams registered; `ezc ls` lists them)");
    ck_assert_int_eq(ezc_names_resolve("tcp://x:1", &got, &err), EZC_EINVAL);
    /* waiting: gives up after the timeout */
    ck_assert_int_eq(ezc_names_wait("zzz", 60, &got, &err), EZC_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "after 60 ms"), "%s", err.msg);
    ezc_names_unregister(&a);
    ezc_names_unregister(&b);
}
END_TEST

START_TEST(t_named_publisher)
{
    ezc_error err;
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.name = "emg/raw";
    po.graph = "lab";
    ezc_pub *p = ezc_pub_new(NULL, &po, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_uint_eq(ezc_pub_id(p), ezc_names_stream_id("emg/raw"));
    char want[256];
    snprintf(want, sizeof want, "ipc://%s/streams/", run_dir);
    ck_assert_msg(!strncmp(ezc_pub_endpoint(p), want, strlen(want)), "%s", ezc_pub_endpoint(p));

    /* the same name again: refused before any bind */
    ezc_pub *q = ezc_pub_new("", &po, &err);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(err.code, EZC_EIO);
    ck_assert_msg(strstr(err.msg, "pub: name 'emg/raw' is in use by pid"), "%s", err.msg);

    ezc_sub *s = ezc_sub_new_by_name("emg/raw", "", NULL, 1000, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 1, 5000, &err), 0);
    ezc_array *m = sample_make(1, "t"), *in = NULL;
    ck_assert_int_eq(ezc_pub_send(p, "raw", m, &err), 0);
    ezc_array_destroy(&m);
    ck_assert_int_eq(ezc_sub_recv(s, &in, 5000, &err), 0);
    char why[256];
    ck_assert_msg(sample_check(in, 1, "t", why, sizeof why) == 0, "%s", why);
    ezc_array_destroy(&in);

    ezc_stream_info got;
    ck_assert_int_eq(ezc_names_resolve("emg/raw", &got, &err), 0);
    ck_assert_str_eq(got.endpoint, ezc_pub_endpoint(p));
    ck_assert_str_eq(got.graph, "lab");
    ck_assert_str_eq(got.dtype, "float32"); /* described by the first send */
    ck_assert_uint_eq(got.id, ezc_pub_id(p));

    ezc_sub_destroy(&s);
    ezc_pub_destroy(&p);
    ck_assert_int_eq(ezc_names_resolve("emg/raw", &got, &err), EZC_ENOTFOUND);
    ck_assert_ptr_null(ezc_sub_new_by_name("emg/raw", "", NULL, 0, &err));
    ck_assert_int_eq(err.code, EZC_ENOTFOUND);

    /* inproc:// publishers are not registered (no other process reaches them) */
    po.name = "inner";
    p = ezc_pub_new("inproc://names-inner", &po, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_int_eq(ezc_names_resolve("inner", &got, &err), EZC_ENOTFOUND);
    ezc_pub_destroy(&p);

    /* a bad name is refused up front */
    po.name = "a b";
    ck_assert_ptr_null(ezc_pub_new(NULL, &po, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
}
END_TEST

START_TEST(t_long_run_dir)
{
    char deep[300];
    snprintf(deep, sizeof deep, "%s/%0120d", run_dir, 0);
    ck_assert_int_eq(mkdir(deep, 0700), 0);
    setenv("EZC_RUN_DIR", deep, 1);
    char ep[512];
    ezc_error err;
    ck_assert_int_eq(ezc_names_private_endpoint("emg", ep, sizeof ep, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "too long for a unix socket"), "%s", err.msg);
    setenv("EZC_RUN_DIR", run_dir, 1);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("names_registry");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_check);
    tcase_add_test(tc, t_register_resolve_list);
    tcase_add_test(tc, t_dead_owner);
    tcase_add_test(tc, t_not_found_suggests);
    tcase_add_test(tc, t_named_publisher);
    tcase_add_test(tc, t_long_run_dir);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
