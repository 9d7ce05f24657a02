/* rbatch.c -- lsql_batch_run and lsql_script_run on a remote connection:
 * the whole batch is ONE Hrana batch request (one round trip), with
 * conditions doing what the local loop does:
 *
 *   not atomic:   step k runs if step k-1 succeeded (stops at the first failure)
 *   atomic:       [BEGIN <behaviour>] [PRAGMA query_only=1]? steps (k: ok(k-1))
 *                 [COMMIT: ok(last)] [ROLLBACK: not ok(COMMIT)] [PRAGMA query_only=0]?
 *   atomic inside the caller's transaction:
 *                 [SAVEPOINT lsql_batch] steps [RELEASE: ok(last)]
 *                 [ROLLBACK TO: not ok(RELEASE)] [RELEASE: not ok(RELEASE)]
 *
 * Atomic, on Hrana 3: a condition after a step that may end the
 * transaction (a user step of kind TRANSACTION, SAVEPOINT or OTHER: a
 * COMMIT or ROLLBACK statement), and the conditions of the undo steps, also
 * require "not is_autocommit", so that such a step stops the batch there;
 * the step is then reported as LSQL_TXN_ENDED, as the local loop does. A
 * step of another kind that succeeds leaves the transaction open, so the
 * step after it needs no such check.
 *
 * The body is kept small: no empty args / named_args, no want_rows (true
 * by default: a statement that returns no rows costs the same either way,
 * and "want_rows":false would only add bytes for the server to parse; the
 * codec's JSON writer leaves them out, protobuf has no empty fields), and
 * SQL texts repeated within a batch stored on the stream (rc->bsql): the
 * batch that first repeats a text sends it inline together with a
 * store_sql; later batches on the same stream generation send only its
 * sql_id (a refused store costs nothing: the text stays inline). A step
 * never depends on a store made in its own request.
 *
 * Protobuf batch results are two maps keyed by step index: steps that did
 * not run are absent, and the decoded step count ends at the last step
 * present, so missing trailing steps count as skipped (an index past the
 * steps sent is a protocol error); JSON results have one entry per step.
 *
 * A script is split into statements with SQLite's tokenizer first
 * (rsql_first_len), so that every statement has its own result, as in local
 * mode (Hrana's "sequence" request would only say whether all succeeded). */
#include "remote_int.h"

#include <stdio.h>
#include <string.h>

#define BEHAVIOURS (LSQL_BATCH_IMMEDIATE | LSQL_BATCH_EXCLUSIVE | LSQL_BATCH_READ_ONLY)

/* What the batch needs to know of each user step. */
typedef struct binfo {
    int kind;
    int slot; /* index in rc->bsql, -1: always inline */
} binfo;

typedef struct bctx {
    const lsql__bstep *steps;
    const binfo *info;
    size_t n;
    int mode;       /* LSQL__RUN_* */
    unsigned flags;
    size_t user0;   /* batch index of the first user step */
    size_t commit;  /* index of COMMIT / RELEASE (atomic) */
    size_t undo;    /* index of ROLLBACK / ROLLBACK TO */
    size_t total;   /* steps in the Hrana batch */
    bool ro;        /* READ_ONLY: query_only steps */
    bool guard;     /* conditions may require "not is_autocommit" (atomic, Hrana 3) */
    /* store_sql requests put before the batch by the last build */
    int nstores;
    int nstores_sent; /* after note_stores: how many preceded the batch */
    int store_slot[RBATCH_SQLS];
    int32_t store_id[RBATCH_SQLS];
    uint32_t store_gen;
} bctx;

/* ---- batch SQL texts kept stored on the stream --------------------------------- */

static uint32_t text_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int find_sql(const rconn *rc, const char *p, size_t n, uint32_t h)
{
    for (int j = 0; j < RBATCH_SQLS; j++) {
        const rbsql *q = &rc->bsql[j];
        if (q->sql && q->hash == h && q->len == n && !memcmp(q->sql, p, n))
            return j;
    }
    return -1;
}

/* A slot for a new text: a free one, else the least recently used one not
 * used by the current batch (closed on the server); -1 when none. */
