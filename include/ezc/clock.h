/* ezc/clock.h — the clock stamps are taken from, and other hosts' clocks
 * measured against it.
 *
 *   EZC_PEERS=lab2 ezc hz emg/raw       (emg/raw published on lab2)
 *   clock: lab2 is +2500.113 ms ahead (round trip 0.21 ms, error <= 0.11 ms)
 *
 * Stamps (a message's ts, a publisher's start) are CLOCK_REALTIME, which two
 * hosts keep only as well as their NTP or PTP daemons do: milliseconds
 * apart is common on a lab network, seconds without a daemon. So every
 * stream announced to other hosts (ezc/discovery.h) also answers clock
 * probes on a UDP port of its own (the beacon's `time` field), and a
 * subscriber that resolved a stream of another host measures that host's
 * clock continuously, NTP-style, and maps the stamps it receives onto its
 * own clock (ezc_sub_clock in ezc/sub.h).
 *
 * The method (as NTP's and LSL's time correction): a probe leaves at local
 * time t0, reaches the peer at its t1, leaves it at its t2 and is back at
 * local t3. Then offset = ((t1 - t0) + (t2 - t3)) / 2 is the peer's clock
 * minus ours, exact when both ways take equal time; the round trip
 * rtt = (t3 - t0) - (t2 - t1) bounds the error by rtt / 2 whatever the
 * asymmetry. A burst of probes keeps the one with the shortest round trip
 * (the least queued); a tracker keeps, of its last few bursts, the one with
 * the shortest round trip again (NTP's clock filter), so one slow burst
 * does not move the estimate.
 *
 * A probe is 48 bytes, little-endian: "ezc-time" (8), version u32 (1),
 * kind u32 (1 request, 2 reply), nonce u64, t0 i64, t1 i64, t2 i64 (ns). A
 * reply echoes the request's nonce and t0; the server fills t1 and t2. The
 * server answers nothing else (any other size, magic, version or kind is
 * dropped and counted), and its reply is no larger than the request, so it
 * cannot be used to amplify traffic.
 *
 * Thread-safety: ezc_clock_now_ns and ezc_clock_probe_answer any thread; a
 * server and a tracker work on threads of their own and are read from any
 * thread; destroy from one. */
#ifndef EZC_CLOCK_H
#define EZC_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_CLOCK_PROBE_BYTES 48
#define EZC_CLOCK_BURST 8          /* probes per measurement */
#define EZC_CLOCK_INTERVAL_MS 1000 /* between a tracker's bursts once settled */
#define EZC_CLOCK_FILTER 4         /* bursts a tracker chooses from */
#define EZC_CLOCK_SKEW_MAX_MS 1e9  /* |EZC_CLOCK_SKEW_MS| */

/* CLOCK_REALTIME in ns, plus EZC_CLOCK_SKEW_MS when that variable is set
 * (read once per process; a number of milliseconds, |skew| <= 1e9; anything
 * else is ignored with a warning). The skew makes a process behave as a
 * host whose clock is off by that much: its stamps and its answers to clock
 * probes move together. For trying out and testing what follows without
 * a second machine; leave it unset otherwise. */
int64_t ezc_clock_now_ns(void);

/* One estimate of a peer's clock. */
typedef struct ezc_clock_estimate {
    int valid;         /* 0 until a probe has come back */
    int64_t offset_ns; /* the peer's clock minus ours: local = remote - offset */
    int64_t rtt_ns;    /* round trip of the probe it comes from; error <= rtt / 2 */
    int64_t at_ns;     /* our clock (ezc_clock_now_ns) when it was measured */
    uint64_t sent;     /* probes sent so far */
    uint64_t answered; /* of them, answered in time */
} ezc_clock_estimate;

/* The reply to the request `req` of n bytes (hostile: any bytes) into
 * `reply` (EZC_CLOCK_PROBE_BYTES), with the server's receive and send times
 * t1 and t2. Returns EZC_CLOCK_PROBE_BYTES, or -1 when req is not a request
 * (nothing written). */
int ezc_clock_probe_answer(const void *req, size_t n, void *reply, int64_t t1, int64_t t2);

/* ---- serving ------------------------------------------------------------ */

typedef struct ezc_clock_server ezc_clock_server;

/* Answers clock probes on a UDP port of every IPv4 address (`port`, or one
 * the system picks when 0), from a thread of its own. 0 with *out set (the
 * caller owns it); EZC_EIO naming the port (in use, no socket, no thread);
 * EZC_ENOMEM. */
int ezc_clock_server_new(int port, ezc_clock_server **out, ezc_error *err);

/* The UDP port it answers on. */
int ezc_clock_server_port(const ezc_clock_server *s);

/* Requests answered and datagrams dropped (not a request) so far. */
void ezc_clock_server_counts(const ezc_clock_server *s, uint64_t *answered, uint64_t *dropped);

/* Stops the thread, closes the socket, frees s; sets *s to NULL. NULL-safe. */
void ezc_clock_server_destroy(ezc_clock_server **s);

/* ---- measuring ---------------------------------------------------------- */

/* One burst: `probes` probes (1 .. 64) to host:port (a name or an IPv4
 * address) one after another, each waiting at most timeout_ms for its
 * reply; *out from the one with the shortest round trip. 0 (out->valid);
 * EZC_ETIMEOUT "clock: no answer from HOST:PORT" when none came back;
 * EZC_EINVAL for a bad host, port or count; EZC_EIO; EZC_EINTR. Replies
 * from another address, with another nonce, or with times that make a
 * negative round trip are ignored. */
int ezc_clock_measure(const char *host, int port, int probes, int timeout_ms,
                      ezc_clock_estimate *out, ezc_error *err);

/* The host of a "tcp://HOST:PORT" endpoint (what a stream of another host
 * announces), to measure its clock: everything between "tcp://" and the
 * last ':', as written ("tcp://[::1]:5555" gives "[::1]"). 1 with host
 * (the caller's, cap bytes) NUL-terminated; 0 with host "" (when cap > 0)
 * when endpoint is NULL, not tcp://, has no ':' after "tcp://", an empty
 * host, or a host that does not fit in cap. No error otherwise; any
 * thread. */
int ezc_clock_endpoint_host(const char *endpoint, char *host, size_t cap);

typedef struct ezc_clock_tracker ezc_clock_tracker;

/* Measures host:port's clock continuously from a thread of its own: a
 * burst at once, 0.1 s and 0.3 s later, then every interval_ms (0 means
 * EZC_CLOCK_INTERVAL_MS). 0 with *out set; EZC_EINVAL (host, port),
 * EZC_EIO (thread), EZC_ENOMEM. A peer that does not answer leaves the
 * estimate invalid (or at its last value), never an error. */
int ezc_clock_tracker_new(const char *host, int port, int interval_ms, ezc_clock_tracker **out,
                          ezc_error *err);

/* The current estimate into *out (a copy: consistent). 0 when valid;
 * EZC_ETIMEOUT while no probe has come back yet (out->valid 0). */
int ezc_clock_tracker_get(ezc_clock_tracker *t, ezc_clock_estimate *out);

/* Just the offset (lock-free: for a per-message path). 0, or EZC_ETIMEOUT
 * with *offset_ns 0 while there is no estimate. */
int ezc_clock_tracker_offset(ezc_clock_tracker *t, int64_t *offset_ns);

/* The host it measures, as given. */
const char *ezc_clock_tracker_host(const ezc_clock_tracker *t);

/* Stops the thread and frees t; sets *t to NULL. NULL-safe. */
void ezc_clock_tracker_destroy(ezc_clock_tracker **t);

#ifdef __cplusplus
}
#endif
#endif
