/* A command server made of cmd_server_handle() and a backend with fixed, known values, so
 * that the real chronyc (and tockctl) can be pointed at tock's dispatcher. Used by
 * test_tockctl_chronyd.py, which compiles it against the build's libtock.a.
 *
 *   candm_stub_server UDP_PORT UNIX_PATH [SECONDS]
 *
 * Listens on 127.0.0.1:UDP_PORT and on the Unix datagram socket UNIX_PATH, answers until
 * SIGTERM or SECONDS (default 60) have passed, then removes UNIX_PATH. Prints "ready" on
 * stdout when both sockets are open. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor/cmd_server.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static struct candm_ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct candm_ip ip;
    memset(&ip, 0, sizeof(ip));
    ip.ip.family = AF_INET;
    ip.ip.addr[0] = a;
    ip.ip.addr[1] = b;
    ip.ip.addr[2] = c;
    ip.ip.addr[3] = d;
    return ip;
}

/* Values are dyadic fractions where it matters, so they survive chrony's Float exactly. */
static int tracking(void *ctx, struct candm_tracking *t)
{
    (void)ctx;
    t->ref_id = 0xC0000201; /* 192.0.2.1 */
    t->ip = ip4(192, 0, 2, 1);
    t->stratum = 3;
    t->leap_status = 0;
    t->ref_time.tv_sec = 1795685770;
    t->ref_time.tv_nsec = 618257231;
    t->current_correction = -0.000244140625; /* -2^-12: "fast" */
    t->last_offset = 0.0000152587890625;     /* 2^-16 */
    t->rms_offset = 0.00006103515625;        /* 2^-14 */
    t->freq_ppm = -12.5;                     /* "slow" */
    t->resid_freq_ppm = 0.0625;
    t->skew_ppm = 0.25;
    t->root_delay = 0.0078125;        /* 2^-7 */
    t->root_dispersion = 0.001953125; /* 2^-9 */
    t->last_update_interval = 64.0;
    return CANDM_STT_SUCCESS;
}

static int n_sources(void *ctx, uint32_t *n)
{
    (void)ctx;
    *n = 3;
    return CANDM_STT_SUCCESS;
}

static int source_data(void *ctx, uint32_t i, struct candm_source_data *s)
{
    (void)ctx;
    switch (i) {
    case 0: /* the selected NTP server */
        s->ip = ip4(192, 0, 2, 1);
        s->poll = 6;
        s->stratum = 2;
        s->state = CANDM_SD_STATE_SELECTED;
        s->mode = CANDM_SD_MODE_CLIENT;
        s->reachability = 0377;
        s->since_sample = 37;
        s->orig_latest_meas = 0.000123;
        s->latest_meas = 0.0001;
        s->latest_meas_err = 0.0025;
        return CANDM_STT_SUCCESS;
    case 1: /* a refclock: IPv4 field holds the refid "GPS" */
        s->ip = ip4('G', 'P', 'S', 0);
        s->poll = 4;
        s->stratum = 0;
        s->state = CANDM_SD_STATE_UNSELECTED;
        s->mode = CANDM_SD_MODE_REF;
        s->reachability = 0177;
        s->since_sample = 5000;
        s->orig_latest_meas = -2.5e-7;
        s->latest_meas = -2.5e-7;
        s->latest_meas_err = 1e-6;
        return CANDM_STT_SUCCESS;
    case 2: /* a pool entry whose name is not resolved yet */
        s->ip = candm_ip_from_id(1);
        s->poll = 6;
        s->state = CANDM_SD_STATE_NONSELECTABLE;
        s->mode = CANDM_SD_MODE_CLIENT;
        s->since_sample = 0xFFFFFFFF;
        return CANDM_STT_SUCCESS;
    default:
        return CANDM_STT_NOSUCHSOURCE;
    }
}

static int sourcestats(void *ctx, uint32_t i, struct candm_sourcestats *s)
{
    (void)ctx;
    switch (i) {
    case 0:
        s->ref_id = 0xC0000201;
        s->ip = ip4(192, 0, 2, 1);
        s->n_samples = 12;
        s->n_runs = 7;
        s->span_seconds = 700;
        s->sd = 0.00003;
        s->resid_freq_ppm = -0.125;
        s->skew_ppm = 0.5;
        s->est_offset = 0.00001;
        s->est_offset_err = 0.00002;
        return CANDM_STT_SUCCESS;
    case 1:
        s->ref_id = 0x47505300; /* "GPS" */
        s->n_samples = 0;
        s->sd = 4.0;
        s->skew_ppm = 2000.0;
        return CANDM_STT_SUCCESS;
    case 2:
        s->ip = candm_ip_from_id(1);
        s->sd = 4.0;
        s->skew_ppm = 2000.0;
        return CANDM_STT_SUCCESS;
    default:
        return CANDM_STT_NOSUCHSOURCE;
    }
}

static int activity(void *ctx, struct candm_activity *a)
{
    (void)ctx;
    a->online = 2;
    a->offline = 1;
    a->unresolved = 1;
    return CANDM_STT_SUCCESS;
}

static int server_stats(void *ctx, struct candm_server_stats *s)
{
    (void)ctx;
    s->ntp_hits = 122;
    s->ntp_drops = 79;
    s->cmd_hits = 2;
    s->log_drops = 3;
    s->nke_hits = 4;
    s->ntp_auth_hits = 5;
    s->ntp_interleaved_hits = 6;
    s->ntp_timestamps = 7;
    s->ntp_span_seconds = 8;
    s->ntp_daemon_tx_timestamps = 9;
    s->ntp_kernel_rx_timestamps = 10;
    return CANDM_STT_SUCCESS;
}

