#include "sync/select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntp_time.h"

/* A new source must have this many times the score of the selected one to replace it. */
#define SCORE_LIMIT 10.0
/* Updates a source must wait after being found too distant before it is combined. */
#define DISTANT_PENALTY  32
#define MAX_SOURCES_SORT 256

char select_state_char(enum select_status st)
{
    switch (select_state_wire(st)) {
    case 0:
        return '*';
    case 2:
        return 'x';
    case 3:
        return '~';
    case 4:
        return '+';
    case 5:
        return '-';
    default:
        return '?';
    }
}

char select_status_letter(enum select_status st)
{
    static const char letters[] = {
        [SELECT_OK] = '?',           [SELECT_UNSELECTABLE] = 'N',  [SELECT_BAD_STATS] = 'M',
        [SELECT_BAD_DISTANCE] = 'd', [SELECT_JITTERY] = '~',       [SELECT_WAITS_STATS] = 'w',
        [SELECT_STALE] = 'S',        [SELECT_ORPHAN] = 'O',        [SELECT_UNTRUSTED] = 'T',
        [SELECT_FALSETICKER] = 'x',  [SELECT_WAITS_SOURCES] = 'W', [SELECT_NONPREFERRED] = 'P',
        [SELECT_WAITS_UPDATE] = 'U', [SELECT_DISTANT] = 'D',       [SELECT_UNSELECTED] = '+',
        [SELECT_SELECTED] = '*',
    };
    return (unsigned)st < sizeof(letters) && letters[st] ? letters[st] : '?';
}

int select_state_wire(enum select_status st)
{
    switch (st) {
    case SELECT_SELECTED:
        return 0;
    case SELECT_FALSETICKER:
        return 2;
    case SELECT_JITTERY:
        return 3;
    case SELECT_UNSELECTED:
        return 4;
    case SELECT_UNTRUSTED:
    case SELECT_WAITS_SOURCES:
    case SELECT_NONPREFERRED:
    case SELECT_WAITS_UPDATE:
    case SELECT_DISTANT:
        return 5;
    default:
        return 1;
    }
}

void select_params_default(struct select_params *p)
{
    p->max_distance = 3.0;
    p->max_jitter = 1.0;
    p->min_sources = 1;
    p->reselect_dist = 1e-4;
    p->stratum_weight = 1e-3;
    p->combine_limit = 3.0;
    p->max_clock_error = 1e-6;
    p->orphan_stratum = 16;
    p->local_refid = 0;
}

void select_init(struct select_state *st)
{
    st->selected = -1;
}

void select_reset(struct select_state *st)
{
    st->selected = -1;
}

struct endpoint {
    double offset;
    int index;
    int tag; /* -1 low end, +1 high end */
};

static int cmp_endpoint(const void *a, const void *b)
{
    const struct endpoint *u = a, *v = b;
    if (u->offset != v->offset)
        return u->offset < v->offset ? -1 : 1;
    return u->tag - v->tag; /* a low end sorts before a high end at the same offset */
}

static void mark_ok(struct select_src **srcs, int n, enum select_status st)
{
    for (int i = 0; i < n; i++)
        if (srcs[i]->status == SELECT_OK)
            srcs[i]->status = st;
}

