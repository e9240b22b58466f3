/* tockctl's commands: parse a chronyc command line, run the request/reply exchanges it
 * needs, and format the result. Everything that touches the outside world (the daemon, DNS,
 * randomness, the clock, sleeping) comes in through struct ctl_env, so whole commands run
 * in unit tests against a scripted fake daemon. */
#ifndef TOCK_CTL_CTL_CMD_H
#define TOCK_CTL_CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ctl/ctl_buf.h"
#include "proto/candm.h"

struct ctl_env {
    void *ctx;
    /* One exchange with the daemon, retries and address fallback included: fills rep and
     * returns 0 when a valid reply (any status) came back, -1 when the daemon could not be
     * reached (chronyc's "506 Cannot talk to daemon"). Sets req->version/sequence/attempt
     * itself. Required for every command that talks to the daemon. */
    int (*transact)(void *ctx, struct candm_request *req, struct candm_reply *rep);
    /* Reverse DNS; false if there is no name. NULL: numeric addresses only. */
    bool (*reverse)(void *ctx, const struct candm_ip *ip, char *buf, size_t len);
    /* Name or address (or "ID#n") -> address; 0 on success. NULL: numeric only. */
    int (*resolve)(void *ctx, const char *name, struct candm_ip *out);
    /* Fills buf with random bytes (keygen); 0 on success. */
    int (*random)(void *ctx, void *buf, size_t len);
    /* Current UTC time (check: the age of the last clock update). */
    struct timespec (*now)(void *ctx);
    /* Sleeps (waitsync); false if interrupted. */
    bool (*sleep)(void *ctx, double seconds);
    /* Optional: push what is in out to the user now (waitsync prints as it goes). */
    void (*flush)(void *ctx, struct ctl_buf *out, struct ctl_buf *err);
    /* check with -f: the end of validity (notAfter, Unix time) of the first certificate in
     * a PEM file; 0 on success, -1 with a reason in err. NULL: certificates not checked. */
    int (*cert_not_after)(void *ctx, const char *path, time_t *not_after, char *err,
                          size_t err_len);
};

struct ctl_opts {
    bool csv;          /* -c */
    bool json;         /* -j */
    bool no_dns;       /* -n */
    bool source_names; /* -N */
    /* -f FILE: tockd's configuration (chronyc ignores -f); `check` reads the expiry of its
     * ntsservercert files from it. NULL: none. */
    const char *config_path;
};

/* Exit statuses besides those of `status` and `check`. */
enum { CTL_EXIT_OK = 0, CTL_EXIT_FAIL = 1 };

/* Runs one command line ("sources -v", "makestep 0.1 3", ...). Report text goes to out
 * (stdout), diagnostics such as "Unrecognized command" to err (stderr), exactly where
 * chronyc prints them. Returns the command's exit status: 0 or 1 for chronyc's commands,
 * ntpstat's 0/1/2 for `status`, the Nagios state 0-3 for `check`. */
int ctl_run_line(const struct ctl_env *env, const struct ctl_opts *opts, const char *line,
                 struct ctl_buf *out, struct ctl_buf *err);

/* keygen's key length in bytes for a type and bit count (bits 0 = default 160); 0 for an
 * unknown type. Exposed for tests. */
size_t ctl_keygen_length(const char *type, unsigned bits);

/* The help text. */
void ctl_help(struct ctl_buf *out);

#endif
