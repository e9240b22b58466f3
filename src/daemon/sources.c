/* Sources from the configuration (`server`, `pool`): names, addresses, one connected UDP
 * socket per request (RFC 9109: a fresh random source port each time), kernel TX and RX
 * timestamps, MACs, and the replies handed to the sync engine. Pools resolve to up to
 * `maxsources` addresses; a member the engine reports as unreachable or a falseticker gets
 * a new address; names are re-resolved periodically. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/mac.h"
#include "daemon/clock.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/nts_client.h"
#include "daemon/rand.h"
#include "daemon/resolver.h"
#include "daemon/udp.h"
#include "proto/ntp_packet.h"
#include "sync/discipline.h"
#include "sync/engine.h"
#include "sync/sync_conf.h"

#define MAX_SLOTS       SYNC_MAX_SOURCES
#define RETRY_MIN       8.0 /* unresolved names: retry after 8 s, doubling */
#define RETRY_MAX       1024.0
#define MAX_REQUEST_LEN NTP_MAX_PACKET_LEN /* NTS: cookie, placeholders, authenticator */

struct sources;

struct slot {
    struct sources *owner;
    bool used;
    const struct conf_source *cs;
    int engine_idx;
    bool numeric; /* a literal address: never resolved, never replaced */
    bool has_addr;
    bool disabled; /* cannot be polled (unknown key, NTS not active yet) */
    struct tock_endpoint remote;
    int fd;                     /* socket of the current request, -1 */
    struct tock_endpoint local; /* local end of the last request's socket */
    bool rx_kernel;             /* the last reply had a kernel RX timestamp */
    bool awaiting;              /* a request is out and its reply not processed yet */
    struct timespec tx_cooked;
    bool tx_kernel;
    uint32_t kernel_tx_count, kernel_rx_count; /* since the current address */
    uint32_t local_refid;
    int version;
    bool resolving;
    bool replacing; /* the engine asked for another address */
    double retry_delay;
    uint32_t retry_timer;
    struct nts_source *nts; /* NTS sources: NTS-KE, cookies (nts_client.c) */
};

struct sources {
    struct tockd *d;
    struct slot slots[MAX_SLOTS];
    int n; /* slots[0..n) have been used; reload sources may leave free ones among them */
    struct udp_batch *batch;
    uint32_t refresh_timer;
    struct tock_config *reloaded; /* the sourcedir files as last reloaded (owns their cs) */
};

static void resolve_slot(struct sources *s, struct slot *sl);

static struct slot *slot_of_engine(struct sources *s, int idx)
{
    for (int i = 0; i < s->n; i++)
        if (s->slots[i].used && s->slots[i].engine_idx == idx)
            return &s->slots[i];
    return NULL;
}

static bool address_in_use(const struct sources *s, const struct tock_ip *ip, uint16_t port)
{
    for (int i = 0; i < s->n; i++) {
        const struct slot *sl = &s->slots[i];
        if (sl->used && sl->has_addr && sl->remote.port == port &&
            tock_ip_equal(&sl->remote.ip, ip))
            return true;
    }
    return false;
}

static void close_request(struct sources *s, struct slot *sl)
{
    if (sl->fd >= 0) {
        loop_remove_fd(s->d->loop, sl->fd);
        close(sl->fd);
        sl->fd = -1;
    }
    sl->awaiting = false;
}

static void set_address(struct sources *s, struct slot *sl, const struct tock_ip *ip)
{
    struct timespec raw;
    char buf[TOCK_IP_STRLEN];
    close_request(s, sl);
    sl->remote.ip = *ip;
    sl->has_addr = true;
    sl->kernel_tx_count = sl->kernel_rx_count = 0;
    s->d->clock->raw_now(s->d->clock, &raw);
    sync_set_source_address(s->d->engine, sl->engine_idx, ip, &raw);
    if (sl->nts)
        nts_source_set_address(sl->nts, ip);
    log_info("source %s%s%s: %s port %u", sl->cs->host,
             sl->cs->kind == CONF_SOURCE_POOL ? " (pool)" : "", sl->numeric ? "" : " resolved",
             tock_ip_format(ip, buf, sizeof(buf)), sl->remote.port);
}

static void on_retry(void *ctx);

