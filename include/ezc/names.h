/* ezc/names.h — stream names on one host: a registry without a server.
 *
 *   ezc_pub_options po; ezc_pub_options_init(&po);
 *   po.name = "emg/envelope";                     (endpoint NULL: a private one)
 *   ezc_pub *p = ezc_pub_new(NULL, &po, &err);    (registers the name)
 *   ...
 *   ezc_stream_info si;
 *   ezc_names_resolve("emg/envelope", &si, &err); (si.endpoint to connect to)
 *
 * Every live named publisher has an entry in RUN/streams/ (RUN: ezc_run_dir,
 * ezc/rundir.h, owner-only): "ESC.stream", a few key=value lines (name,
 * endpoint, pid, graph, id, topic, dtype, shape, dims, fs; see docs/pubsub.md
 * "Names and discovery"), and "ESC.stream.lock", on which the owner holds an
 * exclusive flock for as long as the name is registered (its pid written in
 * it). ESC is the name with every byte outside [A-Za-z0-9._-] written %XX
 * ("emg/envelope" -> "emg%2Fenvelope"). The kernel drops the lock when the
 * owner dies, however it dies: readers skip an entry whose lock is free and
 * remove it. An entry is rewritten whole (a new file renamed over it), so a
 * reader never sees half of one.
 *
 * Names: 1 to EZC_STREAM_NAME_MAX - 1 bytes of letters, digits and
 * "_-.:/@+", not starting with '.' or '/', without "//" and not an endpoint
 * (ezc_names_is_endpoint): "emg", "emg/envelope", "lab2:amp-1". A name is
 * held by one live publisher at a time (the second is refused, naming the
 * first's pid). Graph outputs are named "GRAPH/NODE".
 *
 * Thread-safety: the functions share no state; a registration (ezc_names_reg)
 * is used from one thread at a time. */
#ifndef EZC_NAMES_H
#define EZC_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_STREAM_NAME_MAX 81 /* a name's bytes, NUL included */

/* What the registry says of a stream. Strings are "" and numbers 0 (ndim
 * -1) where unknown: dtype, shape, dims and fs are known once the first
 * message was sent. */
typedef struct ezc_stream_info {
    char name[EZC_STREAM_NAME_MAX];
    char endpoint[512];              /* to connect to (as bound: a tcp:// wildcard host is
                                        given as bound, e.g. tcp://0.0.0.0:5560) */
    char graph[EZC_STREAM_NAME_MAX]; /* the graph it is an output of; "" for none */
    char topic[256];                 /* the first message's topic */
    long pid;                        /* the owner */
    uint64_t id;                     /* the publisher id (src) of its messages */
    int64_t started_ns;              /* CLOCK_REALTIME of the registration */
    char dtype[16];
    int ndim;
    int64_t shape[EZC_MAX_DIMS];
    char dims[EZC_MAX_DIMS][EZC_NAME_MAX];
    double fs;          /* 1 / gain of a linear "time" axis; 0 when unknown or none */
    char host[64];      /* a stream heard from another host (ezc/discovery.h): its host
                           name; "" for this host's registry */
    char curve_key[41]; /* its CURVE server public key (Z85) when it has one; "" else */
    int time_port;      /* a stream heard from another host: the UDP port its host answers
                           clock probes on (ezc/clock.h); 0 when none */
} ezc_stream_info;

/* A registration held by a publisher (or anything that serves a stream). */
typedef struct ezc_names_reg ezc_names_reg;

/* 1 when s starts with tcp://, ipc:// or inproc:// (an endpoint); 0 when
 * it is to be taken as a name. */
int ezc_names_is_endpoint(const char *s);

/* 0 when name is a valid stream name (above); EZC_EINVAL naming the name
 * and what is wrong. */
int ezc_names_check(const char *name, ezc_error *err);

/* The publisher id a named stream uses by default: a hash of the name
 * (FNV-1a, 1 .. 2^63-1), the same in every process and run, so a restarted
 * publisher of the name is the same stream to subscribers. */
uint64_t ezc_names_stream_id(const char *name);

