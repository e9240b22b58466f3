/* libFuzzer target: NTS-KE framing, reassembly, the server's request parser and the
 * client's response parser.
 * Invariants: nothing reads outside the input (ASan); reassembly in arbitrary pieces gives
 * the same verdict as checking the whole; the server's response to any request is a
 * complete message that its own client accepts when the negotiation succeeded; parsed
 * client results stay within their bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntske.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ntske_msgbuf msgbuf;
static struct ntske_response resp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t aeads[] = {NTS_AEAD_AES_SIV_CMAC_256};
    if (size < 1)
        return 0;
    /* The first byte picks the piece size for reassembly. */
    size_t piece = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);

    int whole = ntske_frame_check(buf, size);
    ntske_msgbuf_reset(&msgbuf);
    int st = NTSKE_FRAME_INCOMPLETE;
    for (size_t off = 0; off < size; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        st = ntske_msgbuf_append(&msgbuf, buf + off, n);
    }
    /* Piecewise reassembly agrees with the one-shot check (an INVALID seen early stays
     * INVALID; data after a complete message makes it INVALID in both). */
    if (size <= NTSKE_MAX_MESSAGE && st != whole)
        abort();

    struct ntske_request req;
    ntske_parse_request(buf, size, aeads, 1, &req);
    if (whole != NTSKE_FRAME_COMPLETE && req.error != NTSKE_ERROR_BAD_REQUEST)
        abort();
    uint8_t cookies[NTS_MAX_COOKIES * NTS_COOKIE_LEN];
    memset(cookies, 0xc5, sizeof(cookies));
    struct ntske_server_params p = {.ntp_port = (uint16_t)(size * 7), .ntp_server = "ntp.test"};
    uint8_t out[NTSKE_MAX_MESSAGE];
    int n =
        ntske_build_response(&req, &p, cookies, NTS_COOKIE_LEN, NTS_MAX_COOKIES, out, sizeof(out));
    if (n < 0 || ntske_frame_check(out, (size_t)n) != NTSKE_FRAME_COMPLETE)
        abort();
    int status = ntske_parse_response(out, (size_t)n, aeads, 1, &resp);
    if (ntske_request_ok(&req) != (status == NTSKE_RESP_OK))
        abort();

    status = ntske_parse_response(buf, size, aeads, 1, &resp);
    if (resp.cookies.n < 0 || resp.cookies.n > NTS_MAX_COOKIES)
        abort();
    for (int i = 0; i < resp.cookies.n; i++)
        if (resp.cookies.len[i] > NTS_COOKIE_MAX_LEN || resp.cookies.len[i] < 12 ||
            resp.cookies.len[i] % 4)
            abort();
    if (strlen(resp.server) > NTSKE_MAX_BODY || strchr(resp.server, ' '))
        abort();
    if (status == NTSKE_RESP_OK && (resp.cookies.n == 0 || resp.aead != 15))
        abort();
    free(buf);
    return 0;
}