static void schedule_retry(struct sources *s, struct slot *sl)
{
    sl->retry_delay = sl->retry_delay <= 0 ? RETRY_MIN : sl->retry_delay * 2;
    if (sl->retry_delay > RETRY_MAX)
        sl->retry_delay = RETRY_MAX;
    loop_cancel_timer(s->d->loop, sl->retry_timer);
    sl->retry_timer = loop_add_timer(s->d->loop, sl->retry_delay, on_retry, sl);
}

/* A lookup finished: give the slot (and other unresolved members of the same pool) an
 * address not used by any other source. */
static void on_resolved(void *ctx, const char *name, int n, const struct tock_ip *addrs)
{
    struct slot *sl = ctx;
    struct sources *s = sl->owner;
    struct tockd *d = s->d;
    (void)name;
    sl->resolving = false;
    /* A periodic refresh keeps an address the name still resolves to. */
    if (sl->has_addr && !sl->replacing) {
        for (int a = 0; a < n; a++)
            if (tock_ip_equal(&sl->remote.ip, &addrs[a]))
                return;
    }
    sl->replacing = false;
    for (int i = 0; i < s->n; i++) {
        struct slot *t = &s->slots[i];
        bool candidate = t == sl || (t->used && t->cs == sl->cs && !t->has_addr && !t->resolving);
        if (!candidate || (t != sl && t->cs->kind != CONF_SOURCE_POOL))
            continue;
        for (int a = 0; a < n; a++) {
            if (t->has_addr && tock_ip_equal(&t->remote.ip, &addrs[a]))
                continue; /* replacing: a different address */
            if (address_in_use(s, &addrs[a], t->remote.port))
                continue;
            set_address(s, t, &addrs[a]);
            loop_cancel_timer(d->loop, t->retry_timer);
            t->retry_timer = 0;
            t->retry_delay = 0;
            break;
        }
    }
    if (n == 0)
        log_warn("source %s: name not resolved; retrying", sl->cs->host);
    if (!sl->has_addr)
        schedule_retry(s, sl);
    tockd_sync_poke(d);
}

static void resolve_slot(struct sources *s, struct slot *sl)
{
    if (sl->numeric || sl->resolving)
        return;
    sl->resolving = true;
    if (resolver_lookup(s->d->resolver, sl->cs->host, sl->cs->family, on_resolved, sl) < 0) {
        sl->resolving = false;
        schedule_retry(s, sl);
    }
}

static void on_retry(void *ctx)
{
    struct slot *sl = ctx;
    struct sources *s = sl->owner;
    sl->retry_timer = 0;
    resolve_slot(s, sl);
}

static void on_refresh(void *ctx)
{
    struct sources *s = ctx;
    /* `refresh` (default 2 weeks): names are looked up again; a source keeps its address
     * while the name still resolves to it. */
    s->refresh_timer = loop_add_timer(s->d->loop, s->d->conf->refresh, on_refresh, s);
    tockd_sources_refresh(s->d);
}

/* ---- replies ---- */

static void process_reply(struct sources *s, struct slot *sl, struct udp_msg *m)
{
    struct tockd *d = s->d;
    struct ntp_packet_view view;
    struct timespec rx, raw;

    if (m->truncated || ntp_packet_parse(m->buf, m->len, &view) != NTP_OK)
        return;
    bool authenticated = false;
    if (sl->cs->key)
        authenticated = mac_reply_valid(d->keys, sl->cs->key, m->buf, &view);
    if (sl->nts) {
        /* Only replies authenticated under the S2C key reach the engine; a NAK makes the
         * source run NTS-KE again. */
        if (!nts_source_check_reply(sl->nts, m->buf, &view))
            return;
        authenticated = true;
    }
    if (m->has_rx_ts)
        tockd_cook_kernel(d, &m->rx_ts, &rx);
    else
        tockd_now(d, &rx);
    sl->rx_kernel = m->has_rx_ts;
    d->clock->raw_now(d->clock, &raw);
    if (sync_process_reply(d->engine, sl->engine_idx, &view, &rx, &sl->tx_cooked, authenticated,
                           sl->local_refid, d->server != NULL, &raw) != NTPSRC_RX_IGNORED) {
        /* ntpdata's "Total kernel TX/RX": valid replies timed by the kernel */
        sl->kernel_tx_count += sl->tx_kernel;
        sl->kernel_rx_count += m->has_rx_ts;
    }
    sl->awaiting = false;
}

