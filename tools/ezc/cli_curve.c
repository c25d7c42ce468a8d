/* cli_curve.c — the CURVE options of the ezc commands: parsing, the checks a
 * user should hear about before anything binds, and raw-socket setup for
 * `ezc record` (which receives frames as they are, not through ezc_sub). */
#include <stdio.h>
#include <string.h>
#include <zmq.h>
#include "cli_curve.h"

int cli_curve_take(cli_curve *cc, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_CURVE_SERVER: cc->server_key = arg; return 1;
    case CLI_OPT_CURVE_ALLOW: cc->allow_dir = arg; return 1;
    case CLI_OPT_CURVE_CLIENT: cc->client_key = arg; return 1;
    case CLI_OPT_CURVE_SERVER_PUB: cc->server_pub = arg; return 1;
    default: return 0;
    }
}

int cli_curve_apply(const char *cmd, const cli_curve *cc, ezc_pub_options *po, ezc_sub_options *so)
{
    if (!cc->server_key != !cc->allow_dir) {
        fprintf(stderr, "ezc %s: --curve-server and --curve-allow go together\n", cmd);
        return -1;
    }
    if (!cc->client_key != !cc->server_pub) {
        fprintf(stderr, "ezc %s: --curve-client and --curve-server-pub go together\n", cmd);
        return -1;
    }
    if ((cc->server_key || cc->client_key) && !ezc_curve_available()) {
        fprintf(stderr,
                "ezc %s: CURVE security needs a libzmq built with libsodium "
                "(zmq_has(\"curve\") is false); refusing to run without it\n",
                cmd);
        return -1;
    }
    if (po) {
        po->curve_server_key = cc->server_key;
        po->curve_allow_dir = cc->allow_dir;
    }
    if (so) {
        so->curve_client_key = cc->client_key;
        so->curve_server_pub = cc->server_pub;
    }
    return 0;
}

int cli_curve_client_socket(const char *cmd, const cli_curve *cc, void *sock, const char *endpoint)
{
    if (!cc->client_key || strncmp(endpoint, "tcp://", 6) != 0)
        return 0;
    char sec[EZC_CURVE_Z85_LEN + 1], pub[EZC_CURVE_Z85_LEN + 1], srv[EZC_CURVE_Z85_LEN + 1];
    ezc_error err;
    if (ezc_curve_read_secret(cc->client_key, sec, pub, &err) ||
        ezc_curve_read_public(cc->server_pub, srv, &err)) {
        fprintf(stderr, "ezc %s: %s\n", cmd, err.msg);
        return -1;
    }
    int rc = zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, srv, EZC_CURVE_Z85_LEN) ||
             zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, EZC_CURVE_Z85_LEN) ||
             zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, EZC_CURVE_Z85_LEN);
    memset(sec, 0, sizeof sec);
    if (rc) {
        fprintf(stderr, "ezc %s: cannot set CURVE options: %s\n", cmd, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}
