#include "proto/ntp_packet.h"

#include <string.h>

int ntp_header_decode(const uint8_t *buf, size_t len, struct ntp_header *h)
{
    if (len < NTP_HEADER_LEN)
        return NTP_ERR_SHORT;
    h->leap = buf[0] >> 6;
    h->version = (buf[0] >> 3) & 7;
    h->mode = buf[0] & 7;
    h->stratum = buf[1];
    h->poll = (int8_t)buf[2];
    h->precision = (int8_t)buf[3];
    h->root_delay = rd32(buf + 4);
    h->root_dispersion = rd32(buf + 8);
    h->refid = rd32(buf + 12);
    h->reference_ts = rd64(buf + 16);
    h->origin_ts = rd64(buf + 24);
    h->receive_ts = rd64(buf + 32);
    h->transmit_ts = rd64(buf + 40);
    return NTP_OK;
}

void ntp_header_encode(const struct ntp_header *h, uint8_t out[NTP_HEADER_LEN])
{
    out[0] = (uint8_t)(((h->leap & 3) << 6) | ((h->version & 7) << 3) | (h->mode & 7));
    out[1] = h->stratum;
    out[2] = (uint8_t)h->poll;
    out[3] = (uint8_t)h->precision;
    wr32(out + 4, h->root_delay);
    wr32(out + 8, h->root_dispersion);
    wr32(out + 12, h->refid);
    wr64(out + 16, h->reference_ts);
    wr64(out + 24, h->origin_ts);
    wr64(out + 32, h->receive_ts);
    wr64(out + 40, h->transmit_ts);
}

static bool is_crypto_nak(const uint8_t *p, size_t remainder)
{
    return remainder == 4 && rd32(p) == 0;
}

static void set_mac(struct ntp_packet_view *v, size_t offset, size_t len, const uint8_t *buf)
{
    v->auth = NTP_AUTH_MAC;
    v->mac_offset = (uint16_t)offset;
    v->mac_len = (uint16_t)len;
    v->key_id = rd32(buf + offset);
}

/* NTPv4 trailer after the header: extension fields, then optionally a MAC or a
 * crypto-NAK. Following chrony and RFC 7822: a remainder of 20..24 bytes is a MAC, and any
 * remainder of 24 bytes or less that is not a MAC or a crypto-NAK makes the packet invalid
 * (the last extension field must be at least 28 bytes when no MAC follows); a longer
 * remainder must parse as extension fields. */
static int parse_v4_trailer(const uint8_t *buf, size_t len, struct ntp_packet_view *v)
{
    size_t pos = NTP_HEADER_LEN;
    while (pos < len) {
        size_t remainder = len - pos;
        if (is_crypto_nak(buf + pos, remainder)) {
            v->auth = NTP_AUTH_CRYPTO_NAK;
            return NTP_OK;
        }
        if (remainder >= NTP_MIN_MAC_LEN && remainder <= NTP_MAX_V4_MAC_LEN) {
            set_mac(v, pos, remainder, buf);
            return NTP_OK;
        }
        if (remainder <= NTP_MAX_V4_MAC_LEN) /* too short to be a valid last field */
            return NTP_ERR_MAC;
        uint16_t type = rd16(buf + pos);
        uint16_t ef_len = rd16(buf + pos + 2);
        if (ef_len < NTP_MIN_EF_LEN || ef_len % 4 != 0 || ef_len > remainder)
            return NTP_ERR_EXT_FIELD;
        if (v->n_ext >= NTP_MAX_EFS)
            return NTP_ERR_TOO_MANY_EF;
        v->ext[v->n_ext].type = type;
        v->ext[v->n_ext].length = ef_len;
        v->ext[v->n_ext].offset = (uint16_t)pos;
        v->n_ext++;
        pos += ef_len;
    }
    return NTP_OK;
}

int ntp_packet_parse(const uint8_t *buf, size_t len, struct ntp_packet_view *v)
{
    memset(v, 0, sizeof(*v));
    if (len < NTP_HEADER_LEN)
        return NTP_ERR_SHORT;
    if (len % 4 != 0)
        return NTP_ERR_ALIGN;
    if (len > NTP_MAX_PACKET_LEN)
        return NTP_ERR_LONG;
    ntp_header_decode(buf, len, &v->h);
    v->length = len;
    if (v->h.version < 1 || v->h.version > 4)
        return NTP_ERR_VERSION;
    if (len == NTP_HEADER_LEN)
        return NTP_OK;
    if (v->h.version == 4)
        return parse_v4_trailer(buf, len, v);
    /* NTPv1-3: everything after the header is a MAC with the full digest. */
    size_t remainder = len - NTP_HEADER_LEN;
    if (is_crypto_nak(buf + NTP_HEADER_LEN, remainder)) {
        v->auth = NTP_AUTH_CRYPTO_NAK;
        return NTP_OK;
    }
    if (remainder < NTP_MIN_MAC_LEN || remainder > NTP_MAX_MAC_LEN)
        return NTP_ERR_MAC;
    set_mac(v, NTP_HEADER_LEN, remainder, buf);
    return NTP_OK;
}

const char *ntp_parse_error_name(int err)
{
    switch (err) {
    case NTP_OK:
        return "ok";
    case NTP_ERR_SHORT:
        return "short packet";
    case NTP_ERR_ALIGN:
        return "length not a multiple of 4";
    case NTP_ERR_LONG:
        return "packet too long";
    case NTP_ERR_VERSION:
        return "unsupported version";
    case NTP_ERR_EXT_FIELD:
        return "malformed extension field";
    case NTP_ERR_TOO_MANY_EF:
        return "too many extension fields";
    case NTP_ERR_MAC:
        return "malformed MAC";
    default:
        return "unknown error";
    }
}

int ntp_ext_field_append(uint8_t *out, size_t cap, size_t *pos, uint16_t type, const uint8_t *body,
                         size_t body_len)
{
    size_t len = 4 + body_len;
    len = (len + 3) & ~(size_t)3;
    if (len < NTP_MIN_EF_LEN)
        len = NTP_MIN_EF_LEN;
    if (len > 0xffff || *pos > cap || cap - *pos < len)
        return -1;
    uint8_t *p = out + *pos;
    wr16(p, type);
    wr16(p + 2, (uint16_t)len);
    if (body_len)
        memcpy(p + 4, body, body_len);
    memset(p + 4 + body_len, 0, len - 4 - body_len);
    *pos += len;
    return 0;
}
