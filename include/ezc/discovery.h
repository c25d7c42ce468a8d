/* ezc/discovery.h — stream names across hosts: UDP beacons, opt-in.
 *
 *   EZC_DISCOVERY=eth0 EZC_PEERS=lab2,10.8.0.7 ezc pub --name emg tcp://0.0.0.0:5560
 *   EZC_DISCOVERY=eth0 ezc echo emg          (not on this host: heard on eth0)
 *   ezc ls --remote --wait 2
 *
 * Off unless asked: nothing is sent and nothing listened for while neither
 * EZC_DISCOVERY nor EZC_PEERS is set (`ezc ls --remote` listens because it
 * is asked to). A named publisher whose endpoint is tcp:// (ipc:// does not
 * leave the host) sends a beacon, one UDP datagram of at most
 * EZC_BEACON_MAX bytes, at once, 0.1 s and 0.3 s later and then every
 * interval (1 s), to the broadcast address of EZC_DISCOVERY's interface and
 * by unicast to each host of EZC_PEERS, on UDP port EZC_DISCOVERY_PORT
 * (5690 unless the variable of that name says otherwise). A consumer
 * resolving a name that is not registered on its host (ezc/names.h) listens
 * on that port for up to EZC_DISCOVERY_WAIT_MS (1500) for a beacon naming it.
 *
 * A beacon is text, "ezc-beacon 1" then key=value lines: name, endpoint
 * (tcp://ADDRESS:PORT, a wildcard host replaced by the address the beacon
 * leaves from), pid, host, and when known id, started_ns, graph, topic,
 * dtype, shape, dims, fs, curve (the publisher's CURVE public key, Z85)
 * and time (the UDP port the announcing process answers clock probes on,
 * ezc/clock.h: an announcer serves them for as long as it lives).
 * Beacons are not authenticated: anyone on the network can send one. So
 * the parser checks every field (ezc_beacon_parse) and refuses any endpoint
 * other than tcp://HOST:PORT, and a consumer never takes a CURVE key from a
 * beacon: it connects with the server key it was given (ezc/curve.h), which
 * is what protects the data from a forged beacon.
 *
 * Why not CZMQ's zbeacon or libzmq's RADIO/DISH: zbeacon only broadcasts
 * (no unicast to a list of peers, the case broadcast-less networks need),
 * its beacon is at most 255 bytes, its interface is a process-wide setting
 * and its zsys_init installs signal handlers; RADIO/DISH is draft API, not
 * built in Debian's libzmq5. Both would still need this message format.
 *
 * Thread-safety: configs and beacons are plain values; an announcer is
 * updated from one thread at a time (it sends from a thread of its own); a
 * listener belongs to one thread. */
#ifndef EZC_DISCOVERY_H
#define EZC_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "names.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_BEACON_MAX 1200        /* a beacon's bytes: one unfragmented datagram */
#define EZC_DISCOVERY_PORT 5690    /* UDP port, unless EZC_DISCOVERY_PORT says otherwise */
#define EZC_DISCOVERY_PEERS_MAX 32 /* hosts in EZC_PEERS */
#define EZC_DISCOVERY_INTERVAL_MS 1000

/* Where beacons go and where they are heard. IPv4 addresses in network
 * byte order. */
typedef struct ezc_discovery_config {
    int enabled;          /* EZC_DISCOVERY or EZC_PEERS was given */
    char iface[64];       /* the interface broadcast on; "" for none */
    uint32_t iface_addr;  /* its address (what replaces a wildcard host) */
    uint32_t iface_bcast; /* its broadcast address */
    uint32_t peers[EZC_DISCOVERY_PEERS_MAX];
    int npeers;
    int port;        /* UDP port */
    int interval_ms; /* between periodic beacons */
    int wait_ms;     /* how long a lookup listens */
} ezc_discovery_config;

/* Fills *c from iface (an interface name or one of its IPv4 addresses; NULL
 * or "" for no broadcast) and peers ("host1,host2", names or IPv4 addresses;
 * NULL or "" for none); port 0 means EZC_DISCOVERY_PORT. c->enabled is 1
 * when either was given. 0; EZC_EINVAL naming what is wrong: "discovery:
 * no IPv4 interface 'eth9'", "discovery: interface lo has no broadcast
 * address (name peers in EZC_PEERS)", "discovery: cannot resolve peer
 * 'lab9': ...", more than EZC_DISCOVERY_PEERS_MAX peers. */
