#include "proto/nts_ef.h"

#include <string.h>

#define EF_HEADER_LEN    4
#define AUTH_HEADER_LEN  4   /* nonce length, ciphertext length */
#define MIN_NONCE_SPACE  16  /* RFC 8915 5.6: nonce + padding (+ additional padding) >= 16 */
#define MAX_COOKIE_BYTES 864 /* chrony: all cookie fields of a request within 8 * 108 */

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* The located parts of an Authenticator and Encrypted Extension Fields field. */
struct auth_ef {
    const uint8_t *nonce;
    size_t nonce_len;
    const uint8_t *ct;
    size_t ct_len;
};

/* Validates the authenticator field at ef (ef_len bytes, header included). */
static int parse_auth(const uint8_t *ef, size_t ef_len, struct auth_ef *a)
{
    if (ef_len < EF_HEADER_LEN + AUTH_HEADER_LEN)
        return -1;
    const uint8_t *body = ef + EF_HEADER_LEN;
    size_t body_len = ef_len - EF_HEADER_LEN;
    a->nonce_len = rd16(body);
    a->ct_len = rd16(body + 2);
    size_t nonce_space = pad4(a->nonce_len);
    if (nonce_space < MIN_NONCE_SPACE)
        nonce_space = MIN_NONCE_SPACE; /* the rest is the "additional padding" */
    if (a->nonce_len < 1 || a->ct_len < SIV_TAG_LEN ||
        AUTH_HEADER_LEN + nonce_space + pad4(a->ct_len) > body_len)
        return -1;
    a->nonce = body + AUTH_HEADER_LEN;
    a->ct = a->nonce + pad4(a->nonce_len);
    return 0;
}

/* Walks encrypted extension fields (plaintext of an authenticator): each at least a
 * header, a multiple of 4, inside the buffer. Calls back for each; returns -1 if malformed
 * or if the callback refuses a field. */
typedef int (*inner_fn)(void *arg, uint16_t type, const uint8_t *body, size_t body_len);

static int walk_inner(const uint8_t *p, size_t len, inner_fn fn, void *arg)
{
    size_t pos = 0;
    while (pos < len) {
        if (len - pos < EF_HEADER_LEN)
            return -1;
        size_t ef_len = rd16(p + pos + 2);
        if (ef_len < EF_HEADER_LEN || ef_len % 4 || ef_len > len - pos)
            return -1;
        if (fn && fn(arg, rd16(p + pos), p + pos + EF_HEADER_LEN, ef_len - EF_HEADER_LEN) != 0)
            return -1;
        pos += ef_len;
    }
    return 0;
}

static bool is_nts_type(uint16_t t)
{
    return t == NTS_EF_UNIQUE_ID || t == NTS_EF_COOKIE || t == NTS_EF_PLACEHOLDER ||
           t == NTS_EF_AUTH;
}

/* ---- Server ---- */

struct placeholder_count {
    size_t cookie_len;
    int n;
};

static int count_inner_placeholder(void *arg, uint16_t type, const uint8_t *body, size_t len)
{
    (void)body;
    struct placeholder_count *c = arg;
    if (type != NTS_EF_PLACEHOLDER)
        return 0;
    if (len != c->cookie_len)
        return -1;
    c->n++;
    return 0;
}

int nts_ef_server_check(const uint8_t *req, const struct ntp_packet_view *v,
                        const struct nts_keyring *kr, nts_random_fn random, void *random_arg,
                        struct nts_ef_server_state *st)
{
    const struct ntp_ext_field *cookie = NULL, *auth = NULL;
    bool any = false, uid = false;
    int requested = 0;
    size_t cookie_len = 0;
    bool have_len = false;

    st->n_cookies = 0;
    st->plaintext_len = 0;
    for (int i = 0; i < v->n_ext; i++)
        any |= is_nts_type(v->ext[i].type);
    if (!any)
        return NTS_EF_NOT_NTS;
    if (v->h.mode != NTP_MODE_CLIENT || v->auth != NTP_AUTH_NONE)
        return NTS_EF_DROP;