static int take_slot(rconn *rc)
{
    int best = -1;
    for (int j = 0; j < RBATCH_SQLS; j++) {
        rbsql *q = &rc->bsql[j];
        if (!q->sql)
            return j;
        if (q->used != rc->bsql_tick && (best < 0 || q->used < rc->bsql[best].used))
            best = j;
    }
    if (best >= 0) {
        rbsql *q = &rc->bsql[best];
        if (q->stored && q->gen == rc->gen)
            rpipe_queue_close(rc, q->id);
        lsql__free(q->sql);
        memset(q, 0, sizeof *q);
    }
    return best;
}

void rbatch_free_sqls(rconn *rc)
{
    for (int j = 0; j < RBATCH_SQLS; j++) {
        lsql__free(rc->bsql[j].sql);
        memset(&rc->bsql[j], 0, sizeof rc->bsql[j]);
    }
}

typedef struct tcount {
    uint32_t hash;
    uint32_t count;
    size_t first; /* step of its first use; SIZE_MAX: empty */
} tcount;

/* Fills info[i].slot: the stored text of each step, adding the texts this
 * batch repeats (as many as there are slots). Out of memory is no error:
 * the steps then stay inline. */
static void plan_sqls(rconn *rc, const lsql__bstep *steps, size_t n, binfo *info)
{
    rc->bsql_tick++;
    size_t misses = 0;
    uint32_t *hash = n ? lsql__malloc(n * sizeof *hash) : NULL;
    if (!hash) {
        for (size_t i = 0; i < n; i++)
            info[i].slot = -1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const lsql__bstep *s = &steps[i];
        info[i].slot = -1;
        hash[i] = 0;
        if (s->sqllen > RSQL_STORE_MAX)
            continue;
        if (i && s->sqllen == steps[i - 1].sqllen && info[i - 1].slot >= 0 &&
            !memcmp(s->sql, steps[i - 1].sql, s->sqllen)) {
            info[i].slot = info[i - 1].slot; /* the common case: the same text again */
            hash[i] = hash[i - 1];
            continue;
        }
        hash[i] = text_hash(s->sql, s->sqllen);
        int j = find_sql(rc, s->sql, s->sqllen, hash[i]);
        if (j >= 0) {
            info[i].slot = j;
            rc->bsql[j].used = rc->bsql_tick;
        } else {
            misses++;
        }
    }
    if (misses < 2) {
        lsql__free(hash);
        return;
    }
    /* count the texts that are not stored yet (open addressing on the hash) */
    size_t cap = 4;
    while (cap < 2 * misses)
        cap *= 2;
    tcount *t = lsql__malloc(cap * sizeof *t);
    if (!t) {
        lsql__free(hash);
        return;
    }
    for (size_t k = 0; k < cap; k++)
        t[k].first = SIZE_MAX;
    int added = 0;
    for (size_t i = 0; i < n; i++) {
        const lsql__bstep *s = &steps[i];
        if (info[i].slot >= 0 || s->sqllen > RSQL_STORE_MAX)
            continue;
        size_t k = hash[i] & (cap - 1);
        while (t[k].first != SIZE_MAX &&
               !(t[k].hash == hash[i] && steps[t[k].first].sqllen == s->sqllen &&
                 !memcmp(steps[t[k].first].sql, s->sql, s->sqllen)))
            k = (k + 1) & (cap - 1);
        if (t[k].first == SIZE_MAX) {
            t[k].hash = hash[i];
            t[k].first = i;
            t[k].count = 0;
        }
        if (++t[k].count != 2 || added == RBATCH_SQLS)
            continue;
        /* repeated: keep it */
        int j = take_slot(rc);
        char *copy = j >= 0 ? lsql__malloc(s->sqllen + 1) : NULL;
        if (!copy)
            continue;
        memcpy(copy, s->sql, s->sqllen);
        copy[s->sqllen] = 0;
        rbsql *q = &rc->bsql[j];
        q->sql = copy;
        q->len = s->sqllen;
        q->hash = hash[i];
        q->used = rc->bsql_tick;
        added++;
    }
    lsql__free(t);
    if (added) {
        for (size_t i = 0; i < n; i++)
            if (info[i].slot < 0 && steps[i].sqllen <= RSQL_STORE_MAX)
                info[i].slot = find_sql(rc, steps[i].sql, steps[i].sqllen, hash[i]);
    }
    lsql__free(hash);
}

