/* transformer_node.c — the receive → process → publish loop of one node.
 *
 * Errors from the transformer are per message: logged the first time each
 * error code appears, counted always, and the loop continues. An end of
 * stream on the input is passed on and ends the loop. Messages lost on the
 * input (sequence gaps) are skipped in the output numbering too, so that
 * subscribers downstream count them. */
#include <string.h>
#include "ezc/log.h"
#include "ezc/node.h"

int ezc_transformer_node_run(ezc_transformer *t, ezc_sub *in, ezc_pub *out,
                             const ezc_node_options *opt, ezc_node_stats *st, ezc_error *err)
{
    ezc_node_options o = {0};
    if (opt)
        o = *opt;
    if (o.poll_ms <= 0)
        o.poll_ms = 100;
    ezc_node_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    unsigned logged = 0; /* one bit per error code already logged */
    char topic[EZC_TOPIC_MAX];
    uint64_t lost_passed = ezc_sub_gaps(in);
    while (!(o.stop && *o.stop)) {
        if (o.max_messages && st->received >= o.max_messages)
            break;
        ezc_array *msg = NULL;
        int rc = ezc_sub_recv_topic(in, &msg, topic, sizeof topic, o.poll_ms, err);
        if (rc == EZC_ETIMEOUT)
            continue;
        if (rc == EZC_EEOS) { /* the input ended: so does the output */
            st->ended = 1;
            return ezc_pub_send_eos(out, o.topic ? o.topic : topic, err);
        }
        if (rc)
            return rc;
        st->received++;
        if (o.between)
            o.between(t, o.between_ctx);
        ezc_array *res = NULL;
        ezc_error perr;
        ezc_array_cow_target(ezc_pub_cow_buffer, out); /* a copy-on-write: into out's slot */
        rc = ezc_transformer_process(t, 0, msg, &res, &perr);
        ezc_array_cow_target(NULL, NULL);
        if (rc) {
            st->errors++;
            memcpy(st->last_error, perr.msg, sizeof st->last_error);
            if (ezc_log_first(&logged, rc))
                ezc_log(EZC_LOG_WARN, "node %s: message %llu refused (logged once per kind): %s",
                        t->type->name, (unsigned long long)st->received, perr.msg);
            continue;
        }
        if (!res)
            continue;
        if (!o.keep_empty && ezc_array_size(res) == 0) { /* e.g. a window not yet full */
            ezc_array_destroy(&res);
            st->empty++;
            continue;
        }
        const char *ot = o.topic ? o.topic : topic;
        uint64_t lost = ezc_sub_gaps(in);
        if (lost > lost_passed) /* lost upstream: lost downstream too */
            ezc_pub_set_next_seq(out, ot, ezc_pub_next_seq(out, ot) + (lost - lost_passed), NULL);
        lost_passed = lost;
        rc = ezc_pub_send(out, ot, res, err);
        ezc_array_destroy(&res);
        if (rc)
            return rc;
        st->published++;
    }
    return 0;
}
