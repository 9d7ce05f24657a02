/* test_remote_interrupt_thread.c -- lsql_conn_interrupt from another thread
 * aborts a remote request that is waiting for a slow server (the fake
 * server of fakesrv.h holds its answer for 10 s), and the connection stays
 * usable. Runs under ThreadSanitizer too ("thread" in its name). */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include "fakesrv.h"

#include <stdatomic.h>

typedef struct srv_state {
    atomic_int slow;        /* answer execute requests after 10 s */
    atomic_int unavailable; /* answer execute requests 503, Retry-After: 30 */
} srv_state;

static const char k_describe[] =
    "{\"type\":\"ok\",\"response\":{\"type\":\"store_sql\"}},"
    "{\"type\":\"ok\",\"response\":{\"type\":\"describe\",\"result\":{\"params\":[],\"cols\":"
    "[{\"name\":\"x\",\"decltype\":null}],\"is_explain\":false,\"is_readonly\":true}}}";
static const char k_execute[] =
    "{\"type\":\"ok\",\"response\":{\"type\":\"execute\",\"result\":{\"cols\":[{\"name\":\"x\","
    "\"decltype\":null}],\"rows\":[[{\"type\":\"integer\",\"value\":\"1\"}]],"
    "\"affected_row_count\":0,\"last_insert_rowid\":null}}}";
/* lsql asks get_autocommit only when the transaction state may change */
static const char k_autocommit[] =
    ",{\"type\":\"ok\",\"response\":{\"type\":\"get_autocommit\",\"is_autocommit\":true}}";
static const char k_store[] = "{\"type\":\"ok\",\"response\":{\"type\":\"store_sql\"}},";
static const char k_close[] =
    "{\"baton\":null,\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":"
    "\"close\"}}]}";

static void handler(fs_conn *c, const fs_req *r, void *ud)
{
    srv_state *s = ud;
    if (!strcmp(r->method, "GET")) {
        fs_respond(c, 200, NULL, "ok", 2);
    } else if (strstr(r->body, "\"describe\"") || strstr(r->body, "\"execute\"")) {
        bool describe = strstr(r->body, "\"describe\"") != NULL;
        if (!describe && atomic_load(&s->slow) && !fs_sleep_ms(c, 10000))
            return;
        if (!describe && atomic_load(&s->unavailable)) {
            fs_respond(c, 503, "Retry-After: 30\r\n", "busy", 4);
            return;
        }
        char body[1024];
        snprintf(body, sizeof body, "{\"baton\":\"b\",\"base_url\":null,\"results\":[%s%s%s]}",
                 describe ? k_describe : strstr(r->body, "\"store_sql\"") ? k_store : "",
                 describe ? "" : k_execute,
                 strstr(r->body, "\"get_autocommit\"") ? k_autocommit : "");
        fs_respond_json(c, 200, body);
    } else {
        fs_respond_json(c, 200, k_close);
    }
}

typedef struct intr {
    lsql_conn *c;
    atomic_int go;
} intr;

static void *interrupter(void *p)
{
    intr *x = p;
    while (!atomic_load(&x->go))
        usleep(1000);
    usleep(100 * 1000); /* let the request reach the server */
    lsql_conn_interrupt(x->c);
    return NULL;
}

static void interrupt_slow_request(void **state)
{
    (void)state;
    srv_state s = {0};
    fakesrv *srv = fs_start(handler, &s);
    char url[128];
    fs_url(srv, url, sizeof url);
    strcat(url, "?encoding=json"); /* the fake server answers JSON */
    lsql_db *db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    int64_t v = 0;
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    atomic_store(&s.slow, 1);
    intr x = {.c = c};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupter, &x), 0);
    atomic_store(&x.go, 1);
    ct_expect(LSQL_INTERRUPTED, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    pthread_join(th, NULL);
    /* usable again */
    atomic_store(&s.slow, 0);
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    assert_int_equal(v, 1);
    lsql_db_close(db);
    fs_stop(srv);
}

/* An interrupt also ends the backoff wait between automatic retries. */
static void interrupt_during_backoff(void **state)
{
    (void)state;
    srv_state s = {0};
    fakesrv *srv = fs_start(handler, &s);
    char url[128];
    fs_url(srv, url, sizeof url);
    /* 20 waits of up to 2 s each; the fake server answers JSON */
    strcat(url, "?retries=20&encoding=json");
    lsql_db *db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    int64_t v = 0;
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    atomic_store(&s.unavailable, 1);
    intr x = {.c = c};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupter, &x), 0);
    atomic_store(&x.go, 1);
    ct_expect(LSQL_INTERRUPTED, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    pthread_join(th, NULL);
    atomic_store(&s.unavailable, 0);
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    lsql_db_close(db);
    fs_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupt_slow_request),
        cmocka_unit_test(interrupt_during_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
