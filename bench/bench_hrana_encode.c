/* bench_encode.c -- why the encoder is hand-written: encodes a 1000-row,
 * 5-column result with hrana_encode_value and with jansson (build a tree,
 * json_dumps) and prints the time per result. Built with
 * -DLSQL_BUILD_BENCH=ON as hrana_bench_encode; numbers in docs/LSQLD.md. */
#include "hrana.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 1000
#define ITERS 200

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void row_values(int r, char *text, size_t cap, lsql_value v[5])
{
    snprintf(text, cap, "name number %d", r);
    v[0] = lsql_int((int64_t)r * 1234567);
    v[1] = lsql_float(r * 0.125 + 1e-3);
    v[2] = lsql_text(text, strlen(text));
    v[3] = lsql_null();
    v[4] = lsql_blob(text, 16);
}

static size_t hand_written(void)
{
    char text[64];
    hrana_buf b;
    hrana_buf_init(&b, 1u << 28);
    hrana_buf_puts(&b, "{\"cols\":[],\"rows\":[");
    for (int r = 0; r < ROWS; r++) {
        lsql_value v[5];
        row_values(r, text, sizeof text, v);
        if (r)
            hrana_buf_putc(&b, ',');
        hrana_buf_putc(&b, '[');
        for (int c = 0; c < 5; c++) {
            if (c)
                hrana_buf_putc(&b, ',');
            hrana_encode_value(&b, &v[c]);
        }
        hrana_buf_putc(&b, ']');
    }
    hrana_buf_puts(&b, "]}");
    size_t n = b.len;
    hrana_buf_free(&b);
    return n;
}

static size_t with_jansson(void)
{
    char text[64], num[32], b64[64];
    json_t *rows = json_array();
    for (int r = 0; r < ROWS; r++) {
        lsql_value v[5];
        row_values(r, text, sizeof text, v);
        json_t *row = json_array();
        snprintf(num, sizeof num, "%lld", (long long)v[0].u.i);
        json_array_append_new(row, json_pack("{s:s,s:s}", "type", "integer", "value", num));
        json_array_append_new(row, json_pack("{s:s,s:f}", "type", "float", "value", v[1].u.d));
        json_array_append_new(row, json_pack("{s:s,s:s%}", "type", "text", "value", text,
                                             v[2].u.bytes.n));
        json_array_append_new(row, json_pack("{s:s}", "type", "null"));
        hrana_buf bb;
        hrana_buf_init(&bb, sizeof b64 - 1);
        hrana_put_base64(&bb, v[4].u.bytes.p, v[4].u.bytes.n);
        memcpy(b64, bb.p, bb.len);
        b64[bb.len] = 0;
        hrana_buf_free(&bb);
        json_array_append_new(row, json_pack("{s:s,s:s}", "type", "blob", "base64", b64));
        json_array_append_new(rows, row);
    }
    json_t *res = json_pack("{s:[],s:o}", "cols", "rows", rows);
    char *s = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(17));
    size_t n = strlen(s);
    free(s);
    json_decref(res);
    return n;
}

int main(void)
{
    size_t bytes = 0;
    double t0 = now();
    for (int i = 0; i < ITERS; i++)
        bytes = hand_written();
    double t1 = now();
    printf("hand-written encoder: %.3f ms per %d-row result (%zu bytes)\n",
           (t1 - t0) * 1000 / ITERS, ROWS, bytes);
    t0 = now();
    for (int i = 0; i < ITERS; i++)
        bytes = with_jansson();
    t1 = now();
    printf("jansson tree + json_dumps: %.3f ms per %d-row result (%zu bytes)\n",
           (t1 - t0) * 1000 / ITERS, ROWS, bytes);
    return 0;
}
