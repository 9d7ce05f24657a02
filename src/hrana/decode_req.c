/* decode_req.c -- decoding requests: pipeline and cursor bodies, statements,
 * batches and conditions. */
#include "decode_int.h"

#include <stdio.h>
#include <string.h>

static const char *const req_names[HRANA_REQ_COUNT] = {
    NULL, "execute", "batch", "sequence", "describe", "store_sql", "close_sql", "close",
    "get_autocommit",
};

const char *hrana_req_type_name(int type)
{
    return type > 0 && type < HRANA_REQ_COUNT ? req_names[type] : NULL;
}

static int req_type_of(const char *s)
{
    for (int i = 1; i < HRANA_REQ_COUNT; i++)
        if (!strcmp(req_names[i], s))
            return i;
    return 0;
}

int hrana__stmt(dctx *c, json_t *v, hrana_stmt *out)
{
    memset(out, 0, sizeof *out);
    out->want_rows = 1;
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a statement must be an object");
    int present = 0;
    if (hrana__get_string(c, v, "sql", 0, c->lim->max_sql, &out->sql) ||
        hrana__get_i32(c, v, "sql_id", 0, &out->sql_id, &out->has_sql_id) ||
        hrana__get_bool(c, v, "want_rows", 0, &out->want_rows, &present))
        return -1;
    if (!out->sql.p == !out->has_sql_id)
        return hrana__fail(c, HRANA_E_INVALID,
                           out->sql.p ? "both \"sql\" and \"sql_id\" are given; give one"
                                      : "one of \"sql\" and \"sql_id\" is required");
    json_t *args, *named;
    if (hrana__get_array(c, v, "args", 0, c->lim->max_args, "arguments", &args) ||
        hrana__get_array(c, v, "named_args", 0, c->lim->max_args, "named arguments", &named))
        return -1;
    size_t na = args ? json_array_size(args) : 0, nn = named ? json_array_size(named) : 0;
    if (na + nn > c->lim->max_args)
        return hrana__fail(c, HRANA_E_LIMIT, "%zu arguments is more than the limit of %zu",
                           na + nn, c->lim->max_args);
    if (na) {
        out->args = hrana_arena_alloc(c->arena, na * sizeof *out->args);
        if (!out->args)
            return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
        size_t m = hrana__push_key(c, "args");
        for (size_t i = 0; i < na; i++) {
            size_t m2 = hrana__push_index(c, i);
            if (hrana__value(c, json_array_get(args, i), &out->args[i]))
                return -1;
            hrana__pop(c, m2);
        }
        hrana__pop(c, m);
        out->nargs = na;
    }
    if (nn) {
        out->named_args = hrana_arena_alloc(c->arena, nn * sizeof *out->named_args);
        if (!out->named_args)
            return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
        size_t m = hrana__push_key(c, "named_args");
        for (size_t i = 0; i < nn; i++) {
            size_t m2 = hrana__push_index(c, i);
            json_t *a = json_array_get(named, i), *val;
            if (!json_is_object(a))
                return hrana__fail(c, HRANA_E_INVALID, "a named argument must be an object");
            if (hrana__get_string(c, a, "name", 1, c->lim->max_text, &out->named_args[i].name) ||
                hrana__get_object(c, a, "value", 1, &val))
                return -1;
            size_t m3 = hrana__push_key(c, "value");
            if (hrana__value(c, val, &out->named_args[i].value))
                return -1;
            hrana__pop(c, m3);
            hrana__pop(c, m2);
        }
        hrana__pop(c, m);
        out->nnamed = nn;
    }
    return 0;
}

/* `index` is the step the condition belongs to: it may only look at
 * earlier steps. Recursion depth is bounded by the JSON depth limit. */
