/* tockctl: a chronyc-compatible command-line client for tockd (and chronyd).
 *
 * Options and command handling follow chronyc 4.x; the reports are in ctl_report.c, the
 * commands in ctl_cmd.c and the socket layer in ctl_client.c. This file only wires the
 * real world (stdout, the clock, getrandom, sleeping) into struct ctl_env. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "ctl/ctl_buf.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_firewall.h"
#include "ctl/ctl_cmd.h"

#ifndef TOCK_VERSION
#define TOCK_VERSION "0.0.0"
#endif

struct app {
    struct ctl_client *client;
    volatile int *quit;
    bool end_dot;
};

static int app_transact(void *ctx, struct candm_request *req, struct candm_reply *rep)
{
    struct app *a = ctx;
    return ctl_client_transact(a->client, req, rep);
}

static bool app_reverse(void *ctx, const struct candm_ip *ip, char *buf, size_t len)
{
    struct app *a = ctx;
    return ctl_client_reverse(a->client, ip, buf, len);
}

static int app_resolve(void *ctx, const char *name, struct candm_ip *out)
{
    struct app *a = ctx;
    return ctl_client_resolve(a->client, name, out);
}

static int app_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static struct timespec app_now(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

static bool app_sleep(void *ctx, double seconds)
{
    struct app *a = ctx;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (*a->quit)
            return false;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = seconds - ((double)(now.tv_sec - start.tv_sec) +
                                 (double)(now.tv_nsec - start.tv_nsec) * 1e-9);
        if (left <= 0)
            return true;
        poll(NULL, 0, (int)(left * 1000.0) + 1);
    }
}

/* The notAfter of the first certificate of a PEM file (check's NTS certificate expiry). */
static int app_cert_not_after(void *ctx, const char *path, time_t *not_after, char *err,
                              size_t err_len)
{
    (void)ctx;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s", strerror(errno));
        return -1;
    }
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    struct tm tm;
    int rc = -1;
    if (!cert)
        snprintf(err, err_len, "not a PEM certificate");
    else if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
        snprintf(err, err_len, "bad notAfter time");
    else {
        *not_after = timegm(&tm);
        rc = 0;
    }
    X509_free(cert);
    return rc;
}

static void write_out(struct ctl_buf *out, struct ctl_buf *err)
{
    if (err->len) {
        fwrite(err->data, 1, err->len, stderr);
        ctl_buf_clear(err);
    }
    if (out->len) {
        fwrite(out->data, 1, out->len, stdout);
        ctl_buf_clear(out);
    }
    fflush(stderr);
    fflush(stdout);
}

static void app_flush(void *ctx, struct ctl_buf *out, struct ctl_buf *err)
{
    (void)ctx;
    write_out(out, err);
}

static void usage(const char *prog, FILE *f)
{
    fprintf(f,
            "Usage: %s [OPTION]... [COMMAND]...\n\n"
            "Options:\n"
            "  -4\t\tUse IPv4 addresses only\n"
            "  -6\t\tUse IPv6 addresses only\n"
            "  -n\t\tDon't resolve hostnames\n"
            "  -N\t\tPrint original source names\n"
            "  -c\t\tEnable CSV format\n"
            "  -j\t\tEnable JSON format (one object per report)\n"
            "  -e\t\tEnd responses with dot\n"
            "  -m\t\tAccept multiple commands\n"
            "  -f FILE\ttockd's configuration (check: NTS certificate expiry)\n"
            "  -h HOST\tSpecify server (%s)\n"
            "  -p PORT\tSpecify UDP port (%d)\n"
            "  -v, --version\tPrint version and exit\n"
            "      --help\tPrint usage and exit\n",
            prog, CTL_DEFAULT_HOSTS, CANDM_DEFAULT_PORT);
}

