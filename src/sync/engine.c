#include "sync/engine.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "proto/ntp_time.h"

/* A leap second is "in progress" (LI = 3 in replies) from half a second before it until
 * two seconds later, as chrony does for the system leap mode. */
#define LEAP_START_ADVANCE 0.5
#define LEAP_DURATION      2.0

void sync_params_default(struct sync_params *p)
{
    memset(p, 0, sizeof(*p));
    slew_params_default(&p->slew);
    select_params_default(&p->select);
    disc_params_default(&p->ref);
    p->precision = 1e-9;
    p->max_clock_error = 1e-6;
    p->initial_freq_ppm = 0.0;
    p->initial_skew_ppm = 1e6;
    p->driftfile_interval = 3600.0;
    p->leaps = NULL;
}

static void set_driver_freq(struct sync_engine *e, double ppm)
{
    e->cmd.set_freq = true;
    e->cmd.freq_ppm = ppm;
}

/* ---- observer events ---- */

static void emit(const struct sync_engine *e, const struct sync_event *ev)
{
    if (e->p.observer)
        e->p.observer(e->p.observer_ctx, ev);
}

/* A reference update (update = true) or the loss of synchronisation, as chronyd's
 * tracking log shows it. offset/offset_sd: of the update (0 when lost); orig_distance:
 * the root distance before it; uncorrected: the slew in progress before it. */
static void emit_tracking(struct sync_engine *e, const struct timespec *now, bool update,
                          int combined, double offset, double offset_sd, double uncorrected,
                          double orig_distance)
{
    struct sync_event ev = {.kind = SYNC_EVENT_TRACKING, .source = -1};
    struct sync_event_tracking *t = &ev.u.tracking;
    double max_error = orig_distance + fabs(e->last_sys_offset);
    e->last_sys_offset = offset - uncorrected;
    if (!e->p.observer)
        return;
    t->time = *now;
    t->update = update;
    if (update) {
        t->ref_id = e->ref.refid;
        t->ip = e->ref.ref_ip;
        t->stratum = e->ref.stratum;
        t->leap = e->ref.leap;
    } else {
        /* chronyd shows 0.0.0.0 at stratum 0 */
        t->ip.family = AF_INET;
        t->leap = NTP_LEAP_UNSYNC;
    }
    t->freq_ppm = e->slew.base_freq;
    t->skew_ppm = e->ref.skew * 1e6;
    t->offset = offset;
    t->combined = combined;
    t->offset_sd = offset_sd;
    t->remaining_correction = uncorrected;
    t->root_delay = e->ref.root_delay;
    t->root_dispersion = disc_root_distance(&e->ref, now) - e->ref.root_delay / 2.0;
    t->max_error = max_error;
    emit(e, &ev);
}

/* After a reply: the measurement and, if the source's statistics were regressed again,
 * the statistics line. */
static void emit_reply_events(const struct sync_engine *e, int idx, uint32_t meas_before,
                              unsigned regressions_before)
{
    const struct sync_source *s = &e->src[idx];
    struct sync_event ev = {.source = idx, .ip = &s->ip};
    if (!e->p.observer)
        return;
    const struct srcstats *st = &s->ntp.stats;
    if (st->regressions != regressions_before) {
        struct sync_event_statistics *x = &ev.u.statistics;
        ev.kind = SYNC_EVENT_STATISTICS;
        x->time = st->offset_time;
        x->std_dev = st->std_dev;
        x->est_offset = st->estimated_offset;
        x->est_offset_sd = st->estimated_offset_sd;
        x->est_freq = st->estimated_frequency;
        x->skew = st->skew;
        x->stress = st->last_stress;
        x->asymmetry = st->asymmetry;
        x->n_samples = st->last_regress_samples;
        x->best_start = st->last_best_start;
        x->n_runs = st->nruns;
        emit(e, &ev);
    }
    if (s->ntp.meas_count != meas_before) {
        memset(&ev.u, 0, sizeof(ev.u));
        ev.kind = SYNC_EVENT_MEASUREMENT;
        ev.u.measurement = &s->ntp.last_meas;
        emit(e, &ev);
    }
}

