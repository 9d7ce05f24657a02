/* fuzz_decode.c -- libFuzzer entry point: every decoder, JSON and protobuf,
 * on the same input.
 * Built only with -DLSQL_FUZZ=ON and clang:
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DLSQL_FUZZ=ON
 *   build-fuzz/src/hrana/hrana_fuzz_decode tests/hrana/corpus */
#include "hrana.h"
#include "hrana_pb.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decode that failed on what an encoder wrote: only limits may refuse it. */
static void check_again(int rc, const hrana_status *st)
{
    if (rc != HRANA_OK && st->code != HRANA_E_LIMIT && st->code != HRANA_E_TOO_LARGE)
        abort();
}

/* A protobuf encoding of a decoded request must decode again. */
static void pb_req_again(const hrana_pipeline_req *req, const hrana_limits *lim)
{
    hrana_buf b;
    hrana_status st;
    hrana_pipeline_req again;
    hrana_buf_init(&b, 64u << 20);
    hrana_pb_encode_pipeline_req(&b, req);
    if (hrana_buf_ok(&b)) {
        check_again(hrana_pb_decode_pipeline_req(b.p, b.len, lim, &again, &st), &st);
        hrana_pipeline_req_free(&again);
    }
    hrana_buf_free(&b);
}

static void pb_resp_again(const hrana_pipeline_resp *resp, const hrana_limits *lim)
{
    hrana_buf b;
    hrana_status st;
    hrana_pipeline_resp again;
    hrana_buf_init(&b, 64u << 20);
    hrana_pb_encode_pipeline_resp(&b, resp);
    if (hrana_buf_ok(&b)) {
        check_again(hrana_pb_decode_pipeline_resp(b.p, b.len, lim, &again, &st), &st);
        hrana_pipeline_resp_free(&again);
    }
    hrana_buf_free(&b);
}

/* Every protobuf decoder on the input; what decodes must encode and decode
 * again. */
static void pb_all(const uint8_t *data, size_t size, const hrana_limits *lim)
{
    hrana_status st;
    hrana_buf b;
    hrana_pipeline_req req;
    if (hrana_pb_decode_pipeline_req(data, size, lim, &req, &st) == HRANA_OK) {
        pb_req_again(&req, lim);
        hrana_pipeline_req_free(&req);
    }
    hrana_cursor_req creq;
    if (hrana_pb_decode_cursor_req(data, size, lim, &creq, &st) == HRANA_OK) {
        hrana_cursor_req again;
        hrana_buf_init(&b, 64u << 20);
        hrana_pb_encode_cursor_req(&b, &creq);
        if (hrana_buf_ok(&b)) {
            check_again(hrana_pb_decode_cursor_req(b.p, b.len, lim, &again, &st), &st);
            hrana_cursor_req_free(&again);
        }
        hrana_buf_free(&b);
        hrana_cursor_req_free(&creq);
    }
    hrana_pipeline_resp resp;
    if (hrana_pb_decode_pipeline_resp(data, size, lim, &resp, &st) == HRANA_OK) {
        pb_resp_again(&resp, lim);
        hrana_pipeline_resp_free(&resp);
    }
    /* a cursor body: framed items, the head first */
    size_t off = 0, hdr, len;
    int first = 1;
    while (hrana_pb_frame(data + off, size - off, lim->max_body, &hdr, &len, &st) == 1) {
        const uint8_t *item = data + off + hdr;
        if (first) {
            hrana_cursor_head h;
            if (hrana_pb_decode_cursor_head(item, len, lim, &h, &st) == HRANA_OK)
                hrana_cursor_head_free(&h);
            first = 0;
        } else {
            hrana_cursor_entry e;
            if (hrana_pb_decode_cursor_entry(item, len, lim, &e, &st) == HRANA_OK) {
                hrana_buf_init(&b, 64u << 20);
                hrana_pb_encode_cursor_entry(&b, &e);
                hrana_cursor_entry again;
                size_t h2, l2;
                if (hrana_buf_ok(&b)) {
                    if (hrana_pb_frame(b.p, b.len, b.len, &h2, &l2, &st) != 1 ||
                        h2 + l2 != b.len)
                        abort();
                    check_again(hrana_pb_decode_cursor_entry(b.p + h2, l2, lim, &again, &st),
                                &st);
                    hrana_cursor_entry_free(&again);
                }
                hrana_buf_free(&b);
                hrana_cursor_entry_free(&e);
            }
        }
        off += hdr + len;
    }
    hrana_cursor_entry e;
    if (hrana_pb_decode_cursor_entry(data, size, lim, &e, &st) == HRANA_OK)
        hrana_cursor_entry_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hrana_limits lim;
    hrana_limits_default(&lim);
    lim.max_body = 1u << 20;
    const char *s = (const char *)data;
    hrana_status st;
    hrana_buf b;

    hrana_pipeline_req req;
    if (hrana_decode_pipeline_req(s, size, &lim, &req, &st) == HRANA_OK) {
        /* what decodes must encode and decode again */
        hrana_buf_init(&b, 64u << 20);
        hrana_encode_pipeline_req(&b, &req);
        hrana_pipeline_req again;
        if (hrana_buf_ok(&b) &&
            hrana_decode_pipeline_req(b.p, b.len, &lim, &again, &st) != HRANA_OK &&
            st.code != HRANA_E_LIMIT && st.code != HRANA_E_TOO_LARGE)
            abort();
        hrana_pipeline_req_free(&again);
        hrana_buf_free(&b);
        pb_req_again(&req, &lim); /* and the same in protobuf */
        hrana_pipeline_req_free(&req);
    }
    hrana_cursor_req creq;
    if (hrana_decode_cursor_req(s, size, &lim, &creq, &st) == HRANA_OK)
        hrana_cursor_req_free(&creq);
    hrana_pipeline_resp resp;
    if (hrana_decode_pipeline_resp(s, size, &lim, &resp, &st) == HRANA_OK) {
        hrana_buf_init(&b, 64u << 20);
        hrana_encode_pipeline_resp(&b, &resp);
        hrana_buf_free(&b);
        pb_resp_again(&resp, &lim);
        hrana_pipeline_resp_free(&resp);
    }
    hrana_cursor_entry e;
    if (hrana_decode_cursor_entry(s, size, &lim, &e, &st) == HRANA_OK)
        hrana_cursor_entry_free(&e);
    pb_all(data, size, &lim);
    return 0;
}
