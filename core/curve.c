/* curve.c — CURVE key files and the ZAP handler that decides who connects.
 *
 * Keys are Z85 text files (ezc/curve.h). Authentication is ZeroMQ's ZAP
 * (RFC 27): a CURVE server asks inproc://zeromq.zap.01 of its context about
 * every handshake; ezc binds one REP socket there per context, answering in
 * a thread of its own, and each server socket has a ZAP domain naming its
 * own allowed keys. A refused key is logged once per server with the
 * peer's address and its public key in Z85 (the text of its .pub file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>
#include "ezc/curve.h"
#include "ezc/log.h"
#include "ezc/pub.h"
#include "curve_internal.h"
#include "pubsub_internal.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define MAX_LOGGED 64 /* refused keys remembered per server, to log each once */

int ezc_curve_available(void)
{
    return zmq_has("curve") ? 1 : 0;
}

static int need_curve(const char *what, ezc_error *err)
{
    if (ezc_curve_available())
        return 0;
    return ezc_error_set(err, EZC_ENOTSUP,
                         "%s: CURVE security needs a libzmq built with libsodium "
                         "(zmq_has(\"curve\") is false in libzmq %d.%d.%d)",
                         what, ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH);
}

/* ---- key files ---------------------------------------------------------- */

static int write_file(const char *path, const char *text, int flags, mode_t mode, ezc_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
    if (fd < 0 && errno == EEXIST)
        return ezc_error_set(err, EZC_EIO,
                             "keygen: %s exists (a secret key is never replaced; remove it "
                             "first)",
                             path);
    if (fd < 0)
        return ezc_error_set(err, EZC_EIO, "keygen: cannot create %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    int ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len;
    ok = (fsync(fd) == 0) && ok;
    if (close(fd) != 0 || !ok) {
        int e = errno;
        unlink(path);
        return ezc_error_set(err, EZC_EIO, "keygen: cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int ezc_curve_keygen(const char *name, ezc_error *err)
{
    if (!name || !*name)
        return ezc_error_set(err, EZC_EINVAL, "keygen: needs a NAME (writes NAME.key, NAME.pub)");
    int rc = need_curve("keygen", err);
    if (rc)
        return rc;
    size_t n = strlen(name) + 5;
    char *key = malloc(n), *pub = malloc(n);
    if (!key || !pub) {
        free(key);
        free(pub);
        return ezc_error_set(err, EZC_ENOMEM, "keygen: out of memory");
    }
    snprintf(key, n, "%s.key", name);
    snprintf(pub, n, "%s.pub", name);
    char p85[EZC_CURVE_Z85_LEN + 1], s85[EZC_CURVE_Z85_LEN + 1];
    char text[160];
    if (zmq_curve_keypair(p85, s85) != 0) {
        rc = ezc_error_set(err, EZC_EIO, "keygen: zmq_curve_keypair failed: %s",
                           zmq_strerror(zmq_errno()));
        goto out;
    }
    /* The secret never replaces a file: an old key may be in use. */
    snprintf(text, sizeof text, "# ezc CURVE secret key (Z85); keep private\n%s\n", s85);
    if ((rc = write_file(key, text, O_EXCL, 0600, err)))
        goto out;
    snprintf(text, sizeof text, "# ezc CURVE public key (Z85)\n%s\n", p85);
    if ((rc = write_file(pub, text, O_TRUNC, 0644, err)))
        unlink(key);
out:
    memset(s85, 0, sizeof s85);
    memset(text, 0, sizeof text);
    free(key);
    free(pub);
    return rc;
}

/* The key line of an open key file: the first that is not a comment. */
static int read_key(FILE *f, const char *path, char z85[EZC_CURVE_Z85_LEN + 1], ezc_error *err)
{
    char line[256];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                       s[len - 1] == '\t'))
            s[--len] = '\0';
        if (len == 0 || s[0] == '#')
            continue;
        uint8_t bin[32];
        if (len != EZC_CURVE_Z85_LEN || !zmq_z85_decode(bin, s)) {
            memset(line, 0, sizeof line);
            return ezc_error_set(err, EZC_EINVAL,
                                 "%s:%d: not a CURVE key (expected %d characters of Z85)", path,
                                 lineno, EZC_CURVE_Z85_LEN);
        }
        memcpy(z85, s, EZC_CURVE_Z85_LEN + 1);
        memset(line, 0, sizeof line);
        return 0;
    }
    return ezc_error_set(err, EZC_EINVAL, "%s: no key in the file (only comments or empty)", path);
}

int ezc_curve_read_public(const char *path, char z85[EZC_CURVE_Z85_LEN + 1], ezc_error *err)
{
    FILE *f = path ? fopen(path, "re") : NULL;
    if (!f)
        return ezc_error_set(err, EZC_EIO, "cannot open public key %s: %s", path ? path : "(null)",
                             strerror(path ? errno : EINVAL));
    int rc = read_key(f, path, z85, err);
    fclose(f);
    return rc;
}

int ezc_curve_read_secret(const char *path, char secret_z85[EZC_CURVE_Z85_LEN + 1],
                          char public_z85[EZC_CURVE_Z85_LEN + 1], ezc_error *err)
{
    if (need_curve(path ? path : "secret key", err))
        return EZC_ENOTSUP;
    FILE *f = path ? fopen(path, "re") : NULL;
    if (!f)
        return ezc_error_set(err, EZC_EIO, "cannot open secret key %s: %s", path ? path : "(null)",
                             strerror(path ? errno : EINVAL));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077)) {
        fclose(f);
        return ezc_error_set(err, EZC_EINVAL,
                             "secret key %s: mode %04o lets others read it; chmod 600 %s", path,
                             (unsigned)(st.st_mode & 07777), path);
    }
    char s85[EZC_CURVE_Z85_LEN + 1], p85[EZC_CURVE_Z85_LEN + 1];
    int rc = read_key(f, path, s85, err);
    fclose(f);
    if (rc == 0 && zmq_curve_public(p85, s85) != 0)
        rc = ezc_error_set(err, EZC_EINVAL, "secret key %s: cannot derive its public key: %s", path,
                           zmq_strerror(zmq_errno()));
    if (rc == 0 && secret_z85)
        memcpy(secret_z85, s85, sizeof s85);
    if (rc == 0 && public_z85)
        memcpy(public_z85, p85, sizeof p85);
    memset(s85, 0, sizeof s85);
    return rc;
}

