/* shm_helper.c — a process of the shared-memory tests (tests/test_shm.sh).
 *
 *   shm_helper pub ENDPOINT N ELEMS SUBS [loan]
 *       binds, waits for SUBS subscribers, sends N float64 messages of ELEMS
 *       values (message k: value i = k * 1e6 + i, attr "sum" = their sum),
 *       then the end of stream; waits (up to 10 s) until every slot is back
 *       and prints "pub sent N shm_readers R slots S held H dropped D
 *       reclaims C".
 *   shm_helper fwd IN OUT N    receives from IN and publishes each message
 *       on OUT unchanged (a pass-through node), N messages, then ends OUT;
 *       prints "fwd sent N forwarded F" (F: sent on the received slot).
 *   shm_helper sub ENDPOINT N [slow_us]
 *       receives until the end of stream, checks every message, prints
 *       "sub received R shm S corrupt C gaps G duplicates D path P".
 * Exit status 0 when the role did what it said. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ezc/ezc.h"

static int make(ezc_pub *p, int loan, uint64_t k, int64_t elems, ezc_array **out, ezc_error *err)
{
    const int64_t shape[1] = {elems};
    const char *dims[1] = {"x"};
    ezc_array *a = loan ? ezc_pub_loan(p, EZC_FLOAT64, 1, shape, dims, err)
                        : ezc_array_new(EZC_FLOAT64, 1, shape, dims, ezc_device_cpu(), err);
    if (!a)
        return 1;
    double *v = ezc_array_data(a), sum = 0;
    for (int64_t i = 0; i < elems; i++) {
        v[i] = (double)k * 1e6 + (double)i;
        sum += v[i];
    }
    ezc_array_attr_set_float(a, "sum", sum, NULL);
    *out = a;
    return 0;
}

/* 0 when a is what make() made for its k (read from the first value). */
static int intact(const ezc_array *a)
{
    if (a->dtype != EZC_FLOAT64 || ezc_array_ndim(a) != 1)
        return 1;
    const double *v = ezc_array_data(a);
    int64_t n = a->shape[0];
    double k = n ? (double)(int64_t)(v[0] / 1e6) : 0, sum = 0, want = 0;
    for (int64_t i = 0; i < n; i++) {
        if (v[i] != k * 1e6 + (double)i)
            return 1;
        sum += v[i];
    }
    const ezc_attr *at = ezc_array_attr(a, "sum");
    if (!at || at->type != EZC_ATTR_FLOAT)
        return 1;
    want = at->v.f;
    return want != sum;
}

static int run_pub(int argc, char **argv)
{
    int n = atoi(argv[3]), subs = atoi(argv[5]), loan = argc > 6 && !strcmp(argv[6], "loan");
    int64_t elems = atoll(argv[4]);
    ezc_error err;
    ezc_pub *p = ezc_pub_new(argv[2], NULL, &err);
    if (!p || ezc_pub_wait_subscribers(p, subs, 20000, &err))
        return fprintf(stderr, "pub: %s\n", err.msg), 2;
    for (int k = 0; k < n; k++) {
        ezc_array *a;
        if (make(p, loan, (uint64_t)k, elems, &a, &err) || ezc_pub_send(p, "d", a, &err))
            return fprintf(stderr, "pub: message %d: %s\n", k, err.msg), 1;
        ezc_array_destroy(&a);
    }
    ezc_pub_send_eos(p, "d", NULL);
    ezc_pub_stats st;
    for (int t = 0; t < 1000; t++) {
        ezc_pub_stats_get(p, &st);
        if (!st.shm_held)
            break;
        usleep(10000);
    }
    printf("pub sent %llu shm_readers %u slots %u held %u dropped %llu reclaims %llu\n",
           (unsigned long long)st.sent, st.shm_readers, st.shm_slots, st.shm_held,
           (unsigned long long)st.shm_dropped, (unsigned long long)st.shm_reclaims);
    fflush(stdout);
    ezc_pub_destroy(&p);
    return 0;
}

static int run_fwd(char **argv)
{
    ezc_error err;
    ezc_sub *s = ezc_sub_new(argv[2], "", NULL, &err);
    ezc_pub *p = s ? ezc_pub_new(argv[3], NULL, &err) : NULL;
    if (!p || ezc_pub_wait_subscribers(p, 1, 20000, &err))
        return fprintf(stderr, "fwd: %s\n", err.msg), 2;
    for (;;) {
        ezc_array *a;
        char topic[EZC_TOPIC_MAX];
        int rc = ezc_sub_recv_topic(s, &a, topic, sizeof topic, 20000, &err);
        if (rc == EZC_EEOS)
            break;
        if (rc || ezc_pub_send(p, topic, a, &err))
            return fprintf(stderr, "fwd: %s\n", err.msg), 1;
        ezc_array_destroy(&a);
    }
    ezc_pub_send_eos(p, "d", NULL);
    ezc_pub_stats st;
    ezc_pub_stats_get(p, &st);
    ezc_pub_destroy(&p);
    ezc_sub_destroy(&s);
    printf("fwd sent %llu forwarded %llu\n", (unsigned long long)st.sent,
           (unsigned long long)st.shm_forwarded);
    return 0;
}

static int run_sub(int argc, char **argv)
{
    long slow_us = argc > 4 ? atol(argv[4]) : 0;
    ezc_error err;
    ezc_sub *s = ezc_sub_new(argv[2], "", NULL, &err);
    if (!s)
        return fprintf(stderr, "sub: %s\n", err.msg), 2;
    printf("ready\n");
    fflush(stdout);
    uint64_t corrupt = 0;
    for (;;) {
        ezc_array *a;
        int rc = ezc_sub_recv(s, &a, 30000, &err);
        if (rc == EZC_EEOS)
            break;
        if (rc)
            return fprintf(stderr, "sub: %s\n", err.msg), 1;
        corrupt += (uint64_t)intact(a);
        if (slow_us) /* holding the message meanwhile */
            usleep((useconds_t)slow_us);
        ezc_array_destroy(&a);
    }
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    printf("sub received %llu shm %llu corrupt %llu gaps %llu duplicates %llu path %s\n",
           (unsigned long long)st.received, (unsigned long long)st.shm_received,
           (unsigned long long)corrupt, (unsigned long long)st.gaps,
           (unsigned long long)st.duplicates, ezc_sub_path(s));
    ezc_sub_destroy(&s);
    return corrupt != 0;
}

int main(int argc, char **argv)
{
    if (argc >= 6 && !strcmp(argv[1], "pub"))
        return run_pub(argc, argv);
    if (argc == 5 && !strcmp(argv[1], "fwd"))
        return run_fwd(argv);
    if (argc >= 4 && !strcmp(argv[1], "sub"))
        return run_sub(argc, argv);
    fprintf(stderr, "usage: shm_helper pub ENDPOINT N ELEMS SUBS [loan] | fwd IN OUT N | "
                    "sub ENDPOINT N [slow_us]\n");
    return 2;
}