static void on_source_socket(void *ctx, int fd, short revents)
{
    struct slot *sl = ctx;
    struct sources *s = sl->owner;
    struct timespec ts;

    /* The TX timestamp first: it may be queued in the same wake-up as the reply. */
    if (revents & (POLLPRI | POLLERR)) {
        /* One read per wake-up: with nothing queued, a simulator returns an ordinary
         * packet where the kernel says EAGAIN (doc/simulation.md rule 8). */
        int got = udp_recv_tx_timestamp(fd, &ts);
        if (got == 1 && sl->awaiting) {
            tockd_cook_kernel(s->d, &ts, &sl->tx_cooked);
            sl->tx_kernel = true;
        } else if (got != 1 && (revents & POLLERR)) {
            /* Not a timestamp: a pending socket error (ICMP port unreachable on this
             * connected socket). Reading it clears POLLERR, which would otherwise be
             * reported forever; the source simply misses this reply. */
            int soerr = 0;
            socklen_t len = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
            if (soerr)
                log_debug("source %s: %s", sl->cs->host, strerror(soerr));
            close_request(s, sl);
            return;
        }
    }
    if (revents & POLLIN) {
        int n = udp_recv_batch(fd, s->batch, 4);
        for (int i = 0; i < n; i++)
            process_reply(s, sl, &s->batch->msgs[i]);
        tockd_sources_check_replacements(s->d);
        tockd_sync_poke(s->d);
    }
}

/* ---- requests ---- */

static void transmit(struct sources *s, struct slot *sl, int idx, const struct timespec *raw)
{
    struct tockd *d = s->d;
    uint8_t buf[MAX_REQUEST_LEN];
    uint8_t rnd[8];

    rand_bytes(rnd, sizeof(rnd));
    int n = sync_transmit(d->engine, idx, raw, rnd, buf);
    if (n <= 0 || sl->disabled || !sl->has_addr)
        return;
    size_t len = (size_t)n;
    if (sl->version && sl->version != 4)
        buf[0] = (uint8_t)((buf[0] & 0xc7) | (sl->version << 3));
    struct tock_endpoint to = sl->remote;
    if (sl->cs->key) {
        len =
            mac_append(d->keys, sl->cs->key, sl->version ? sl->version : 4, buf, len, sizeof(buf));
        if (len == 0)
            return;
    } else if (sl->nts && nts_source_prepare(sl->nts, buf, sizeof(buf), &len, &to) != 0) {
        return; /* no cookie yet: NTS-KE under way */
    }
    close_request(s, sl);
    sl->fd = udp_open_client(&to);
    if (sl->fd < 0) {
        log_debug("source %s: socket: %s", sl->cs->host, strerror(errno));
        return;
    }
    struct sockaddr_storage local;
    socklen_t local_len = sizeof(local);
    struct tock_endpoint lep;
    sl->local_refid = 0;
    if (getsockname(sl->fd, (struct sockaddr *)&local, &local_len) == 0 &&
        tock_endpoint_from_sockaddr((struct sockaddr *)&local, local_len, &lep) == 0) {
        sl->local_refid = disc_refid_from_ip(&lep.ip);
        sl->local = lep;
    }
    if (loop_add_fd(d->loop, sl->fd, POLLIN | POLLPRI, on_source_socket, sl) < 0) {
        close(sl->fd);
        sl->fd = -1;
        return;
    }
    /* Daemon TX timestamp, taken right before the send; replaced by the kernel's when it
     * arrives on the error queue. */
    tockd_now(d, &sl->tx_cooked);
    sl->tx_kernel = false;
    if (send(sl->fd, buf, len, 0) < 0) {
        log_debug("source %s: send: %s", sl->cs->host, strerror(errno));
        return;
    }
    sl->awaiting = true;
}

