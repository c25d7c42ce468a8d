/* concat.c — two streams joined along a dim, messages paired in arrival
 * order (ezmsg-sigproc's Concat): the pairing of add_streams
 * (stream_pair.h, bounded lag with reported drops) and the join of
 * stream_concat.h. */
#include <stdlib.h>
#include "stream_concat.h"
#include "stream_pair.h"

typedef struct {
    ezc_stream_pair pair;
    ezc_stream_concat cat;
} concat_state;

static const ezc_setting_spec concat_settings[] = {
    {"axis", EZC_SETTING_STRING, "ch", "dim to join along (a new last dim when neither has it)", 0,
     NULL},
    {"relabel_axis", EZC_SETTING_BOOL, "true", "append label_a / label_b to the joined labels", 0,
     NULL},
    {"label_a", EZC_SETTING_STRING, "_a", "suffix of a's labels, or a's label on a new dim", 0,
     NULL},
    {"label_b", EZC_SETTING_STRING, "_b", "suffix of b's labels, or b's label on a new dim", 0,
     NULL},
    {"assert_identical_shared_axes", EZC_SETTING_BOOL, "false",
     "refuse pairs whose other dims have different coordinates or gains", 0, NULL},
    {"align_axis", EZC_SETTING_STRING, NULL, "dim the shared-axes check skips", 0, NULL},
    {"new_key", EZC_SETTING_STRING, NULL, "output key (absent: a's key)", 0, NULL},
    {"max_lag", EZC_SETTING_INT, "64", "messages one port may run ahead before drops", 0, NULL},
    {NULL, 0, NULL, NULL, 0, NULL},
};

static void concat_fini(void *state)
{
    concat_state *st = state;
    if (!st)
        return;
    ezc_stream_pair_fini(&st->pair);
    ezc_stream_concat_fini(&st->cat);
    free(st);
}

static int concat_init(void **state, const ezc_settings *s, ezc_error *err)
{
    int64_t lag = 64;
    ezc_settings_get_int(s, "max_lag", &lag);
    if (lag < 1)
        return ezc_error_set(err, EZC_EINVAL, "concat: setting 'max_lag' = %lld: expected >= 1",
                             (long long)lag);
    concat_state *st = calloc(1, sizeof *st);
    if (!st)
        return ezc_error_set(err, EZC_ENOMEM, "concat: out of memory");
    int rc = ezc_stream_concat_init(&st->cat, "concat", s, "ch", err);
    if (!rc)
        rc = ezc_stream_pair_init(&st->pair, (size_t)lag, err);
    if (rc) {
        concat_fini(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int concat_process(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                          ezc_error *err)
{
    (void)xp;
    concat_state *st = state;
    ezc_array *a, *b;
    *out = NULL;
    int rc = ezc_stream_pair_push(&st->pair, "concat", port, in, &a, &b, err);
    if (rc || !a)
        return rc;
    rc = ezc_stream_concat_run(&st->cat, a, b, out, err);
    ezc_array_destroy(&a);
    ezc_array_destroy(&b);
    return rc;
}

const ezc_transformer_type ezc_concat_type = {
    .name = "concat",
    .summary = "two streams joined along a dim, paired in arrival order",
    .settings = concat_settings,
    .inputs = ezc_stream_pair_ports,
    .init = concat_init,
    .process = concat_process,
    .fini = concat_fini,
};