static void emit_selection(const struct sync_engine *e, const struct timespec *now)
{
    if (!e->p.observer)
        return;
    for (int i = 0; i < SYNC_MAX_SOURCES; i++) {
        const struct sync_source *s = &e->src[i];
        if (!s->in_use || !s->has_addr)
            continue;
        struct sync_event ev = {.kind = SYNC_EVENT_SELECTION, .source = i, .ip = &s->ip};
        struct sync_event_selection *x = &ev.u.selection;
        x->time = *now;
        x->letter = select_status_letter(s->sel.status);
        x->options = s->sel.options;
        x->reach = s->ntp.reach;
        x->score = s->sel.sel_score;
        x->last_sample_ago = s->sel.info.last_sample_ago;
        x->lo_limit = s->sel.info.lo_limit;
        x->hi_limit = s->sel.info.hi_limit;
        emit(e, &ev);
    }
}

/* Zeroes memory that is not zero already. The source table is most of the engine (64
 * slots): the daemon callocs it, and reading fresh pages maps the kernel's zero page while
 * writing them would make the whole table resident though few slots are used. */
static void zero_unless_zero(void *mem, size_t n)
{
    const unsigned char *b = mem;
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            memset(mem, 0, n);
            return;
        }
    }
}

void sync_init(struct sync_engine *e, const struct sync_params *p, const struct timespec *raw_now)
{
    memset(e, 0, offsetof(struct sync_engine, src));
    zero_unless_zero(e->src, sizeof(e->src));
    const size_t after = offsetof(struct sync_engine, src) + sizeof(e->src);
    memset((unsigned char *)e + after, 0, sizeof(*e) - after);
    e->p = *p;
    e->p.ref.max_clock_error = p->max_clock_error;
    e->p.ref.precision = p->precision;
    e->p.select.max_clock_error = p->max_clock_error;
    set_driver_freq(e, slew_init(&e->slew, &p->slew, p->initial_freq_ppm, raw_now));
    disc_init(&e->ref, &e->p.ref, raw_now, p->initial_skew_ppm);
    select_init(&e->sel);
    /* chronyd starts every tracking log with an unsynchronised line */
    struct timespec now = sync_cook(e, raw_now);
    emit_tracking(e, &now, false, 0, 0.0, 0.0, sync_correction(e, raw_now),
                  disc_root_distance(&e->ref, &now));
}

double sync_correction(const struct sync_engine *e, const struct timespec *raw)
{
    return slew_correction(&e->slew, raw);
}

struct timespec sync_cook(const struct sync_engine *e, const struct timespec *raw)
{
    return slew_cook(&e->slew, raw);
}

double sync_frequency(const struct sync_engine *e)
{
    return e->slew.base_freq;
}

static bool valid_index(const struct sync_engine *e, int idx)
{
    return idx >= 0 && idx < SYNC_MAX_SOURCES && e->src[idx].in_use;
}

static void set_address(struct sync_source *s, const struct tock_ip *ip)
{
    if (ip && (ip->family == AF_INET || ip->family == AF_INET6)) {
        s->has_addr = true;
        s->ip = *ip;
        s->refid = disc_refid_from_ip(ip);
    } else {
        s->has_addr = false;
        memset(&s->ip, 0, sizeof(s->ip));
        s->refid = 0;
    }
    s->sel.refid = s->refid;
}

int sync_add_source(struct sync_engine *e, const struct ntpsrc_params *np, unsigned sel_options,
                    const struct tock_ip *ip, const struct timespec *raw_now)
{
    for (int i = 0; i < SYNC_MAX_SOURCES; i++) {
        struct sync_source *s = &e->src[i];
        if (s->in_use)
            continue;
        memset(s, 0, sizeof(*s));
        s->in_use = true;
        struct timespec now = sync_cook(e, raw_now);
        struct ntpsrc_params q = *np;
        if (!ip || !(ip->family == AF_INET || ip->family == AF_INET6))
            q.offline = true; /* nothing to poll until the name is resolved */
        ntpsrc_init(&s->ntp, &q, e->p.precision, e->p.max_clock_error, &now);
        s->ntp.p.offline = np->offline;
        s->sel.stats = &s->ntp.stats;
        s->sel.options = sel_options;
        s->sel.status = SELECT_BAD_STATS;
        s->sel.sel_score = 1.0;
        set_address(s, ip);
        return i;
    }
    return -1;
}

void sync_set_source_address(struct sync_engine *e, int idx, const struct tock_ip *ip,
                             const struct timespec *raw_now)
{
    if (!valid_index(e, idx))
        return;
    struct sync_source *s = &e->src[idx];
    struct timespec now = sync_cook(e, raw_now);
    struct ntpsrc_params q = s->ntp.p;
    unsigned opts = s->sel.options;
    bool was_selected = e->sel.selected == idx;
    ntpsrc_init(&s->ntp, &q, e->p.precision, e->p.max_clock_error, &now);
    memset(&s->sel, 0, sizeof(s->sel));
    s->sel.stats = &s->ntp.stats;
    s->sel.options = opts;
    s->sel.status = SELECT_BAD_STATS;
    s->sel.sel_score = 1.0;
    set_address(s, ip);
    if (!s->has_addr)
        ntpsrc_set_online(&s->ntp, false, &now);
    if (was_selected)
        select_reset(&e->sel);
}

