/* The chronyc command-and-monitoring protocol ("candm"), version 6: the wire codec.
 *
 * One validating parser and one encoder for every message tock speaks on its command
 * sockets, in both directions (tockd decodes requests and encodes replies; tockctl does the
 * opposite). Decoded values are plain C values: doubles, struct timespec, struct tock_ip.
 * Nothing here reads outside the buffer it is given, allocates, or keeps state.
 *
 * Wire facts (chrony-inventory.md section 3):
 *  - request header 20 bytes, reply header 28 bytes, all integers big-endian;
 *  - every request is zero-padded up to the length of the reply it asks for, so a reply is
 *    never longer than its request (the anti-amplification rule);
 *  - Float is chrony's own 32-bit format (7-bit exponent, 25-bit coefficient, no hidden bit);
 *  - SERVER_STATS and NTP_DATA come in several reply variants; a server picks the variant
 *    from the length of the request, which tells which chronyc version is asking.
 */
#ifndef TOCK_PROTO_CANDM_H
#define TOCK_PROTO_CANDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/addr.h"

#define CANDM_PROTO_VERSION         6
#define CANDM_VERSION_COMPAT_SERVER 5 /* a server answers BADPKTVERSION from here up */
#define CANDM_VERSION_COMPAT_CLIENT 4 /* a client accepts BADPKTVERSION from here up */
#define CANDM_PKT_REQUEST           1
#define CANDM_PKT_REPLY             2
#define CANDM_REQ_HEADER_LEN        20
#define CANDM_REPLY_HEADER_LEN      28
#define CANDM_MAX_REQUEST_LEN       860 /* 20 + largest request body (356) + padding (484) */
#define CANDM_MAX_REPLY_LEN         524 /* 28 + largest reply body (CLIENT_ACCESSES_BY_INDEX3) */
#define CANDM_DEFAULT_PORT          323
#define CANDM_MAX_CLIENTS           8 /* client records per CLIENT_ACCESSES_BY_INDEX3 reply */
#define CANDM_MAX_MANUAL_SAMPLES    16
#define CANDM_NAME_LEN              256 /* NTP_SOURCE_NAME field, NUL-terminated */
#define CANDM_IPADDR_LEN            20
#define CANDM_TIMESPEC_LEN          12