/* The private ipc:// endpoint of a name that was given none:
 * "ipc://RUN/streams/HASH.sock" (HASH: 16 hex digits of the name's hash), so
 * that a publisher restarted under the name binds the same path and its
 * subscribers reconnect by themselves. Written into buf (cap bytes). 0;
 * EZC_EINVAL (bad name, or the path is too long for a socket: the run
 * folder's path is long), EZC_EIO (the run folder: ezc_run_dir). */
int ezc_names_private_endpoint(const char *name, char *buf, size_t cap, ezc_error *err);

/* Registers info->name (the other fields as known: endpoint, graph, id,
 * topic, ...; pid and started_ns are filled in) and holds it until
 * ezc_names_unregister or the process's end. 0 with *out set (the caller
 * owns it), EZC_EINVAL (bad name), EZC_EIO: "name 'X' is in use by pid N
 * (endpoint E)" when a live process holds it, or the run folder or the
 * entry cannot be made (the message names the file), EZC_ENOMEM. The lock's
 * descriptor is close-on-exec. */
int ezc_names_register(const ezc_stream_info *info, ezc_names_reg **out, ezc_error *err);

/* Rewrites the entry from *info (its name must be the registered one; pid
 * and started_ns are kept). 0, EZC_EINVAL (another name), EZC_EIO. */
int ezc_names_update(ezc_names_reg *r, const ezc_stream_info *info, ezc_error *err);

/* Fills topic, dtype, shape, dims and fs from a message and rewrites the
 * entry when they changed (a publisher calls it with its first message).
 * Cheap when nothing changed (no file is touched). 0, EZC_EIO. */
int ezc_names_describe(ezc_names_reg *r, const char *topic, const ezc_array *a, ezc_error *err);

/* What the registration says now (never NULL for a registration). */
const ezc_stream_info *ezc_names_info(const ezc_names_reg *r);

/* Removes the entry, then lets go of the name. Sets *r to NULL; NULL-safe. */
void ezc_names_unregister(ezc_names_reg **r);

/* The live entry of `name` into *out. 0; EZC_ENOTFOUND when no live
 * publisher holds the name: "no stream named 'emg/envelop' (did you mean:
 * emg/envelope?; `ezc ls` lists them)"; EZC_EINVAL (not a name), EZC_EIO
 * (the run folder, an unreadable entry). An entry whose owner died is removed
 * on the way. When discovery is on (EZC_DISCOVERY or EZC_PEERS,
 * ezc/discovery.h), a name not registered here is then listened for on the
 * network, up to EZC_DISCOVERY_WAIT_MS (1500 ms): *out is another host's
 * tcp:// stream, out->host its host; a bad variable is EZC_EINVAL. A
 * registered tcp:// name is announced by its registration while discovery is
 * on (ezc_names_register fails with EZC_EINVAL on a bad variable). */
int ezc_names_resolve(const char *name, ezc_stream_info *out, ezc_error *err);

/* ezc_names_resolve, trying again every 20 ms for up to timeout_ms (0 =
 * once, -1 = forever) while the name is not registered: for a consumer
 * started before its publisher. EZC_EINTR when a stop was requested
 * (ezc/interrupt.h); otherwise as ezc_names_resolve after the last try. */
int ezc_names_wait(const char *name, int timeout_ms, ezc_stream_info *out, ezc_error *err);

/* Every live named stream, sorted by name, into a new array *out of *n
 * (the caller frees it with free(); NULL when *n is 0). Dead owners'
 * entries are removed on the way. 0, EZC_EIO (the run folder), EZC_ENOMEM. */
int ezc_names_list(ezc_stream_info **out, size_t *n, ezc_error *err);

/* A running graph: RUN/graphs/GRAPH.ctl whose "GRAPH.ctl.lock" is held
 * (the graph runtime's control socket; ezc top/set/stop). */
typedef struct ezc_graph_entry {
    char name[EZC_STREAM_NAME_MAX];
    char control[512]; /* the control socket's path */
    long pid;          /* from the lock file; 0 when it holds none */
} ezc_graph_entry;

/* Every running graph, sorted by name, into a new array *out of *n (free()).
 * Entries whose lock is free are skipped, not removed (they are the graph
 * runtime's). 0, EZC_EIO (the run folder), EZC_ENOMEM. */
int ezc_names_graphs(ezc_graph_entry **out, size_t *n, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