    for (int i = 0; i < v->n_ext; i++) {
        const struct ntp_ext_field *e = &v->ext[i];
        size_t body_len = e->length - EF_HEADER_LEN;
        switch (e->type) {
        case NTS_EF_UNIQUE_ID:
            uid = true;
            break;
        case NTS_EF_COOKIE:
            if (cookie || body_len > NTS_COOKIE_MAX_LEN)
                return NTS_EF_DROP;
            /* A cookie and each placeholder ask for one new cookie. */
            cookie = e;
            /* fall through */
        case NTS_EF_PLACEHOLDER:
            if (have_len && body_len != cookie_len)
                return NTS_EF_DROP;
            cookie_len = body_len;
            have_len = true;
            requested++;
            break;
        case NTS_EF_AUTH:
            if ((size_t)e->offset + e->length != v->length)
                return NTS_EF_DROP; /* must be the last field */
            auth = e;
            break;
        default:
            break;
        }
    }
    if (!uid || !cookie || !auth)
        return NTS_EF_DROP;

    if (nts_cookie_open(kr, req + cookie->offset + EF_HEADER_LEN, cookie->length - EF_HEADER_LEN,
                        &st->keys) != NTS_COOKIE_OK)
        return NTS_EF_NAK_COOKIE;

    struct auth_ef a;
    if (parse_auth(req + auth->offset, auth->length, &a) != 0) {
        explicit_bzero(&st->keys, sizeof(st->keys));
        return NTS_EF_DROP;
    }
    uint8_t plain[NTP_MAX_PACKET_LEN];
    size_t plain_len = a.ct_len - SIV_TAG_LEN;
    struct siv_ctx siv;
    siv_set_key(&siv, st->keys.c2s);
    int ok = siv_decrypt(&siv, a.nonce, a.nonce_len, req, auth->offset, a.ct, a.ct_len, plain);
    siv_wipe(&siv);
    if (ok != 0) {
        explicit_bzero(&st->keys, sizeof(st->keys));
        return NTS_EF_NAK_AUTH;
    }
    /* Encrypted placeholders ask for cookies too. */
    struct placeholder_count inner = {cookie_len, 0};
    if (walk_inner(plain, plain_len, count_inner_placeholder, &inner) != 0) {
        explicit_bzero(&st->keys, sizeof(st->keys));
        return NTS_EF_DROP;
    }
    requested += inner.n;
    if (requested > NTS_MAX_COOKIES)
        requested = NTS_MAX_COOKIES;

    /* Seal the new cookies now, as EFs of the reply's plaintext. */
    const struct nts_server_key *key = nts_keyring_current(kr);
    if (random(random_arg, st->nonce, sizeof(st->nonce)) != 0)
        goto fail;
    for (int i = 0; i < requested; i++) {
        uint8_t *ef = st->plaintext + st->plaintext_len;
        int n = nts_cookie_seal(key, &st->keys, random, random_arg, ef + EF_HEADER_LEN,
                                sizeof(st->plaintext) - st->plaintext_len - EF_HEADER_LEN);
        if (n < 0)
            goto fail;
        wr16(ef, NTS_EF_COOKIE);
        wr16(ef + 2, (uint16_t)(EF_HEADER_LEN + (size_t)n)); /* n = 100: already aligned */
        st->plaintext_len += EF_HEADER_LEN + (size_t)n;
        st->n_cookies++;
    }
    return NTS_EF_OK;
fail:
    explicit_bzero(st, sizeof(*st));
    return NTS_EF_DROP;
}

/* Copies the request's Unique Identifier fields (verbatim) to reply[*pos...]. */
static int copy_uids(const uint8_t *req, const struct ntp_packet_view *v, uint8_t *reply,
                     size_t cap, size_t *pos)
{
    for (int i = 0; i < v->n_ext; i++) {
        const struct ntp_ext_field *e = &v->ext[i];
        if (e->type != NTS_EF_UNIQUE_ID)
            continue;
        if (*pos > cap || cap - *pos < e->length)
            return -1;
        memcpy(reply + *pos, req + e->offset, e->length);
        *pos += e->length;
    }
    return 0;
}

