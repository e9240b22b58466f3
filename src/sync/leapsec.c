#include "sync/leapsec.h"

#include <string.h>

#define TZIF_HEADER_LEN 44
#define SECS_PER_DAY    86400
/* Limits far above any real zone file; they only keep the size arithmetic small. */
#define TZIF_MAX_COUNT 100000
/* Bounds on leap record values (times within ~35000 years, corrections within 1000 s). */
#define LEAPSEC_MAX_TIME ((int64_t)1 << 40)
#define LEAPSEC_MAX_CORR 1000

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int64_t be64s(const uint8_t *p)
{
    return (int64_t)(((uint64_t)be32(p) << 32) | be32(p + 4));
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chr;
};

static int read_header(const uint8_t *p, size_t avail, struct tzif_counts *c, int *version)
{
    if (avail < TZIF_HEADER_LEN)
        return LEAPSEC_ERR_SHORT;
    if (memcmp(p, "TZif", 4) != 0)
        return LEAPSEC_ERR_MAGIC;
    if (p[4] == 0)
        *version = 1;
    else if (p[4] >= '2' && p[4] <= '4')
        *version = p[4] - '0';
    else
        return LEAPSEC_ERR_MAGIC;
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chr = be32(p + 40);
    if (c->isut > TZIF_MAX_COUNT || c->isstd > TZIF_MAX_COUNT || c->leap > TZIF_MAX_COUNT ||
        c->time > TZIF_MAX_COUNT || c->type > TZIF_MAX_COUNT || c->chr > TZIF_MAX_COUNT)
        return LEAPSEC_ERR_COUNTS;
    /* RFC 8536: typecnt >= 1, isut/isstd either 0 or typecnt */
    if (c->type == 0 || (c->isut != 0 && c->isut != c->type) ||
        (c->isstd != 0 && c->isstd != c->type))
        return LEAPSEC_ERR_COUNTS;
    return LEAPSEC_OK;
}

static size_t block_len(const struct tzif_counts *c, size_t tsize)
{
    return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chr +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

int leapsec_parse_tzif(const uint8_t *buf, size_t len, struct leapsec_table *out)
{
    struct tzif_counts c;
    int version, r;
    memset(out, 0, sizeof(*out));

    if ((r = read_header(buf, len, &c, &version)) != LEAPSEC_OK)
        return r;
    size_t v1_len = block_len(&c, 4);
    if (len - TZIF_HEADER_LEN < v1_len)
        return LEAPSEC_ERR_SHORT;

    const uint8_t *data = buf + TZIF_HEADER_LEN;
    size_t tsize = 4;
    if (version >= 2) {
        /* Use the 64-bit block that follows the version 1 block. */
        const uint8_t *h2 = data + v1_len;
        size_t avail = len - TZIF_HEADER_LEN - v1_len;
        int v2;
        if ((r = read_header(h2, avail, &c, &v2)) != LEAPSEC_OK)
            return r;
        if (v2 != version)
            return LEAPSEC_ERR_MAGIC;
        if (avail - TZIF_HEADER_LEN < block_len(&c, 8))
            return LEAPSEC_ERR_SHORT;
        data = h2 + TZIF_HEADER_LEN;
        tsize = 8;
    }
    if (c.leap == 0)
        return LEAPSEC_ERR_NONE;
    if (c.leap > LEAPSEC_MAX + 1)
        return LEAPSEC_ERR_COUNTS;

    const uint8_t *lp = data + (size_t)c.time * tsize + c.time + (size_t)c.type * 6 + c.chr;
    int64_t prev_occ = INT64_MIN;
    int32_t prev_corr = 0;
    for (uint32_t i = 0; i < c.leap; i++) {
        const uint8_t *rec = lp + i * (tsize + 4);
        int64_t occ = tsize == 8 ? be64s(rec) : (int64_t)(int32_t)be32(rec);
        int32_t corr = (int32_t)be32(rec + tsize);
        /* far outside anything real: refused before any arithmetic can overflow */
        if (occ < -LEAPSEC_MAX_TIME || occ > LEAPSEC_MAX_TIME || corr < -LEAPSEC_MAX_CORR ||
            corr > LEAPSEC_MAX_CORR)
            return LEAPSEC_ERR_RECORDS;
        if (i > 0 && occ <= prev_occ)
            return LEAPSEC_ERR_RECORDS;
        /* v4: a last record repeating the previous correction marks the expiry. */
        if (i > 0 && i == c.leap - 1 && corr == prev_corr && version >= 4) {
            out->expires = occ - prev_corr;
            break;
        }
        int delta = corr - prev_corr;
        /* v4 may truncate the start of the table: the first record can jump. */
        if (i == 0 && version >= 4) {
            delta = corr > 0 ? 1 : -1;
        } else if (delta != 1 && delta != -1) {
            return LEAPSEC_ERR_RECORDS;
        }
        if (out->n >= LEAPSEC_MAX)
            return LEAPSEC_ERR_COUNTS;
        /* The occurrence counts the leap seconds before it; POSIX time does not. */
        int64_t midnight = occ - (i == 0 ? corr - delta : prev_corr);
        if (delta > 0 && midnight % SECS_PER_DAY != 0)
            return LEAPSEC_ERR_RECORDS;
        if (delta < 0) /* the deleted second is 23:59:59: its occurrence is one before */
            midnight += 1;
        if (midnight % SECS_PER_DAY != 0)
            return LEAPSEC_ERR_RECORDS;
        if (out->n > 0 && midnight <= out->e[out->n - 1].midnight)
            return LEAPSEC_ERR_RECORDS;
        out->e[out->n].midnight = midnight;
        out->e[out->n].delta = delta;
        out->e[out->n].tai_utc = 10 + corr;
        out->n++;
        prev_occ = occ;
        prev_corr = corr;
    }
    return out->n > 0 ? LEAPSEC_OK : LEAPSEC_ERR_NONE;
}

const char *leapsec_error_name(int err)
{
    switch (err) {
    case LEAPSEC_OK:
        return "ok";
    case LEAPSEC_ERR_SHORT:
        return "truncated TZif file";
    case LEAPSEC_ERR_MAGIC:
        return "not a TZif file";
    case LEAPSEC_ERR_COUNTS:
        return "inconsistent TZif header counts";
    case LEAPSEC_ERR_RECORDS:
        return "invalid leap second records";
    case LEAPSEC_ERR_NONE:
        return "no leap seconds in the zone (use right/UTC)";
    default:
        return "unknown error";
    }
}

int leapsec_at_end_of_day(const struct leapsec_table *t, time_t now)
{
    int64_t end = ((int64_t)now / SECS_PER_DAY + 1) * SECS_PER_DAY;
    if (now < 0)
        return 0;
    for (int i = 0; i < t->n; i++)
        if (t->e[i].midnight == end)
            return t->e[i].delta;
    return 0;
}

int leapsec_tai_offset(const struct leapsec_table *t, time_t now)
{
    int off = 10;
    for (int i = 0; i < t->n; i++)
        if (t->e[i].midnight <= (int64_t)now)
            off = t->e[i].tai_utc;
    return off;
}