void tockd_sources_transmit_due(struct tockd *d)
{
    struct sources *s = d->sources;
    struct timespec raw;
    int last = -1;
    d->clock->raw_now(d->clock, &raw);
    /* Bounded: every source at most once per call. */
    for (int guard = 0; guard < MAX_SLOTS; guard++) {
        int idx = sync_due_source(d->engine, &raw);
        if (idx < 0 || idx == last)
            break;
        last = idx;
        struct slot *sl = slot_of_engine(s, idx);
        if (sl)
            transmit(s, sl, idx, &raw);
        else {
            uint8_t rnd[8] = {0}, buf[NTP_HEADER_LEN];
            sync_transmit(d->engine, idx, &raw, rnd, buf); /* advance its schedule */
        }
    }
}

void tockd_sources_check_replacements(struct tockd *d)
{
    struct sources *s = d->sources;
    struct timespec raw;
    if (!s)
        return;
    d->clock->raw_now(d->clock, &raw);
    for (int i = 0; i < s->n; i++) {
        struct slot *sl = &s->slots[i];
        if (!sl->used || sl->numeric || !sl->has_addr)
            continue;
        if (sync_source_wants_replacement(d->engine, sl->engine_idx, &raw)) {
            char buf[TOCK_IP_STRLEN];
            log_info("source %s (%s) is unreachable or a falseticker: looking for another "
                     "address",
                     sl->cs->host, tock_ip_format(&sl->remote.ip, buf, sizeof(buf)));
            sl->replacing = true;
            resolve_slot(s, sl);
        }
    }
}

/* ---- start and stop ---- */

static int add_slot(struct sources *s, const struct conf_source *cs, const struct tock_ip *ip)
{
    struct tockd *d = s->d;
    struct ntpsrc_params np;
    unsigned sel;
    struct timespec raw;
    int free_slot = s->n;
    for (int i = 0; i < s->n; i++)
        if (!s->slots[i].used) {
            free_slot = i;
            break;
        }
    if (free_slot >= MAX_SLOTS) {
        log_warn("%s:%d: too many sources (at most %d); %s ignored", cs->loc.file, cs->loc.line,
                 MAX_SLOTS, cs->host);
        return -1;
    }
    sync_source_params_from_conf(cs, &np, &sel);
    struct slot *sl = &s->slots[free_slot];
    memset(sl, 0, sizeof(*sl));
    sl->owner = s;
    sl->cs = cs;
    sl->fd = -1;
    sl->remote.port = (uint16_t)cs->port;
    sl->version = cs->version;
    if (cs->key) {
        if (!mac_field_len(d->keys, cs->key, 4)) {
            log_err("%s:%d: source %s uses key %u, which is not in the keyfile: it will not "
                    "be polled",
                    cs->loc.file, cs->loc.line, cs->host, cs->key);
            sl->disabled = true;
        } else if (!cs->version) {
            sl->version = mac_client_version(d->keys, cs->key);
        }
        np.auth = true;
    }
    if (cs->nts) {
        sl->nts = nts_source_new(d, cs);
        if (!sl->nts) {
            log_err("%s:%d: source %s: NTS cannot be used (see above); the source is not "
                    "polled rather than used without authentication",
                    cs->loc.file, cs->loc.line, cs->host);
            sl->disabled = true;
        }
        np.auth = true;
    }
    if (sl->disabled)
        np.offline = true;
    d->clock->raw_now(d->clock, &raw);
    sl->engine_idx = sync_add_source(d->engine, &np, sel, NULL, &raw);
    if (sl->engine_idx < 0)
        return -1;
    sl->used = true;
    if (free_slot == s->n)
        s->n++;
    if (ip) {
        sl->numeric = true;
        set_address(s, sl, ip);
    }
    return 0;
}

/* The sources' state, created on first need (the configuration may have no source and a
 * later `reload sources` add some). */
static struct sources *ensure_sources(struct tockd *d)
{
    if (d->sources)
        return d->sources;
    struct sources *s = calloc(1, sizeof(*s));
    if (!s || !(s->batch = calloc(1, sizeof(*s->batch)))) {
        free(s);
        log_err("out of memory");
        return NULL;
    }
    s->d = d;
    d->sources = s;
    /* main() forks the resolver helper before the privilege drop; -d resolves here. */
    if (!d->resolver)
        d->resolver = resolver_new(d->loop, !d->foreground_single_process, NULL, NULL);
    if (!d->resolver)
        return NULL;
    if (d->conf->refresh > 0)
        s->refresh_timer = loop_add_timer(d->loop, d->conf->refresh, on_refresh, s);
    return s;
}