void sync_remove_source(struct sync_engine *e, int idx)
{
    if (!valid_index(e, idx))
        return;
    e->src[idx].in_use = false;
    if (e->sel.selected == idx)
        select_reset(&e->sel);
}

void sync_set_online(struct sync_engine *e, int idx, bool online, const struct timespec *raw_now)
{
    if (!valid_index(e, idx) || (online && !e->src[idx].has_addr))
        return;
    struct timespec now = sync_cook(e, raw_now);
    ntpsrc_set_online(&e->src[idx].ntp, online, &now);
}

static bool earlier(const struct timespec *a, const struct timespec *b)
{
    return timespec_cmp(a, b) < 0;
}

static bool leap_start_time(const struct sync_engine *e, const struct timespec *now,
                            struct timespec *at)
{
    if (e->ref.leap_in_progress || !disc_leap_time(&e->ref, now, at))
        return false;
    *at = timespec_add(at, -LEAP_START_ADVANCE);
    return true;
}

bool sync_next_event(const struct sync_engine *e, const struct timespec *raw_now,
                     struct timespec *cooked_when)
{
    struct timespec now = sync_cook(e, raw_now), t;
    bool any = true;
    /* the slew timer is in raw time; cooked and raw differ by the slew in progress */
    *cooked_when = timespec_add(&e->slew.next_update, sync_correction(e, &e->slew.next_update));
    /* A source without an address (a name not resolved yet) has nothing to send, even if
     * its iburst is pending: it must not make the daemon wake up. */
    for (int i = 0; i < SYNC_MAX_SOURCES; i++)
        if (e->src[i].in_use && e->src[i].has_addr && ntpsrc_next_tx(&e->src[i].ntp, &t) &&
            earlier(&t, cooked_when))
            *cooked_when = t;
    if (leap_start_time(e, &now, &t) && earlier(&t, cooked_when))
        *cooked_when = t;
    if (e->ref.leap_in_progress && earlier(&e->leap_end, cooked_when))
        *cooked_when = e->leap_end;
    return any;
}

int sync_due_source(const struct sync_engine *e, const struct timespec *raw_now)
{
    struct timespec now = sync_cook(e, raw_now), t;
    int best = -1;
    struct timespec best_t = {0, 0};
    for (int i = 0; i < SYNC_MAX_SOURCES; i++) {
        if (!e->src[i].in_use || !e->src[i].has_addr || !ntpsrc_next_tx(&e->src[i].ntp, &t))
            continue;
        if (timespec_cmp(&t, &now) <= 0 && (best < 0 || earlier(&t, &best_t))) {
            best = i;
            best_t = t;
        }
    }
    return best;
}

/* ---- clock corrections ---- */

static void slew_everything(struct sync_engine *e, const struct timespec *when, double dfreq,
                            double doffset)
{
    for (int i = 0; i < SYNC_MAX_SOURCES; i++) {
        if (!e->src[i].in_use)
            continue;
        srcstats_slew(&e->src[i].ntp.stats, when, dfreq, doffset);
        if (doffset != 0.0)
            ntpsrc_notify_step(&e->src[i].ntp, doffset);
    }
    disc_slew(&e->ref, when, dfreq, doffset);
    if (e->ref.leap_in_progress)
        e->leap_end = timespec_add(&e->leap_end, -doffset);
}

static void apply_correction(struct sync_engine *e, const struct disc_correction *c,
                             const struct timespec *raw_now)
{
    struct timespec when = sync_cook(e, raw_now); /* cooked time before the change */
    double old = e->slew.base_freq;
    double target = old + c->dfreq * (1.0e6 - old);
    double max = e->p.slew.max_freq_ppm;
    if (target > max)
        target = max;
    if (target < -max)
        target = -max;
    double dfreq = (target - old) / (1.0e6 - old);
    set_driver_freq(
        e, slew_set_frequency_and_offset(&e->slew, raw_now, target, c->offset, c->corr_rate));
    slew_everything(e, &when, dfreq, c->offset);

    if (c->step != 0.0) {
        /* The driver steps the raw clock back by c->step; cooked time moves with it. */
        struct timespec when2 = sync_cook(e, raw_now);
        e->cmd.step = true;
        e->cmd.step_offset += c->step;
        slew_notify_step(&e->slew, c->step);
        slew_everything(e, &when2, 0.0, c->step);
    }
}

