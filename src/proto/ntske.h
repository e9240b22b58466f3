/* NTS Key Establishment messages (RFC 8915 section 4), server and client side.
 *
 * A message is a sequence of records: a 16-bit word holding the critical bit (0x8000) and
 * the record type, a 16-bit body length, then the body; it ends with a critical End of
 * Message record with an empty body. As chrony, tock takes at most 16384 bytes per message
 * and at most 256 bytes of body in any record it interprets.
 *
 * Everything here is pure: bytes in, validated structs or bytes out. The TLS session
 * (src/daemon/ntske_tls.h) moves the bytes and exports the keys.
 */
#ifndef TOCK_PROTO_NTSKE_H
#define TOCK_PROTO_NTSKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/nts_cookie.h"

#define NTSKE_PORT                 4460
#define NTSKE_ALPN                 "ntske/1"
#define NTSKE_EXPORTER_LABEL       "EXPORTER-network-time-security"
#define NTSKE_EXPORTER_CONTEXT_LEN 5
#define NTSKE_MAX_MESSAGE          16384
#define NTSKE_MAX_BODY             256
#define NTSKE_CRITICAL             0x8000
#define NTSKE_NEXT_PROTOCOL_NTPV4  0
#define NTSKE_NTP_PORT             123 /* no Port Negotiation record for this port */

enum ntske_record_type {
    NTSKE_REC_END = 0,
    NTSKE_REC_NEXT_PROTOCOL = 1,
    NTSKE_REC_ERROR = 2,
    NTSKE_REC_WARNING = 3,
    NTSKE_REC_AEAD = 4,
    NTSKE_REC_COOKIE = 5,
    NTSKE_REC_SERVER = 6,
    NTSKE_REC_PORT = 7,
    NTSKE_REC_COMPLIANT_GCM_SIV_EXPORTER = 1024, /* chrony 4.6.1+, non-critical, empty */
};

enum ntske_error_code {
    NTSKE_ERROR_UNRECOGNIZED_CRITICAL = 0,
    NTSKE_ERROR_BAD_REQUEST = 1,
    NTSKE_ERROR_INTERNAL = 2,
};

/* The TLS exporter context: next protocol (u16) || AEAD id (u16) || 0 for C2S, 1 for S2C. */
void ntske_exporter_context(uint16_t next_protocol, uint16_t aead, bool s2c,
                            uint8_t out[NTSKE_EXPORTER_CONTEXT_LEN]);

/* ---- Framing: is a (possibly partial) message complete? ---- */

enum ntske_frame {
    NTSKE_FRAME_INVALID = -1,   /* malformed End of Message, data after it, or too long */
    NTSKE_FRAME_INCOMPLETE = 0, /* need more bytes */
    NTSKE_FRAME_COMPLETE = 1,   /* whole records ending with End of Message */
};

int ntske_frame_check(const uint8_t *buf, size_t len);

/* Reassembles a message that arrives in pieces (TLS records split anywhere). */
struct ntske_msgbuf {
    size_t len;
    size_t parsed; /* end of the last whole record */
    int status;    /* enum ntske_frame */
    uint8_t data[NTSKE_MAX_MESSAGE];
};

void ntske_msgbuf_reset(struct ntske_msgbuf *m);
/* Appends n bytes; returns the new enum ntske_frame status. Bytes beyond
 * NTSKE_MAX_MESSAGE, or after a complete message, make it INVALID. */
int ntske_msgbuf_append(struct ntske_msgbuf *m, const uint8_t *p, size_t n);

/* ---- Record iteration ---- */

struct ntske_record {
    bool critical;
    uint16_t type;
    uint16_t body_len;
    const uint8_t *body;
};

/* Reads the record at *pos. Returns 1 (record read, *pos advanced), 0 (at the end), or -1
 * (truncated record). */
int ntske_next_record(const uint8_t *msg, size_t len, size_t *pos, struct ntske_record *r);

/* ---- Server side ---- */

/* What a client asked for. */
struct ntske_request {
    int error;                       /* -1, or the enum ntske_error_code to answer with */
    bool ntpv4;                      /* NTPv4 was among the offered next protocols */
    int aead;                        /* the first offered AEAD that the server supports, or -1 */
    bool compliant_gcm_siv_exporter; /* record 1024 seen (only matters for AEAD 30) */
};

/* Parses a client request (a complete message). Never fails: problems become req->error
 * (0 for an unrecognised critical record; 1 for a bad request: missing, duplicated or
 * malformed Next Protocol or AEAD records, any Error, Warning or Cookie record, a
 * duplicated or malformed Server or Port Negotiation record, bad framing). aeads lists
 * the algorithms the server supports. */
void ntske_parse_request(const uint8_t *msg, size_t len, const uint16_t *aeads, int n_aeads,
                         struct ntske_request *req);

/* True when the request negotiated NTPv4 and an AEAD: export keys and make cookies. */
bool ntske_request_ok(const struct ntske_request *req);

struct ntske_server_params {
    uint16_t ntp_port;      /* the server's NTP port; Port Negotiation when not 123 */
    const char *ntp_server; /* `ntsntpserver` (1..256 bytes), or NULL */
};

/* Builds the response to req in chrony's order: Next Protocol, AEAD, Port Negotiation,
 * Server Negotiation, the cookies (n of cookie_len bytes, consecutive in cookies), End of
 * Message. For a request with an error, the Error record; without NTPv4 an empty Next
 * Protocol; without a common AEAD an empty AEAD record. Returns the length, or -1 when it
 * does not fit in cap or a parameter is out of range. */
int ntske_build_response(const struct ntske_request *req, const struct ntske_server_params *p,
                         const uint8_t *cookies, size_t cookie_len, int n_cookies, uint8_t *out,
                         size_t cap);

/* An Error record and End of Message. Returns the length or -1. */
int ntske_build_error(uint16_t code, uint8_t *out, size_t cap);

/* ---- Client side ---- */

/* Next Protocol (NTPv4), AEAD (the list, in preference order), End of Message; all
 * critical. Returns the length or -1. */
int ntske_build_request(const uint16_t *aeads, int n_aeads, uint8_t *out, size_t cap);

struct ntske_response {
    int error_code;   /* Error record from the server, or -1 */
    int warning_code; /* Warning record, or -1 */
    uint16_t aead;
    uint16_t port;                   /* negotiated NTP port, 0 if none */
    char server[NTSKE_MAX_BODY + 1]; /* negotiated NTP server, "" if none */
    struct nts_cookie_set cookies;   /* at most 8; lengths 12..256, multiples of 4 */
};

enum ntske_response_status {
    NTSKE_RESP_OK = 0,
    NTSKE_RESP_SERVER_ERROR = -1, /* the server sent an Error record */
    NTSKE_RESP_WARNING = -2,      /* a Warning record (not understood: treated as failure) */
    NTSKE_RESP_BAD_PROTOCOL = -3, /* Next Protocol missing, empty or not NTPv4 */
    NTSKE_RESP_BAD_AEAD = -4,     /* AEAD missing, empty, or not one we offered */
    NTSKE_RESP_NO_COOKIES = -5,
    NTSKE_RESP_MALFORMED = -6, /* framing, unknown critical record, bad server/port record */
};

/* Parses a server response (a complete message). aeads: what the request offered. */
int ntske_parse_response(const uint8_t *msg, size_t len, const uint16_t *aeads, int n_aeads,
                         struct ntske_response *resp);

const char *ntske_response_status_name(int status);

#endif