/* After the answer: which of the build's store_sql requests held. */
static void note_stores(rconn *rc, bctx *x, const hrana_pipeline_resp *resp, size_t first)
{
    for (int k = 0; k < x->nstores; k++) {
        rbsql *q = &rc->bsql[x->store_slot[k]];
        if (resp->results[first + (size_t)k].is_error) {
            q->failed = true;
            q->gen = x->store_gen;
        } else if (rc->gen == x->store_gen) {
            q->stored = true;
            q->failed = false;
            q->id = x->store_id[k];
            q->gen = x->store_gen;
        }
    }
    x->nstores_sent = x->nstores;
    x->nstores = 0;
}

/* ---- the body ------------------------------------------------------------------ */

/* Fills *c with ok(step), or not ok(step). */
static int fill_ok(rconn *rc, hrana_cond *c, size_t step, bool negate)
{
    if (negate) {
        hrana_cond *in = rreq_alloc(rc, sizeof *in);
        if (!in)
            return -1;
        c->type = HRANA_COND_NOT;
        c->conds = in;
        c->nconds = 1;
        c = in;
    }
    c->type = HRANA_COND_OK;
    c->step = (uint32_t)step;
    return 0;
}

/* Fills *c with not is_autocommit. */
static int fill_in_txn(rconn *rc, hrana_cond *c)
{
    hrana_cond *in = rreq_alloc(rc, sizeof *in);
    if (!in)
        return -1;
    in->type = HRANA_COND_IS_AUTOCOMMIT;
    c->type = HRANA_COND_NOT;
    c->conds = in;
    c->nconds = 1;
    return 0;
}

/* One step: the condition (not) ok(cond) when cond >= 0, and "not
 * is_autocommit" when guard (both: "and"); the statement by stored id
 * (sql_id >= 0) or text; positional and named arguments (empty ones are
 * left out of JSON bodies). */
static int put_step(rconn *rc, hrana_step *st, long cond, bool negate, bool guard,
                    const char *sql, size_t sqllen, int32_t sql_id, const lsql_param *p,
                    size_t np)
{
    if (cond >= 0 || guard) {
        hrana_cond *c = rreq_alloc(rc, sizeof *c);
        if (!c)
            return -1;
        st->cond = c;
        if (cond >= 0 && guard) {
            hrana_cond *both = rreq_alloc(rc, 2 * sizeof *both);
            if (!both || fill_ok(rc, &both[0], (size_t)cond, negate) ||
                fill_in_txn(rc, &both[1]))
                return -1;
            c->type = HRANA_COND_AND;
            c->conds = both;
            c->nconds = 2;
        } else if (cond >= 0) {
            if (fill_ok(rc, c, (size_t)cond, negate))
                return -1;
        } else if (fill_in_txn(rc, c)) {
            return -1;
        }
    }
    hrana_stmt *s = &st->stmt;
    if (sql_id >= 0) {
        s->has_sql_id = 1;
        s->sql_id = sql_id;
    } else {
        s->sql.p = sql;
        s->sql.n = sqllen;
    }
    s->want_rows = 1;
    size_t npos = 0;
    for (size_t i = 0; i < np; i++)
        npos += !p[i].name;
    if (npos && !(s->args = rreq_alloc(rc, npos * sizeof *s->args)))
        return -1;
    if (npos < np && !(s->named_args = rreq_alloc(rc, (np - npos) * sizeof *s->named_args)))
        return -1;
    for (size_t i = 0; i < np; i++) {
        if (!p[i].name) {
            s->args[s->nargs++] = p[i].value;
        } else {
            hrana_named_arg *na = &s->named_args[s->nnamed++];
            na->name.p = p[i].name;
            na->name.n = strlen(p[i].name);
            na->value = p[i].value;
        }
    }
    return 0;
}

/* The BEGIN of an atomic batch (no flag: what DEFERRED means on c). */
static const char *begin_sql(const lsql_conn *c, unsigned flags)
{
    if (flags & LSQL_BATCH_IMMEDIATE)
        return "BEGIN IMMEDIATE";
    if (flags & LSQL_BATCH_EXCLUSIVE)
        return "BEGIN EXCLUSIVE";
    if (!(flags & LSQL_BATCH_READ_ONLY) && c->deferred_as == LSQL_BEGIN_IMMEDIATE)
        return "BEGIN IMMEDIATE";
    if (!(flags & LSQL_BATCH_READ_ONLY) && c->deferred_as == LSQL_BEGIN_EXCLUSIVE)
        return "BEGIN EXCLUSIVE";
    return "BEGIN DEFERRED";
}

