/* pubsub_helper.c — a publisher or subscriber in a process of its own, for
 * the pub/sub tests (child process, Python interop).
 *   pubsub_helper pub ENDPOINT N   bind, print the bound endpoint, wait for a
 *                                  subscriber, send samples 0..N-1, exit 0
 *   pubsub_helper sub ENDPOINT N   connect, print "ready", receive N samples
 *                                  from source "python"; exit 0 only if all
 *                                  arrive, in order, exactly as expected */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pubsub_sample.h"

static int run_pub(const char *endpoint, int n)
{
    ezc_error err;
    ezc_pub *p = ezc_pub_new(endpoint, NULL, &err);
    if (!p) {
        fprintf(stderr, "helper: %s\n", err.msg);
        return 2;
    }
    printf("%s\n", ezc_pub_endpoint(p));
    fflush(stdout);
    int rc = ezc_pub_wait_subscribers(p, 1, 20000, &err);
    for (int k = 0; rc == 0 && k < n; k++) {
        ezc_array *a = sample_make(k, "c-helper");
        rc = a ? ezc_pub_send(p, "sample", a, &err) : EZC_ENOMEM;
        ezc_array_destroy(&a);
    }
    if (rc)
        fprintf(stderr, "helper: %s\n", err.msg);
    ezc_pub_destroy(&p); /* queued messages still go: the context ends at exit */
    return rc ? 1 : 0;
}

static int run_sub(const char *endpoint, int n)
{
    ezc_error err;
    ezc_sub *s = ezc_sub_new(endpoint, "", NULL, &err);
    if (!s) {
        fprintf(stderr, "helper: %s\n", err.msg);
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    int bad = 0;
    char why[256];
    for (int k = 0; k < n && !bad; k++) {
        ezc_array *a;
        char topic[64];
        if (ezc_sub_recv_topic(s, &a, topic, sizeof topic, 20000, &err)) {
            fprintf(stderr, "helper: message %d: %s\n", k, err.msg);
            bad = 1;
            break;
        }
        if (sample_check(a, k, "python", why, sizeof why)) {
            fprintf(stderr, "helper: %s\n", why);
            bad = 1;
        } else if (strcmp(topic, "sample") || a->seq != (uint64_t)k) {
            fprintf(stderr, "helper: message %d: topic '%s' seq %llu\n", k, topic,
                    (unsigned long long)a->seq);
            bad = 1;
        }
        ezc_array_destroy(&a);
    }
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    if (!bad && (st.received != (uint64_t)n || st.gaps || st.malformed)) {
        fprintf(stderr, "helper: received %llu gaps %llu malformed %llu (%s)\n",
                (unsigned long long)st.received, (unsigned long long)st.gaps,
                (unsigned long long)st.malformed, st.last_error);
        bad = 1;
    }
    ezc_sub_destroy(&s);
    if (!bad)
        printf("ok %d\n", n);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 4 || atoi(argv[3]) < 0) {
        fprintf(stderr, "usage: pubsub_helper pub|sub ENDPOINT N\n");
        return 2;
    }
    int n = atoi(argv[3]);
    if (strcmp(argv[1], "pub") == 0)
        return run_pub(argv[2], n);
    if (strcmp(argv[1], "sub") == 0)
        return run_sub(argv[2], n);
    fprintf(stderr, "pubsub_helper: unknown mode '%s'\n", argv[1]);
    return 2;
}
