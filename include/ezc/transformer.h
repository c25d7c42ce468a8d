/* ezc/transformer.h — the transformer contract.
 *
 * A transformer type is a plain table: name, summary, settings schema,
 * input ports, and init / process / fini. `init` parses settings and
 * allocates; `process` handles one message and allocates nothing on the
 * steady path; state that depends on the stream (filter state, carried
 * samples) is rebuilt when the stream's template changes
 * (ezc_template_changed). A transformer never includes ZeroMQ, msgpack or
 * CUDA headers: it sees arrays and an xp.
 *
 * Threads: a type is an immutable table, shared freely. An instance (its
 * state) belongs to one thread at a time: the runtime never calls process
 * on one instance from two threads at once, so process needs no lock; two
 * instances of one type run concurrently, so a type keeps no mutable
 * globals (or guards them itself). init and fini may run on any thread.
 *
 * End of stream: a transformer is not called when its inputs end. process
 * has already returned everything it computed; what its state holds
 * unfinished (a partial window, carried samples) is dropped with it, never
 * padded out into an extra output. The runtime passes the end on. */
#ifndef EZC_TRANSFORMER_H
#define EZC_TRANSFORMER_H

#include "array.h"
#include "settings.h"
#include "xp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ezc_port_spec {
    const char *name;
    const char *doc;
} ezc_port_spec;

typedef struct ezc_transformer_type {
    const char *name;                 /* as written in graph files: "clip" */
    const char *summary;              /* one line for `ezc list` */
    const ezc_setting_spec *settings; /* NULL-name terminated; NULL = none */
    const ezc_port_spec *inputs;      /* NULL-name terminated; NULL = one port "in" */

    /* Creates the state from validated settings. */
    int (*init)(void **state, const ezc_settings *s, ezc_error *err);
    /* Handles one message arriving on input port `port` (index into inputs).
     * Takes ownership of `in` whatever it returns. Sets *out to the result
     * (which may be `in` itself, computed in place) or NULL when this
     * message yields no output. On error *out is NULL and err says why; the
     * state stays usable for the next message. */
    int (*process)(void *state, int port, ezc_array *in, ezc_array **out, const ezc_xp *xp,
                   ezc_error *err);
    /* Frees the state (NULL-safe). */
    void (*fini)(void *state);
} ezc_transformer_type;

/* An instance: a type, its state, and its validated settings (kept for the
 * instance's lifetime, so init may keep pointers to strings and lists). */
typedef struct ezc_transformer {
    const ezc_transformer_type *type;
    void *state;
    ezc_settings *settings;
} ezc_transformer;

/* Validates settings (a copy is checked and kept; s may be NULL for
 * defaults), runs init. Caller owns the result. */
ezc_transformer *ezc_transformer_new(const ezc_transformer_type *type, const ezc_settings *s,
                                     ezc_error *err);
void ezc_transformer_destroy(ezc_transformer **t);
/* Resolves xp from the message and calls process; error messages are
 * prefixed with the type name. */
int ezc_transformer_process(ezc_transformer *t, int port, ezc_array *in, ezc_array **out,
                            ezc_error *err);
/* Number of input ports (1 when the type declares none). */
int ezc_transformer_type_nports(const ezc_transformer_type *type);
int ezc_transformer_type_port_index(const ezc_transformer_type *type, const char *name);

/* A stream template: what a stateful transformer's state depends on. */
typedef struct ezc_template {
    int valid;
    ezc_dtype dtype;
    DLDevice device;
    int ndim;
    int axis; /* the processed axis, excluded from shape */
    int64_t shape[EZC_MAX_DIMS];
    char dims[EZC_MAX_DIMS][EZC_NAME_MAX];
    double gain; /* processed axis gain when linear */
    char key[64];
} ezc_template;

/* True (and tpl updated) when a's template differs from tpl: dtype, device,
 * dims, shape except along `axis`, that axis's gain (sampling rate), key.
 * axis may be -1 (whole shape compared). */
int ezc_template_changed(ezc_template *tpl, const ezc_array *a, int axis);

#ifdef __cplusplus
}
#endif
#endif