static void check_leap_arm(struct sync_engine *e)
{
    if (e->ref.leap_sec != e->driver_leap && !e->ref.leap_in_progress) {
        e->driver_leap = e->ref.leap_sec;
        e->cmd.set_leap = true;
        e->cmd.leap = e->driver_leap;
    }
}

/* The leap status voted by the sources, checked against the leap second table. */
static int checked_leap(struct sync_engine *e, int voted, const struct timespec *now)
{
    e->leap_table_disagrees = false;
    if (!e->p.leaps)
        return voted;
    int table = leapsec_at_end_of_day(e->p.leaps, now->tv_sec);
    int table_leap = table > 0 ? 1 : table < 0 ? 2 : 0;
    if (voted == 0)
        return table_leap;
    if (voted != table_leap)
        e->leap_table_disagrees = true;
    return voted;
}

/* What the kernel reports to other programs (ntp_adjtime): synchronised, with the
 * estimated and maximum errors, including the offset still being slewed. */
static void set_status(struct sync_engine *e, const struct disc_update_input *in,
                       const struct timespec *raw_now)
{
    struct timespec now = sync_cook(e, raw_now);
    struct disc_server_params sp;
    disc_server_params(&e->ref, &now, &sp);
    double remaining = fabs(sync_correction(e, raw_now));
    e->cmd.set_status = true;
    e->cmd.synchronised = e->ref.synchronised;
    e->cmd.est_error = in->offset_sd > remaining ? in->offset_sd : remaining;
    e->cmd.max_error = in->offset_sd + sp.root_delay / 2.0 + sp.root_dispersion + remaining;
}

static void run_selection(struct sync_engine *e, int updated, const struct timespec *raw_now)
{
    struct select_src *ptrs[SYNC_MAX_SOURCES];
    int map[SYNC_MAX_SOURCES], n = 0, upd = -1, selected_slot = e->sel.selected;
    struct timespec now = sync_cook(e, raw_now);

    for (int i = 0; i < SYNC_MAX_SOURCES; i++) {
        struct sync_source *s = &e->src[i];
        if (!s->in_use)
            continue;
        s->sel.reach = s->ntp.reach;
        s->sel.reach_size = s->ntp.reach_size;
        s->sel.leap = s->ntp.stats.leap;
        s->sel.refid = s->refid;
        if (i == updated)
            upd = n;
        map[n] = i;
        ptrs[n++] = &s->sel;
    }
    /* the selection state holds an index into this packed array */
    struct select_state st = {-1};
    for (int k = 0; k < n; k++)
        if (map[k] == selected_slot)
            st.selected = k;

    struct select_params sp = e->p.select;
    sp.orphan_stratum = disc_orphan_stratum(&e->ref);
    struct select_result res;
    select_run(&st, ptrs, n, upd, &sp, &now, &res);
    e->sel.selected = st.selected >= 0 ? map[st.selected] : -1;

    emit_selection(e, &now);

    if (res.update) {
        struct sync_source *s = &e->src[e->sel.selected];
        struct disc_update_input in = {
            .stratum = res.stratum,
            .leap = checked_leap(e, res.leap, &now),
            .combined = res.combined,
            .refid = s->refid,
            .ip = s->has_addr ? &s->ip : NULL,
            .ref_time = res.est.ref_time,
            .offset = res.est.offset,
            .offset_sd = res.est.offset_sd,
            .frequency = res.est.frequency,
            .frequency_sd = res.est.frequency_sd,
            .skew = res.est.skew,
            .root_delay = res.est.root_delay,
            .root_dispersion = res.est.root_dispersion,
        };
        struct disc_correction c;
        double uncorrected = sync_correction(e, raw_now);
        double orig_distance = disc_root_distance(&e->ref, &now);
        disc_update(&e->ref, &in, &now, uncorrected, &c);
        apply_correction(e, &c, raw_now);
        e->updates++;
        check_leap_arm(e);
        set_status(e, &in, raw_now);
        double elapsed = timespec_diff(&now, &in.ref_time);
        emit_tracking(e, &now, true, res.combined, e->ref.last_offset,
                      in.offset_sd + elapsed * in.frequency_sd, uncorrected, orig_distance);
    } else if (res.lost && e->ref.synchronised) {
        disc_set_unsynchronised(&e->ref, &now);
        check_leap_arm(e);
        e->cmd.set_status = true;
        e->cmd.synchronised = false;
        e->cmd.est_error = e->cmd.max_error = 0.0;
        emit_tracking(e, &now, false, 0, 0.0, 0.0, sync_correction(e, raw_now),
                      disc_root_distance(&e->ref, &now));
    }
}