int nts_ef_server_reply(const uint8_t *req, const struct ntp_packet_view *v,
                        struct nts_ef_server_state *st, uint8_t *reply, size_t cap,
                        size_t *reply_len)
{
    size_t pos = *reply_len;
    int ret = -1;
    if (copy_uids(req, v, reply, cap, &pos) != 0 || v->length > cap || pos > v->length)
        goto out;
    size_t auth_len = v->length - pos;
    const size_t fixed = EF_HEADER_LEN + AUTH_HEADER_LEN + NTS_EF_NONCE_LEN + SIV_TAG_LEN;
    if (auth_len < fixed)
        goto out;
    /* The reply must never be longer than the request: return fewer cookies if needed
     * (cannot happen with tock's own equal-sized cookies, but the rule is absolute). */
    size_t pt_len = st->plaintext_len;
    while (fixed + pt_len > auth_len)
        pt_len -= EF_HEADER_LEN + NTS_COOKIE_LEN;

    uint8_t *ef = reply + pos;
    wr16(ef, NTS_EF_AUTH);
    wr16(ef + 2, (uint16_t)auth_len);
    wr16(ef + 4, NTS_EF_NONCE_LEN);
    wr16(ef + 6, (uint16_t)(SIV_TAG_LEN + pt_len));
    memcpy(ef + 8, st->nonce, NTS_EF_NONCE_LEN);
    uint8_t *ct = ef + 8 + NTS_EF_NONCE_LEN;
    struct siv_ctx siv;
    siv_set_key(&siv, st->keys.s2c);
    siv_encrypt(&siv, st->nonce, NTS_EF_NONCE_LEN, reply, pos, st->plaintext, pt_len, ct);
    siv_wipe(&siv);
    size_t used = fixed + pt_len;
    memset(ef + used, 0, auth_len - used); /* padding up to the request's length */
    *reply_len = v->length;
    ret = 0;
out:
    explicit_bzero(&st->keys, sizeof(st->keys));
    return ret;
}

int nts_ef_server_nak(const uint8_t *req, const struct ntp_packet_view *v, uint8_t *reply,
                      size_t cap, size_t *reply_len)
{
    size_t pos = *reply_len;
    if (copy_uids(req, v, reply, cap, &pos) != 0)
        return -1;
    *reply_len = pos;
    return 0;
}

/* ---- Client ---- */

int nts_ef_client_placeholders(int cookies_left, size_t cookie_len)
{
    int want = NTS_MAX_COOKIES - (cookies_left < 0 ? 0 : cookies_left);
    int fit = (int)(MAX_COOKIE_BYTES / (cookie_len + EF_HEADER_LEN));
    if (want > fit)
        want = fit;
    return want > 1 ? want - 1 : 0;
}

int nts_ef_client_build(uint8_t *pkt, size_t cap, size_t *len, const struct nts_keys *keys,
                        const uint8_t *cookie, size_t cookie_len, int n_placeholders,
                        nts_random_fn random, void *random_arg, uint8_t uid[NTS_UID_LEN])
{
    size_t pos = *len;
    uint8_t nonce[NTS_EF_NONCE_LEN];
    if (keys->key_len != SIV_KEY_LEN || cookie_len < NTP_MIN_EF_LEN - EF_HEADER_LEN ||
        cookie_len > NTS_COOKIE_MAX_LEN || cookie_len % 4 || n_placeholders < 0 ||
        n_placeholders >= NTS_MAX_COOKIES || pos % 4)
        return -1;
    size_t total = pos + EF_HEADER_LEN + NTS_UID_LEN +
                   (size_t)(1 + n_placeholders) * (EF_HEADER_LEN + cookie_len) + EF_HEADER_LEN +
                   AUTH_HEADER_LEN + NTS_EF_NONCE_LEN + SIV_TAG_LEN;
    if (total > cap || total > NTP_MAX_PACKET_LEN)
        return -1;
    if (random(random_arg, uid, NTS_UID_LEN) != 0 || random(random_arg, nonce, sizeof(nonce)) != 0)
        return -1;

    ntp_ext_field_append(pkt, cap, &pos, NTS_EF_UNIQUE_ID, uid, NTS_UID_LEN);
    ntp_ext_field_append(pkt, cap, &pos, NTS_EF_COOKIE, cookie, cookie_len);
    for (int i = 0; i < n_placeholders; i++) {
        /* A zero body of the cookie's length. */
        wr16(pkt + pos, NTS_EF_PLACEHOLDER);
        wr16(pkt + pos + 2, (uint16_t)(EF_HEADER_LEN + cookie_len));
        memset(pkt + pos + EF_HEADER_LEN, 0, cookie_len);
        pos += EF_HEADER_LEN + cookie_len;
    }
    uint8_t *ef = pkt + pos;
    wr16(ef, NTS_EF_AUTH);
    wr16(ef + 2, EF_HEADER_LEN + AUTH_HEADER_LEN + NTS_EF_NONCE_LEN + SIV_TAG_LEN);
    wr16(ef + 4, NTS_EF_NONCE_LEN);
    wr16(ef + 6, SIV_TAG_LEN);
    memcpy(ef + 8, nonce, sizeof(nonce));
    struct siv_ctx siv;
    siv_set_key(&siv, keys->c2s);
    siv_encrypt(&siv, nonce, sizeof(nonce), pkt, pos, NULL, 0, ef + 8 + NTS_EF_NONCE_LEN);
    siv_wipe(&siv);
    *len = total;
    return 0;
}

