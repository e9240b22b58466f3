/* Firewall rules from the configuration: the subnets tockd serves, as nftables, ufw or
 * firewalld input.
 *
 * The allow/deny rules of the config are replayed exactly as chrony's addrfilt.c applies
 * them (a tree with 4 bits per level; default deny; a plain rule keeps more specific rules
 * below it, "all" wipes them; two prefixes set in the same 4-bit level: the later one wins).
 * The resulting decision is then read back as a list of regions, most specific first, so a
 * first-match firewall (deny holes before the accepts that contain them, then a final drop
 * of the port) opens the ports to exactly the addresses tockd answers, never more.
 *
 * Pure: no name resolution (a resolver callback may be passed), no clock, no globals; the
 * only output is the FILE the caller gives.
 */
#ifndef TOCK_CTL_FIREWALL_H
#define TOCK_CTL_FIREWALL_H

#include <stdbool.h>
#include <stdio.h>

#include "conf/config.h"
#include "util/addr.h"

enum fw_kind { FW_NFTABLES, FW_UFW, FW_FIREWALLD };

enum fw_rate_unit { FW_RATE_SECOND, FW_RATE_MINUTE };

/* Resolves a hostname rule to the one address tockd would use (its first). Returns 0 and
 * fills out, or -1 when the name does not resolve. */
typedef int (*fw_resolve_fn)(void *ctx, const char *host, struct tock_ip *out);

struct fw_options {
    /* Per-subnet limit on accepted NTP packets (each accept rule has its own budget);
     * 0 = no limit. Applies to the UDP NTP port only: NTS-KE connections are limited by
     * tockd's ntsratelimit. */
    unsigned rate;
    enum fw_rate_unit rate_unit;
    /* nftables: also skip connection tracking for the NTP port (a busy server otherwise
     * fills the conntrack table with one entry per client). */
    bool notrack;
    /* Shown in the header comment ("from FILE"); NULL = not shown. */
    const char *source_name;
    /* firewalld: zone to add the rules to; NULL = the default zone. */
    const char *firewalld_zone;
    /* Hostname rules: NULL = not resolved (an allow by name is left out, which is
     * narrower; a deny by name is an error, since leaving it out would be wider). */
    fw_resolve_fn resolve;
    void *resolve_ctx;
};

/* One region of the address space with a uniform decision. */
struct fw_region {
    struct tock_ip net; /* network address (host bits clear) */
    int prefix_len;     /* 0..32 or 0..128 */
    bool allow;
    int rule;        /* index in conf->ntp_acl.rules of the rule that set it */
    bool more_rules; /* several rules set parts of this region (merged) */
};

/* A hostname rule and what became of it. */
struct fw_host {
    int rule; /* index in conf->ntp_acl.rules */
    bool resolved;
    struct tock_ip ip;
};

/* The decision, ready to render. */
struct fw_plan {
    struct fw_region *regions; /* IPv4 then IPv6, each most specific first */
    int n_regions;
    int n_allow;  /* regions with allow = true */
    int udp_port; /* NTP; 0 = no rules at all */
    int tcp_port; /* NTS-KE; 0 = none */
    struct fw_host *hosts;
    int n_hosts;
};

struct fw_error {
    struct conf_loc loc; /* {NULL, 0} when not about one line */
    char message[256];
};

/* Upper bound on the tree the rules may build (tables of 16 entries). */
#define FW_MAX_TABLES 65536

/* Computes the plan. Returns 0, or -1 with err filled (bad subnet, unresolved deny by
 * name, too many rules, bad port). plan must be freed with firewall_plan_free() either
 * way. */
int firewall_plan(const struct tock_config *conf, const struct fw_options *opts,
                  struct fw_plan *plan, struct fw_error *err);
void firewall_plan_free(struct fw_plan *plan);

/* First-match verdict of the plan for an address (what the rendered rules do): true when
 * the NTP port is open to ip. */
bool firewall_plan_allows(const struct fw_plan *plan, const struct tock_ip *ip);

/* Writes the rules for kind to out. Returns 0, or -1 with err filled (plan errors, write
 * errors, a bad firewalld zone name). */
int firewall_render(const struct tock_config *conf, enum fw_kind kind,
                    const struct fw_options *opts, FILE *out, struct fw_error *err);

/* "nftables" / "ufw" / "firewalld" -> kind. Returns 0 or -1. */
int firewall_kind_from_name(const char *name, enum fw_kind *kind);

/* Parses "N/second" or "N/minute" (also "N/s", "N/m"; N 1..1000000) into opts->rate and
 * opts->rate_unit. Returns 0 or -1 (opts unchanged). */
int firewall_parse_rate(const char *text, struct fw_options *opts);

#endif