static int ntp_data(void *ctx, const struct candm_ip *addr, struct candm_ntp_data *n)
{
    (void)ctx;
    struct candm_ip want = ip4(192, 0, 2, 1);
    if (addr->ip.family != AF_INET || memcmp(addr->ip.addr, want.ip.addr, 4) != 0)
        return CANDM_STT_NOSUCHSOURCE;
    n->remote_addr = want;
    n->local_addr = ip4(192, 0, 2, 99);
    n->remote_port = 123;
    n->leap = 0;
    n->version = 4;
    n->mode = 4;
    n->stratum = 2;
    n->poll = 6;
    n->precision = -20;
    n->root_delay = 0.0009765625;
    n->root_dispersion = 0.00048828125;
    n->ref_id = 0x50505300; /* "PPS" */
    n->ref_time.tv_sec = 1795685700;
    n->offset = 0.0001;
    n->peer_delay = 0.0005;
    n->peer_dispersion = 0.00001;
    n->response_time = 0.000025;
    n->jitter_asymmetry = 0.125;
    n->flags = 0x3ff | CANDM_NTP_FLAG_INTERLEAVED;
    n->tx_tss_char = 'K';
    n->rx_tss_char = 'H';
    n->total_tx_count = 100;
    n->total_rx_count = 99;
    n->total_valid_count = 98;
    n->total_good_count = 97;
    n->total_kernel_tx_ts = 96;
    n->total_hw_rx_ts = 95;
    return CANDM_STT_SUCCESS;
}

static int source_name(void *ctx, const struct candm_ip *addr, char out[CANDM_NAME_LEN])
{
    (void)ctx;
    if (addr->is_id && addr->id == 1) {
        strcpy(out, "pool.example.org");
        return CANDM_STT_SUCCESS;
    }
    if (addr->ip.family == AF_INET && addr->ip.addr[0] == 192) {
        strcpy(out, "ntp1.example.org");
        return CANDM_STT_SUCCESS;
    }
    return CANDM_STT_NOSUCHSOURCE;
}

#define N_SLOTS 12

static int clients_n(void *ctx)
{
    (void)ctx;
    return N_SLOTS;
}

/* Slots 0, 3, 4, ..., 11 are used (10 clients: two pages of chronyc's 8), 1 and 2 empty. */
static bool client_by_index(void *ctx, uint32_t i, uint32_t min_hits, bool reset,
                            struct candm_client *c)
{
    (void)ctx;
    (void)reset;
    if (i >= N_SLOTS || i == 1 || i == 2)
        return false;
    uint32_t hits = 10 * (i + 1);
    if (hits < min_hits)
        return false;
    c->ip = ip4(198, 51, 100, (uint8_t)(i + 1));
    c->ntp_hits = hits;
    c->ntp_drops = i;
    c->ntp_interval = (int8_t)(i % 3 == 0 ? 127 : -2);
    c->ntp_timeout_interval = 127;
    c->last_ntp_hit_ago = i * 1000;
    c->cmd_hits = i == 0 ? 5 : 0;
    c->cmd_interval = 127;
    c->last_cmd_hit_ago = i == 0 ? 3 : 0xFFFFFFFF;
    c->nke_hits = i == 3 ? 2 : 0;
    c->nke_interval = 127;
    c->last_nke_hit_ago = i == 3 ? 40000 : 0xFFFFFFFF;
    return true;
}

static int makestep_status = CANDM_STT_SUCCESS;

static int makestep(void *ctx)
{
    (void)ctx;
    return makestep_status;
}

static int ok(void *ctx)
{
    (void)ctx;
    return CANDM_STT_SUCCESS;
}

static int open_udp(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int open_unix(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    chmod(path, 0666);
    return fd;
}

static void serve(int fd, enum cmd_transport t, const struct cmd_backend *be)
{
    uint8_t req[2048], rep[CANDM_MAX_REPLY_LEN];
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof(from);
    ssize_t n = recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fromlen);
    if (n < 0)
        return;
    size_t m = cmd_server_handle(be, t, req, (size_t)n, rep, sizeof(rep));
    if (m > 0)
        sendto(fd, rep, m, 0, (struct sockaddr *)&from, fromlen);
}

int main(int argc, char **argv)
{
    struct cmd_backend be;
    struct sigaction sa;
    int seconds = argc > 3 ? atoi(argv[3]) : 60;

    if (argc < 3) {
        fprintf(stderr, "usage: %s UDP_PORT UNIX_PATH [SECONDS]\n", argv[0]);
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    memset(&be, 0, sizeof(be));
    be.tracking = tracking;
    be.n_sources = n_sources;
    be.source_data = source_data;
    be.sourcestats = sourcestats;
    be.activity = activity;
    be.server_stats = server_stats;
    be.ntp_data = ntp_data;
    be.source_name = source_name;
    be.clients_n_indices = clients_n;
    be.client_by_index = client_by_index;
    be.makestep = makestep;
    be.reload_sources = ok;
    be.cyclelogs = ok;
    be.dump = ok;
    be.rekey = ok;

    int u = open_udp(atoi(argv[1]));
    int x = open_unix(argv[2]);
    if (u < 0 || x < 0) {
        fprintf(stderr, "cannot open sockets: %s\n", strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    time_t end = time(NULL) + (seconds > 0 ? seconds : 60);
    while (!stop && time(NULL) < end) {
        struct pollfd p[2] = {{.fd = u, .events = POLLIN}, {.fd = x, .events = POLLIN}};
        if (poll(p, 2, 200) <= 0)
            continue;
        if (p[0].revents & POLLIN)
            serve(u, CMD_TRANSPORT_UDP, &be);
        if (p[1].revents & POLLIN)
            serve(x, CMD_TRANSPORT_UNIX, &be);
    }
    close(u);
    close(x);
    unlink(argv[2]);
    return 0;
}