/* Request codes (chrony HEAD numbering; 4.x only ever appended). */
enum candm_req {
    CANDM_REQ_NULL = 0, /* obsolete since 4.7: answered STT_INVALID */
    CANDM_REQ_ONLINE = 1,
    CANDM_REQ_OFFLINE = 2,
    CANDM_REQ_BURST = 3,
    CANDM_REQ_MODIFY_MINPOLL = 4,
    CANDM_REQ_MODIFY_MAXPOLL = 5,
    CANDM_REQ_DUMP = 6,
    CANDM_REQ_MODIFY_MAXDELAY = 7,
    CANDM_REQ_MODIFY_MAXDELAYRATIO = 8,
    CANDM_REQ_MODIFY_MAXUPDATESKEW = 9,
    CANDM_REQ_LOGON = 10, /* obsolete */
    CANDM_REQ_SETTIME = 11,
    CANDM_REQ_LOCAL = 12, /* obsolete */
    CANDM_REQ_MANUAL = 13,
    CANDM_REQ_N_SOURCES = 14,
    CANDM_REQ_SOURCE_DATA = 15,
    CANDM_REQ_REKEY = 16,
    CANDM_REQ_ALLOW = 17,
    CANDM_REQ_ALLOWALL = 18,
    CANDM_REQ_DENY = 19,
    CANDM_REQ_DENYALL = 20,
    CANDM_REQ_CMDALLOW = 21,
    CANDM_REQ_CMDALLOWALL = 22,
    CANDM_REQ_CMDDENY = 23,
    CANDM_REQ_CMDDENYALL = 24,
    CANDM_REQ_ACCHECK = 25,
    CANDM_REQ_CMDACCHECK = 26,
    CANDM_REQ_ADD_SERVER = 27, /* obsolete */
    CANDM_REQ_ADD_PEER = 28,   /* obsolete */
    CANDM_REQ_DEL_SOURCE = 29,
    CANDM_REQ_WRITERTC = 30,
    CANDM_REQ_DFREQ = 31,
    CANDM_REQ_DOFFSET = 32, /* obsolete */
    CANDM_REQ_TRACKING = 33,
    CANDM_REQ_SOURCESTATS = 34,
    CANDM_REQ_RTCREPORT = 35,
    CANDM_REQ_TRIMRTC = 36,
    CANDM_REQ_CYCLELOGS = 37,
    CANDM_REQ_SUBNETS_ACCESSED = 38,         /* obsolete */
    CANDM_REQ_CLIENT_ACCESSES = 39,          /* obsolete */
    CANDM_REQ_CLIENT_ACCESSES_BY_INDEX = 40, /* obsolete */
    CANDM_REQ_MANUAL_LIST = 41,
    CANDM_REQ_MANUAL_DELETE = 42,
    CANDM_REQ_MAKESTEP = 43,
    CANDM_REQ_ACTIVITY = 44,
    CANDM_REQ_MODIFY_MINSTRATUM = 45,
    CANDM_REQ_MODIFY_POLLTARGET = 46,
    CANDM_REQ_MODIFY_MAXDELAYDEVRATIO = 47,
    CANDM_REQ_RESELECT = 48,
    CANDM_REQ_RESELECTDISTANCE = 49,
    CANDM_REQ_MODIFY_MAKESTEP = 50,
    CANDM_REQ_SMOOTHING = 51,
    CANDM_REQ_SMOOTHTIME = 52,
    CANDM_REQ_REFRESH = 53,
    CANDM_REQ_SERVER_STATS = 54,
    CANDM_REQ_CLIENT_ACCESSES_BY_INDEX2 = 55, /* obsolete */
    CANDM_REQ_LOCAL2 = 56,                    /* 4.0-4.5 only: obsolete */
    CANDM_REQ_NTP_DATA = 57,
    CANDM_REQ_ADD_SERVER2 = 58, /* 58-61 obsolete */
    CANDM_REQ_ADD_PEER2 = 59,
    CANDM_REQ_ADD_SERVER3 = 60,
    CANDM_REQ_ADD_PEER3 = 61,
    CANDM_REQ_SHUTDOWN = 62,
    CANDM_REQ_ONOFFLINE = 63,
    CANDM_REQ_ADD_SOURCE = 64,
    CANDM_REQ_NTP_SOURCE_NAME = 65,
    CANDM_REQ_RESET_SOURCES = 66,
    CANDM_REQ_AUTH_DATA = 67,
    CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3 = 68,
    CANDM_REQ_SELECT_DATA = 69,
    CANDM_REQ_RELOAD_SOURCES = 70,
    CANDM_REQ_DOFFSET2 = 71,
    CANDM_REQ_MODIFY_SELECTOPTS = 72,
    CANDM_REQ_MODIFY_OFFSET = 73,
    CANDM_REQ_LOCAL3 = 74,
    CANDM_N_REQUEST_TYPES = 75,
};

/* Reply codes. */
enum candm_rpy {
    CANDM_RPY_NULL = 1,
    CANDM_RPY_N_SOURCES = 2,
    CANDM_RPY_SOURCE_DATA = 3,
    CANDM_RPY_MANUAL_TIMESTAMP = 4,
    CANDM_RPY_TRACKING = 5,
    CANDM_RPY_SOURCESTATS = 6,
    CANDM_RPY_RTC = 7,
    CANDM_RPY_SUBNETS_ACCESSED = 8,
    CANDM_RPY_CLIENT_ACCESSES = 9,
    CANDM_RPY_CLIENT_ACCESSES_BY_INDEX = 10,
    CANDM_RPY_MANUAL_LIST = 11,
    CANDM_RPY_ACTIVITY = 12,
    CANDM_RPY_SMOOTHING = 13,
    CANDM_RPY_SERVER_STATS = 14,
    CANDM_RPY_CLIENT_ACCESSES_BY_INDEX2 = 15,
    CANDM_RPY_NTP_DATA = 16,
    CANDM_RPY_MANUAL_TIMESTAMP2 = 17,
    CANDM_RPY_MANUAL_LIST2 = 18,
    CANDM_RPY_NTP_SOURCE_NAME = 19,
    CANDM_RPY_AUTH_DATA = 20,
    CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3 = 21,
    CANDM_RPY_SERVER_STATS2 = 22,
    CANDM_RPY_SELECT_DATA = 23,
    CANDM_RPY_SERVER_STATS3 = 24,
    CANDM_RPY_SERVER_STATS4 = 25,
    CANDM_RPY_NTP_DATA2 = 26,
    CANDM_N_REPLY_TYPES = 27,
};