static int run_one(struct app *a, const struct ctl_env *env, const struct ctl_opts *opts,
                   const char *line, struct ctl_buf *out, struct ctl_buf *err)
{
    int rc = ctl_run_line(env, opts, line, out, err);
    if (a->end_dot)
        ctl_buf_puts(out, ".\n");
    write_out(out, err);
    if (ferror(stdout)) {
        fprintf(stderr, "Could not write to stdout\n");
        return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct ctl_client_config cfg = {.port = CANDM_DEFAULT_PORT,
                                    .family = AF_UNSPEC,
                                    .initial_timeout_ms = 1000,
                                    .max_retries = 2};
    struct ctl_opts opts = {0};
    struct app a = {0};
    struct ctl_env env;
    struct ctl_buf out, err;
    bool multi = false;
    int opt, rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(argv[0], stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("tockctl (tock) version %s\n", TOCK_VERSION);
            return 0;
        }
    }

    while ((opt = getopt(argc, argv, "+46acdef:h:jmnNp:v")) != -1) {
        switch (opt) {
        case '4':
            cfg.family = AF_INET;
            break;
        case '6':
            cfg.family = AF_INET6;
            break;
        case 'a': /* accepted for compatibility, as by chronyc */
        case 'd':
            break;
        case 'f': /* chronyc ignores its -f FILE; check reads NTS certificates from it */
            opts.config_path = optarg;
            break;
        case 'c':
            opts.csv = true;
            break;
        case 'e':
            a.end_dot = true;
            break;
        case 'h':
            cfg.hosts = optarg;
            break;
        case 'j':
            opts.json = true;
            break;
        case 'm':
            multi = true;
            break;
        case 'n':
            opts.no_dns = true;
            break;
        case 'N':
            opts.source_names = true;
            break;
        case 'p': {
            char *end;
            long port = strtol(optarg, &end, 10);
            if (end == optarg || *end || port < 1 || port > 65535) {
                fprintf(stderr, "Invalid port %s\n", optarg);
                return 1;
            }
            cfg.port = (uint16_t)port;
            break;
        }
        case 'v':
            printf("tockctl (tock) version %s\n", TOCK_VERSION);
            return 0;
        default:
            usage(argv[0], stderr);
            return 1;
        }
    }

    a.quit = ctl_client_install_signals();
    /* Local commands that take their own options (no daemon involved). */
    if (optind < argc && strcmp(argv[optind], "firewall") == 0)
        return ctl_firewall_main(argc - optind, argv + optind);
    a.client = ctl_client_new(&cfg);
    if (!a.client) {
        fprintf(stderr, "Out of memory\n");
        return 1;
    }
    memset(&env, 0, sizeof(env));
    env.ctx = &a;
    env.transact = app_transact;
    env.reverse = app_reverse;
    env.resolve = app_resolve;
    env.random = app_random;
    env.now = app_now;
    env.sleep = app_sleep;
    env.flush = app_flush;
    env.cert_not_after = app_cert_not_after;
    ctl_buf_init(&out);
    ctl_buf_init(&err);

    if (optind < argc) {
        char line[2048];
        size_t len = 0;
        line[0] = '\0';
        for (int i = optind; i < argc; i++) {
            int n = snprintf(line + len, sizeof(line) - len, "%s ", argv[i]);
            if (n < 0 || (size_t)n >= sizeof(line) - len) {
                fprintf(stderr, "Command too long\n");
                rc = 1;
                break;
            }
            len += (size_t)n;
            if (!multi && i + 1 < argc)
                continue;
            rc = run_one(&a, &env, &opts, line, &out, &err);
            len = 0;
            line[0] = '\0';
            if (rc != 0 || *a.quit)
                break;
        }
    } else {
        /* Interactive: one command per line from stdin. */
        bool tty = isatty(0) && isatty(1);
        char line[2048];
        for (;;) {
            if (tty) {
                fputs("tockctl> ", stdout);
                fflush(stdout);
            }
            if (!fgets(line, sizeof(line), stdin) || *a.quit) {
                if (tty)
                    putchar('\n');
                break;
            }
            char *w = line + strspn(line, " \t");
            if (strncmp(w, "quit", 4) == 0 || strncmp(w, "exit", 4) == 0)
                break;
            rc = run_one(&a, &env, &opts, line, &out, &err);
        }
    }

    ctl_client_free(a.client);
    ctl_buf_free(&out);
    ctl_buf_free(&err);
    return rc;
}
