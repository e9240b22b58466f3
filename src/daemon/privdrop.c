/* Dropping root and capabilities (see privdrop.h). */
#include "daemon/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

static const struct {
    unsigned bit;
    cap_value_t cap;
    const char *name;
} cap_table[] = {
    {PRIVDROP_CAP_SYS_TIME, CAP_SYS_TIME, "CAP_SYS_TIME"},
    {PRIVDROP_CAP_NET_BIND, CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"},
    {PRIVDROP_CAP_SYS_NICE, CAP_SYS_NICE, "CAP_SYS_NICE"},
    {PRIVDROP_CAP_IPC_LOCK, CAP_IPC_LOCK, "CAP_IPC_LOCK"},
    {PRIVDROP_CAP_SYS_RESOURCE, CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE"},
};
#define N_CAPS (sizeof(cap_table) / sizeof(cap_table[0]))

int privdrop_lookup(const char *name, bool with_groups, struct privdrop_user *out)
{
    memset(out, 0, sizeof(*out));
    if (strlen(name) >= sizeof(out->name)) {
        errno = 0;
        return -1;
    }
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return -1;
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    /* The supplementary groups, as systemd's User= gives them: e.g. ssl-cert for a key
     * in /etc/ssl/private. getgrouplist() copies what fits and says how many there are. */
    int n = PRIVDROP_MAX_GROUPS;
    if (!with_groups)
        n = 0;
    else if (getgrouplist(name, pw->pw_gid, out->groups, &n) < 0)
        n = PRIVDROP_MAX_GROUPS;
    if (n < 1) {
        out->groups[0] = pw->pw_gid;
        n = 1;
    }
    out->n_groups = n;
    return 0;
}

/* The process's capability state, with only the capabilities in KEEP (and held in the
 * permitted set) permitted and effective; nothing inheritable (which also clears the
 * ambient set). */
static cap_t caps_keeping(unsigned keep, unsigned *kept)
{
    cap_t cur = cap_get_proc();
    cap_t want = cap_init();
    *kept = 0;
    if (!cur || !want) {
        cap_free(cur);
        cap_free(want);
        return NULL;
    }
    for (size_t i = 0; i < N_CAPS; i++) {
        cap_flag_value_t have = CAP_CLEAR;
        if (!(keep & cap_table[i].bit))
            continue;
        if (cap_get_flag(cur, cap_table[i].cap, CAP_PERMITTED, &have) < 0 || have != CAP_SET)
            continue;
        cap_set_flag(want, CAP_PERMITTED, 1, &cap_table[i].cap, CAP_SET);
        cap_set_flag(want, CAP_EFFECTIVE, 1, &cap_table[i].cap, CAP_SET);
        *kept |= cap_table[i].bit;
    }
    cap_free(cur);
    return want;
}

unsigned privdrop_effective_caps(void)
{
    unsigned bits = 0;
    cap_t cur = cap_get_proc();
    if (!cur)
        return 0;
    for (size_t i = 0; i < N_CAPS; i++) {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag(cur, cap_table[i].cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
            bits |= cap_table[i].bit;
    }
    cap_free(cur);
    return bits;
}

const char *privdrop_caps_string(unsigned caps, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < N_CAPS; i++) {
        if (!(caps & cap_table[i].bit))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", cap_table[i].name);
        if (n < 0 || (size_t)n >= len - used) {
            buf[used] = '\0'; /* whole names only */
            break;
        }
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, len, "none");
    return buf;
}

int privdrop_limit_caps(unsigned keep, char *err, size_t errlen)
{
    unsigned kept;
    cap_t want = caps_keeping(keep, &kept);
    if (!want) {
        snprintf(err, errlen, "cannot read the process's capabilities: %s", strerror(errno));
        return -1;
    }
    int rc = cap_set_proc(want);
    int saved = errno;
    cap_free(want);
    if (rc < 0) {
        snprintf(err, errlen, "cannot drop capabilities: %s", strerror(saved));
        return -1;
    }
    return 0;
}

/* With CAP_SETPCAP (root): nothing outside KEEP can come back, even through a file
 * capability (no_new_privs covers that too). Best effort: a failure changes nothing else. */
static void drop_bounding_set(unsigned keep)
{
    cap_value_t max = cap_max_bits();
    for (cap_value_t c = 0; c < max; c++) {
        bool keep_it = false;
        for (size_t i = 0; i < N_CAPS; i++)
            keep_it = keep_it || ((keep & cap_table[i].bit) && cap_table[i].cap == c);
        if (!keep_it && cap_get_bound(c) == 1)
            (void)cap_drop_bound(c);
    }
}

int privdrop_become(const struct privdrop_user *user, unsigned keep, char *err, size_t errlen)
{
    unsigned kept;
    /* Decide what to keep while still root (the permitted set is full). */
    cap_t want = caps_keeping(keep, &kept);
    if (!want) {
        snprintf(err, errlen, "cannot read the process's capabilities: %s", strerror(errno));
        return -1;
    }
    drop_bounding_set(kept);
    /* Keep the permitted set across setuid(), to lower it to `want` just after. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
        cap_free(want);
        return -1;
    }
    const char *step = NULL;
    if (setgroups((size_t)user->n_groups, user->groups) < 0)
        step = "setgroups";
    else if (setgid(user->gid) < 0)
        step = "setgid";
    else if (setuid(user->uid) < 0)
        step = "setuid";
    if (step) {
        snprintf(err, errlen, "cannot switch to user %s (%s): %s", user->name, step,
                 strerror(errno));
        cap_free(want);
        return -1;
    }
    int rc = cap_set_proc(want);
    int saved = errno;
    cap_free(want);
    (void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (rc < 0) {
        snprintf(err, errlen, "cannot set capabilities after switching to %s: %s", user->name,
                 strerror(saved));
        return -1;
    }
    return 0;
}