/* store_sql of the batch's repeated texts that are not stored on this
 * stream generation yet. */
static int put_stores(rconn *rc, bctx *x)
{
    x->nstores = 0;
    x->store_gen = rc->gen;
    for (int j = 0; j < RBATCH_SQLS; j++) {
        rbsql *q = &rc->bsql[j];
        if (!q->sql || q->used != rc->bsql_tick)
            continue; /* not used by this batch */
        if (q->gen == rc->gen && (q->stored || q->failed))
            continue; /* stored on this stream, or refused by it */
        q->stored = false;
        q->failed = false;
        if (rc->next_sql_id == INT32_MAX)
            rc->next_sql_id = 0;
        int32_t id = rc->next_sql_id++;
        hrana_request *r = rreq_add(rc, HRANA_REQ_STORE_SQL);
        if (!r)
            return -1;
        r->has_sql_id = 1;
        r->sql_id = id;
        r->sql.p = q->sql;
        r->sql.n = q->len;
        x->store_slot[x->nstores] = j;
        x->store_id[x->nstores] = id;
        x->nstores++;
    }
    return 0;
}

/* The most steps a batch of n user steps has (BEGIN, PRAGMA, COMMIT,
 * ROLLBACK, PRAGMA around them). */
#define EXTRA_STEPS 5

#define PUT(sql, cond, neg, guard)                                                           \
    do {                                                                                     \
        if (put_step(rc, &steps[k], (cond), (neg), (guard), (sql), strlen(sql), -1, NULL, 0)) \
            return -1;                                                                       \
        k++;                                                                                 \
    } while (0)

static int build_batch(rconn *rc, void *ctx)
{
    bctx *x = ctx;
    size_t k = 0;
    if (put_stores(rc, x))
        return -1;
    hrana_step *steps = rreq_alloc(rc, (x->n + EXTRA_STEPS) * sizeof *steps);
    if (!steps)
        return -1;
    bool g = x->guard;
    if (x->mode == LSQL__RUN_BEGIN) {
        PUT(begin_sql(rc->c, x->flags), -1, false, false);
        if (x->ro)
            PUT("PRAGMA query_only = 1", 0, false, false);
    } else if (x->mode == LSQL__RUN_SAVEPOINT) {
        PUT("SAVEPOINT lsql_batch", -1, false, false);
    }
    x->user0 = k;
    bool prev_ends = false; /* the step before may end the transaction */
    for (size_t i = 0; i < x->n; i++, k++) {
        const lsql__bstep *s = &x->steps[i];
        const binfo *in = &x->info[i];
        int32_t id = -1;
        if (in->slot >= 0) {
            const rbsql *q = &rc->bsql[in->slot];
            if (q->stored && q->gen == rc->gen)
                id = q->id;
        }
        if (put_step(rc, &steps[k], k == 0 ? -1 : (long)k - 1, false, g && prev_ends, s->sql,
                     s->sqllen, id, s->params, s->nparams))
            return -1;
        prev_ends = rpipe_kind_txn(in->kind);
    }
    if (x->mode == LSQL__RUN_BEGIN) {
        x->commit = k;
        PUT("COMMIT", k == 0 ? -1 : (long)k - 1, false, g && prev_ends);
        x->undo = k;
        PUT("ROLLBACK", (long)x->commit, true, g);
        if (x->ro)
            PUT("PRAGMA query_only = 0", -1, false, false);
    } else if (x->mode == LSQL__RUN_SAVEPOINT) {
        x->commit = k;
        PUT("RELEASE lsql_batch", (long)k - 1, false, g && prev_ends);
        x->undo = k;
        PUT("ROLLBACK TO lsql_batch", (long)x->commit, true, g);
        PUT("RELEASE lsql_batch", (long)x->commit, true, g);
    }
    x->total = k;
    hrana_request *r = rreq_add(rc, HRANA_REQ_BATCH);
    if (!r)
        return -1;
    r->batch.steps = steps;
    r->batch.nsteps = k;
    return 0;
}

/* The result / error of step k: NULL when absent (skipped). Protobuf
 * answers leave skipped steps out, so k may be past the decoded count. */
