/* rerr.h -- remote mode: error mapping and retry policy (internal). */
#ifndef LSQL_REMOTE_RERR_H
#define LSQL_REMOTE_RERR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lsql.h"
#include "../hrana/hrana.h"

/* Maps an HTTP answer that is not 200 to an lsql code and fills *e
 * (http_status = status):
 *   400 with a JSON Error {"message","code"}: by the Hrana code (below);
 *       STREAM_EXPIRED -> LSQL_HRANA_STREAM_EXPIRED;
 *   400 otherwise (text: invalid baton, bad request) -> LSQL_HRANA_SERVER;
 *   401, 403 -> LSQL_AUTH_REMOTE;  413 -> LSQL_TOOBIG;
 *   429 -> LSQL_HTTP_RATE_LIMITED (retryable);
 *   502, 503, 504 -> LSQL_HTTP_UNAVAILABLE (retryable);
 *   anything else -> LSQL_HTTP_STATUS.
 * The message names the status and quotes the start of the body (JSON
 * "message" or {"error":..} text when present). */
int lsql__remote_http_error(long status, const char *body, size_t n, lsql_error *e);
/* The same, knowing the answer's Content-Type (NULL or "": unknown, the
 * body is read as above). A body whose type is not text -- JSON, text/,
 * XML -- e.g. application/x-protobuf, is neither parsed nor quoted: the
 * error says only the status, the type and the size. (lsqld and sqld answer
 * errors with JSON bodies on the protobuf endpoints too.) */
int lsql__remote_http_error_ct(long status, const char *ctype, const char *body, size_t n,
                               lsql_error *e);

/* Maps a Hrana Error object (statement or request error) to an lsql code
 * and fills *e (http_status 0): SQLITE_<BASE> names to their class
 * (SQLITE_CONSTRAINT refined to LSQL_CONSTRAINT_UNIQUE/NOTNULL/CHECK/
 * FOREIGNKEY/PRIMARYKEY from the message, with constraint_kind and
 * constraint_name = the "table.column" list of the message); SQLITE_BUSY
 * and SQLITE_LOCKED retryable; SQL_PARSE_ERROR / SQL_INPUT_ERROR ->
 * LSQL_ERROR (offset from the message when it has one); SQL_NO_STATEMENT,
 * SQL_MANY_STATEMENTS -> LSQL_INVALID_SQL; ARGS_INVALID ->
 * LSQL_PARAM_COUNT; ARGS_BOTH_POSITIONAL_AND_NAMED -> LSQL_PARAM;
 * TRANSACTION_TIMEOUT -> LSQL_TXN_LOST; TRANSACTION_BUSY, BLOCKED ->
 * LSQL_BUSY; RESPONSE_TOO_LARGE -> LSQL_TOOBIG; STREAM_EXPIRED ->
 * LSQL_HRANA_STREAM_EXPIRED; SQL_STORE_TOO_MANY/TOO_LARGE, unknown codes ->
 * LSQL_HRANA_SERVER... Message: "<server message>" (code kept in text as
 * "[CODE] message"). */
int lsql__remote_hrana_error(const hrana_error *he, lsql_error *e);

/* Retry policy with full-jitter exponential backoff. */
typedef struct lsql__retry {
    int max;          /* retries after the first attempt (0 = none) */
    uint32_t base_ms; /* first backoff ceiling */
    uint32_t cap_ms;  /* largest backoff ceiling */
    uint64_t rng;     /* xorshift state (seeded by lsql__retry_init) */
} lsql__retry;

void lsql__retry_init(lsql__retry *r, int max, uint32_t base_ms, uint32_t cap_ms);
/* Wait before retry number `attempt` (0 = first retry): a uniform random
 * value in [0, min(cap, base * 2^attempt)]; a Retry-After of the server
 * (retry_after_s >= 0) raises it to that many seconds, capped at cap_ms. */
uint32_t lsql__retry_delay_ms(lsql__retry *r, int attempt, long retry_after_s);
/* Sleeps ms milliseconds, waking early (returning false) when *stop becomes
 * non-zero (checked every 10 ms). stop may be NULL. */
bool lsql__retry_sleep(uint32_t ms, const atomic_int *stop);

#endif
