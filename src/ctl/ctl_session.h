/* Internal to tockctl's command modules (ctl_cmd*.c, ctl_session.c): the state of one
 * command run and the helpers every command uses - chronyc's request_reply(), failure
 * reporting, names, words and growable lists. Not for use outside src/ctl. */
#ifndef TOCK_CTL_CTL_SESSION_H
#define TOCK_CTL_CTL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ctl_buf.h"
#include "ctl/ctl_cmd.h"
#include "ctl/ctl_report.h"
#include "proto/candm.h"

#define CTL_MAX_WORDS  64
#define CTL_NAME_LEN   256
#define CTL_MAX_LISTED 100000 /* a daemon claiming more sources than this is not believed */

struct ctl_session {
    const struct ctl_env *env;
    const struct ctl_opts *opts;
    struct ctl_buf *out, *err;
    struct ctl_namer namer;
    const char *command;
    int fail_code; /* chronyc's three-digit code of the first failure, 0 if none */
    char fail_msg[192];
};

/* A command line split into words. */
struct ctl_words {
    int n;
    char *w[CTL_MAX_WORDS];
    char rest[1024]; /* the words after the command, joined by single spaces */
};

/* A growable array of report entries and their names (for JSON lists). */
struct ctl_list {
    void *items;
    char **names;
    size_t n, cap, size; /* size: bytes per item, set by the user */
};

/* Records a failure: chronyc prints these on stdout (in JSON mode the command's output is
 * later replaced by one error object). code is chronyc's three-digit code. */
void ctl_sess_fail(struct ctl_session *s, int code, const char *msg);
/* A local diagnostic on stderr (chronyc's LOG(LOGS_ERR, ...)). */
void ctl_sess_error(struct ctl_session *s, const char *msg);

/* chronyc's request_reply(): true when the daemon answered success (or an access-check
 * verdict) with one of the expected reply codes; otherwise the failure is printed
 * ("506 Cannot talk to daemon", the daemon's status, "508 Bad reply from daemon").
 * verbose prints "200 OK" too. */
bool ctl_sess_request(struct ctl_session *s, struct candm_request *rq, struct candm_reply *rp,
                      const uint16_t *codes, size_t ncodes, bool verbose);
bool ctl_sess_request1(struct ctl_session *s, struct candm_request *rq, struct candm_reply *rp,
                       uint16_t code);
void ctl_sess_init_request(struct candm_request *rq, uint16_t command);
/* N_SOURCES, capped at CTL_MAX_LISTED. */
bool ctl_sess_n_sources(struct ctl_session *s, uint32_t *n);

/* chronyc's get_source_name(): the configured name of a source, printable or refused. */
bool ctl_sess_source_name(struct ctl_session *s, const struct candm_ip *ip, char *buf, size_t len);
/* "ID#n", a numeric address, or (with the environment's resolver) a name. */
bool ctl_sess_parse_address(struct ctl_session *s, const char *text, struct candm_ip *out);

void ctl_sess_split_words(char *line, struct ctl_words *ws);
/* -a and -v of sources, sourcestats, selectdata, authdata (-v is ignored in CSV). */
void ctl_sess_list_options(const struct ctl_words *ws, bool csv, bool *all, bool *verbose);

bool ctl_list_add(struct ctl_list *l, const void *item, const char *name);
void ctl_list_free(struct ctl_list *l);

/* The commands. Each returns its exit status. */
int ctl_cmd_tracking(struct ctl_session *s);
int ctl_cmd_sources(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_sourcestats(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_selectdata(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_authdata(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_clients(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_activity(struct ctl_session *s);
int ctl_cmd_serverstats(struct ctl_session *s);
int ctl_cmd_ntpdata(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_sourcename(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_rtcdata(struct ctl_session *s);
int ctl_cmd_smoothing(struct ctl_session *s);

int ctl_cmd_makestep(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_online(struct ctl_session *s, const struct ctl_words *ws, bool online);
int ctl_cmd_burst(struct ctl_session *s, const struct ctl_words *ws);
/* "reload sources", "reset sources": the one allowed argument. */
int ctl_cmd_with_sources_arg(struct ctl_session *s, const struct ctl_words *ws, uint16_t command,
                             const char *what);
int ctl_cmd_plain(struct ctl_session *s, uint16_t command);
int ctl_cmd_keygen(struct ctl_session *s, const struct ctl_words *ws);

int ctl_cmd_waitsync(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_status(struct ctl_session *s, const struct ctl_words *ws);
int ctl_cmd_check(struct ctl_session *s, const struct ctl_words *ws);

#endif