static void combine(struct select_src **srcs, const int *sel, int n_sel, int selected,
                    const struct select_params *p, struct srcstats_tracking *est, int *combined)
{
    *combined = 1;
    if (n_sel == 1)
        return;
    double sel_dist = srcs[selected]->info.root_distance + p->reselect_dist;
    double sum_ow = 0, sum_o = 0, sum2_osd = 0, sum_fw = 0, sum_f = 0, inv2_fsd = 0, inv2_skew = 0;
    int used = 0;
    struct srcstats_tracking ref = *est;

    for (int k = 0; k < n_sel; k++) {
        int i = sel[k];
        struct select_src *s = srcs[i];
        struct srcstats_tracking t;
        srcstats_tracking_data(s->stats, &t);

        /* Only sources near the selected one (distance and frequency) are combined;
         * one that was far keeps out for a while. */
        if (i != selected && (s->info.root_distance > p->combine_limit * sel_dist ||
                              fabs(ref.frequency - t.frequency) >
                                  p->combine_limit * (ref.skew + t.skew + p->max_clock_error))) {
            s->distant = s->reach_size >= 8 ? DISTANT_PENALTY : 1;
        } else if (s->distant) {
            s->distant--;
        }
        if (s->distant) {
            s->status = SELECT_DISTANT;
            continue;
        }
        if (s->status == SELECT_OK)
            s->status = SELECT_UNSELECTED;

        double elapsed = timespec_diff(&ref.ref_time, &t.ref_time);
        double off = t.offset + elapsed * t.frequency;
        double osd = t.offset_sd + elapsed * t.frequency_sd;
        double ow = 1.0 / s->info.root_distance;
        double fw = 1.0 / (t.frequency_sd * t.frequency_sd);
        sum_ow += ow;
        sum_o += ow * off;
        sum2_osd += ow * (osd * osd + (off - ref.offset) * (off - ref.offset));
        sum_fw += fw;
        sum_f += fw * t.frequency;
        inv2_fsd += 1.0 / (t.frequency_sd * t.frequency_sd);
        inv2_skew += 1.0 / (t.skew * t.skew);
        used++;
    }
    if (used == 0)
        return;
    est->offset = sum_o / sum_ow;
    est->offset_sd = sqrt(sum2_osd / sum_ow);
    est->frequency = sum_f / sum_fw;
    est->frequency_sd = 1.0 / sqrt(inv2_fsd);
    est->skew = 1.0 / sqrt(inv2_skew);
    *combined = used;
}

static void lose(struct select_state *st, struct select_result *out)
{
    if (st->selected >= 0)
        out->lost = true;
    st->selected = -1;
    out->selected = -1;
}

void select_run(struct select_state *st, struct select_src **srcs, int n, int updated,
                const struct select_params *p, const struct timespec *now,
                struct select_result *out)
{
    struct endpoint ends[2 * MAX_SOURCES_SORT];
    int sel[MAX_SOURCES_SORT];
    int n_sel = 0, n_ends = 0, n_badstats = 0;
    int max_sel_reach = 0, max_badstat_reach = 0;
    bool require_pending = false;
    double max_reach_sample_ago = 0.0;

    memset(out, 0, sizeof(*out));
    out->selected = st->selected;
    if (n > MAX_SOURCES_SORT)
        n = MAX_SOURCES_SORT;
    if (st->selected >= n)
        st->selected = -1;
    if (updated >= 0 && updated < n)
        srcs[updated]->updates++;

    if (n == 0) {
        lose(st, out);
        return;
    }

    /* Step 1: which sources have usable statistics. */
    for (int i = 0; i < n; i++) {
        struct select_src *s = srcs[i];
        if (s->options & SELECT_OPT_REQUIRE)
            require_pending = true;
        if (s->options & SELECT_OPT_NOSELECT) {
            s->status = SELECT_UNSELECTABLE;
            continue;
        }
        srcstats_selection_data(s->stats, now, &s->info);
        if (!s->info.select_ok) {
            n_badstats++;
            s->status = SELECT_BAD_STATS;
            if (max_badstat_reach < s->reach)
                max_badstat_reach = s->reach;
            continue;
        }
        if (s->info.root_distance > p->max_distance) {
            s->status = SELECT_BAD_DISTANCE;
            continue;
        }
        if (s->info.std_dev > p->max_jitter) {
            s->status = SELECT_JITTERY;
            continue;
        }
        s->status = SELECT_OK;
        if (s->reach && max_reach_sample_ago < s->info.first_sample_ago)
            max_reach_sample_ago = s->info.first_sample_ago;
        if (max_sel_reach < s->reach)
            max_sel_reach = s->reach;
    }