/* ---- the ZAP handler ----------------------------------------------------- */

typedef struct zap_handler zap_handler;

struct ezc_curve_server {
    ezc_curve_server *next; /* in its handler's list, under reg_lock */
    zap_handler *h;
    char domain[32];
    char who[600];
    char allow_dir[512];
    uint8_t (*keys)[32];
    size_t nkeys;
    uint8_t logged[MAX_LOGGED][32];
    size_t nlogged;
    int logged_more;
    _Atomic uint64_t refused;
};

struct zap_handler {
    zap_handler *next;
    void *ctx; /* the context (as given: NULL = the shared one) */
    void *ctx_real;
    void *sock;
    pthread_t thread;
    atomic_int stop;
    int refs;
    ezc_curve_server *servers;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static zap_handler *handlers;
static unsigned next_domain;

/* The peer is refused: log it once per key and server. reg_lock held. */
static void note_refused(ezc_curve_server *s, const char *addr, const uint8_t *key, size_t klen,
                         const char *why)
{
    atomic_fetch_add(&s->refused, 1);
    char z85[EZC_CURVE_Z85_LEN + 1] = "(none)";
    if (klen == 32)
        zmq_z85_encode(z85, key, 32);
    for (size_t i = 0; i < s->nlogged; i++)
        if (klen == 32 && memcmp(s->logged[i], key, 32) == 0)
            return;
    if (s->nlogged == MAX_LOGGED) {
        if (!s->logged_more)
            ezc_log(EZC_LOG_WARN, "%s: more refused keys; later ones are only counted", s->who);
        s->logged_more = 1;
        return;
    }
    if (klen == 32)
        memcpy(s->logged[s->nlogged++], key, 32);
    ezc_log(EZC_LOG_WARN, "%s: refused a subscriber from %s: key %s %s (logged once per key)",
            s->who, addr, z85, why);
}

/* One ZAP request (RFC 27): version, request id, domain, address, routing
 * id, mechanism, credentials. Returns the status code to answer. */
static const char *zap_decide(zap_handler *h, zmq_msg_t *f, int nf)
{
    char domain[64] = "", addr[128] = "", mech[16] = "";
    size_t dl = zmq_msg_size(&f[2]), al = zmq_msg_size(&f[3]), ml = zmq_msg_size(&f[5]);
    if (dl >= sizeof domain || al >= sizeof addr || ml >= sizeof mech)
        return "400";
    memcpy(domain, zmq_msg_data(&f[2]), dl);
    memcpy(addr, zmq_msg_data(&f[3]), al);
    memcpy(mech, zmq_msg_data(&f[5]), ml);
    const char *status = "400";
    pthread_mutex_lock(&reg_lock);
    ezc_curve_server *s = h->servers;
    while (s && strcmp(s->domain, domain) != 0)
        s = s->next;
    if (!s) {
        /* Not one of ours: a plaintext socket of this context with no
         * domain is let through as ZeroMQ would without a handler. */
        if (strcmp(mech, "NULL") == 0 && domain[0] == '\0')
            status = "200";
    } else if (strcmp(mech, "CURVE") != 0 || nf < 7) {
        note_refused(s, addr, NULL, 0, "(not a CURVE handshake)");
    } else {
        const uint8_t *key = zmq_msg_data(&f[6]);
        size_t klen = zmq_msg_size(&f[6]);
        for (size_t i = 0; klen == 32 && i < s->nkeys && status[0] != '2'; i++)
            if (memcmp(s->keys[i], key, 32) == 0)
                status = "200";
        if (status[0] != '2') {
            char why[600];
            snprintf(why, sizeof why, "is not in %s", s->allow_dir);
            note_refused(s, addr, key, klen, why);
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return status;
}

static void zap_answer(zap_handler *h)
{
    zmq_msg_t f[8];
    int nf = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, h->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (nf < 8) {
            zmq_msg_init(&f[nf]);
            zmq_msg_move(&f[nf++], &m);
        }
        zmq_msg_close(&m);
    }
    if (nf == 0)
        return;
    const char *status = "400";
    if (nf >= 6 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0)
        status = zap_decide(h, f, nf);
    /* Reply: version, request id, status code, status text, user id, metadata. */
    zmq_send(h->sock, "1.0", 3, ZMQ_SNDMORE);
    if (nf >= 2)
        zmq_send(h->sock, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
    else
        zmq_send(h->sock, "", 0, ZMQ_SNDMORE);
    zmq_send(h->sock, status, 3, ZMQ_SNDMORE);
    const char *text = status[0] == '2' ? "OK" : "not allowed";
    zmq_send(h->sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(h->sock, "", 0, ZMQ_SNDMORE);
    zmq_send(h->sock, "", 0, 0);
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
}

static void *zap_thread(void *arg)
{
    zap_handler *h = arg;
    while (!atomic_load(&h->stop)) {
        zmq_pollitem_t item = {h->sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, EZC_STOP_CHECK_MS);
        if (n < 0 && zmq_errno() == ETERM)
            break;
        if (n > 0)
            zap_answer(h);
    }
    return NULL;
}

/* The handler of ctx, started when there is none. reg_lock held. */
static zap_handler *handler_get(void *ctx, ezc_error *err)
{
    void *real = ctx ? ctx : ezc_zmq_context();
    for (zap_handler *h = handlers; h; h = h->next)
        if (h->ctx_real == real) {
            h->refs++;
            return h;
        }
    zap_handler *h = calloc(1, sizeof *h);
    if (!h) {
        ezc_error_set(err, EZC_ENOMEM, "out of memory");
        return NULL;
    }
    h->ctx = ctx;
    h->ctx_real = real;
    h->sock = ezc_zmq_socket_open(ctx, ZMQ_REP);
    int linger = 0;
    if (!h->sock || zmq_setsockopt(h->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(h->sock, ZAP_ENDPOINT) != 0) {
        int e = zmq_errno();
        ezc_error_set(err, EZC_EIO, "cannot start the ZAP handler on %s: %s%s", ZAP_ENDPOINT,
                      zmq_strerror(e),
                      e == EADDRINUSE ? " (the program runs its own ZAP handler on this "
                                        "context: give ezc another context)"
                                      : "");
        if (h->sock)
            ezc_zmq_socket_close(h->sock, ctx == NULL);
        free(h);
        return NULL;
    }
    if (pthread_create(&h->thread, NULL, zap_thread, h) != 0) {
        ezc_error_set(err, EZC_EIO, "cannot start the ZAP handler thread");
        ezc_zmq_socket_close(h->sock, ctx == NULL);
        free(h);
        return NULL;
    }
    h->refs = 1;
    h->next = handlers;
    handlers = h;
    return h;
}

/* reg_lock held; the thread is joined outside it (it takes the lock). */
static zap_handler *handler_put(zap_handler *h)
{
    if (--h->refs > 0)
        return NULL;
    for (zap_handler **pp = &handlers; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    return h;
}

static void handler_stop(zap_handler *h)
{
    atomic_store(&h->stop, 1);
    pthread_join(h->thread, NULL);
    ezc_zmq_socket_close(h->sock, h->ctx == NULL);
    free(h);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Every NAME.pub of dir, decoded. */
static int load_allowed(ezc_curve_server *s, const char *dir, ezc_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return ezc_error_set(err, EZC_EIO, "cannot read the allowed keys folder %s: %s", dir,
                             strerror(errno));
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".pub"))
            continue;
        char path[1024], z85[EZC_CURVE_Z85_LEN + 1];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((rc = ezc_curve_read_public(path, z85, err)))
            break;
        if (s->nkeys == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            void *grown = realloc(s->keys, ncap * 32);
            if (!grown) {
                rc = ezc_error_set(err, EZC_ENOMEM, "out of memory");
                break;
            }
            s->keys = grown;
            cap = ncap;
        }
        zmq_z85_decode(s->keys[s->nkeys++], z85);
    }
    closedir(d);
    if (rc == 0 && s->nkeys == 0)
        rc = ezc_error_set(err, EZC_EINVAL,
                           "allowed keys folder %s holds no .pub file: nobody could connect", dir);
    return rc;
}

int ezc_curve_server_setup(void *sock, void *ctx, const char *secret_file, const char *allow_dir,
                           const char *who, ezc_curve_server **out, ezc_error *err)
{
    *out = NULL;
    if (need_curve(who, err))
        return EZC_ENOTSUP;
    if (!secret_file || !allow_dir)
        return ezc_error_set(err, EZC_EINVAL,
                             "%s: a CURVE server needs both a secret key file and an allowed "
                             "keys folder",
                             who);
    ezc_curve_server *s = calloc(1, sizeof *s);
    if (!s)
        return ezc_error_set(err, EZC_ENOMEM, "%s: out of memory", who);
    snprintf(s->who, sizeof s->who, "%s", who);
    snprintf(s->allow_dir, sizeof s->allow_dir, "%s", allow_dir);
    char s85[EZC_CURVE_Z85_LEN + 1];
    int rc = ezc_curve_read_secret(secret_file, s85, NULL, err);
    if (rc == 0)
        rc = load_allowed(s, allow_dir, err);
    if (rc) {
        memset(s85, 0, sizeof s85);
        free(s->keys);
        free(s);
        return ezc_error_prefix(err, "%s", who);
    }
    int one = 1;
    pthread_mutex_lock(&reg_lock);
    snprintf(s->domain, sizeof s->domain, "ezc-%u", next_domain++);
    zap_handler *h = handler_get(ctx, err);
    if (h) {
        s->h = h;
        s->next = h->servers;
        h->servers = s;
    }
    pthread_mutex_unlock(&reg_lock);
    if (!h)
        rc = EZC_EIO;
    else if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
             zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, s85, EZC_CURVE_Z85_LEN) != 0 ||
             zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, s->domain, strlen(s->domain)) != 0)
        rc = ezc_error_set(err, EZC_EIO, "cannot set CURVE options: %s", zmq_strerror(zmq_errno()));
    memset(s85, 0, sizeof s85);
    if (rc) {
        ezc_curve_server_release(&s);
        return ezc_error_prefix(err, "%s", who);
    }
    *out = s;
    return 0;
}

void ezc_curve_server_name(ezc_curve_server *s, const char *who)
{
    if (!s)
        return;
    pthread_mutex_lock(&reg_lock);
    snprintf(s->who, sizeof s->who, "%s", who);
    pthread_mutex_unlock(&reg_lock);
}

uint64_t ezc_curve_server_refused(const ezc_curve_server *s)
{
    return s ? atomic_load(&((ezc_curve_server *)s)->refused) : 0;
}

void ezc_curve_server_release(ezc_curve_server **sp)
{
    if (!sp || !*sp)
        return;
    ezc_curve_server *s = *sp;
    *sp = NULL;
    zap_handler *stop = NULL;
    pthread_mutex_lock(&reg_lock);
    if (s->h) {
        for (ezc_curve_server **pp = &s->h->servers; *pp; pp = &(*pp)->next)
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        stop = handler_put(s->h);
    }
    pthread_mutex_unlock(&reg_lock);
    if (stop)
        handler_stop(stop);
    free(s->keys);
    free(s);
}

/* ---- clients ------------------------------------------------------------- */

int ezc_curve_client_load(const char *client_key_file, const char *server_pub_file,
                          ezc_curve_client *c, ezc_error *err)
{
    memset(c, 0, sizeof *c);
    if (!client_key_file || !server_pub_file)
        return ezc_error_set(err, EZC_EINVAL,
                             "a CURVE client needs both its secret key file and the server's "
                             "public key file");
    int rc = ezc_curve_read_secret(client_key_file, c->secret_key, c->public_key, err);
    if (rc == 0)
        rc = ezc_curve_read_public(server_pub_file, c->server_key, err);
    if (rc)
        memset(c, 0, sizeof *c);
    return rc;
}

int ezc_curve_client_apply(void *sock, const ezc_curve_client *c, ezc_error *err)
{
    int rc;
    if (c) /* setting the server key makes the socket a CURVE client */
        rc = zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_key, EZC_CURVE_Z85_LEN) ||
             zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->public_key, EZC_CURVE_Z85_LEN) ||
             zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_key, EZC_CURVE_Z85_LEN);
    else /* an empty PLAIN user name is libzmq's way back to the NULL mechanism */
        rc = zmq_setsockopt(sock, ZMQ_PLAIN_USERNAME, NULL, 0);
    if (rc != 0)
        return ezc_error_set(err, EZC_EIO, "cannot set %s options: %s", c ? "CURVE" : "plaintext",
                             zmq_strerror(zmq_errno()));
    return 0;
}