int sync_transmit(struct sync_engine *e, int idx, const struct timespec *raw_now,
                  const uint8_t rnd[8], uint8_t out[NTP_HEADER_LEN])
{
    if (!valid_index(e, idx) || !e->src[idx].has_addr)
        return 0;
    struct sync_source *s = &e->src[idx];
    struct timespec now = sync_cook(e, raw_now);
    uint8_t reach_before = s->ntp.reach;
    int before_size = s->ntp.reach_size;
    int n = ntpsrc_transmit(&s->ntp, &now, rnd, e->sel.selected == idx, out);
    /* A missed reply from the system peer may change the selection. */
    if (s->ntp.reach_size != before_size || s->ntp.reach != reach_before) {
        if (e->sel.selected == idx && !(s->ntp.reach & 1))
            run_selection(e, -1, raw_now);
    }
    return n;
}

enum ntpsrc_rx_result sync_process_reply(struct sync_engine *e, int idx,
                                         const struct ntp_packet_view *v, const struct timespec *rx,
                                         const struct timespec *tx, bool authenticated,
                                         uint32_t local_refid, bool serving,
                                         const struct timespec *raw_now)
{
    if (!valid_index(e, idx) || !e->src[idx].has_addr)
        return NTPSRC_RX_IGNORED;
    struct sync_source *s = &e->src[idx];
    struct timespec now = sync_cook(e, raw_now);

    struct disc_server_params sp;
    disc_server_params(&e->ref, &now, &sp);
    struct ntpsrc_loop_check lc = {
        .serving = serving,
        .local_refid = local_refid,
        .our_stratum = sp.stratum,
        .our_refid = sp.refid,
        .our_root_delay = ntp_short_from_double(sp.root_delay),
        .our_ref_ts = sp.ref_ts,
    };
    uint32_t meas_before = s->ntp.meas_count;
    unsigned regressions_before = s->ntp.stats.regressions;
    enum ntpsrc_rx_result r = ntpsrc_process_reply(&s->ntp, v, rx, tx, authenticated, &lc,
                                                   disc_leap_close(&e->ref, &now), NULL);
    emit_reply_events(e, idx, meas_before, regressions_before);
    if (r == NTPSRC_RX_SAMPLE)
        run_selection(e, idx, raw_now);
    else if (r != NTPSRC_RX_IGNORED && e->sel.selected == idx && !(s->ntp.reach & 1))
        run_selection(e, -1, raw_now);
    return r;
}

void sync_timeout(struct sync_engine *e, const struct timespec *raw_now)
{
    if (timespec_cmp(raw_now, &e->slew.next_update) >= 0)
        set_driver_freq(e, slew_update(&e->slew, raw_now));

    struct timespec now = sync_cook(e, raw_now), t;
    if (leap_start_time(e, &now, &t) && timespec_cmp(&now, &t) >= 0) {
        /* Until two seconds later the time is ambiguous: replies carry LI = 3. The end
         * is expressed on the clock as it will read after the leap (the clock goes back
         * one second for an inserted second). */
        e->leap_end = timespec_add(&now, LEAP_DURATION - e->ref.leap_sec);
        disc_set_leap_in_progress(&e->ref, true);
    } else if (e->ref.leap_in_progress && timespec_cmp(&now, &e->leap_end) >= 0) {
        disc_set_leap_in_progress(&e->ref, false);
        /* the driver's leap flag is spent */
        e->driver_leap = 0;
        e->cmd.set_leap = true;
        e->cmd.leap = 0;
    }
}

void sync_make_step(struct sync_engine *e, const struct timespec *raw_now)
{
    double corr = sync_correction(e, raw_now);
    if (corr == 0.0)
        return;
    /* Cancel the slew, then step the raw clock to where cooked time already is. Samples
     * are in cooked time, which does not move: the two adjustments cancel for them. */
    struct disc_correction c = {.dfreq = 0.0, .offset = corr, .corr_rate = 0.0, .step = -corr};
    apply_correction(e, &c, raw_now);
}

