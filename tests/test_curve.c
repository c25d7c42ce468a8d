/* test_curve.c — CURVE key files and who may connect (core/curve.c), and
 * the publisher's stall limit (core/pub.c), over real tcp sockets: key
 * files written and read back (modes, bad files), an allowed subscriber
 * receiving and another key refused (counted; logged once per key with the
 * peer's address and key), a subscriber that is CURVE to tcp and plaintext
 * to ipc at once, curve options ignored on ipc, and a subscriber that never
 * reads no longer holding the publisher with a stall limit, and a publisher
 * without the server key (an impostor) or without CURVE reaching no CURVE
 * subscriber. Every wait is bounded; no assertion depends on speed. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pubsub_sample.h"

static char dir[] = "/tmp/ezc-test-curve.XXXXXX";
static char path_buf[8][512];

static const char *path(int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", dir, name);
    return path_buf[slot];
}

static void setup_dir(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown_dir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/ezc-test-curve.XXXXXX");
}

static void keygen(const char *name)
{
    ezc_error err = {0, ""};
    ck_assert_msg(ezc_curve_keygen(path(7, name), &err) == 0, "%s", err.msg);
}

/* Log lines are counted here (the handler runs on the ZAP thread). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[8192];
static void on_log(ezc_log_level level, const char *msg, void *ctx)
{
    (void)level;
    (void)ctx;
    pthread_mutex_lock(&log_lock);
    size_t n = strlen(log_text);
    snprintf(log_text + n, sizeof log_text - n, "%s\n", msg);
    pthread_mutex_unlock(&log_lock);
}

static int log_count(const char *what)
{
    int n = 0;
    pthread_mutex_lock(&log_lock);
    for (const char *p = log_text; (p = strstr(p, what)); p++)
        n++;
    pthread_mutex_unlock(&log_lock);
    return n;
}

START_TEST(keys_round_trip)
{
    ck_assert_int_eq(ezc_curve_available(), 1); /* Debian's libzmq has it */
    keygen("a");
    struct stat st;
    ck_assert_int_eq(stat(path(0, "a.key"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(path(0, "a.pub"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    char sec[41], pub[41], pub2[41];
    ezc_error err = {0, ""};
    ck_assert_msg(ezc_curve_read_secret(path(0, "a.key"), sec, pub, &err) == 0, "%s", err.msg);
    ck_assert_msg(ezc_curve_read_public(path(0, "a.pub"), pub2, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(pub, pub2); /* the public key derived from the secret is a.pub's */
    ck_assert_int_eq(strlen(sec), 40);
    ck_assert_str_ne(sec, pub);
    /* a second keygen never replaces the secret key */
    ck_assert_int_eq(ezc_curve_keygen(path(0, "a"), &err), EZC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "a.key exists"));
    char again[41];
    ck_assert_int_eq(ezc_curve_read_secret(path(0, "a.key"), again, NULL, &err), 0);
    ck_assert_str_eq(again, sec);
}
END_TEST

START_TEST(bad_key_files)
{
    keygen("a");
    ezc_error err = {0, ""};
    char k[41];
    ck_assert_int_eq(chmod(path(0, "a.key"), 0640), 0);
    ck_assert_int_eq(ezc_curve_read_secret(path(0, "a.key"), k, NULL, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "mode 0640 lets others read it; chmod 600"), "%s", err.msg);
    FILE *f = fopen(path(1, "short.pub"), "w");
    fputs("# comment\n\nabcdef\n", f);
    fclose(f);
    ck_assert_int_eq(ezc_curve_read_public(path(1, "short.pub"), k, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "short.pub:3: not a CURVE key (expected 40 characters of Z85)"),
                  "%s", err.msg);
    f = fopen(path(1, "empty.pub"), "w");
    fputs("# only a comment\n", f);
    fclose(f);
    ck_assert_int_eq(ezc_curve_read_public(path(1, "empty.pub"), k, &err), EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "empty.pub: no key in the file"), "%s", err.msg);
    ck_assert_int_eq(ezc_curve_read_public(path(1, "missing.pub"), k, &err), EZC_EIO);
    ck_assert_msg(strstr(err.msg, "cannot open public key"), "%s", err.msg);
    /* a publisher refuses an allowed-keys folder without keys, and half a pair */
    ck_assert_int_eq(mkdir(path(2, "none"), 0700), 0);
    ck_assert_int_eq(chmod(path(0, "a.key"), 0600), 0);
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.curve_server_key = path(0, "a.key");
    po.curve_allow_dir = path(2, "none");
    ck_assert_ptr_null(ezc_pub_new("tcp://127.0.0.1:*", &po, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_msg(strstr(err.msg, "holds no .pub file"), "%s", err.msg);
    po.curve_allow_dir = NULL;
    ck_assert_ptr_null(ezc_pub_new("tcp://127.0.0.1:*", &po, &err));
    ck_assert_msg(strstr(err.msg, "needs both a secret key file and an allowed keys folder"), "%s",
                  err.msg);
    po.stall_timeout_ms = -1;
    ck_assert_ptr_null(ezc_pub_new("tcp://127.0.0.1:*", &po, &err));
    ck_assert_msg(strstr(err.msg, "stall_timeout_ms -1 >= 0"), "%s", err.msg);
}
END_TEST

static ezc_pub *curve_pub(const char *endpoint)
{
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.curve_server_key = path(0, "srv.key");
    po.curve_allow_dir = path(1, "allow");
    ezc_error err = {0, ""};
    ezc_pub *p = ezc_pub_new(endpoint, &po, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    return p;
}

static ezc_sub *curve_sub(const char *endpoint, const char *key)
{
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    so.curve_client_key = key;
    so.curve_server_pub = key ? path(2, "srv.pub") : NULL;
    ezc_error err = {0, ""};
    ezc_sub *s = ezc_sub_new(endpoint, "", &so, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    return s;
}

/* Sends sample k every 20 ms until s has one (or 3 s pass): 1 if it came. */
static int delivered(ezc_pub *p, ezc_sub *s, int k)
{
    for (int i = 0; i < 150; i++) {
        ezc_array *a = sample_make(k, "curve");
        ezc_error err = {0, ""};
        ck_assert_int_eq(ezc_pub_send(p, "t", a, &err), 0);
        ezc_array_destroy(&a);
        ezc_array *in = NULL;
        while (ezc_sub_recv(s, &in, 20, &err) == 0) {
            const float *v = ezc_array_data(in); /* sample k starts with 1000 k */
            if (ezc_array_size(in) == 0 || (int)(v[0] / 1000) != k) { /* an earlier one */
                ezc_array_destroy(&in);
                continue;
            }
            char why[256];
            int bad = sample_check(in, k, "curve", why, sizeof why);
            ezc_array_destroy(&in);
            ck_assert_msg(!bad, "%s", why);
            return 1;
        }
    }
    return 0;
}

static void curve_files(void)
{
    keygen("srv");
    keygen("ok");
    keygen("bad");
    ck_assert_int_eq(mkdir(path(1, "allow"), 0700), 0);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s/ok.pub' '%s/allow/'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(allowed_and_refused)
{
    curve_files();
    log_text[0] = '\0';
    ezc_log_set_handler(on_log, NULL);
    ezc_pub *p = curve_pub("tcp://127.0.0.1:*");
    const char *ep = ezc_pub_endpoint(p);
    ezc_sub *ok = curve_sub(ep, path(3, "ok.key"));
    ck_assert_int_eq(delivered(p, ok, 1), 1);
    /* another key, twice: nothing arrives; two refusals, one log line */
    for (int i = 0; i < 2; i++) {
        ezc_sub *bad = curve_sub(ep, path(4, "bad.key"));
        ck_assert_int_eq(delivered(p, bad, 2), 0);
        ezc_sub_destroy(&bad);
    }
    ezc_sub *plain = curve_sub(ep, NULL);
    ck_assert_int_eq(delivered(p, plain, 3), 0);
    ezc_sub_destroy(&plain);
    ezc_pub_stats st;
    ezc_pub_stats_get(p, &st);
    ck_assert_uint_eq(st.refused, 2); /* the plaintext one never reaches authentication */
    char badkey[41], want[200];
    ezc_error err = {0, ""};
    ck_assert_int_eq(ezc_curve_read_public(path(5, "bad.pub"), badkey, &err), 0);
    snprintf(want, sizeof want, "refused a subscriber from 127.0.0.1: key %s is not in", badkey);
    ck_assert_msg(log_count(want) == 1, "log: %s", log_text);
    ck_assert_int_eq(log_count("refused"), 1);
    /* the allowed one still receives */
    ck_assert_int_eq(delivered(p, ok, 4), 1);
    ezc_sub_destroy(&ok);
    ezc_pub_destroy(&p);
    ezc_log_set_handler(NULL, NULL);
}
END_TEST

/* A publisher bound by someone without the server's secret key (first on
 * the port, or anywhere a subscriber is sent): the subscriber, expecting
 * srv.pub, completes no handshake and takes nothing from it. */
START_TEST(impostor_server)
{
    curve_files();
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.curve_server_key = path(0, "bad.key");
    po.curve_allow_dir = path(1, "allow");
    ezc_error err = {0, ""};
    ezc_pub *fake = ezc_pub_new("tcp://127.0.0.1:*", &po, &err);
    ck_assert_msg(fake != NULL, "%s", err.msg);
    ezc_sub *s = curve_sub(ezc_pub_endpoint(fake), path(3, "ok.key"));
    ck_assert_int_eq(delivered(fake, s, 1), 0);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&fake);
    /* nor does a plaintext publisher reach a CURVE subscriber */
    ezc_pub *plain = ezc_pub_new("tcp://127.0.0.1:*", NULL, &err);
    ck_assert_msg(plain != NULL, "%s", err.msg);
    s = curve_sub(ezc_pub_endpoint(plain), path(3, "ok.key"));
    ck_assert_int_eq(delivered(plain, s, 2), 0);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&plain);
}
END_TEST

START_TEST(tcp_curve_and_ipc_plain)
{
    curve_files();
    ezc_pub *tcp = curve_pub("tcp://127.0.0.1:*");
    char ipc_ep[600];
    snprintf(ipc_ep, sizeof ipc_ep, "ipc://%s/plain", dir);
    ezc_pub *ipc = curve_pub(ipc_ep); /* CURVE options: ignored on ipc:// */
    ezc_sub *s = curve_sub(ezc_pub_endpoint(tcp), path(3, "ok.key"));
    ezc_error err = {0, ""};
    ck_assert_msg(ezc_sub_connect(s, ipc_ep, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(delivered(tcp, s, 1), 1);
    ck_assert_int_eq(delivered(ipc, s, 2), 1);
    ezc_sub *plain = curve_sub(ipc_ep, NULL);
    ck_assert_int_eq(delivered(ipc, plain, 3), 1);
    ezc_sub_destroy(&plain);
    ezc_sub_destroy(&s);
    ezc_pub_destroy(&ipc);
    ezc_pub_destroy(&tcp);
}
END_TEST

/* 256 KiB messages: a silent subscriber's queues (hwm 2 each side plus the
 * kernel's buffers) are full after some tens of them. */
static ezc_array *big(void)
{
    const int64_t shape[2] = {1024, 64};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), NULL);
    ck_assert_ptr_nonnull(a);
    memset(ezc_array_data(a), 0, ezc_array_nbytes(a));
    return a;
}

/* n sends, the reader taking each; returns the sends that succeeded. */
static int run_beside_silent(int stall_ms, int n, ezc_pub_stats *st, int *got)
{
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    po.hwm = 2;
    po.stall_timeout_ms = stall_ms;
    po.send_timeout_ms = 3000; /* without a stall limit: a timeout, not a hang */
    ezc_error err = {0, ""};
    ezc_pub *p = ezc_pub_new("tcp://127.0.0.1:*", &po, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    so.hwm = 2;
    ezc_sub *silent = ezc_sub_new(ezc_pub_endpoint(p), "", &so, &err);
    ezc_sub *reader = ezc_sub_new(ezc_pub_endpoint(p), "", &so, &err);
    ck_assert_ptr_nonnull(silent);
    ck_assert_ptr_nonnull(reader);
    ck_assert_int_eq(ezc_pub_wait_subscribers(p, 2, 5000, &err), 0);
    ezc_array *a = big();
    int sent = 0;
    *got = 0;
    for (int i = 0; i < n; i++) {
        if (ezc_pub_send(p, "t", a, &err) != 0)
            break;
        sent++;
        ezc_array *in = NULL;
        if (ezc_sub_recv(reader, &in, 5000, &err) == 0)
            ++*got;
        ezc_array_destroy(&in);
    }
    ezc_pub_stats_get(p, st);
    ezc_array_destroy(&a);
    ezc_sub_destroy(&silent);
    ezc_sub_destroy(&reader);
    ezc_pub_destroy(&p);
    return sent;
}

START_TEST(stall_limit)
{
    log_text[0] = '\0';
    ezc_log_set_handler(on_log, NULL);
    ezc_pub_stats st;
    int got;
    int sent = run_beside_silent(300, 400, &st, &got);
    ck_assert_int_eq(sent, 400);
    ck_assert_int_eq(got, 400); /* the reader lost nothing */
    ck_assert_uint_eq(st.stalls, 1);
    ck_assert_uint_ge(st.overflows, 1);
    ck_assert_uint_eq(st.sent, 400);
    ck_assert_msg(log_count("a subscriber took no message for 300 ms") == 1, "%s", log_text);
    ezc_log_set_handler(NULL, NULL);
}
END_TEST

START_TEST(no_stall_limit_holds)
{
    ezc_pub_stats st;
    int got;
    int sent = run_beside_silent(0, 400, &st, &got);
    ck_assert_int_lt(sent, 400); /* the silent subscriber held the send past its timeout */
    ck_assert_uint_eq(st.stalls, 0);
    ck_assert_uint_eq(st.overflows, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("curve");
    TCase *t = tcase_create("keys");
    tcase_add_checked_fixture(t, setup_dir, teardown_dir);
    tcase_add_test(t, keys_round_trip);
    tcase_add_test(t, bad_key_files);
    suite_add_tcase(s, t);
    t = tcase_create("connect");
    tcase_add_checked_fixture(t, setup_dir, teardown_dir);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, allowed_and_refused);
    tcase_add_test(t, impostor_server);
    tcase_add_test(t, tcp_curve_and_ipc_plain);
    suite_add_tcase(s, t);
    t = tcase_create("stall");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, stall_limit);
    tcase_add_test(t, no_stall_limit_holds);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
