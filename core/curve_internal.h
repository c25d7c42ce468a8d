/* curve_internal.h — how pub.c and sub.c put CURVE on a socket.
 *
 * A CURVE server socket gets a ZAP domain of its own; one ZAP handler per
 * ZeroMQ context (a REP socket on inproc://zeromq.zap.01 answering in its
 * own thread, ZeroMQ RFC 27) looks the domain up and lets a client in only
 * when its public key is one of that server's allowed keys. The handler
 * starts with the first server of its context and stops with the last. */
#ifndef EZC_CURVE_INTERNAL_H
#define EZC_CURVE_INTERNAL_H

#include <stdint.h>
#include "ezc/curve.h"
#include "ezc/error.h"

typedef struct ezc_curve_server ezc_curve_server;

/* Makes sock (not yet bound) a CURVE server with the secret key in
 * secret_file, letting in the keys of the .pub files in allow_dir (read
 * now; at least one). ctx is the socket's context (NULL = ezc's shared
 * one). `who` names the socket in logs until ezc_curve_server_name. The
 * caller owns *out and releases it after closing the socket.
 * 0, EZC_ENOTSUP (no CURVE), EZC_EINVAL (a bad key file), EZC_EIO. */
int ezc_curve_server_setup(void *sock, void *ctx, const char *secret_file, const char *allow_dir,
                           const char *who, ezc_curve_server **out, ezc_error *err);
/* The name refused peers are logged under (the endpoint once bound). */
void ezc_curve_server_name(ezc_curve_server *s, const char *who);
/* Handshakes refused so far (any thread). */
uint64_t ezc_curve_server_refused(const ezc_curve_server *s);
/* Unregisters the domain (a later handshake for it is refused) and stops
 * the context's handler when it was the last. NULL-safe; sets *s NULL. */
void ezc_curve_server_release(ezc_curve_server **s);

/* A client's keys, Z85 text. */
typedef struct ezc_curve_client {
    char public_key[EZC_CURVE_Z85_LEN + 1];
    char secret_key[EZC_CURVE_Z85_LEN + 1];
    char server_key[EZC_CURVE_Z85_LEN + 1];
} ezc_curve_client;

/* Loads the client's secret key file and the server's public key file.
 * 0, EZC_ENOTSUP, EZC_EINVAL or EZC_EIO (the message names the file). */
int ezc_curve_client_load(const char *client_key_file, const char *server_pub_file,
                          ezc_curve_client *c, ezc_error *err);
/* Sets the socket up for its next zmq_connect: CURVE with c's keys, or the
 * NULL mechanism (plaintext) when c is NULL. ZeroMQ copies a socket's
 * options into each connection at connect time, so one subscriber can be
 * CURVE to its tcp:// publishers and plaintext to its ipc:// ones. */
int ezc_curve_client_apply(void *sock, const ezc_curve_client *c, ezc_error *err);

#endif
