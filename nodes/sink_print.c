/* sink_print.c — the `print` sink: a header line per message and its values
 * (ezc/summary.h, as `ezc echo` shows them), one message in `every`. Both
 * are display choices: `ezc set` changes them between two messages. */
#include <stdio.h>
#include <stdlib.h>
#include "ezc/summary.h"
#include "node_kind.h"

static const ezc_setting_spec settings[] = {
    {"every", EZC_SETTING_INT, "1", "print one message in this many", 0, NULL},
    {"values", EZC_SETTING_STRING, "summary",
     "under the header: summary (per channel first/last/min/max/mean), full, none", 0,
     "none|summary|full"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

typedef struct print_state {
    const char *name;
    int64_t every;
    ezc_summary_values values;
} print_state;

/* every and values from validated settings into p (untouched on error). */
static int print_options(print_state *p, const ezc_settings *s, ezc_error *err)
{
    const char *v = "summary";
    int64_t every = 1;
    ezc_summary_values values;
    ezc_settings_get_int(s, "every", &every);
    ezc_settings_get_string(s, "values", &v);
    if (ezc_summary_values_parse(v, &values, err))
        return ezc_error_prefix(err, "print");
    p->every = every;
    p->values = values;
    return 0;
}

static int print_open(ezc_node_ctx *ctx, const ezc_settings *s, void **state, ezc_error *err)
{
    print_state *p = calloc(1, sizeof *p);
    if (!p)
        return ezc_error_set(err, EZC_ENOMEM, "node '%s': out of memory", ezc_node_ctx_name(ctx));
    p->name = ezc_node_ctx_name(ctx);
    if (print_options(p, s, err)) {
        free(p);
        return ezc_error_prefix(err, "node '%s'", ezc_node_ctx_name(ctx));
    }
    *state = p;
    return 0;
}

/* Live: the next message is printed, or not, by the new choice (one in
 * `every` still counts the node's messages from its start). */
static int print_update(void *state, ezc_node_ctx *ctx, const ezc_settings *s, int *kept,
                        ezc_error *err)
{
    (void)ctx;
    int rc = print_options(state, s, err);
    *kept = !rc;
    return rc;
}

/* In one piece on stdout: print sinks of other threads wait. */
static int print_consume(void *state, ezc_node_ctx *ctx, const ezc_array *a, uint64_t k,
                         ezc_error *err)
{
    (void)ctx;
    (void)err;
    print_state *p = state;
    if (p->every <= 0 || k % (uint64_t)p->every)
        return 0;
    char indent[96];
    snprintf(indent, sizeof indent, "%s:   ", p->name);
    flockfile(stdout);
    printf("%s: ", p->name);
    ezc_summary_header(stdout, NULL, a);
    putchar('\n');
    ezc_summary_values_write(stdout, indent, a, p->values, 8);
    fflush(stdout);
    funlockfile(stdout);
    return 0;
}

static int print_close(void *state, ezc_error *err)
{
    (void)err;
    free(state);
    return 0;
}

static const ezc_node_kind_ops ops = {
    .open = print_open, .consume = print_consume, .close = print_close, .update = print_update};

const ezc_node_kind ezc_sink_print = {"print", "sink: print a message's header and values",
                                      EZC_ROLE_SINK, settings, &ops};
