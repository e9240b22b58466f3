/* Unit test for src/daemon/nts_ke_pool.c: the NTS-KE sessions of one process, driven by the
 * real event loop against tock's TLS client on loopback TCP, with certificates made at test
 * time by tests/certs/make-test-certs.sh (skipped without openssl).
 *
 * The loop's exit flag is process-wide and cannot be cleared, so one loop run plays a
 * script of scenarios in order and the test checks what happened afterwards:
 *   1. an idle connection takes the only slot (maxntsconnections 1); a second one is
 *      refused at once (overload);
 *   2. the idle one times out after the 2-second session deadline;
 *   3. a certificate reload from a missing file fails and keeps the old certificate;
 *   4. a good client gets 8 cookies that open, with the key ring, to its own keys;
 *   5. a client offering only an AEAD the server lacks is refused (empty AEAD record). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/config.h"
#include "daemon/loop.h"
#include "daemon/nts_ke_pool.h"
#include "daemon/ntske_tls.h"

static char certdir[64];
static bool have_certs;

static void make_certs(void)
{
    strcpy(certdir, "/tmp/tock-kepool-XXXXXX");
    if (!mkdtemp(certdir))
        return;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "sh tests/certs/make-test-certs.sh %s >/dev/null 2>&1", certdir);
    have_certs = system(cmd) == 0;
}

static void remove_certs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", certdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", certdir);
}

static void tcp_pair(int *cfd, int *sfd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    *cfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*cfd, (struct sockaddr *)&a, sizeof(a)), 0);
    *sfd = accept(l, NULL, NULL);
    assert_true(*sfd >= 0);
    fcntl(*cfd, F_SETFL, O_NONBLOCK);
    fcntl(*sfd, F_SETFL, O_NONBLOCK);
    close(l);
}

/* ---- the script ---- */

#define MAX_OUTCOMES 8

struct script {
    struct loop *loop;
    struct nts_ke_pool *pool;
    struct tock_config *conf;
    struct ntske_tls_client *cli;
    struct nts_keyring kr;
    int step;
    double end;
    int idle_cfd, busy_cfd;
    /* the client of the current step */
    int cfd;
    struct ntske_tls_session *s;
    int st;
    int results[2]; /* steps 4 and 5: enum ntske_response_status */
    struct ntske_response resp;
    struct nts_keys keys;
    struct nts_cookie_set good_cookies; /* step 4's */
    struct nts_keys good_keys;
    int reload_rc;
    /* what the pool reported */
    int n_outcomes;
    enum nts_ke_outcome outcomes[MAX_OUTCOMES];
    double outcome_time[MAX_OUTCOMES];
};

static void on_outcome(void *ctx, enum nts_ke_outcome o, const struct tock_endpoint *peer)
{
    struct script *sc = ctx;
    assert_int_equal(peer->port, 4242);
    if (sc->n_outcomes < MAX_OUTCOMES) {
        sc->outcome_time[sc->n_outcomes] = loop_monotonic();
        sc->outcomes[sc->n_outcomes++] = o;
    }
}

static void add_server_end(struct script *sc, int sfd)
{
    struct tock_endpoint peer = {.port = 4242};
    tock_ip_parse("127.0.0.1", &peer.ip);
    nts_ke_pool_add(sc->pool, sfd, &peer, nts_keyring_current(&sc->kr));
}

static void start_client(struct script *sc, const uint16_t *aeads, int n)
{
    int sfd;
    tcp_pair(&sc->cfd, &sfd);
    struct ntske_tls_client_opts o = {.server_name = "localhost", .aeads = aeads, .n_aeads = n};
    sc->s = ntske_tls_connect(sc->cli, sc->cfd, &o, loop_monotonic());
    assert_non_null(sc->s);
    sc->st = NTSKE_TLS_WANT_WRITE;
    add_server_end(sc, sfd);
}

/* Steps the client; true when it has finished (its result stored). */
static bool client_done(struct script *sc, int slot)
{
    if (!sc->s)
        return true;
    sc->st = ntske_tls_step(sc->s, loop_monotonic());
    if (sc->st == NTSKE_TLS_MESSAGE) {
        sc->results[slot] = ntske_tls_client_result(sc->s, &sc->resp, &sc->keys);
        if (slot == 0) {
            sc->good_cookies = sc->resp.cookies;
            sc->good_keys = sc->keys;
        }
        sc->st = ntske_tls_step(sc->s, loop_monotonic());
    }
    if (sc->st != NTSKE_TLS_DONE && sc->st != NTSKE_TLS_FAILED)
        return false;
    ntske_tls_free(sc->s);
    sc->s = NULL;
    close(sc->cfd);
    return true;
}

static void next(struct script *sc)
{
    sc->step++;
}

