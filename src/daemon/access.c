/* Start-up of the serving policy: access tables, client log and rate limits, keys. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/rand.h"
#include "serve/acl.h"
#include "serve/clientlog.h"

#define KEYFILE_MAX_BYTES (4 * 1024 * 1024)

/* Hostname rules are resolved once at start-up, first address only (as chronyd). */
static int resolve_first(void *ctx, const char *name, struct tock_ip *out)
{
    struct addrinfo hints, *res = NULL;
    (void)ctx;
    if (tock_ip_parse(name, out) == 0)
        return 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0 || !res) {
        log_warn("cannot resolve %s: %s", name, gai_strerror(rc));
        return -1;
    }
    struct tock_endpoint ep;
    int ok = tock_endpoint_from_sockaddr(res->ai_addr, res->ai_addrlen, &ep);
    freeaddrinfo(res);
    if (ok < 0)
        return -1;
    *out = ep.ip;
    return 0;
}

static void log_acl_diags(const struct acl_diags *diags)
{
    for (int i = 0; i < diags->n; i++) {
        const struct acl_diag *g = &diags->items[i];
        int level = g->level == ACL_DIAG_ERROR ? LOG_ERR : LOG_WARNING;
        if (g->loc.file)
            log_msg(level, "%s:%d: %s", g->loc.file, g->loc.line, g->message);
        else
            log_msg(level, "%s", g->message);
    }
    if (diags->n_dropped)
        log_warn("%d more access-control messages not shown", diags->n_dropped);
}

static struct acl *build_acl(const struct conf_acl *rules, enum acl_kind kind)
{
    struct acl_diags diags;
    memset(&diags, 0, sizeof(diags));
    struct acl *acl = acl_build(rules, kind, resolve_first, NULL, &diags);
    log_acl_diags(&diags);
    return acl;
}

/* Reads a whole small file; NULL with errno on failure. */
static char *read_file(const char *path, size_t *len, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, st) < 0 || st->st_size > KEYFILE_MAX_BYTES) {
        if (st->st_size > KEYFILE_MAX_BYTES)
            errno = EFBIG;
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st->st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st->st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st->st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf)
        return NULL;
    buf[got] = '\0';
    *len = got;
    return buf;
}

int tockd_keys_load(struct tockd *d)
{
    const char *path = d->conf->keyfile;
    struct keys_table *keys;
    struct stat st;
    size_t len = 0;

    if (!path) {
        keys = keys_parse("(none)", "", 0, NULL);
    } else {
        char *text = read_file(path, &len, &st);
        if (!text) {
            log_err("cannot read keyfile %s: %s", path, strerror(errno));
            return -1;
        }
        /* chronyd's rule (4.4+): read or write permission for others; execute alone is
         * harmless. */
        if (st.st_mode & 0006)
            log_warn("keyfile %s is %s by others (mode %04o): run chmod 640 %s "
                     "(and chgrp it to the daemon's group)",
                     path, st.st_mode & 0004 ? "readable" : "writable",
                     (unsigned)(st.st_mode & 07777), path);
        struct keys_diags diags;
        keys = keys_parse(path, text, len, &diags);
        explicit_bzero(text, len);
        free(text);
        for (int i = 0; i < diags.n; i++)
            log_warn("%s:%d: %s", path, diags.items[i].loc.line, diags.items[i].message);
        if (keys)
            log_info("loaded %zu key%s from %s", keys_count(keys), keys_count(keys) == 1 ? "" : "s",
                     path);
    }
    if (!keys) {
        log_err("out of memory loading keys");
        return -1;
    }
    keys_free(d->keys);
    d->keys = keys;
    return 0;
}

int tockd_access_init(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    struct clientlog_params params;
    const char *error = NULL;

    d->ntp_acl = build_acl(&conf->ntp_acl, ACL_NTP);
    if (!d->ntp_acl)
        return -1;
    d->cmd_acl = build_acl(&conf->cmd_acl, ACL_CMD);
    if (!d->cmd_acl)
        return -1;
    clientlog_params_from_config(conf, &params);
    d->clientlog = clientlog_create(&params, &d->stats, rand_u32_cb, NULL, &error);
    if (!d->clientlog) {
        log_err("client log: %s", error ? error : "out of memory");
        return -1;
    }
    return tockd_keys_load(d);
}

void tockd_access_free(struct tockd *d)
{
    acl_free(d->ntp_acl);
    acl_free(d->cmd_acl);
    clientlog_free(d->clientlog);
    keys_free(d->keys);
    d->ntp_acl = d->cmd_acl = NULL;
    d->clientlog = NULL;
    d->keys = NULL;
}