static int take_cookie(void *arg, uint16_t type, const uint8_t *body, size_t len)
{
    struct nts_cookie_set *set = arg;
    /* As chrony: only whole-EF-sized cookies of a length a client can keep; extra or odd
     * ones are skipped, not fatal. */
    if (type != NTS_EF_COOKIE || len + EF_HEADER_LEN < NTP_MIN_EF_LEN || len > NTS_COOKIE_MAX_LEN ||
        set->n >= NTS_MAX_COOKIES)
        return 0;
    set->len[set->n] = (uint16_t)len;
    memcpy(set->data[set->n], body, len);
    set->n++;
    return 0;
}

int nts_ef_client_check(const uint8_t *pkt, const struct ntp_packet_view *v,
                        const struct nts_keys *keys, const uint8_t uid[NTS_UID_LEN],
                        struct nts_cookie_set *cookies)
{
    bool uid_ok = false, auth_ok = false;
    uint8_t plain[NTP_MAX_PACKET_LEN];
    size_t plain_len = 0;

    cookies->n = 0;
    if (v->h.mode != NTP_MODE_SERVER || v->auth != NTP_AUTH_NONE || keys->key_len != SIV_KEY_LEN)
        return NTS_EF_CLIENT_INVALID;
    for (int i = 0; i < v->n_ext; i++) {
        const struct ntp_ext_field *e = &v->ext[i];
        switch (e->type) {
        case NTS_EF_UNIQUE_ID:
            if (e->length != EF_HEADER_LEN + NTS_UID_LEN ||
                memcmp(pkt + e->offset + EF_HEADER_LEN, uid, NTS_UID_LEN) != 0)
                return NTS_EF_CLIENT_INVALID;
            uid_ok = true;
            break;
        case NTS_EF_AUTH: {
            struct auth_ef a;
            if ((size_t)e->offset + e->length != v->length || auth_ok ||
                parse_auth(pkt + e->offset, e->length, &a) != 0)
                return NTS_EF_CLIENT_INVALID;
            struct siv_ctx siv;
            siv_set_key(&siv, keys->s2c);
            int ok = siv_decrypt(&siv, a.nonce, a.nonce_len, pkt, e->offset, a.ct, a.ct_len, plain);
            siv_wipe(&siv);
            if (ok != 0)
                return NTS_EF_CLIENT_INVALID;
            plain_len = a.ct_len - SIV_TAG_LEN;
            if (walk_inner(plain, plain_len, NULL, NULL) != 0)
                return NTS_EF_CLIENT_INVALID;
            auth_ok = true;
            break;
        }
        default:
            break; /* unencrypted cookies and anything else are ignored */
        }
    }
    if (!uid_ok || !auth_ok) {
        if (uid_ok && v->h.stratum == 0 && v->h.refid == NTP_KISS_NTSN)
            return NTS_EF_CLIENT_NAK;
        return NTS_EF_CLIENT_INVALID;
    }
    walk_inner(plain, plain_len, take_cookie, cookies);
    /* A reply without a usable cookie does not count (chrony refuses it too). */
    return cookies->n > 0 ? NTS_EF_CLIENT_OK : NTS_EF_CLIENT_INVALID;
}