static int cond(dctx *c, json_t *v, size_t index, hrana_cond *out)
{
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a condition must be an object");
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    memset(out, 0, sizeof *out);
    if (!strcmp(type, "ok") || !strcmp(type, "error")) {
        out->type = type[0] == 'o' ? HRANA_COND_OK : HRANA_COND_ERROR;
        if (hrana__get_u32(c, v, "step", 1, &out->step))
            return -1;
        if (out->step >= index)
            return hrana__fail(c, HRANA_E_INVALID,
                               "condition refers to step %u, which is not before step %zu",
                               out->step, index);
        return 0;
    }
    if (!strcmp(type, "not")) {
        out->type = HRANA_COND_NOT;
        json_t *inner;
        if (hrana__get_object(c, v, "cond", 1, &inner))
            return -1;
        out->conds = hrana_arena_alloc(c->arena, sizeof *out->conds);
        if (!out->conds)
            return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
        out->nconds = 1;
        size_t m = hrana__push_key(c, "cond");
        if (cond(c, inner, index, out->conds))
            return -1;
        hrana__pop(c, m);
        return 0;
    }
    if (!strcmp(type, "and") || !strcmp(type, "or")) {
        out->type = type[0] == 'a' ? HRANA_COND_AND : HRANA_COND_OR;
        json_t *a;
        if (hrana__get_array(c, v, "conds", 1, c->lim->max_steps, "conditions", &a))
            return -1;
        size_t n = json_array_size(a);
        out->conds = hrana_arena_alloc(c->arena, (n ? n : 1) * sizeof *out->conds);
        if (!out->conds)
            return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
        out->nconds = n;
        size_t m = hrana__push_key(c, "conds");
        for (size_t i = 0; i < n; i++) {
            size_t m2 = hrana__push_index(c, i);
            if (cond(c, json_array_get(a, i), index, &out->conds[i]))
                return -1;
            hrana__pop(c, m2);
        }
        hrana__pop(c, m);
        return 0;
    }
    if (!strcmp(type, "is_autocommit")) {
        out->type = HRANA_COND_IS_AUTOCOMMIT;
        return 0;
    }
    return hrana__fail(c, HRANA_E_INVALID, "unknown condition type \"%.40s\"", type);
}

int hrana__batch(dctx *c, json_t *v, hrana_batch *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a batch must be an object");
    json_t *steps;
    if (hrana__get_array(c, v, "steps", 1, c->lim->max_steps, "steps", &steps))
        return -1;
    size_t n = json_array_size(steps);
    out->steps = hrana_arena_alloc(c->arena, (n ? n : 1) * sizeof *out->steps);
    if (!out->steps)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    size_t m = hrana__push_key(c, "steps");
    for (size_t i = 0; i < n; i++) {
        size_t m2 = hrana__push_index(c, i);
        json_t *s = json_array_get(steps, i), *cv, *sv;
        if (!json_is_object(s))
            return hrana__fail(c, HRANA_E_INVALID, "a batch step must be an object");
        if (hrana__get_object(c, s, "condition", 0, &cv) ||
            hrana__get_object(c, s, "stmt", 1, &sv))
            return -1;
        if (cv) {
            out->steps[i].cond = hrana_arena_alloc(c->arena, sizeof(hrana_cond));
            if (!out->steps[i].cond)
                return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
            size_t m3 = hrana__push_key(c, "condition");
            if (cond(c, cv, i, out->steps[i].cond))
                return -1;
            hrana__pop(c, m3);
        }
        size_t m3 = hrana__push_key(c, "stmt");
        if (hrana__stmt(c, sv, &out->steps[i].stmt))
            return -1;
        hrana__pop(c, m3);
        hrana__pop(c, m2);
    }
    hrana__pop(c, m);
    out->nsteps = n;
    return 0;
}

/* sql / sql_id of sequence and describe: exactly one. */
static int sql_or_id(dctx *c, json_t *v, hrana_request *r)
{
    if (hrana__get_string(c, v, "sql", 0, c->lim->max_sql, &r->sql) ||
        hrana__get_i32(c, v, "sql_id", 0, &r->sql_id, &r->has_sql_id))
        return -1;
    if (!r->sql.p == !r->has_sql_id)
        return hrana__fail(c, HRANA_E_INVALID,
                           r->sql.p ? "both \"sql\" and \"sql_id\" are given; give one"
                                    : "one of \"sql\" and \"sql_id\" is required");
    return 0;
}