void sync_burst(struct sync_engine *e, int idx, int good, int total, const struct timespec *raw_now)
{
    if (!valid_index(e, idx) || !e->src[idx].has_addr || good < 1 || total < good)
        return;
    struct timespec now = sync_cook(e, raw_now);
    ntpsrc_initiate_burst(&e->src[idx].ntp, good, total, &now);
}

void sync_take_clock_cmd(struct sync_engine *e, struct sync_clock_cmd *cmd)
{
    *cmd = e->cmd;
    memset(&e->cmd, 0, sizeof(e->cmd));
}

void sync_notify_leap_applied(struct sync_engine *e, int leap)
{
    /* The raw clock (and so cooked time) moved by -leap; UTC moved with it, so the samples
     * stay as they are (offsets to UTC are unchanged). Only the slew bookkeeping, kept in
     * raw time, must follow. */
    slew_notify_step(&e->slew, (double)leap);
}

void sync_notify_unknown_step(struct sync_engine *e, const struct timespec *raw_now)
{
    for (int i = 0; i < SYNC_MAX_SOURCES; i++)
        if (e->src[i].in_use)
            srcstats_reset(&e->src[i].ntp.stats);
    run_selection(e, -1, raw_now);
}

void sync_server_params(struct sync_engine *e, const struct timespec *raw_now,
                        struct disc_server_params *out)
{
    struct timespec now = sync_cook(e, raw_now);
    disc_server_params(&e->ref, &now, out);
}

void sync_reference_snapshot(struct sync_engine *e, const struct timespec *raw_now,
                             struct reference_snapshot *out)
{
    struct timespec now = sync_cook(e, raw_now);
    disc_snapshot(&e->ref, &now, out);
}

void sync_tracking(const struct sync_engine *e, const struct timespec *raw_now,
                   struct disc_tracking *out)
{
    struct timespec now = sync_cook(e, raw_now);
    disc_tracking(&e->ref, &now, out);
    out->current_correction = sync_correction(e, raw_now);
    out->freq_ppm = e->slew.base_freq;
}

bool sync_source_view(const struct sync_engine *e, int idx, const struct timespec *raw_now,
                      struct sync_source_view *out)
{
    memset(out, 0, sizeof(*out));
    if (!valid_index(e, idx))
        return false;
    const struct sync_source *s = &e->src[idx];
    struct timespec now = sync_cook(e, raw_now);
    out->in_use = true;
    out->has_addr = s->has_addr;
    out->ip = s->ip;
    out->refid = s->refid;
    out->status = s->sel.status;
    out->state_char = select_state_char(s->sel.status);
    out->state_wire = select_state_wire(s->sel.status);
    out->poll = s->ntp.local_poll;
    out->reach = s->ntp.reach;
    out->online = s->ntp.opmode != NTPSRC_OFFLINE && !s->ntp.stopped;
    out->sel_options = s->sel.options;
    srcstats_report(&s->ntp.stats, &now, &out->stats);
    out->stratum = out->stats.stratum;
    out->ntp = &s->ntp.report;
    return true;
}

bool sync_source_wants_replacement(struct sync_engine *e, int idx, const struct timespec *raw_now)
{
    if (!valid_index(e, idx) || !e->src[idx].has_addr)
        return false;
    struct sync_source *s = &e->src[idx];
    bool bad = ntpsrc_unreachable(&s->ntp) || s->sel.status == SELECT_FALSETICKER || s->ntp.stopped;
    if (!bad)
        return false;
    struct timespec now = sync_cook(e, raw_now);
    if (s->replace_signalled && timespec_diff(&now, &s->last_replace) < SYNC_REPLACE_INTERVAL &&
        timespec_diff(&now, &s->last_replace) >= 0.0)
        return false;
    s->replace_signalled = true;
    s->last_replace = now;
    return true;
}

bool sync_driftfile_due(struct sync_engine *e, double *freq_ppm, double *skew_ppm)
{
    if (!e->ref.has_update)
        return false;
    if (e->drift_written && e->ref.drift_age <= e->p.driftfile_interval)
        return false;
    if (!e->drift_written && e->ref.drift_age <= e->p.driftfile_interval)
        return false;
    e->ref.drift_age = 0.0;
    e->drift_written = true;
    sync_driftfile_values(e, freq_ppm, skew_ppm);
    return true;
}

void sync_driftfile_values(const struct sync_engine *e, double *freq_ppm, double *skew_ppm)
{
    *freq_ppm = e->slew.base_freq;
    *skew_ppm = e->ref.skew * 1e6;
}
