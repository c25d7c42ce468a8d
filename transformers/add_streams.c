/* add_streams.c — a + b of two streams, paired in arrival order (ezmsg-
 * sigproc's two-input Add). Output metadata from port a. */
#include "stream_pair.h"

static int add_streams_init(void **state, const ezc_settings *s, ezc_error *err)
{
    return ezc_stream_pair_new("add_streams", state, s, err);
}

static int add_streams_process(void *state, int port, ezc_array *in, ezc_array **out,
                               const ezc_xp *xp, ezc_error *err)
{
    return ezc_stream_pair_combine("add_streams", EZC_BINARY_ADD, state, port, in, out, xp, err);
}

const ezc_transformer_type ezc_add_streams_type = {
    .name = "add_streams",
    .summary = "a + b of two streams, paired in arrival order",
    .settings = ezc_stream_pair_settings,
    .inputs = ezc_stream_pair_ports,
    .init = add_streams_init,
    .process = add_streams_process,
    .fini = ezc_stream_pair_free,
};
