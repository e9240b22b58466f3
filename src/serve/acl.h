/* Access control: allow/deny (NTP and NTS-KE) and cmdallow/cmddeny (UDP command port), with
 * chrony's exact semantics (addrfilt.c, inventory 1.3, gotcha 14).
 *
 * The rules become a prefix tree with 4 address bits per level (16-way tables) and three
 * states per entry: ALLOW, DENY and "as parent". Consequences, all as in chronyd:
 *   - the default is deny everything (for both families);
 *   - a plain allow/deny sets its subnet and keeps more specific rules below it, so the
 *     most specific rule wins whatever the order;
 *   - two prefixes ending inside the same 4-bit level (e.g. /25 and /28) share table
 *     entries: the later rule wins where they overlap;
 *   - `allow all X` / `deny all X` also delete every more specific rule below X, so they
 *     override earlier narrower rules (`deny all` alone wipes everything);
 *   - a rule with no subnet covers all IPv4 and all IPv6 addresses;
 *   - a prefix longer than the family's width is refused ("Bad subnet in A/N").
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are looked up as IPv4, and a rule written
 * as a mapped prefix of at least /96 is stored as the IPv4 rule it means (chronyd's
 * separate v4/v6 sockets never see mapped addresses; tock's dual-stack ones may).
 *
 * Building allocates; lookups do not: acl_allowed() walks at most 8 (IPv4) or 32 (IPv6)
 * levels of a flat node array.
 */
#ifndef TOCK_SERVE_ACL_H
#define TOCK_SERVE_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "util/addr.h"

enum acl_kind {
    ACL_NTP, /* allow / deny */
    ACL_CMD, /* cmdallow / cmddeny: 127.0.0.1 and ::1 are always allowed */
};

struct acl;

/* Resolves a hostname rule to its first address (chronyd uses only the first). Returns 0
 * and fills *out, or -1. The daemon supplies it; the ACL itself never resolves names. */
typedef int (*acl_resolve_fn)(void *ctx, const char *name, struct tock_ip *out);

#define ACL_MAX_DIAGS 32

enum acl_diag_level { ACL_DIAG_ERROR, ACL_DIAG_WARNING };

struct acl_diag {
    enum acl_diag_level level;
    struct conf_loc loc; /* the rule's FILE:LINE */
    char message[200];   /* without the "FILE:LINE: " prefix */
};

/* Diagnostics of a build or an analysis. At most ACL_MAX_DIAGS are kept; n_dropped counts
 * the rest. */
struct acl_diags {
    int n;
    int n_errors;
    int n_dropped;
    struct acl_diag items[ACL_MAX_DIAGS];
};

/* Builds the table from rules in file order. resolve may be NULL when no rule has a
 * hostname. Returns NULL when any rule is bad (prefix too long, unresolvable name, out of
 * memory); diags (may be NULL) then holds one error per bad rule, e.g. "Bad subnet in
 * 10.0.0.0/33". */
struct acl *acl_build(const struct conf_acl *rules, enum acl_kind kind, acl_resolve_fn resolve,
                      void *resolve_ctx, struct acl_diags *diags);
void acl_free(struct acl *acl);

/* Whether ip may use the service. AF_UNSPEC and unknown families are denied. */
bool acl_allowed(const struct acl *acl, const struct tock_ip *ip);

/* Whether at least one address of family (AF_INET or AF_INET6) is allowed: chronyd opens
 * a server socket for a family only then. */
bool acl_any_allowed(const struct acl *acl, int family);

/* Number of table nodes in use (memory is 8 bytes per node), for tests and -Q output. */
size_t acl_node_count(const struct acl *acl);

/* For start-up warnings and `tockd -Q`: finds every rule that has no effect on the final
 * table (the table built without it decides every address the same way), and says why:
 * overridden by a later rule (named with its FILE:LINE) or redundant. One warning per such
 * rule in out; returns their number, or -1 if the rules do not build. Rules with a
 * hostname are resolved with resolve as in acl_build. The analysis builds the table once
 * per rule; above ACL_ANALYSE_MAX_RULES rules it is skipped (returns 0). */
#define ACL_ANALYSE_MAX_RULES 512
int acl_find_shadowed(const struct conf_acl *rules, enum acl_kind kind, acl_resolve_fn resolve,
                      void *resolve_ctx, struct acl_diags *out);

#endif