/* Status codes (there is no 20). */
enum candm_status {
    CANDM_STT_SUCCESS = 0,
    CANDM_STT_FAILED = 1,
    CANDM_STT_UNAUTH = 2,
    CANDM_STT_INVALID = 3,
    CANDM_STT_NOSUCHSOURCE = 4,
    CANDM_STT_INVALIDTS = 5,
    CANDM_STT_NOTENABLED = 6,
    CANDM_STT_BADSUBNET = 7,
    CANDM_STT_ACCESSALLOWED = 8,
    CANDM_STT_ACCESSDENIED = 9,
    CANDM_STT_NOHOSTACCESS = 10,
    CANDM_STT_SOURCEALREADYKNOWN = 11,
    CANDM_STT_TOOMANYSOURCES = 12,
    CANDM_STT_NORTC = 13,
    CANDM_STT_BADRTCFILE = 14,
    CANDM_STT_INACTIVE = 15,
    CANDM_STT_BADSAMPLE = 16,
    CANDM_STT_INVALIDAF = 17,
    CANDM_STT_BADPKTVERSION = 18,
    CANDM_STT_BADPKTLENGTH = 19,
    CANDM_STT_INVALIDNAME = 21,
};

/* SOURCE_DATA mode and state values. Note the counter-intuitive state numbering: UNSELECTED
 * (4) is what chronyc shows as '+' (combined), SELECTABLE (5) as '-' (not combined). */
enum candm_source_mode { CANDM_SD_MODE_CLIENT = 0, CANDM_SD_MODE_PEER = 1, CANDM_SD_MODE_REF = 2 };
enum candm_source_state {
    CANDM_SD_STATE_SELECTED = 0,      /* '*' */
    CANDM_SD_STATE_NONSELECTABLE = 1, /* '?' */
    CANDM_SD_STATE_FALSETICKER = 2,   /* 'x' */
    CANDM_SD_STATE_JITTERY = 3,       /* '~' */
    CANDM_SD_STATE_UNSELECTED = 4,    /* '+' combined */
    CANDM_SD_STATE_SELECTABLE = 5,    /* '-' selectable, not combined */
};

/* NTP_DATA flags. */
#define CANDM_NTP_FLAGS_TESTS        0x3ffU
#define CANDM_NTP_FLAG_INTERLEAVED   0x4000U
#define CANDM_NTP_FLAG_AUTHENTICATED 0x8000U

/* AUTH_DATA modes, SELECT_DATA option bits, SMOOTHING flags. */
enum candm_auth_mode { CANDM_AUTH_NONE = 0, CANDM_AUTH_SYMMETRIC = 1, CANDM_AUTH_NTS = 2 };
#define CANDM_SELECT_OPT_NOSELECT  0x1U
#define CANDM_SELECT_OPT_PREFER    0x2U
#define CANDM_SELECT_OPT_TRUST     0x4U
#define CANDM_SELECT_OPT_REQUIRE   0x8U
#define CANDM_SMOOTH_FLAG_ACTIVE   0x1U
#define CANDM_SMOOTH_FLAG_LEAPONLY 0x2U

/* ---- primitive encodings ---- */

/* chrony's Float: value = c * 2^(e - 25), e a 7-bit and c a 25-bit two's-complement field.
 * Encoding rounds to nearest, saturates beyond 1e100 (and on exponent overflow), gives 0 for
 * |x| < 1e-100 and for NaN, and is bit-for-bit the encoding chronyd produces. */