/* Slots for one server or pool line (pools: maxsources members), resolution started. */
static void add_source(struct sources *s, const struct conf_source *cs)
{
    struct tock_ip ip;
    bool numeric = tock_ip_parse(cs->host, &ip) == 0;
    if (numeric && cs->family && ((cs->family == 4) != (ip.family == AF_INET))) {
        log_warn("%s:%d: %s does not match the source's ipv%d option; ignored", cs->loc.file,
                 cs->loc.line, cs->host, cs->family);
        return;
    }
    int members = cs->kind == CONF_SOURCE_POOL ? cs->maxsources : 1;
    for (int m = 0; m < members; m++)
        if (add_slot(s, cs, numeric ? &ip : NULL) < 0)
            break;
    for (int i = 0; i < s->n; i++)
        if (s->slots[i].used && s->slots[i].cs == cs)
            resolve_slot(s, &s->slots[i]);
}

int tockd_sources_start(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    if (conf->n_sources == 0)
        return 0;
    struct sources *s = ensure_sources(d);
    if (!s)
        return -1;
    for (int i = 0; i < conf->n_sources; i++)
        add_source(s, &conf->sources[i]);
    tockd_sync_poke(d);
    return 0;
}

/* ---- reload sources ---- */

/* Two lines mean the same source when everything but where they were written is equal
 * (chronyd compares the whole source specification too). Fields added to struct
 * conf_source must be added here. */
static bool same_source(const struct conf_source *a, const struct conf_source *b)
{
    return a->kind == b->kind && strcmp(a->host, b->host) == 0 && a->port == b->port &&
           a->minpoll == b->minpoll && a->maxpoll == b->maxpoll && a->iburst == b->iburst &&
           a->burst == b->burst && a->key == b->key && a->nts == b->nts &&
           a->ntsport == b->ntsport && a->certset == b->certset && a->prefer == b->prefer &&
           a->noselect == b->noselect && a->trust == b->trust && a->require == b->require &&
           a->maxdelay == b->maxdelay && a->maxdelayratio == b->maxdelayratio &&
           a->maxdelaydevratio == b->maxdelaydevratio && a->maxdelayquant == b->maxdelayquant &&
           a->mindelay == b->mindelay && a->asymmetry == b->asymmetry &&
           a->has_asymmetry == b->has_asymmetry && a->offset == b->offset &&
           a->minsamples == b->minsamples && a->maxsamples == b->maxsamples &&
           a->maxunreach == b->maxunreach && a->filter == b->filter && a->offline == b->offline &&
           a->auto_offline == b->auto_offline && a->xleave == b->xleave && a->copy == b->copy &&
           a->polltarget == b->polltarget && a->presend == b->presend &&
           a->minstratum == b->minstratum && a->version == b->version &&
           a->extfields == b->extfields && a->family == b->family && a->maxsources == b->maxsources;
}

static void remove_slot(struct sources *s, struct slot *sl)
{
    struct tockd *d = s->d;
    close_request(s, sl);
    loop_cancel_timer(d->loop, sl->retry_timer);
    if (d->resolver)
        resolver_cancel(d->resolver, sl);
    sync_remove_source(d->engine, sl->engine_idx);
    memset(sl, 0, sizeof(*sl));
    sl->fd = -1;
}