int ezc_discovery_config_parse(const char *iface, const char *peers, int port,
                               ezc_discovery_config *c, ezc_error *err);

/* ezc_discovery_config_parse from the environment: EZC_DISCOVERY,
 * EZC_PEERS, EZC_DISCOVERY_PORT, EZC_DISCOVERY_INTERVAL_MS (50 .. 60000)
 * and EZC_DISCOVERY_WAIT_MS (0 .. 60000). c->enabled is 0 when neither of
 * the first two is set. 0 or EZC_EINVAL naming the variable. */
int ezc_discovery_config_from_env(ezc_discovery_config *c, ezc_error *err);

/* Writes the beacon of si into buf (cap bytes), its endpoint's wildcard host
 * (0.0.0.0, *, [::] or ::) replaced by the dotted address `local` (network
 * order; 0 keeps it). Optional fields that do not fit EZC_BEACON_MAX are
 * left out. Returns its length, or -1 when si has no tcp:// endpoint or the
 * required fields do not fit. */
int ezc_beacon_format(const ezc_stream_info *si, uint32_t local, char *buf, size_t cap);

/* Parses a received datagram of n bytes (hostile input: any bytes) into
 * *out. 0; EZC_EPROTO naming the first thing wrong: too long, not a beacon,
 * a line without '=', a repeated key, a byte outside printable ASCII, a
 * field missing or out of its range, an endpoint other than tcp://HOST:PORT
 * (HOST: letters, digits, '.' and '-'; PORT 1..65535). Keys it does not know
 * are skipped (later versions may add some). out->host is the sender's. */
int ezc_beacon_parse(const void *buf, size_t n, ezc_stream_info *out, ezc_error *err);

/* ---- announcing -------------------------------------------------------- */

typedef struct ezc_announcer ezc_announcer;

/* Starts announcing si (its endpoint must be tcp://) as c says, from a
 * thread of its own. 0 with *out set (the caller owns it); EZC_EINVAL (c
 * not enabled, no tcp:// endpoint), EZC_EIO (socket or thread), EZC_ENOMEM.
 * Send failures (a peer unreachable) are logged once and retried at the
 * next beacon. */
int ezc_announcer_new(const ezc_discovery_config *c, const ezc_stream_info *si, ezc_announcer **out,
                      ezc_error *err);

/* Announces *si from now on, and sends it at once when it changed. */
void ezc_announcer_update(ezc_announcer *a, const ezc_stream_info *si);

/* Stops the thread and frees a; sets *a to NULL. NULL-safe. */
void ezc_announcer_destroy(ezc_announcer **a);

/* ---- listening --------------------------------------------------------- */

typedef struct ezc_listener ezc_listener;

/* Binds UDP c->port on every IPv4 address (SO_REUSEADDR, so listeners on one
 * host share broadcasts; a unicast datagram reaches one of them). With peers
 * and no interface, beacons from other addresses than the peers' are
 * refused. 0 with *out set; EZC_EIO naming the port. */
int ezc_listener_new(const ezc_discovery_config *c, ezc_listener **out, ezc_error *err);

/* Waits up to timeout_ms for the next valid beacon, into *out. 0;
 * EZC_ETIMEOUT; EZC_EINTR (a stop was requested: ezc/interrupt.h); EZC_EIO.
 * Invalid datagrams are counted (ezc_listener_refused), logged once per
 * listener and skipped. */
int ezc_listener_recv(ezc_listener *l, int timeout_ms, ezc_stream_info *out, ezc_error *err);

/* Datagrams refused so far. */
uint64_t ezc_listener_refused(const ezc_listener *l);

/* Closes the socket and frees l; sets *l to NULL. NULL-safe. */
void ezc_listener_destroy(ezc_listener **l);

/* Every stream heard within wait_ms, one per (name, host, pid), the latest
 * beacon of each, sorted by name then host, into a new array *out of *n
 * (free()). 0, EZC_EIO, EZC_ENOMEM, EZC_EINTR. */
int ezc_discovery_list(const ezc_discovery_config *c, int wait_ms, ezc_stream_info **out, size_t *n,
                       ezc_error *err);

/* The first beacon naming `name` heard within wait_ms, into *out. 0;
 * EZC_ENOTFOUND: "no stream named 'X' on this host, nor heard from another
 * within N ms"; EZC_EIO; EZC_EINTR. */
int ezc_discovery_find(const ezc_discovery_config *c, const char *name, int wait_ms,
                       ezc_stream_info *out, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
