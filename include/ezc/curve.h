/* ezc/curve.h — CURVE key files: who may connect to a tcp:// endpoint.
 *
 *   ezc_curve_keygen("/etc/ezc/amp", &err);   // amp.key (0600) + amp.pub
 *
 * ZeroMQ's CURVE (CurveZMQ: Curve25519 keys, every frame encrypted and
 * authenticated) needs a libzmq built with libsodium; ezc_curve_available
 * says whether this one is. A publisher is a CURVE server (its secret key,
 * and a folder of the public keys it lets in: ezc_pub_options), a subscriber
 * a CURVE client (its own secret key and the server's public key:
 * ezc_sub_options). Only tcp:// endpoints use it; ipc:// and inproc:// do
 * not leave the host (an ipc socket file is owner-only) and stay plaintext.
 *
 * Key files are text (docs/pubsub.md, "Security"):
 *   NAME.pub  lines starting with '#' are comments; the first other line is
 *             the 40-character Z85 encoding of the 32-byte public key.
 *   NAME.key  the same layout with the secret key; created mode 0600, and
 *             refused when group or others may read it.
 * The public key in Z85 is also what ezc logs to name a peer (its
 * fingerprint): it is the text of that peer's .pub file.
 *
 * All functions are thread-safe (they keep no state). */
#ifndef EZC_CURVE_H
#define EZC_CURVE_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EZC_CURVE_Z85_LEN 40 /* characters of a key in Z85 (32 bytes) */

/* 1 when libzmq has CURVE (zmq_has("curve")), else 0. */
int ezc_curve_available(void);

/* Makes a new key pair and writes NAME.key (the secret, created 0600 and
 * never over an existing file) and NAME.pub (the public key, 0644; replaced
 * if present). 0, EZC_ENOTSUP (libzmq without CURVE), EZC_EINVAL (empty
 * name) or EZC_EIO (NAME.key exists, or a write failed: the message names
 * the file). On failure nothing is left behind. */
int ezc_curve_keygen(const char *name, ezc_error *err);

/* Reads a public key file into z85 (EZC_CURVE_Z85_LEN characters + NUL).
 * 0, EZC_EIO (cannot open) or EZC_EINVAL (no key line, or not a valid Z85
 * key: the message names the file and line). */
int ezc_curve_read_public(const char *path, char z85[EZC_CURVE_Z85_LEN + 1], ezc_error *err);

/* Reads a secret key file into secret_z85 and derives its public key into
 * public_z85 (either may be NULL). Refuses a file that group or others may
 * read (EZC_EINVAL naming its mode), as ssh does with private keys.
 * 0, EZC_ENOTSUP (no CURVE), EZC_EIO or EZC_EINVAL. */
int ezc_curve_read_secret(const char *path, char secret_z85[EZC_CURVE_Z85_LEN + 1],
                          char public_z85[EZC_CURVE_Z85_LEN + 1], ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
