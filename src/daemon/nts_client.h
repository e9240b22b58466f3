/* The NTS client of tockd (RFC 8915): `server HOST nts [ntsport P] [certset N]` and
 * `pool NAME nts`. Each NTS source has its own state (struct nts_source): NTS-KE over TLS
 * 1.3 with certificate verification against the system CAs (unless `nosystemcert`) and
 * `ntstrustedcerts`, then a cookie jar of up to 8 cookies, each used once, refilled by the
 * server's replies. A new NTS-KE happens when the jar is empty, after an NTS NAK, and
 * every `ntsrefresh` seconds. Replies that do not authenticate under the S2C key are
 * dropped before the sync engine sees them.
 *
 * Certificates: SNI only for DNS names; an IP literal is checked against the certificate's
 * IP addresses. `nocerttimecheck N`: the first N NTS-KE sessions made while the clock is
 * not synchronised do not check certificate dates (logged); otherwise a certificate
 * refused for its dates is logged with its validity and the local time.
 *
 * Cookies are saved at exit to `ntsdumpdir/<NTS-KE server address>.nts` (format below)
 * and loaded, then deleted, when the source's address is known again; a file older than
 * `ntsrefresh` or for another name or port is ignored.
 *
 *     TNC1                         (tock NTS cookies, version 1)
 *     <server name as configured> <NTS-KE address> <NTS-KE port>
 *     <NTP address> <NTP port>
 *     <unix time of the NTS-KE> <AEAD id> <C2S key hex> <S2C key hex>
 *     <cookie hex>                  one line per cookie, at most 8
 */
#ifndef TOCK_DAEMON_NTS_CLIENT_H
#define TOCK_DAEMON_NTS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/candm.h"
#include "proto/ntp_packet.h"
#include "util/addr.h"

struct tockd;
struct conf_source;
struct nts_source;

/* Sets up the trust stores when a source uses NTS. Returns 0, or -1 after logging. */
int tockd_nts_client_init(struct tockd *d);
void tockd_nts_client_free(struct tockd *d);

/* A source's NTS state; NULL (after logging) when NTS cannot be used. */
struct nts_source *nts_source_new(struct tockd *d, const struct conf_source *cs);
/* Saves the cookies (ntsdumpdir) and frees. */
void nts_source_free(struct nts_source *ns);

/* The NTS-KE server's address is known (resolved or literal): loads saved cookies or
 * starts an NTS-KE. */
void nts_source_set_address(struct nts_source *ns, const struct tock_ip *ip);

/* Appends the NTS fields to the request header in pkt[0..*len) with a fresh cookie, and
 * gives the NTP server's endpoint. Returns 0, or -1 when no request can be sent now
 * (NTS-KE needed: it is started, or under way). */
int nts_source_prepare(struct nts_source *ns, uint8_t *pkt, size_t cap, size_t *len,
                       struct tock_endpoint *ntp_server);

/* Checks a reply to the last request. Returns true when it authenticated (its cookies
 * join the jar); false: drop it (an NTS NAK also schedules a new NTS-KE). */
bool nts_source_check_reply(struct nts_source *ns, const uint8_t *pkt,
                            const struct ntp_packet_view *v);

/* chronyc authdata for the source. */
void nts_source_auth_data(const struct nts_source *ns, struct candm_auth_data *out);

#endif