uint32_t candm_float_encode(double x);
double candm_float_decode(uint32_t u);

/* IPAddr (20 bytes). The wire has a fourth family besides UNSPEC/INET4/INET6: ID, the
 * number of a source whose name is not resolved yet. Unknown families decode as UNSPEC. */
struct candm_ip {
    struct tock_ip ip; /* AF_INET, AF_INET6, or AF_UNSPEC for both UNSPEC and ID */
    bool is_id;        /* family ID: an unresolved source, number in id */
    uint32_t id;
};
void candm_ip_encode(const struct candm_ip *ip, uint8_t out[CANDM_IPADDR_LEN]);
void candm_ip_decode(const uint8_t in[CANDM_IPADDR_LEN], struct candm_ip *ip);
/* Convenience constructors. */
struct candm_ip candm_ip_from_tock(const struct tock_ip *ip);
struct candm_ip candm_ip_from_id(uint32_t id);
/* chrony's text form: dotted quad, RFC 5952 IPv6, "ID#0000000001", or "[UNSPEC]". buf
 * needs at least CANDM_IP_STRLEN bytes. Returns buf. */
#define CANDM_IP_STRLEN 48
const char *candm_ip_format(const struct candm_ip *ip, char *buf, size_t len);

/* Timespec (12 bytes): sec_high, sec_low, nsec. sec_high 0x7FFFFFFF (a 32-bit sender)
 * reads as 0; nsec is clamped to 999999999 on decode. */
void candm_timespec_encode(const struct timespec *ts, uint8_t out[CANDM_TIMESPEC_LEN]);
struct timespec candm_timespec_decode(const uint8_t in[CANDM_TIMESPEC_LEN]);

/* ---- lengths ---- */

/* Total length (header, data and padding) a current (4.6+) client sends for a command; 0
 * for an unknown or obsolete command. SERVER_STATS gives 196 and NTP_DATA 172. */
size_t candm_request_length(uint16_t command);
/* Shortest request a server accepts for a command: as above, except SERVER_STATS (60, the
 * 4.0-4.1 form) and NTP_DATA (152, the 4.0-4.5 form). 0 = unknown/obsolete. */
size_t candm_request_min_length(uint16_t command);
/* Length of a reply with this reply code; 0 for an unknown code. */
size_t candm_reply_length(uint16_t reply);

/* ---- requests ---- */

struct candm_request {
    uint8_t version;
    uint16_t command;
    uint16_t attempt;
    uint32_t sequence; /* echoed back byte for byte */
    union {
        uint32_t index;     /* SOURCE_DATA, SOURCESTATS, SELECT_DATA */
        struct candm_ip ip; /* NTP_DATA, NTP_SOURCE_NAME, AUTH_DATA, ACCHECK, CMDACCHECK,
                               DEL_SOURCE */
        struct {            /* ONLINE, OFFLINE */
            struct candm_ip mask, address;
        } online;
        struct { /* BURST */
            struct candm_ip mask, address;
            int32_t n_good_samples, n_total_samples;
        } burst;
        struct { /* MODIFY_MAKESTEP */
            int32_t limit;
            double threshold;
        } makestep;
        struct { /* CLIENT_ACCESSES_BY_INDEX3 */
            uint32_t first_index, n_clients, min_hits, reset;
        } clients;
    } u;
};

/* Writes a version-6 request: header, the command's data, zero padding up to
 * candm_request_length(). Returns the length, or 0 if the command is unknown or cap is too
 * small. Commands whose data tock does not model are sent with zero data. */
size_t candm_encode_request(const struct candm_request *req, uint8_t *buf, size_t cap);

/* The server's checks of inventory 3.5, steps 1, 2 and 4-6, in order. */
enum candm_parse {
    CANDM_PARSE_OK = 0,
    CANDM_PARSE_DROP,        /* < 28 or > 860 bytes, not a request, res1/res2 set, v < 5 */
    CANDM_PARSE_BAD_VERSION, /* version >= 5 but != 6: reply BADPKTVERSION */
    CANDM_PARSE_INVALID,     /* unknown or obsolete command: reply INVALID */
    CANDM_PARSE_BAD_LENGTH,  /* shorter than the command with its padding: BADPKTLENGTH */
};
/* Parses a received request. Unless DROP, the header fields of out are filled (so an error
 * reply can echo command and sequence); on OK the command's data is decoded too. */
