/* cli_curve.h — the CURVE options the ezc commands share (docs/pubsub.md,
 * "Security"): --curve-server KEYFILE --curve-allow DIR where a command binds,
 * --curve-client KEYFILE --curve-server-pub PUBFILE where it connects. */
#ifndef EZC_CLI_CURVE_H
#define EZC_CLI_CURVE_H

#include <getopt.h>
#include "ezc/ezc.h"

enum {
    CLI_OPT_CURVE_SERVER = 0x4300,
    CLI_OPT_CURVE_ALLOW,
    CLI_OPT_CURVE_CLIENT,
    CLI_OPT_CURVE_SERVER_PUB,
};

#define CLI_CURVE_SERVER_OPTIONS                                                                   \
    {"curve-server", 1, 0, CLI_OPT_CURVE_SERVER},                                                  \
    {                                                                                              \
        "curve-allow", 1, 0, CLI_OPT_CURVE_ALLOW                                                   \
    }
#define CLI_CURVE_CLIENT_OPTIONS                                                                   \
    {"curve-client", 1, 0, CLI_OPT_CURVE_CLIENT},                                                  \
    {                                                                                              \
        "curve-server-pub", 1, 0, CLI_OPT_CURVE_SERVER_PUB                                         \
    }

#define CLI_CURVE_SERVER_HELP                                                                      \
    "  --curve-server KEYFILE  tcp:// only: encrypt and authenticate with CURVE, this\n"           \
    "                   server's secret key file (ezc keygen); needs --curve-allow\n"              \
    "  --curve-allow DIR  the subscribers let in: the NAME.pub files in DIR; others\n"             \
    "                   get nothing (logged once per key with address and key)\n"
#define CLI_CURVE_CLIENT_HELP                                                                      \
    "  --curve-client KEYFILE  tcp:// only: connect with CURVE, this client's secret\n"            \
    "                   key file (ezc keygen); needs --curve-server-pub\n"                         \
    "  --curve-server-pub PUBFILE  the publisher's public key file\n"

typedef struct cli_curve {
    const char *server_key, *allow_dir;  /* binding side */
    const char *client_key, *server_pub; /* connecting side */
} cli_curve;

/* Takes getopt's c and optarg when c is one of the options above: 1 when
 * taken, 0 when c is another option. */
int cli_curve_take(cli_curve *cc, int c, const char *arg);
/* Checks the pairs are complete and CURVE is there; prints "ezc CMD: ..."
 * and returns -1 when not. Then copies the paths into the options (either
 * may be NULL). */
int cli_curve_apply(const char *cmd, const cli_curve *cc, ezc_pub_options *po, ezc_sub_options *so);
/* For a raw ZeroMQ SUB socket before zmq_connect to endpoint: sets CURVE
 * client keys when cc has some and the endpoint is tcp://. Prints and
 * returns -1 on failure. */
int cli_curve_client_socket(const char *cmd, const cli_curve *cc, void *sock, const char *endpoint);

#endif