static const hrana_stmt_result *step_ok(const hrana_batch_result *br, size_t k)
{
    return k < br->nsteps ? br->step_results[k] : NULL;
}

static const hrana_error *step_err(const hrana_batch_result *br, size_t k)
{
    return k < br->nsteps ? br->step_errors[k] : NULL;
}

/* Copies a step's rows into a row set. */
static int step_rows(lsql__step_res *sr, const hrana_stmt_result *res)
{
    if (!res->ncols)
        return LSQL_OK;
    const char **names = lsql__calloc(2 * res->ncols, sizeof *names);
    sr->rows = lsql__calloc(1, sizeof *sr->rows);
    int rc = LSQL_NOMEM;
    if (names && sr->rows) {
        for (size_t i = 0; i < res->ncols; i++) {
            names[i] = res->cols[i].name.p ? res->cols[i].name.p : "";
            names[res->ncols + i] = res->cols[i].decltype.p;
        }
        rc = lsql__rowset_init_cols(sr->rows, (int)res->ncols, names, names + res->ncols);
        for (size_t r = 0; rc == LSQL_OK && r < res->nrows; r++)
            rc = lsql__rowset_add_values(sr->rows, res->rows + r * res->ncols);
    }
    lsql__free(names);
    return rc;
}

static int batch_error(lsql_conn *c, const char *what, const hrana_error *he)
{
    int code = lsql__remote_hrana_error(he, &c->last);
    lsql__conn_err_wrap(c, what, NULL);
    return code;
}

/* Splits a script into steps (statements); *buf owns the text they point to. */
static int split_script(lsql_conn *c, const char *script, lsql__bstep **out, size_t *n,
                        char **buf)
{
    size_t len = strlen(script), cap = 0;
    *out = NULL;
    *n = 0;
    if (!(*buf = lsql__malloc(len + 1)))
        return lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
    memcpy(*buf, script, len + 1);
    size_t off = 0;
    while (off < len) {
        size_t l = rsql_first_len(*buf + off, len - off);
        if (!rsql_blank(*buf + off, l)) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                lsql__bstep *p = lsql__realloc(*out, cap * sizeof *p);
                if (!p)
                    return lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
                *out = p;
            }
            /* the statement without the whitespace and comments before it */
            size_t s = off;
            while (s < off + l && rsql_blank(*buf + s, 1))
                s++;
            while (s + 1 < off + l && ((*buf)[s] == '-' && (*buf)[s + 1] == '-')) {
                while (s < off + l && (*buf)[s] != '\n')
                    s++;
                while (s < off + l && rsql_blank(*buf + s, 1))
                    s++;
            }
            lsql__bstep *st = &(*out)[(*n)++];
            memset(st, 0, sizeof *st);
            st->sql = *buf + s;
            st->sqllen = off + l - s;
            st->off = s;
        }
        off += l;
    }
    return LSQL_OK;
}

/* The batch as a whole failed: no step may claim success. */
static void mark_all(lsql_batch_result *r, int code)
{
    for (size_t i = 0; i < r->n; i++) {
        r->steps[i].status = code;
        r->steps[i].err = &r->err;
    }
}

/* Length of a statement without its trailing ';' and whitespace. */
static size_t trimmed_len(const char *p, size_t n)
{
    while (n && (p[n - 1] == ';' || p[n - 1] == ' ' || p[n - 1] == '\n' || p[n - 1] == '\t' ||
                 p[n - 1] == '\r'))
        n--;
    return n;
}