    /* Step 2: stale and orphan sources. */
    int orphan = -1;
    for (int i = 0; i < n; i++) {
        struct select_src *s = srcs[i];
        if (s->status != SELECT_OK)
            continue;
        /* An unreachable source stays usable while its newest sample is not older than
         * the oldest sample of the reachable ones. */
        if (!s->reach && max_reach_sample_ago < s->info.last_sample_ago) {
            s->status = SELECT_STALE;
            continue;
        }
        if (s->info.stratum >= p->orphan_stratum) {
            s->status = SELECT_ORPHAN;
            if (s->info.stratum == p->orphan_stratum && s->reach &&
                (orphan < 0 || s->refid < srcs[orphan]->refid))
                orphan = i;
            continue;
        }
        n_sel++;
    }
    if (n_sel == 0 && orphan >= 0 && p->local_refid != 0 && srcs[orphan]->refid < p->local_refid) {
        srcs[orphan]->status = SELECT_OK;
        n_sel = 1;
    }

    for (int i = 0; i < n; i++) {
        if (srcs[i]->status != SELECT_OK)
            continue;
        ends[n_ends++] = (struct endpoint){srcs[i]->info.lo_limit, i, -1};
        ends[n_ends++] = (struct endpoint){srcs[i]->info.hi_limit, i, +1};
    }

    /* Wait at start until sources polled at the same rate all have statistics. */
    if (n_badstats && n_sel && st->selected < 0 && max_sel_reach >> 1 == max_badstat_reach) {
        mark_ok(srcs, n, SELECT_WAITS_STATS);
        return;
    }
    if (n_ends == 0) {
        lose(st, out);
        return;
    }

    /* Step 3: the interval contained in most source intervals (trusted ones first). */
    qsort(ends, (size_t)n_ends, sizeof(ends[0]), cmp_endpoint);
    int depth = 0, best_depth = 0, trust_depth = 0, best_trust_depth = 0;
    double best_lo = 0.0, best_hi = 0.0;
    for (int k = 0; k < n_ends; k++) {
        bool trusted = srcs[ends[k].index]->options & SELECT_OPT_TRUST;
        if (ends[k].tag < 0) {
            depth++;
            if (trusted)
                trust_depth++;
            if (trust_depth > best_trust_depth ||
                (trust_depth == best_trust_depth && depth > best_depth)) {
                best_trust_depth = trust_depth;
                best_depth = depth;
                best_lo = ends[k].offset;
            }
        } else {
            if (trust_depth == best_trust_depth && depth == best_depth)
                best_hi = ends[k].offset;
            if (trusted)
                trust_depth--;
            depth--;
        }
    }

    if (best_depth <= n_sel / 2 && !best_trust_depth) {
        /* No majority agrees: nothing can be trusted. */
        lose(st, out);
        mark_ok(srcs, n, SELECT_FALSETICKER);
        return;
    }

    /* Step 4: the truechimers. */
    n_sel = 0;
    for (int i = 0; i < n; i++) {
        struct select_src *s = srcs[i];
        if (s->status != SELECT_OK)
            continue;
        bool contains = s->info.lo_limit <= best_lo && s->info.hi_limit >= best_hi;
        bool inside = s->info.lo_limit >= best_lo && s->info.hi_limit <= best_hi;
        if (((!best_trust_depth || (s->options & SELECT_OPT_TRUST)) && contains) || inside) {
            sel[n_sel++] = i;
            if (s->options & SELECT_OPT_REQUIRE)
                require_pending = false;
        } else if (contains) {
            s->status = SELECT_UNTRUSTED;
        } else {
            s->status = SELECT_FALSETICKER;
        }
    }

    if (!n_sel || require_pending || n_sel < p->min_sources) {
        lose(st, out);
        mark_ok(srcs, n, SELECT_WAITS_SOURCES);
        return;
    }

