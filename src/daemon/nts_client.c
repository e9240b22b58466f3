/* NTS client: per-source NTS-KE and cookie jar (see nts_client.h). */
#include "daemon/nts_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "crypto/nts_cookie_file.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/nts_server.h"
#include "daemon/ntske_tls.h"
#include "daemon/resolver.h"
#include "proto/nts_ef.h"
#include "proto/ntske.h"

#define MAX_CERTSETS 8
#define MAX_TRUSTED  64
#define KE_RETRY_MIN 8.0 /* seconds after a failed NTS-KE, doubling */
#define KE_RETRY_MAX 1024.0
#define DUMP_MAGIC   "TNC1"
#define DUMP_MAX     4096

struct certset {
    uint32_t id;
    struct ntske_tls_client *cli;
};

struct nts_client {
    struct tockd *d;
    struct certset sets[MAX_CERTSETS];
    int n_sets;
    int nocerttime_left; /* nocerttimecheck: checks that may still ignore the dates */
};

struct nts_source {
    struct tockd *d;
    const struct conf_source *cs;
    struct ntske_tls_client *tls;
    bool has_ke_addr;
    struct tock_endpoint ke; /* NTS-KE server */
    bool loaded_dump;        /* the dump file was looked at (once, at the first address) */

    /* NTS-KE under way */
    int fd;
    struct ntske_tls_session *s;
    uint32_t ke_timer;
    short events;
    bool ke_installed;
    double next_ke; /* monotonic: no NTS-KE before this (back-off) */
    double retry_delay;
    uint32_t retry_timer;

    /* The association */
    bool have_keys;
    bool resolving; /* the negotiated NTP server's name is being resolved */
    struct nts_keys keys;
    struct tock_endpoint ntp;
    double ke_mono; /* when the keys were made (monotonic) */
    double ke_unix; /* ... as a Unix time (for the dump file) */
    struct nts_cookie_set jar;
    uint16_t cookie_len;
    uint8_t uid[NTS_UID_LEN];
    bool awaiting;
    int ke_attempts; /* since the last successful NTS-KE */
    bool nak;        /* an NTS NAK came since the last NTS-KE */
};

