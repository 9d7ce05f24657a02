/* test_pb_corpus.c -- replays the protobuf seeds of tests/hrana/corpus
 * (pb-*.bin, written by an encoder independent of ours) through the
 * protobuf decoders, checking the expectation in each file's name:
 * pb-req-ok-* / pb-req-bad-* (pipeline requests), pb-cursor-ok-* (cursor
 * requests), pb-resp-ok-* (pipeline responses), pb-entry-ok-* (one cursor
 * entry), pb-items-ok-* (a whole cursor response body: framed items, the
 * head first). What decodes must encode and decode to an equal structure.
 * Every seed and every prefix of it also goes through the fuzz entry point
 * (test_corpus.c replays the files whole). */
#include "test_pb_util.h"

#include <dirent.h>
#include <libgen.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static int starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static void check_req(const char *name, const unsigned char *p, size_t n, int want_ok)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_pipeline_req r;
    int rc = hrana_pb_decode_pipeline_req(p, n, &l, &r, &st);
    if (want_ok && rc != HRANA_OK)
        fail_msg("%s: %s", name, st.message);
    if (!want_ok) {
        if (rc == HRANA_OK)
            fail_msg("%s: accepted", name);
        assert_true(st.message[0] != 0);
        assert_null(r.arena);
        return;
    }
    pbt_req_roundtrip(&r);
    if (!strcmp(name, "pb-req-ok-execute.bin")) {
        const hrana_stmt *s = &r.requests[0].stmt;
        assert_string_equal(r.baton.p, "baton-1");
        assert_int_equal(s->nargs, 9);
        assert_true(s->args[1].u.i == INT64_MIN);
        assert_true(s->args[3].type == LSQL_TYPE_FLOAT && signbit(s->args[3].u.d));
        assert_int_equal(s->args[5].u.bytes.n, 8); /* "h", NUL, e-acute, emoji */
        assert_int_equal(s->args[7].type, LSQL_TYPE_BLOB);
        assert_int_equal(s->args[7].u.bytes.n, 0);
        assert_int_equal(s->nnamed, 1);
    }
    if (!strcmp(name, "pb-req-ok-kinds.bin")) {
        static const int kinds[] = {HRANA_REQ_SEQUENCE, HRANA_REQ_DESCRIBE, HRANA_REQ_STORE_SQL,
                                    HRANA_REQ_CLOSE_SQL, HRANA_REQ_GET_AUTOCOMMIT, HRANA_REQ_CLOSE};
        assert_int_equal(r.nrequests, 6);
        for (int i = 0; i < 6; i++)
            assert_int_equal(r.requests[i].type, kinds[i]);
        assert_int_equal(r.requests[3].sql_id, INT32_MIN);
    }
    hrana_pipeline_req_free(&r);
}

static void check_resp(const char *name, const unsigned char *p, size_t n)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_pipeline_resp r;
    if (hrana_pb_decode_pipeline_resp(p, n, &l, &r, &st) != HRANA_OK)
        fail_msg("%s: %s", name, st.message);
    pbt_resp_roundtrip(&r);
    if (!strcmp(name, "pb-resp-ok-sqld-stats.bin")) {
        const hrana_stmt_result *s = &r.results[0].response.stmt;
        assert_true(s->rows_read == 1 && s->rows_written == 0);
        assert_true(s->query_duration_ms == 0.052);
        assert_false(s->has_last_insert_rowid);
    }
    if (!strcmp(name, "pb-resp-ok-pipeline.bin")) {
        assert_int_equal(r.nresults, 8);
        assert_int_equal(r.results[1].response.batch.nsteps, 4);
        assert_null(r.results[1].response.batch.step_results[2]);
        assert_null(r.results[7].error.code.p); /* sqld's "" */
        assert_null(r.results[2].response.describe.params[1].p);
        assert_int_equal(r.results[4].response.is_autocommit, 0);
    }
    hrana_pipeline_resp_free(&r);
}

static void check_entry(const char *name, const unsigned char *p, size_t n, int *unknown)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_cursor_entry e;
    int rc = hrana_pb_decode_cursor_entry(p, n, &l, &e, &st);
    if (rc == HRANA_E_UNKNOWN_TYPE && unknown) {
        ++*unknown; /* sqld's replication_index entries: a client skips them */
        return;
    }
    if (rc != HRANA_OK)
        fail_msg("%s: %s", name, st.message);
    pbt_entry_roundtrip(&e);
    hrana_cursor_entry_free(&e);
}

static void check_items(const char *name, const unsigned char *p, size_t n)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    size_t off = 0, hdr, len;
    int items = 0, unknown = 0;
    while (off < n) {
        if (hrana_pb_frame(p + off, n - off, l.max_body, &hdr, &len, &st) != 1)
            fail_msg("%s: item %d: bad frame (%s)", name, items, st.message);
        if (items++ == 0) {
            hrana_cursor_head h;
            if (hrana_pb_decode_cursor_head(p + off + hdr, len, &l, &h, &st) != HRANA_OK)
                fail_msg("%s: head: %s", name, st.message);
            hrana_cursor_head_free(&h);
        } else {
            check_entry(name, p + off + hdr, len, &unknown);
        }
        off += hdr + len;
    }
    assert_int_equal(off, n);
    assert_true(items >= 3);
    assert_true(unknown < items - 1);
}

static void test_pb_corpus(void **state)
{
    (void)state;
    char here[1024];
    snprintf(here, sizeof here, "%s", __FILE__);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/corpus", dirname(here));
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    struct dirent *e;
    int ok = 0, bad = 0, other = 0;
    hrana_limits l = ht_limits();
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (!starts(name, "pb-"))
            continue;
        char path[2200];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t n;
        unsigned char *data = read_all(path, &n);
        if (starts(name, "pb-req-ok-") || starts(name, "pb-req-bad-")) {
            check_req(name, data, n, starts(name, "pb-req-ok-"));
            ok += starts(name, "pb-req-ok-");
            bad += starts(name, "pb-req-bad-");
        } else if (starts(name, "pb-cursor-ok-")) {
            hrana_cursor_req r;
            hrana_status st;
            if (hrana_pb_decode_cursor_req(data, n, &l, &r, &st) != HRANA_OK)
                fail_msg("%s: %s", name, st.message);
            pbt_cursor_req_roundtrip(&r);
            hrana_cursor_req_free(&r);
            other++;
        } else if (starts(name, "pb-resp-ok-")) {
            check_resp(name, data, n);
            other++;
        } else if (starts(name, "pb-entry-ok-")) {
            check_entry(name, data, n, NULL);
            other++;
        } else if (starts(name, "pb-items-ok-")) {
            check_items(name, data, n);
            other++;
        } else {
            fail_msg("%s: unknown kind of seed", name);
        }
        /* every prefix through every decoder (must not crash or leak) */
        for (size_t k = 0; k <= n; k++) {
            unsigned char *copy = malloc(k ? k : 1);
            memcpy(copy, data, k);
            LLVMFuzzerTestOneInput(copy, k);
            free(copy);
        }
        free(data);
    }
    closedir(d);
    assert_true(ok >= 4);
    assert_true(bad >= 8);
    assert_true(other >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