int remote_batch_run(lsql_conn *c, const lsql__bstep *steps, size_t n, const char *script,
                     unsigned flags, lsql_batch_result *r, lsql_error *err)
{
    rconn *rc = RC(c);
    lsql__bstep *split = NULL;
    char *buf = NULL;
    int code;
    if (rc->lost) {
        rpipe_lost_error(rc);
        lsql__free(split);
        return lsql__batch_finish(c, r, LSQL__RUN_PLAIN, LSQL_TXN_LOST, LSQL_OK, NULL, err);
    }
    if (script) {
        if ((code = split_script(c, script, &split, &n, &buf))) {
            lsql__free(split);
            lsql__free(buf);
            return lsql__batch_finish(c, r, LSQL__RUN_PLAIN, code, LSQL_OK, NULL, err);
        }
        steps = split;
        for (size_t i = 0; i < n; i++) {
            lsql__step_res *sr = lsql__batch_res_push(r);
            if (!sr) {
                lsql__free(split);
                lsql__free(buf);
                code = lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
                return lsql__batch_finish(c, r, LSQL__RUN_PLAIN, code, LSQL_OK, NULL, err);
            }
            sr->off = split[i].off;
            sr->len = trimmed_len(split[i].sql, split[i].sqllen);
        }
    }
    bctx x;
    memset(&x, 0, sizeof x);
    x.steps = steps;
    x.n = n;
    x.flags = flags;
    x.mode = LSQL__RUN_PLAIN;
    if (flags & LSQL_BATCH_ATOMIC) {
        if (rc->in_txn) {
            if (flags & BEHAVIOURS) {
                code = lsql__conn_fail(c, NULL, LSQL_TXN_ACTIVE,
                                       "a transaction is already open on this connection: an "
                                       "atomic batch runs under a savepoint inside it and takes "
                                       "no behaviour flag");
                lsql__free(split);
                lsql__free(buf);
                r->none = true; /* nothing ran: no result */
                return lsql__batch_finish(c, r, LSQL__RUN_PLAIN, code, LSQL_OK, NULL, err);
            }
            x.mode = LSQL__RUN_SAVEPOINT;
        } else {
            x.mode = LSQL__RUN_BEGIN;
            x.ro = (flags & LSQL_BATCH_READ_ONLY) != 0;
            if (c->txn) /* its transaction ended behind its back */
                lsql__txn_finish(c->txn, TXN_ENDED);
        }
    }
    x.guard = x.mode != LSQL__RUN_PLAIN && rc->db->version >= 3;
    binfo *info = n ? lsql__malloc(n * sizeof *info) : NULL;
    if (n && !info) {
        lsql__free(split);
        lsql__free(buf);
        code = lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
        mark_all(r, code);
        return lsql__batch_finish(c, r, LSQL__RUN_PLAIN, code, LSQL_OK, NULL, err);
    }
    /* statements are not described: never resent (no RPIPE_READONLY) */
    unsigned pflags = x.mode != LSQL__RUN_PLAIN ? RPIPE_TXN : 0;
    for (size_t i = 0; i < n; i++) {
        info[i].kind = rsql_kind(steps[i].sql, steps[i].sqllen);
        if (rpipe_kind_txn(info[i].kind))
            pflags |= RPIPE_TXN;
    }
    plan_sqls(rc, steps, n, info);
    x.info = info;
    hrana_pipeline_resp resp;
    size_t first = 0;
    code = rpipe_run(rc, build_batch, &x, pflags, &resp, &first);
    if (code) {
        mark_all(r, code); /* no answer: whether the server ran it is unknown */
        lsql__free(info);
        lsql__free(split);
        lsql__free(buf);
        return lsql__batch_finish(c, r, x.mode, code, LSQL_OK, NULL, err);
    }
    note_stores(rc, &x, &resp, first);
    first += (size_t)x.nstores_sent;
    const hrana_stream_result *res = &resp.results[first];
    const hrana_batch_result *br = &res->response.batch;
    code = LSQL_OK;
    int urc = LSQL_OK;
    lsql_error uerr;
    lsql_error_clear(&uerr);
    if (res->is_error) {
        code = batch_error(c, "batch refused: ", &res->error);
    } else if (res->response.type != HRANA_REQ_BATCH) {
        code = lsql__conn_fail(c, NULL, LSQL_HRANA_PROTOCOL,
                               "invalid response from the server: batch answered by '%s'",
                               hrana_req_type_name(res->response.type));
    } else if (renc_sparse_steps(rc->db->encoding) && br->nsteps > x.total) {
        /* protobuf: steps are map keys, a skipped one is left out */
        code = lsql__conn_fail(c, NULL, LSQL_HRANA_PROTOCOL,
                               "invalid response from the server: a result for step %zu of a "
                               "batch of %zu steps",
                               br->nsteps - 1, x.total);
    } else if (!renc_sparse_steps(rc->db->encoding) && br->nsteps != x.total) {
        code = lsql__conn_fail(c, NULL, LSQL_HRANA_PROTOCOL,
                               "invalid response from the server: %zu step results for a "
                               "batch of %zu steps",
                               br->nsteps, x.total);
    } else if (x.mode != LSQL__RUN_PLAIN && step_err(br, 0)) {
        code = batch_error(c, x.mode == LSQL__RUN_BEGIN ? "begin failed: " : "savepoint failed: ",
                           step_err(br, 0));
        r->none = true; /* nothing ran: no result, as when the local BEGIN fails */
    } else {
        for (size_t i = 0; i < n && code == LSQL_OK; i++) {
            size_t k = x.user0 + i;
            lsql__step_res *sr = &r->steps[i];
            sr->kind = info[i].kind;
            if (step_err(br, k)) {
                /* a write refused by the READ_ONLY batch's query_only is
                 * LSQL_READONLY_TXN, as in a READ_ONLY transaction */
                bool ro = c->txn_read_only;
                if (x.ro)
                    c->txn_read_only = true;
                code = rpipe_stmt_error(rc, step_err(br, k));
                c->txn_read_only = ro;
                /* a script's offsets count from its start, as in local mode */
                if (script && c->last.offset >= 0)
                    c->last.offset += (int)steps[i].off;
                lsql__batch_step_failed(r, i, c);
                break;
            }
            const hrana_stmt_result *sres = step_ok(br, k);
            if (!sres) {
                code = lsql__conn_fail(c, NULL, LSQL_HRANA_PROTOCOL,
                                       "invalid response from the server: step %zu was "
                                       "skipped although the steps before it succeeded",
                                       i);
                lsql__batch_step_failed(r, i, c);
                break;
            }
            if (step_rows(sr, sres)) {
                code = lsql__conn_fail(c, NULL, LSQL_NOMEM, "out of memory for the rows of a step");
                lsql__batch_step_failed(r, i, c);
                break;
            }
            if (sr->kind == LSQL_KIND_INSERT || sr->kind == LSQL_KIND_UPDATE ||
                sr->kind == LSQL_KIND_DELETE) {
                sr->changes = (int64_t)sres->affected_row_count;
                rc->changes = sr->changes;
                rc->total_changes += sr->changes;
            }
            if (sr->kind == LSQL_KIND_INSERT && sres->has_last_insert_rowid)
                sr->rowid = rc->last_rowid = sres->last_insert_rowid;
            /* the next step (or the COMMIT / RELEASE) was skipped although
             * this one succeeded: this one ended the transaction */
            if (x.guard && !step_ok(br, k + 1) && !step_err(br, k + 1)) {
                code = lsql__conn_fail(c, NULL, LSQL_TXN_ENDED,
                                       "step %zu ended the batch's transaction (a COMMIT or "
                                       "ROLLBACK statement); the steps before it may have been "
                                       "committed",
                                       i);
                lsql__batch_step_failed(r, i, c);
                break;
            }
            sr->status = LSQL_OK;
            if (rc->db->version < 3 && x.mode == LSQL__RUN_PLAIN) /* no get_autocommit */
                rpipe_track(rc, steps[i].sql, steps[i].sqllen, sr->kind);
        }
        if (code == LSQL_OK && x.mode != LSQL__RUN_PLAIN && step_err(br, x.commit)) {
            code = batch_error(c, x.mode == LSQL__RUN_BEGIN ? "commit failed: "
                                                            : "release failed: ",
                               step_err(br, x.commit));
            lsql__conn_err_wrap(c, NULL, "; the batch was rolled back");
        }
        if (code != LSQL_OK && x.mode != LSQL__RUN_PLAIN && step_err(br, x.undo)) {
            urc = lsql__remote_hrana_error(step_err(br, x.undo), &uerr);
        }
    }
    if (code != LSQL_OK && r->failed < 0)
        mark_all(r, code); /* refused, a bad answer, BEGIN or COMMIT failed */
    /* a script's statements after the failing one count as not parsed, as
     * in the local loop (which stops parsing there) */
    if (script && r->failed >= 0)
        r->n = (size_t)r->failed + 1;
    if (rc->db->version < 3 && x.mode == LSQL__RUN_BEGIN)
        rc->in_txn = false; /* committed or rolled back by the batch's own steps */
    hrana_pipeline_resp_free(&resp);
    lsql__free(info);
    lsql__free(split);
    lsql__free(buf);
    return lsql__batch_finish(c, r, x.mode, code, urc, &uerr, err);
}