static double unix_now(struct tockd *d)
{
    struct timespec ts;
    tockd_now(d, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- trust stores ---- */

static struct ntske_tls_client *certset_client(struct nts_client *c, uint32_t id)
{
    const struct tock_config *conf = c->d->conf;
    for (int i = 0; i < c->n_sets; i++)
        if (c->sets[i].id == id)
            return c->sets[i].cli;
    if (c->n_sets >= MAX_CERTSETS) {
        log_err("too many NTS certificate sets (at most %d)", MAX_CERTSETS);
        return NULL;
    }
    const char *paths[MAX_TRUSTED];
    int n = 0;
    for (int i = 0; i < conf->n_nts_trusted && n < MAX_TRUSTED; i++)
        if (conf->nts_trusted[i].set == id)
            paths[n++] = conf->nts_trusted[i].path;
    char err[NTSKE_TLS_ERRLEN];
    /* As chrony: the system CAs belong to set 0 only. */
    struct ntske_tls_client *cli =
        ntske_tls_client_new(id == 0 && !conf->nosystemcert, paths, n, err, sizeof(err));
    if (!cli) {
        log_err("NTS client: %s", err);
        return NULL;
    }
    c->sets[c->n_sets].id = id;
    c->sets[c->n_sets].cli = cli;
    c->n_sets++;
    return cli;
}

int tockd_nts_client_init(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    bool any = false;
    for (int i = 0; i < conf->n_sources; i++)
        any |= conf->sources[i].nts;
    if (!any)
        return 0;
    struct nts_client *c = calloc(1, sizeof(*c));
    if (!c) {
        log_err("out of memory");
        return -1;
    }
    c->d = d;
    c->nocerttime_left = conf->nocerttimecheck;
    d->nts_client = c;
    return 0;
}

void tockd_nts_client_free(struct tockd *d)
{
    struct nts_client *c = d->nts_client;
    if (!c)
        return;
    for (int i = 0; i < c->n_sets; i++)
        ntske_tls_client_free(c->sets[i].cli);
    free(c);
    d->nts_client = NULL;
}

/* ---- dump files (format: crypto/nts_cookie_file.h) ---- */

static bool dump_path(const struct nts_source *ns, char *buf, size_t len)
{
    char addr[TOCK_IP_STRLEN];
    const char *dir = ns->d->conf->ntsdumpdir;
    if (!dir || !ns->has_ke_addr)
        return false;
    tock_ip_format(&ns->ke.ip, addr, sizeof(addr));
    return snprintf(buf, len, "%s/%s.nts", dir, addr) < (int)len;
}

static void save_cookies(struct nts_source *ns)
{
    static struct nts_cookie_file f; /* 2.2 kB: off the stack */
    char path[4096], tmp[4200], text[NTS_COOKIE_FILE_MAX];
    if (!ns->have_keys || ns->resolving || ns->jar.n == 0 || !dump_path(ns, path, sizeof(path)))
        return;
    memset(&f, 0, sizeof(f));
    snprintf(f.name, sizeof(f.name), "%s", ns->cs->host);
    f.ke = ns->ke;
    f.ntp = ns->ntp;
    f.ke_time = (int64_t)ns->ke_unix;
    f.keys = ns->keys;
    f.cookies = ns->jar;
    int len = nts_cookie_file_format(&f, text, sizeof(text));
    explicit_bzero(&f, sizeof(f));
    if (len < 0) {
        log_warn("NTS cookies of %s not saved: cannot be written in the file format", ns->cs->host);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok =
        fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, text, (size_t)len) == len && fsync(fd) == 0;
    explicit_bzero(text, sizeof(text));
    if (fd >= 0)
        ok &= close(fd) == 0;
    if (!ok || rename(tmp, path) != 0) {
        log_warn("cannot save NTS cookies to %s: %s", path, strerror(errno));
        unlink(tmp);
        return;
    }
    log_debug("saved %d NTS cookies for %s to %s", ns->jar.n, ns->cs->host, path);
}

static void load_cookies(struct nts_source *ns)
{
    static struct nts_cookie_file f;
    char path[4096], text[NTS_COOKIE_FILE_MAX + 1];
    const char *why = NULL;
    if (!dump_path(ns, path, sizeof(path)))
        return;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, text, sizeof(text));
    close(fd);
    /* Each cookie is used once: the file goes, whatever it held. */
    unlink(path);
    if (n < 0 || nts_cookie_file_parse(text, (size_t)n, &f, &why) != 0) {
        log_warn("NTS cookies in %s ignored: %s", path, n < 0 ? strerror(errno) : why);
        explicit_bzero(text, sizeof(text));
        return;
    }
    explicit_bzero(text, sizeof(text));
    double age = unix_now(ns->d) - (double)f.ke_time;
    int refresh = ns->d->conf->ntsrefresh;
    if (strcmp(f.name, ns->cs->host) != 0 || !tock_ip_equal(&f.ke.ip, &ns->ke.ip) ||
        f.ke.port != ns->ke.port)
        why = "saved for another server";
    else if (age < -1 || (refresh > 0 && age > refresh))
        why = "too old (or from the future)";
    if (why) {
        log_warn("NTS cookies in %s ignored: %s", path, why);
        explicit_bzero(&f, sizeof(f));
        return;
    }
    ns->keys = f.keys;
    ns->jar = f.cookies;
    ns->cookie_len = f.cookies.len[0];
    ns->ntp = f.ntp;
    ns->ke_unix = (double)f.ke_time;
    ns->ke_mono = loop_monotonic() - (age > 0 ? age : 0);
    ns->have_keys = true;
    explicit_bzero(&f, sizeof(f));
    log_info("source %s: %d NTS cookies loaded from %s (no NTS-KE needed)", ns->cs->host, ns->jar.n,
             path);
}

/* ---- NTS-KE ---- */

static void start_ke(struct nts_source *ns);

static void ke_close(struct nts_source *ns)
{
    if (ns->s) {
        ntske_tls_free(ns->s);
        ns->s = NULL;
    }
    if (ns->fd >= 0) {
        loop_remove_fd(ns->d->loop, ns->fd);
        close(ns->fd);
        ns->fd = -1;
    }
    loop_cancel_timer(ns->d->loop, ns->ke_timer);
    ns->ke_timer = 0;
}

static void on_retry(void *ctx)
{
    struct nts_source *ns = ctx;
    ns->retry_timer = 0;
    if (!ns->have_keys)
        start_ke(ns);
}

static void ke_failed(struct nts_source *ns, const char *why)
{
    char addr[TOCK_IP_STRLEN];
    ns->retry_delay = ns->retry_delay <= 0 ? KE_RETRY_MIN : ns->retry_delay * 2;
    if (ns->retry_delay > KE_RETRY_MAX)
        ns->retry_delay = KE_RETRY_MAX;
    ns->next_ke = loop_monotonic() + ns->retry_delay;
    log_warn("NTS-KE with %s (%s port %u) failed: %s; retrying in %.0f s", ns->cs->host,
             tock_ip_format(&ns->ke.ip, addr, sizeof(addr)), ns->ke.port, why, ns->retry_delay);
    loop_cancel_timer(ns->d->loop, ns->retry_timer);
    ns->retry_timer = loop_add_timer(ns->d->loop, ns->retry_delay, on_retry, ns);
}

static void on_ntp_resolved(void *ctx, const char *name, int n, const struct tock_ip *addrs)
{
    struct nts_source *ns = ctx;
    ns->resolving = false;
    if (n <= 0) {
        ns->have_keys = false;
        ke_failed(ns, "the NTP server it named does not resolve");
        (void)name;
        return;
    }
    ns->ntp.ip = addrs[0];
    for (int i = 0; i < n; i++)
        if (addrs[i].family == ns->ke.ip.family) {
            ns->ntp.ip = addrs[i];
            break;
        }
}

static void install(struct nts_source *ns, const struct ntske_response *resp,
                    const struct nts_keys *keys)
{
    char addr[TOCK_IP_STRLEN];
    ns->keys = *keys;
    ns->jar = resp->cookies;
    ns->cookie_len = resp->cookies.len[0];
    ns->have_keys = true;
    ns->nak = false;
    ns->ke_attempts = 0;
    ns->retry_delay = 0;
    ns->ke_mono = loop_monotonic();
    ns->ke_unix = unix_now(ns->d);
    ns->ntp.port = resp->port ? resp->port : (uint16_t)ns->cs->port;
    ns->ntp.ip = ns->ke.ip;
    ns->ke_installed = true;
    if (resp->server[0] && tock_ip_parse(resp->server, &ns->ntp.ip) != 0) {
        ns->resolving = true;
        if (resolver_lookup(ns->d->resolver, resp->server, ns->cs->family, on_ntp_resolved, ns) <
            0) {
            ns->resolving = false;
            ns->have_keys = false;
            ke_failed(ns, "cannot resolve the NTP server it named");
            return;
        }
    }
    log_info("NTS-KE with %s: %d cookies of %u bytes, AEAD %u, NTP server %s port %u", ns->cs->host,
             ns->jar.n, ns->cookie_len, ns->keys.aead,
             resp->server[0] ? resp->server : tock_ip_format(&ns->ntp.ip, addr, sizeof(addr)),
             ns->ntp.port);
}

static void log_cert_failure(struct nts_source *ns, const char *err)
{
    char now_s[40];
    struct timespec now;
    struct tm tm;
    tockd_now(ns->d, &now);
    if (!gmtime_r(&now.tv_sec, &tm) ||
        !strftime(now_s, sizeof(now_s), "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(now_s, sizeof(now_s), "?");
    char why[NTSKE_TLS_ERRLEN + 200];
    snprintf(why, sizeof(why),
             "%s: the certificate is %s and the local time is %s (if this clock is wrong, "
             "nocerttimecheck lets NTS-KE ignore the dates until it is synchronised)",
             err, ntske_tls_cert_dates(ns->s), now_s);
    ke_failed(ns, why);
}

static void ke_step(struct nts_source *ns)
{
    int st = ntske_tls_step(ns->s, loop_monotonic());
    if (st == NTSKE_TLS_MESSAGE) {
        static struct ntske_response resp; /* 2.3 kB: off the stack */
        struct nts_keys keys;
        int r = ntske_tls_client_result(ns->s, &resp, &keys);
        if (r == NTSKE_RESP_OK) {
            install(ns, &resp, &keys);
        } else {
            char why[160];
            snprintf(why, sizeof(why), "%s",
                     r == NTSKE_TLS_RESP_EXPORT_FAILED ? "key export failed"
                                                       : ntske_response_status_name(r));
            if (r == NTSKE_RESP_SERVER_ERROR)
                snprintf(why, sizeof(why), "the server sent error %d", resp.error_code);
            ke_close(ns);
            ke_failed(ns, why);
            explicit_bzero(&resp, sizeof(resp));
            return;
        }
        explicit_bzero(&resp, sizeof(resp));
        explicit_bzero(&keys, sizeof(keys));
        st = ntske_tls_step(ns->s, loop_monotonic());
    }
    switch (st) {
    case NTSKE_TLS_DONE:
        ke_close(ns);
        return;
    case NTSKE_TLS_FAILED:
        if (ns->ke_installed) { /* only the closing failed: the keys are good */
            ke_close(ns);
            return;
        }
        if (ntske_tls_cert_dates(ns->s)[0]) {
            log_cert_failure(ns, ntske_tls_error(ns->s));
            ke_close(ns);
            return;
        }
        {
            char why[NTSKE_TLS_ERRLEN];
            snprintf(why, sizeof(why), "%s", ntske_tls_error(ns->s));
            ke_close(ns);
            ke_failed(ns, why);
        }
        return;
    case NTSKE_TLS_WANT_WRITE:
        if (ns->events != POLLOUT)
            loop_set_events(ns->d->loop, ns->fd, ns->events = POLLOUT);
        return;
    default:
        if (ns->events != POLLIN)
            loop_set_events(ns->d->loop, ns->fd, ns->events = POLLIN);
        return;
    }
}

static void on_ke_event(void *ctx, int fd, short revents)
{
    (void)fd;
    (void)revents;
    ke_step(ctx);
}

static void on_ke_timer(void *ctx)
{
    struct nts_source *ns = ctx;
    ns->ke_timer = 0;
    if (ns->s)
        ke_step(ns); /* reports the timeout */
}

/* Whether this NTS-KE may ignore certificate dates (nocerttimecheck). */
static bool ignore_cert_time(struct nts_source *ns)
{
    struct nts_client *c = ns->d->nts_client;
    if (c->nocerttime_left <= 0 || ns->d->ref.mode == REFERENCE_SYNCED)
        return false;
    c->nocerttime_left--;
    log_warn("NTS-KE with %s: certificate validity dates NOT checked (nocerttimecheck: the "
             "clock is not synchronised yet; %d such check%s left)",
             ns->cs->host, c->nocerttime_left, c->nocerttime_left == 1 ? "" : "s");
    return true;
}

static void start_ke(struct nts_source *ns)
{
    char addr[TOCK_IP_STRLEN];
    if (!ns->has_ke_addr || ns->s || ns->resolving || !ns->tls)
        return;
    if (loop_monotonic() < ns->next_ke) {
        if (!ns->retry_timer)
            ns->retry_timer =
                loop_add_timer(ns->d->loop, ns->next_ke - loop_monotonic(), on_retry, ns);
        return;
    }
    ns->have_keys = false;
    ns->ke_installed = false;
    ns->jar.n = 0;
    ns->ke_attempts++;
    struct sockaddr_storage ss;
    socklen_t sl = tock_endpoint_to_sockaddr(&ns->ke, &ss);
    ns->fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (ns->fd < 0) {
        ke_failed(ns, strerror(errno));
        return;
    }
    fcntl(ns->fd, F_SETFL, O_NONBLOCK);
    if (connect(ns->fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        char why[96];
        snprintf(why, sizeof(why), "connect: %s", strerror(errno));
        ke_close(ns);
        ke_failed(ns, why);
        return;
    }
    struct timespec now;
    tockd_now(ns->d, &now);
    struct ntske_tls_client_opts o = {
        .server_name = ns->cs->host,
        .connecting = true,
        .ignore_cert_time = ignore_cert_time(ns),
        .verify_time = now.tv_sec,
    };
    uint16_t aeads[4];
    int n_aeads;
    tockd_nts_aeads(ns->d->conf, aeads, &n_aeads);
    o.aeads = aeads;
    o.n_aeads = n_aeads;
    ns->s = ntske_tls_connect(ns->tls, ns->fd, &o, loop_monotonic());
    ns->events = POLLOUT;
    if (!ns->s || loop_add_fd(ns->d->loop, ns->fd, POLLOUT, on_ke_event, ns) < 0) {
        ke_close(ns);
        ke_failed(ns, "cannot start the TLS session");
        return;
    }
    double delay = ntske_tls_deadline(ns->s) - loop_monotonic();
    ns->ke_timer = loop_add_timer(ns->d->loop, delay + 0.01, on_ke_timer, ns);
    log_debug("NTS-KE with %s at %s port %u", ns->cs->host,
              tock_ip_format(&ns->ke.ip, addr, sizeof(addr)), ns->ke.port);
}

/* ---- the source's side ---- */

struct nts_source *nts_source_new(struct tockd *d, const struct conf_source *cs)
{
    if (!d->nts_client)
        return NULL;
    struct nts_source *ns = calloc(1, sizeof(*ns));
    if (!ns) {
        log_err("out of memory");
        return NULL;
    }
    ns->d = d;
    ns->cs = cs;
    ns->fd = -1;
    ns->ke.port = (uint16_t)cs->ntsport;
    ns->tls = certset_client(d->nts_client, cs->certset);
    if (!ns->tls) {
        free(ns);
        return NULL;
    }
    return ns;
}

void nts_source_free(struct nts_source *ns)
{
    if (!ns)
        return;
    save_cookies(ns);
    ke_close(ns);
    loop_cancel_timer(ns->d->loop, ns->retry_timer);
    if (ns->d->resolver)
        resolver_cancel(ns->d->resolver, ns);
    explicit_bzero(ns, sizeof(*ns));
    free(ns);
}

void nts_source_set_address(struct nts_source *ns, const struct tock_ip *ip)
{
    if (ns->has_ke_addr && tock_ip_equal(&ns->ke.ip, ip))
        return;
    /* A new server: nothing of the old association applies. */
    ke_close(ns);
    explicit_bzero(&ns->keys, sizeof(ns->keys));
    ns->have_keys = false;
    ns->jar.n = 0;
    ns->awaiting = false;
    ns->next_ke = 0;
    ns->retry_delay = 0;
    ns->ke.ip = *ip;
    ns->has_ke_addr = true;
    if (!ns->loaded_dump) {
        ns->loaded_dump = true;
        load_cookies(ns);
    }
    if (!ns->have_keys)
        start_ke(ns);
}

int nts_source_prepare(struct nts_source *ns, uint8_t *pkt, size_t cap, size_t *len,
                       struct tock_endpoint *ntp_server)
{
    int refresh = ns->d->conf->ntsrefresh;
    if (ns->have_keys && refresh > 0 && loop_monotonic() - ns->ke_mono > refresh) {
        log_info("source %s: NTS keys older than ntsrefresh (%d s): new NTS-KE", ns->cs->host,
                 refresh);
        ns->have_keys = false;
    }
    if (!ns->have_keys || ns->jar.n == 0 || ns->resolving) {
        if (ns->have_keys && ns->jar.n == 0)
            log_info("source %s: out of NTS cookies: new NTS-KE", ns->cs->host);
        if (!ns->resolving)
            start_ke(ns);
        return -1;
    }
    /* Oldest cookie first (it is the likeliest to expire); each is used once. */
    uint8_t cookie[NTS_COOKIE_MAX_LEN];
    size_t clen = ns->jar.len[0];
    memcpy(cookie, ns->jar.data[0], clen);
    ns->jar.n--;
    memmove(ns->jar.len, ns->jar.len + 1, (size_t)ns->jar.n * sizeof(ns->jar.len[0]));
    memmove(ns->jar.data, ns->jar.data + 1, (size_t)ns->jar.n * sizeof(ns->jar.data[0]));
    int ph = nts_ef_client_placeholders(ns->jar.n, clen);
    int r = nts_ef_client_build(pkt, cap, len, &ns->keys, cookie, clen, ph, tockd_nts_random, NULL,
                                ns->uid);
    explicit_bzero(cookie, sizeof(cookie));
    if (r != 0)
        return -1;
    ns->awaiting = true;
    *ntp_server = ns->ntp;
    return 0;
}

bool nts_source_check_reply(struct nts_source *ns, const uint8_t *pkt,
                            const struct ntp_packet_view *v)
{
    if (!ns->have_keys || !ns->awaiting)
        return false;
    struct nts_cookie_set got;
    int r = nts_ef_client_check(pkt, v, &ns->keys, ns->uid, &got);
    if (r == NTS_EF_CLIENT_OK) {
        ns->awaiting = false;
        for (int i = 0; i < got.n && ns->jar.n < NTS_MAX_COOKIES; i++) {
            ns->jar.len[ns->jar.n] = got.len[i];
            memcpy(ns->jar.data[ns->jar.n], got.data[i], got.len[i]);
            ns->jar.n++;
        }
        explicit_bzero(&got, sizeof(got));
        return true;
    }
    if (r == NTS_EF_CLIENT_NAK) {
        ns->awaiting = false;
        ns->nak = true;
        ns->have_keys = false;
        ns->jar.n = 0;
        log_warn("source %s: NTS NAK (the server cannot open our cookie): new NTS-KE",
                 ns->cs->host);
        start_ke(ns);
        return false;
    }
    log_debug("source %s: reply not authenticated under the S2C key: dropped", ns->cs->host);
    return false;
}

void nts_source_auth_data(const struct nts_source *ns, struct candm_auth_data *out)
{
    out->mode = CANDM_AUTH_NTS;
    out->key_id = 0;
    out->ke_attempts = (uint16_t)(ns->ke_attempts > 0xffff ? 0xffff : ns->ke_attempts);
    out->nak = ns->nak;
    if (ns->have_keys) {
        double ago = loop_monotonic() - ns->ke_mono;
        out->key_type = ns->keys.aead;
        out->key_length = (uint16_t)(ns->keys.key_len * 8);
        out->last_ke_ago = ago < 0 ? 0 : ago > 4e9 ? 0xffffffffu : (uint32_t)ago;
        out->cookies = (uint16_t)ns->jar.n;
        out->cookie_length = ns->cookie_len;
    } else {
        out->last_ke_ago = 0xffffffffu;
    }
}
