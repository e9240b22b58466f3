/* tockctl -j: one JSON object per report, one line each (so `-m` output is JSON Lines).
 *
 * Stable schema (documented in tockctl(1), section JSON OUTPUT):
 *  - every object has "report": the command name ("tracking", "sources", ...), or "error"
 *    with "command", "status" (chronyc's numeric code, e.g. 506) and "message";
 *  - numbers are JSON numbers in SI units (seconds, ppm), never strings; a value chronyc
 *    shows as "-" (never, no data) is null;
 *  - times are RFC 3339 UTC strings with nanoseconds ("2026-11-26T10:57:51.584603460Z") plus
 *    the same instant as a number of seconds since the Unix epoch in a "..._unix" field;
 *  - addresses are strings in numeric form ("address"), names as tockctl would print them
 *    ("name"); reference ids are 8 hex digits ("reference_id") plus their text form.
 * Field names never change meaning; new fields may be added.
 */
#ifndef TOCK_CTL_CTL_JSON_H
#define TOCK_CTL_CTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ctl/ctl_buf.h"
#include "proto/candm.h"

/* Low-level writers, usable for any object. */
void ctl_json_string(struct ctl_buf *b, const char *s); /* quoted, escaped */
void ctl_json_key(struct ctl_buf *b, bool *first, const char *key);
void ctl_json_str_field(struct ctl_buf *b, bool *first, const char *key, const char *v);
void ctl_json_num_field(struct ctl_buf *b, bool *first, const char *key, double v);
void ctl_json_int_field(struct ctl_buf *b, bool *first, const char *key, long long v);
void ctl_json_uint_field(struct ctl_buf *b, bool *first, const char *key, uint64_t v);
void ctl_json_bool_field(struct ctl_buf *b, bool *first, const char *key, bool v);
void ctl_json_null_field(struct ctl_buf *b, bool *first, const char *key);
/* "key": "RFC 3339", "key_unix": sec.nsec */
void ctl_json_time_fields(struct ctl_buf *b, bool *first, const char *key,
                          const struct timespec *ts);
/* An address: numeric string, or null for UNSPEC. */
void ctl_json_ip_field(struct ctl_buf *b, bool *first, const char *key, const struct candm_ip *ip);
/* An interval in seconds, null for 0xFFFFFFFF. */
void ctl_json_ago_field(struct ctl_buf *b, bool *first, const char *key, uint32_t s);

/* Per-report objects. The list reports take arrays with the names already made. */
void ctl_json_tracking(struct ctl_buf *b, const struct candm_tracking *t, const char *name);
void ctl_json_sources(struct ctl_buf *b, const struct candm_source_data *s,
                      const char *const *names, size_t n);
void ctl_json_sourcestats(struct ctl_buf *b, const struct candm_sourcestats *s,
                          const char *const *names, size_t n);
void ctl_json_clients(struct ctl_buf *b, const struct candm_client *c, const char *const *names,
                      size_t n);
void ctl_json_activity(struct ctl_buf *b, const struct candm_activity *a);
void ctl_json_serverstats(struct ctl_buf *b, uint16_t reply, const struct candm_server_stats *s);
/* ntpdata: one object with a "sources" array; reply is the code received (NTP_DATA2 adds
 * the kernel/hardware totals). */
void ctl_json_ntpdata(struct ctl_buf *b, const struct candm_ntp_data *n, size_t count,
                      uint16_t reply);
void ctl_json_selectdata(struct ctl_buf *b, const struct candm_select_data *s,
                         const char *const *names, size_t n);
void ctl_json_authdata(struct ctl_buf *b, const struct candm_ip *ips,
                       const struct candm_auth_data *a, const char *const *names, size_t n);
/* A command that returns no data: {"report":"result","command":...,"status":0,...}. */
void ctl_json_result(struct ctl_buf *b, const char *command, uint16_t status);
/* A failure: {"report":"error","command":...,"status":506,"message":...}. code is the
 * three-digit chronyc code (e.g. 506), message its text. */
void ctl_json_error(struct ctl_buf *b, const char *command, int code, const char *message);

/* Names shared by JSON and the status/check reports. */
const char *ctl_leap_key(int leap);          /* "normal", "insert_second", ... */
const char *ctl_source_mode_key(int mode);   /* "server", "peer", "refclock", "unknown" */
const char *ctl_source_state_key(int state); /* "selected", "combined", "not_combined", ... */

#endif
