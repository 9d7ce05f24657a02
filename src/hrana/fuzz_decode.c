/* fuzz_decode.c -- libFuzzer entry point: every decoder on the same input.
 * Built only with -DLSQL_FUZZ=ON and clang:
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DLSQL_FUZZ=ON
 *   build-fuzz/src/hrana/hrana_fuzz_decode tests/hrana/corpus */
#include "hrana.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        hrana_pipeline_resp_free(&resp);
    }
    hrana_cursor_entry e;
    if (hrana_decode_cursor_entry(s, size, &lim, &e, &st) == HRANA_OK)
        hrana_cursor_entry_free(&e);
    return 0;
}