static int request(dctx *c, json_t *v, hrana_request *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a request must be an object");
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    r->type = req_type_of(type);
    json_t *x;
    switch (r->type) {
    case HRANA_REQ_EXECUTE: {
        if (hrana__get_object(c, v, "stmt", 1, &x))
            return -1;
        size_t m = hrana__push_key(c, "stmt");
        if (hrana__stmt(c, x, &r->stmt))
            return -1;
        hrana__pop(c, m);
        return 0;
    }
    case HRANA_REQ_BATCH: {
        if (hrana__get_object(c, v, "batch", 1, &x))
            return -1;
        size_t m = hrana__push_key(c, "batch");
        if (hrana__batch(c, x, &r->batch))
            return -1;
        hrana__pop(c, m);
        return 0;
    }
    case HRANA_REQ_SEQUENCE:
    case HRANA_REQ_DESCRIBE:
        return sql_or_id(c, v, r);
    case HRANA_REQ_STORE_SQL:
        r->has_sql_id = 1;
        return hrana__get_i32(c, v, "sql_id", 1, &r->sql_id, NULL) ||
                       hrana__get_string(c, v, "sql", 1, c->lim->max_sql, &r->sql)
                   ? -1
                   : 0;
    case HRANA_REQ_CLOSE_SQL:
        r->has_sql_id = 1;
        return hrana__get_i32(c, v, "sql_id", 1, &r->sql_id, NULL);
    case HRANA_REQ_CLOSE:
    case HRANA_REQ_GET_AUTOCOMMIT:
        return 0;
    default:
        return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown request type \"%.40s\"", type);
    }
}

int hrana_decode_pipeline_req(const char *body, size_t len, const hrana_limits *lim,
                              hrana_pipeline_req *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    json_t *root = hrana__load(body, len, lim, st);
    if (!root)
        return st->code;
    hrana_arena *arena = hrana_arena_new();
    if (!arena) {
        json_decref(root);
        st->code = HRANA_E_NOMEM;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    json_t *reqs;
    int rc = -1;
    if (hrana__get_string(&c, root, "baton", 0, lim->max_text, &out->baton) ||
        hrana__get_array(&c, root, "requests", 1, lim->max_requests, "requests", &reqs))
        goto done;
    size_t n = json_array_size(reqs);
    out->requests = hrana_arena_alloc(arena, (n ? n : 1) * sizeof *out->requests);
    if (!out->requests) {
        hrana__fail(&c, HRANA_E_NOMEM, "out of memory");
        goto done;
    }
    size_t m = hrana__push_key(&c, "requests");
    for (size_t i = 0; i < n; i++) {
        size_t m2 = hrana__push_index(&c, i);
        if (request(&c, json_array_get(reqs, i), &out->requests[i]))
            goto done;
        hrana__pop(&c, m2);
    }
    hrana__pop(&c, m);
    out->nrequests = n;
    rc = 0;
done:
    json_decref(root);
    if (rc) {
        hrana_arena_free(arena);
        memset(out, 0, sizeof *out);
        return st->code;
    }
    out->arena = arena;
    return HRANA_OK;
}

void hrana_pipeline_req_free(hrana_pipeline_req *r)
{
    if (!r)
        return;
    hrana_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}

int hrana_decode_cursor_req(const char *body, size_t len, const hrana_limits *lim,
                            hrana_cursor_req *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    json_t *root = hrana__load(body, len, lim, st);
    if (!root)
        return st->code;
    hrana_arena *arena = hrana_arena_new();
    if (!arena) {
        json_decref(root);
        st->code = HRANA_E_NOMEM;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    json_t *b;
    int rc = -1;
    if (hrana__get_string(&c, root, "baton", 0, lim->max_text, &out->baton) ||
        hrana__get_object(&c, root, "batch", 1, &b))
        goto done;
    size_t m = hrana__push_key(&c, "batch");
    if (hrana__batch(&c, b, &out->batch))
        goto done;
    hrana__pop(&c, m);
    rc = 0;
done:
    json_decref(root);
    if (rc) {
        hrana_arena_free(arena);
        memset(out, 0, sizeof *out);
        return st->code;
    }
    out->arena = arena;
    return HRANA_OK;
}

void hrana_cursor_req_free(hrana_cursor_req *r)
{
    if (!r)
        return;
    hrana_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}
