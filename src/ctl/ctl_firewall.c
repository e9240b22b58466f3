/* tockctl firewall: prints firewall rules (nftables, ufw or firewalld) that open the NTP
 * port (and the NTS-KE port when an NTS server is configured) to exactly the subnets the
 * configuration's allow/deny rules serve. Local: reads the configuration file, talks to no
 * daemon. The rules come from src/ops/firewall.c. */
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "ctl/ctl_firewall.h"
#include "ops/firewall.h"

#ifndef TOCK_SYSCONFDIR
#define TOCK_SYSCONFDIR "/etc"
#endif

/* Hostname rules: the first address, as tockd itself resolves them at start-up. */
static int resolve_first(void *ctx, const char *host, struct tock_ip *out)
{
    struct addrinfo hints, *res = NULL;
    (void)ctx;
    if (tock_ip_parse(host, out) == 0)
        return 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return -1;
    struct tock_endpoint ep;
    int rc = tock_endpoint_from_sockaddr(res->ai_addr, res->ai_addrlen, &ep);
    freeaddrinfo(res);
    if (rc < 0)
        return -1;
    *out = ep.ip;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: tockctl firewall --nftables|--ufw|--firewalld [-f CONF] [--rate N/UNIT]\n"
                 "                        [--notrack] [--zone ZONE] [--no-resolve]\n"
                 "Prints firewall rules that open the NTP port (and the NTS-KE port) to exactly\n"
                 "the subnets allowed by CONF (default " TOCK_SYSCONFDIR "/tock/tock.conf).\n");
}

int ctl_firewall_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"nftables", no_argument, NULL, 'N'},
        {"ufw", no_argument, NULL, 'U'},
        {"firewalld", no_argument, NULL, 'F'},
        {"rate", required_argument, NULL, 'r'},
        {"notrack", no_argument, NULL, 't'},
        {"zone", required_argument, NULL, 'z'},
        {"no-resolve", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = TOCK_SYSCONFDIR "/tock/tock.conf";
    const char *kind_name = NULL;
    struct fw_options opts;
    bool resolve = true;
    int c;

    memset(&opts, 0, sizeof(opts));
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            path = optarg;
            break;
        case 'N':
            kind_name = "nftables";
            break;
        case 'U':
            kind_name = "ufw";
            break;
        case 'F':
            kind_name = "firewalld";
            break;
        case 'r':
            if (firewall_parse_rate(optarg, &opts) < 0) {
                fprintf(stderr, "tockctl firewall: invalid rate '%s' (e.g. 100/second)\n", optarg);
                return 2;
            }
            break;
        case 't':
            opts.notrack = true;
            break;
        case 'z':
            opts.firewalld_zone = optarg;
            break;
        case 'R':
            resolve = false;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    enum fw_kind kind;
    if (!kind_name || optind < argc || firewall_kind_from_name(kind_name, &kind) < 0) {
        usage(stderr);
        return 2;
    }
    struct tock_config conf;
    struct conf_diags diags;
    if (conf_load_file(path, &conf, &diags) < 0) {
        conf_diags_print(&diags, stderr);
        fprintf(stderr, "tockctl firewall: %s has errors (see tockd -Q -f %s)\n", path, path);
        conf_free(&conf);
        conf_diags_free(&diags);
        return 1;
    }
    opts.source_name = path;
    if (resolve) {
        opts.resolve = resolve_first;
        opts.resolve_ctx = NULL;
    }
    struct fw_error err;
    memset(&err, 0, sizeof(err));
    int rc = firewall_render(&conf, kind, &opts, stdout, &err);
    if (rc < 0)
        fprintf(stderr, "tockctl firewall: %s\n", err.message);
    conf_free(&conf);
    conf_diags_free(&diags);
    return rc < 0 ? 1 : 0;
}