enum candm_parse candm_parse_request(const uint8_t *buf, size_t len, struct candm_request *out);

/* ---- reply bodies ---- */

struct candm_tracking {
    uint32_t ref_id;
    struct candm_ip ip; /* UNSPEC for the local reference or a refclock */
    uint16_t stratum;
    uint16_t leap_status; /* 0 normal, 1 insert, 2 delete, 3 unsynchronised */
    struct timespec ref_time;
    double current_correction; /* s, positive = system clock slow */
    double last_offset, rms_offset;
    double freq_ppm, resid_freq_ppm, skew_ppm;
    double root_delay, root_dispersion;
    double last_update_interval;
};

struct candm_source_data {
    struct candm_ip ip; /* refclock: INET4 holding the refid; unresolved: is_id */
    int16_t poll;
    uint16_t stratum;
    uint16_t state; /* enum candm_source_state */
    uint16_t mode;  /* enum candm_source_mode */
    uint16_t flags;
    uint16_t reachability;
    uint32_t since_sample; /* s; 0xFFFFFFFF = never */
    double orig_latest_meas, latest_meas, latest_meas_err;
};

struct candm_sourcestats {
    uint32_t ref_id;
    struct candm_ip ip;
    uint32_t n_samples, n_runs, span_seconds;
    double sd, resid_freq_ppm, skew_ppm, est_offset, est_offset_err;
};

struct candm_activity {
    int32_t online, offline, burst_online, burst_offline, unresolved;
};

/* All SERVER_STATS variants decode into this; fields a variant lacks are 0. */
struct candm_server_stats {
    uint64_t ntp_hits, nke_hits, cmd_hits;
    uint64_t ntp_drops, nke_drops, cmd_drops;
    uint64_t log_drops, ntp_auth_hits;
    uint64_t ntp_interleaved_hits, ntp_timestamps, ntp_span_seconds; /* STATS3+ */
    uint64_t ntp_daemon_rx_timestamps, ntp_daemon_tx_timestamps;     /* STATS4 */
    uint64_t ntp_kernel_rx_timestamps, ntp_kernel_tx_timestamps;
    uint64_t ntp_hw_rx_timestamps, ntp_hw_tx_timestamps;
};

/* Both NTP_DATA variants decode into this; v1 leaves the four kernel/HW totals 0. */
struct candm_ntp_data {
    struct candm_ip remote_addr, local_addr;
    uint16_t remote_port;
    uint8_t leap, version, mode, stratum;
    int8_t poll, precision;
    double root_delay, root_dispersion;
    uint32_t ref_id;
    struct timespec ref_time;
    double offset, peer_delay, peer_dispersion, response_time, jitter_asymmetry;
    uint16_t flags;                   /* CANDM_NTP_FLAG* and test bits */
    uint8_t tx_tss_char, rx_tss_char; /* 'D' daemon, 'K' kernel, 'H' hardware */
    uint32_t total_tx_count, total_rx_count, total_valid_count, total_good_count;
    uint32_t total_kernel_tx_ts, total_kernel_rx_ts, total_hw_tx_ts, total_hw_rx_ts; /* v2 */
};

struct candm_client {
    struct candm_ip ip;
    uint32_t ntp_hits, nke_hits, cmd_hits;
    uint32_t ntp_drops, nke_drops, cmd_drops;
    int8_t ntp_interval, nke_interval, cmd_interval, ntp_timeout_interval; /* 127 = none */
    uint32_t last_ntp_hit_ago, last_nke_hit_ago, last_cmd_hit_ago;         /* 0xFFFFFFFF = never */
};