    /* Leap second: accepted when more than half of the (trusted) truechimers agree. */
    int votes = 0, ins = 0, del = 0;
    for (int k = 0; k < n_sel; k++) {
        struct select_src *s = srcs[sel[k]];
        if (best_trust_depth && !(s->options & SELECT_OPT_TRUST))
            continue;
        votes++;
        if (s->leap == 1)
            ins++;
        else if (s->leap == 2)
            del++;
    }
    int leap = ins > votes / 2 ? 1 : del > votes / 2 ? 2 : 0;

    /* prefer: keep only preferred sources when there are any. */
    bool sel_prefer = false;
    for (int k = 0; k < n_sel; k++)
        if (srcs[sel[k]]->options & SELECT_OPT_PREFER)
            sel_prefer = true;
    if (sel_prefer) {
        int j = 0;
        for (int k = 0; k < n_sel; k++) {
            if (srcs[sel[k]]->options & SELECT_OPT_PREFER)
                sel[j++] = sel[k];
            else
                srcs[sel[k]]->status = SELECT_NONPREFERRED;
        }
        n_sel = j;
    }

    int min_stratum = srcs[sel[0]]->info.stratum;
    for (int k = 1; k < n_sel; k++)
        if (srcs[sel[k]]->info.stratum < min_stratum)
            min_stratum = srcs[sel[k]]->info.stratum;

    /* Step 5: scores. A candidate replaces the selected source only when its score (the
     * product of distance ratios over updates) exceeds SCORE_LIMIT. */
    int max_i = -1;
    double max_score = 0.0, sel_dist = 0.0;
    if (st->selected >= 0)
        sel_dist = srcs[st->selected]->info.root_distance +
                   (srcs[st->selected]->info.stratum - min_stratum) * p->stratum_weight;
    for (int i = 0; i < n; i++) {
        struct select_src *s = srcs[i];
        if (s->status != SELECT_OK || (sel_prefer && !(s->options & SELECT_OPT_PREFER))) {
            s->sel_score = 1.0;
            s->distant = DISTANT_PENALTY;
            continue;
        }
        double dist = s->info.root_distance + (s->info.stratum - min_stratum) * p->stratum_weight +
                      p->reselect_dist;
        if (st->selected >= 0) {
            if (i == updated || st->selected == updated) {
                s->sel_score *= sel_dist / dist;
                if (s->sel_score < 1.0)
                    s->sel_score = 1.0;
            }
        } else {
            s->sel_score = 1.0 / dist;
        }
        if (max_score < s->sel_score) {
            max_score = s->sel_score;
            max_i = i;
        }
    }
    if (max_i < 0) {
        lose(st, out);
        return;
    }

    if (st->selected < 0 || srcs[st->selected]->status != SELECT_OK ||
        (max_i != st->selected && max_score > SCORE_LIMIT)) {
        if (srcs[max_i]->updates == 0) {
            /* wait until the new source has a fresh sample */
            lose(st, out);
            mark_ok(srcs, n, SELECT_WAITS_UPDATE);
            return;
        }
        st->selected = max_i;
        for (int i = 0; i < n; i++) {
            srcs[i]->sel_score = 1.0;
            srcs[i]->distant = 0;
        }
    }

    struct select_src *chosen = srcs[st->selected];
    chosen->status = SELECT_SELECTED;
    out->selected = st->selected;
    out->stratum = chosen->info.stratum;
    out->leap = leap;
    out->refid = chosen->refid;

    if (chosen->updates == 0) {
        /* no new sample from the system peer: keep the last combination's labels */
        for (int k = 0; k < n_sel; k++) {
            struct select_src *s = srcs[sel[k]];
            if (s->status == SELECT_OK)
                s->status = s->distant ? SELECT_DISTANT : SELECT_UNSELECTED;
        }
        return;
    }
    for (int i = 0; i < n; i++)
        srcs[i]->updates = 0;

    srcstats_tracking_data(chosen->stats, &out->est);
    combine(srcs, sel, n_sel, st->selected, p, &out->est, &out->combined);
    out->update = true;
}