static void tick(void *ctx)
{
    struct script *sc = ctx;
    double now = loop_monotonic();
    static const uint16_t only30[] = {NTS_AEAD_AES_128_GCM_SIV};
    int sfd;
    if (now > sc->end) {
        loop_request_exit();
        return;
    }
    switch (sc->step) {
    case 0: /* an idle connection, then one too many */
        tcp_pair(&sc->idle_cfd, &sfd);
        add_server_end(sc, sfd);
        assert_true(nts_ke_pool_full(sc->pool));
        tcp_pair(&sc->busy_cfd, &sfd);
        add_server_end(sc, sfd); /* reported at once */
        next(sc);
        break;
    case 1: /* the idle one times out */
        if (sc->n_outcomes >= 2) {
            close(sc->idle_cfd);
            close(sc->busy_cfd);
            assert_int_equal(nts_ke_pool_active(sc->pool), 0);
            /* A reload from a missing file fails; the old certificate stays. */
            char *saved = sc->conf->nts_certkeys[0].cert;
            sc->conf->nts_certkeys[0].cert = "/nonexistent/cert.pem";
            sc->reload_rc = nts_ke_pool_reload(sc->pool);
            sc->conf->nts_certkeys[0].cert = saved;
            start_client(sc, NULL, 0);
            next(sc);
        }
        break;
    case 2: /* a good client */
        if (client_done(sc, 0) && sc->n_outcomes >= 3) {
            start_client(sc, only30, 1);
            next(sc);
        }
        break;
    case 3: /* a client the server cannot serve */
        if (client_done(sc, 1) && sc->n_outcomes >= 4) {
            loop_request_exit();
            return;
        }
        break;
    }
    loop_add_timer(sc->loop, 0.005, tick, sc);
}

static int fixed_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    return 0;
}

static void pool_script(void **state)
{
    (void)state;
    if (!have_certs)
        skip();
    static struct script sc;
    static struct tock_config conf;
    static struct conf_nts_certkey pair;
    static char cert[128], key[128], ca[128];
    snprintf(cert, sizeof(cert), "%s/server.pem", certdir);
    snprintf(key, sizeof(key), "%s/server.key", certdir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);
    pair.cert = cert;
    pair.key = key;
    conf.nts_certkeys = &pair;
    conf.n_nts_certkeys = 1;
    conf.maxntsconnections = 1;
    conf.port = 11123;
    memset(&sc, 0, sizeof(sc));
    sc.conf = &conf;
    assert_int_equal(nts_keyring_init(&sc.kr, 3600, 0, fixed_random, NULL), 0);
    sc.loop = loop_new();
    assert_non_null(sc.loop);
    sc.pool = nts_ke_pool_new(sc.loop, &conf, on_outcome, &sc);
    assert_non_null(sc.pool);
    char err[NTSKE_TLS_ERRLEN];
    const char *trusted[] = {ca};
    sc.cli = ntske_tls_client_new(false, trusted, 1, err, sizeof(err));
    assert_non_null(sc.cli);
    sc.end = loop_monotonic() + 15;
    double t0 = loop_monotonic();
    loop_add_timer(sc.loop, 0, tick, &sc);
    loop_run(sc.loop, NULL, NULL);

    assert_int_equal(sc.step, 3);
    assert_int_equal(sc.n_outcomes, 4);
    assert_int_equal(sc.outcomes[0], NTS_KE_OVERLOAD);
    assert_true(sc.outcome_time[0] - t0 < 0.5);
    assert_int_equal(sc.outcomes[1], NTS_KE_TIMEOUT);
    /* NTSKE_TLS_SERVER_TIMEOUT (2 s) after the connection, not much later. */
    assert_true(sc.outcome_time[1] - t0 > 1.9 && sc.outcome_time[1] - t0 < 3.0);
    assert_int_equal(sc.reload_rc, -1);
    assert_int_equal(sc.outcomes[2], NTS_KE_OK);
    assert_int_equal(sc.results[0], NTSKE_RESP_OK);
    assert_int_equal(sc.outcomes[3], NTS_KE_REFUSED);
    assert_int_equal(sc.results[1], NTSKE_RESP_BAD_AEAD);
    assert_int_equal(nts_ke_pool_active(sc.pool), 0);
    /* Step 4's 8 cookies open, with the server's ring, to the keys the client exported. */
    assert_int_equal(sc.good_cookies.n, 8);
    for (int i = 0; i < 8; i++) {
        struct nts_keys k;
        assert_int_equal(sc.good_cookies.len[i], NTS_COOKIE_LEN);
        assert_int_equal(
            nts_cookie_open(&sc.kr, sc.good_cookies.data[i], sc.good_cookies.len[i], &k),
            NTS_COOKIE_OK);
        assert_memory_equal(k.c2s, sc.good_keys.c2s, SIV_KEY_LEN);
        assert_memory_equal(k.s2c, sc.good_keys.s2c, SIV_KEY_LEN);
    }
    nts_ke_pool_free(sc.pool);
    ntske_tls_client_free(sc.cli);
    loop_free(sc.loop);
    nts_keyring_wipe(&sc.kr);
}

int main(void)
{
    make_certs();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_script),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove_certs();
    return rc;
}