struct candm_client_accesses {
    uint32_t n_indices;  /* records in the server's table, including empty ones */
    uint32_t next_index; /* one past the last index examined */
    uint32_t n_clients;  /* valid entries below (decode caps it at CANDM_MAX_CLIENTS) */
    struct candm_client clients[CANDM_MAX_CLIENTS];
};

struct candm_auth_data {
    uint16_t mode; /* enum candm_auth_mode */
    uint16_t key_type;
    uint32_t key_id;
    uint16_t key_length, ke_attempts;
    uint32_t last_ke_ago;
    uint16_t cookies, cookie_length, nak;
};

struct candm_select_data {
    uint32_t ref_id;
    struct candm_ip ip;
    uint8_t state_char, authentication, leap;
    uint16_t conf_options, eff_options; /* CANDM_SELECT_OPT_* */
    uint32_t last_sample_ago;
    double score, lo_limit, hi_limit;
};

struct candm_rtc {
    struct timespec ref_time;
    uint16_t n_samples, n_runs;
    uint32_t span_seconds;
    double rtc_seconds_fast, rtc_gain_rate_ppm;
};

struct candm_smoothing {
    uint32_t flags; /* CANDM_SMOOTH_FLAG_* */
    double offset, freq_ppm, wander_ppm, last_update_ago, remaining_time;
};

struct candm_manual_list {
    uint32_t n_samples; /* decode caps at CANDM_MAX_MANUAL_SAMPLES */
    struct {
        struct timespec when;
        double slewed_offset, orig_offset, residual;
    } samples[CANDM_MAX_MANUAL_SAMPLES];
};

struct candm_reply {
    uint8_t version;
    uint16_t command; /* echo of the request's command */
    uint16_t reply;   /* enum candm_rpy; CANDM_RPY_NULL when there is no data */
    uint16_t status;  /* enum candm_status */
    uint32_t sequence;
    union {
        uint32_t n_sources;
        struct candm_source_data source_data;
        struct candm_tracking tracking;
        struct candm_sourcestats sourcestats;
        struct candm_activity activity;
        struct candm_server_stats server_stats; /* SERVER_STATS2/3/4 */
        struct candm_ntp_data ntp_data;         /* NTP_DATA, NTP_DATA2 */
        char source_name[CANDM_NAME_LEN];       /* NUL-terminated after decode */
        struct candm_client_accesses clients;
        struct candm_auth_data auth_data;
        struct candm_select_data select_data;
        struct candm_rtc rtc;
        struct candm_smoothing smoothing;
        struct candm_manual_list manual_list; /* MANUAL_LIST2 */
    } u;
};

/* Writes a reply: the 28-byte header and the body for rep->reply, zero-filled, with the
 * reserved words of SERVER_STATS4 and NTP_DATA2 set to 0xFF as chronyd does. Counters wider
 * than a variant's 32-bit fields are truncated modulo 2^32 (they wrap like chronyd's).
 * Returns the length, or 0 if the reply code is unknown or cap is too small. */
size_t candm_encode_reply(const struct candm_reply *rep, uint8_t *buf, size_t cap);

/* chronyc's acceptance rules for a received reply (inventory 2.2). */
enum candm_reply_check {
    CANDM_REPLY_OK = 0,
    CANDM_REPLY_IGNORE, /* not a valid reply to this request: keep waiting */
    CANDM_REPLY_SHORT,  /* valid header but shorter than its reply code needs: resend */
};
/* Checks header validity, that command and sequence match the request, and the length.
 * A version-6 reply, or a version >= 4 reply with status BADPKTVERSION, is acceptable. */
enum candm_reply_check candm_check_reply(const uint8_t *buf, size_t len, uint16_t command,
                                         uint32_t sequence);

/* Decodes a reply that passed candm_check_reply (it re-checks the length it reads). Returns
 * 0, or -1 if the buffer is too short or not a reply. An unknown reply code decodes the
 * header only. A source name whose last byte is not NUL decodes as the empty string and
 * returns -1 (chronyc refuses it too). */
int candm_decode_reply(const uint8_t *buf, size_t len, struct candm_reply *out);

/* Names for diagnostics. Never NULL. */
const char *candm_request_name(uint16_t command);

#endif