int tockd_sources_reload(struct tockd *d)
{
    struct conf_diags diags = {0};
    struct tock_config *fresh = calloc(1, sizeof(*fresh));
    if (!fresh) {
        log_err("out of memory");
        return -1;
    }
    int rc = conf_load_sourcedirs(d->conf, fresh, &diags);
    for (int i = 0; i < diags.n; i++) {
        char line[1024];
        log_warn("reload sources: %s", conf_diag_format(&diags.items[i], line, sizeof(line)));
    }
    conf_diags_free(&diags);
    if (rc < 0) {
        conf_free(fresh);
        free(fresh);
        return -1;
    }
    int added = 0, removed = 0;
    struct sources *s = d->sources;
    const struct conf_source *last_removed = NULL;
    /* Sources from the files that are gone or changed go; the others now belong to the
     * fresh configuration. (A pool's members share one line: counted once.) */
    for (int i = 0; s && i < s->n; i++) {
        struct slot *sl = &s->slots[i];
        if (!sl->used || !sl->cs->from_sourcedir)
            continue;
        const struct conf_source *match = NULL;
        for (int k = 0; k < fresh->n_sources && !match; k++)
            if (same_source(sl->cs, &fresh->sources[k]))
                match = &fresh->sources[k];
        if (match) {
            sl->cs = match;
            continue;
        }
        if (sl->cs != last_removed) {
            log_info("reload sources: %s removed", sl->cs->host);
            removed++;
            last_removed = sl->cs;
        }
        remove_slot(s, sl);
    }
    /* Lines not there before are added. */
    for (int k = 0; k < fresh->n_sources; k++) {
        const struct conf_source *cs = &fresh->sources[k];
        bool present = false;
        for (int i = 0; s && i < s->n && !present; i++)
            present = s->slots[i].used && s->slots[i].cs == cs;
        if (present)
            continue;
        if (!s && !(s = ensure_sources(d)))
            break;
        log_info("reload sources: %s added", cs->host);
        add_source(s, cs);
        added++;
    }
    if (s) {
        if (s->reloaded) {
            conf_free(s->reloaded);
            free(s->reloaded);
        }
        s->reloaded = fresh;
    } else {
        conf_free(fresh);
        free(fresh);
    }
    log_info("sources reloaded: %d added, %d removed", added, removed);
    tockd_sync_poke(d);
    return 0;
}

void tockd_sources_stop(struct tockd *d)
{
    struct sources *s = d->sources;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        close_request(s, &s->slots[i]);
        nts_source_free(s->slots[i].nts);
        s->slots[i].nts = NULL;
        loop_cancel_timer(d->loop, s->slots[i].retry_timer);
        if (d->resolver)
            resolver_cancel(d->resolver, &s->slots[i]);
    }
    loop_cancel_timer(d->loop, s->refresh_timer);
    resolver_free(d->resolver);
    d->resolver = NULL;
    if (s->reloaded) {
        conf_free(s->reloaded);
        free(s->reloaded);
    }
    free(s->batch);
    free(s);
    d->sources = NULL;
}

/* ---- reports ---- */

/* Reports number the sources in use 0..count-1, skipping slots freed by a reload. */
static const struct slot *nth_used(const struct sources *s, int i)
{
    for (int k = 0; s && k < s->n; k++)
        if (s->slots[k].used && i-- == 0)
            return &s->slots[k];
    return NULL;
}

int tockd_sources_count(const struct tockd *d)
{
    int n = 0;
    for (int k = 0; d->sources && k < d->sources->n; k++)
        n += d->sources->slots[k].used;
    return n;
}

bool tockd_source_info(const struct tockd *d, int i, struct source_info *out)
{
    memset(out, 0, sizeof(*out));
    const struct slot *sl = i >= 0 ? nth_used(d->sources, i) : NULL;
    if (!sl)
        return false;
    out->engine_idx = sl->engine_idx;
    out->cs = sl->cs;
    out->has_addr = sl->has_addr;
    out->remote = sl->remote;
    out->local = sl->local;
    out->disabled = sl->disabled;
    out->tx_kernel = sl->tx_kernel;
    out->rx_kernel = sl->rx_kernel;
    out->nts = sl->nts;
    out->kernel_tx_count = sl->kernel_tx_count;
    out->kernel_rx_count = sl->kernel_rx_count;
    return true;
}

int tockd_source_find(const struct tockd *d, const struct tock_ip *ip)
{
    const struct sources *s = d->sources;
    struct tock_ip want = tock_ip_unmap(ip);
    int index = 0;
    for (int i = 0; s && i < s->n; i++) {
        if (!s->slots[i].used)
            continue;
        if (s->slots[i].has_addr && tock_ip_equal(&s->slots[i].remote.ip, &want))
            return index;
        index++;
    }
    return -1;
}

void tockd_sources_refresh(struct tockd *d)
{
    struct sources *s = d->sources;
    for (int i = 0; s && i < s->n; i++)
        if (s->slots[i].used && !s->slots[i].numeric)
            resolve_slot(s, &s->slots[i]);
}
