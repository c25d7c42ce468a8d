/* cmd_keygen.c — `ezc keygen NAME`: a CURVE key pair as NAME.key (secret,
 * 0600) and NAME.pub (public), Z85 text (ezc/curve.h). */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static void help(FILE *f)
{
    fprintf(
        f, "usage: ezc keygen NAME\n"
           "Makes a CURVE key pair for encrypted, authenticated tcp:// endpoints and\n"
           "writes NAME.key (the secret key, mode 0600; an existing one is never\n"
           "replaced) and NAME.pub (the public key). Both are text: '#' comment lines,\n"
           "then the 32-byte key in Z85 (40 characters). Give NAME.pub to the other\n"
           "side: a publisher lets in the subscribers whose .pub files are in its\n"
           "--curve-allow DIR; a subscriber names the publisher's with\n"
           "--curve-server-pub. Needs a libzmq with CURVE (libsodium). docs/pubsub.md,\n"
           "\"Security\".\n\n"
           "example:\n"
           "  ezc keygen amp && ezc keygen viewer && mkdir allow && mv viewer.pub allow/\n"
           "  ezc pub tcp://0.0.0.0:5560 --curve-server amp.key --curve-allow allow\n"
           "  ezc echo tcp://amp-host:5560 --curve-client viewer.key --curve-server-pub amp.pub\n");
}

int cmd_keygen(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        help(stderr);
        return 2;
    }
    ezc_error err;
    if (ezc_curve_keygen(argv[1], &err)) {
        fprintf(stderr, "ezc %s\n", err.msg); /* "keygen: ..." */
        return 1;
    }
    printf("%s.key (secret, 0600) and %s.pub written\n", argv[1], argv[1]);
    return 0;
}
