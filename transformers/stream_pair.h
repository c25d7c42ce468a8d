/* stream_pair.h — pairs messages from two input ports in arrival order
 * (not installed): what add_streams and difference_streams share. Each port
 * has a bounded FIFO; a message is held until the other port brings its
 * partner. When one side runs `max_lag` messages ahead, its oldest is
 * dropped and the call reports it (the node counts it), so nothing goes
 * missing silently and memory stays bounded. */
#ifndef EZC_STREAM_PAIR_H
#define EZC_STREAM_PAIR_H

#include "ezc/plugin.h"

typedef struct ezc_stream_pair {
    ezc_array **q[2];
    size_t head[2], len[2], cap;
} ezc_stream_pair;

extern const ezc_port_spec ezc_stream_pair_ports[];

int ezc_stream_pair_init(ezc_stream_pair *p, size_t max_lag, ezc_error *err);
void ezc_stream_pair_fini(ezc_stream_pair *p);
/* Queues `in` (consumed) on port 0 or 1. When both ports hold a message,
 * pops the oldest of each into *a and *b (the caller owns them) and returns
 * 0; otherwise *a = *b = NULL. A full queue drops its oldest message and
 * returns EZC_EINVAL saying so (the new message is still queued). */
int ezc_stream_pair_push(ezc_stream_pair *p, const char *tf, int port, ezc_array *in, ezc_array **a,
                         ezc_array **b, ezc_error *err);
/* Checks that a and b can be combined element-wise (dtype, device, shape),
 * naming both shapes when they cannot. */
int ezc_stream_pair_check(const char *tf, const ezc_array *a, const ezc_array *b, ezc_error *err);

/* The transformer type's pieces: settings (max_lag), init, fini, and a
 * process body computing a op b into a (writable) on each completed pair. */
extern const ezc_setting_spec ezc_stream_pair_settings[];
int ezc_stream_pair_new(const char *tf, void **state, const ezc_settings *s, ezc_error *err);
void ezc_stream_pair_free(void *state);
int ezc_stream_pair_combine(const char *tf, ezc_binary_op op, void *state, int port, ezc_array *in,
                            ezc_array **out, const ezc_xp *xp, ezc_error *err);

#endif
