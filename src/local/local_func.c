/* local_func.c -- custom SQL functions of the local backend: trampolines
 * from SQLite's callbacks to lsql_scalar_fn / lsql_final_fn with lsql_value
 * arguments, and the result setters behind lsql_result_*. */
#include "local_ctl.h"

#include <stdio.h>
#include <string.h>

int local__value_from_sqlite(sqlite3_value *v, lsql_value *out)
{
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        *out = lsql_int(sqlite3_value_int64(v));
        return LSQL_OK;
    case SQLITE_FLOAT:
        *out = lsql_float(sqlite3_value_double(v));
        return LSQL_OK;
    case SQLITE_TEXT: {
        const unsigned char *p = sqlite3_value_text(v);
        if (!p)
            return LSQL_NOMEM;
        *out = lsql_text((const char *)p, (size_t)sqlite3_value_bytes(v));
        return LSQL_OK;
    }
    case SQLITE_BLOB: {
        const void *p = sqlite3_value_blob(v);
        size_t n = (size_t)sqlite3_value_bytes(v);
        if (!p && n)
            return LSQL_NOMEM;
        *out = lsql_blob(p, n);
        return LSQL_OK;
    }
    default:
        *out = lsql_null();
        return LSQL_OK;
    }
}

typedef struct local_fn {
    lsql_scalar_fn fn; /* scalar, or the step of an aggregate */
    lsql_final_fn final;
    size_t state_size;
    void *user_data;
    lsql_destroy_fn destroy;
} local_fn;

static void fn_destroy(void *p)
{
    local_fn *f = p;
    if (f->destroy)
        f->destroy(f->user_data);
    lsql__free(f);
}

/* ---- results ------------------------------------------------------------------ */

static void res_value(lsql_fn_ctx *fc, const lsql_value *v, int lifetime)
{
    sqlite3_context *ctx = fc->native;
    void (*d)(void *) = lifetime == LSQL_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT;
    switch (v->type) {
    case LSQL_TYPE_NULL:
        sqlite3_result_null(ctx);
        break;
    case LSQL_TYPE_INTEGER:
        sqlite3_result_int64(ctx, v->u.i);
        break;
    case LSQL_TYPE_FLOAT:
        sqlite3_result_double(ctx, v->u.d);
        break;
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        if (!v->u.bytes.p && v->u.bytes.n) {
            sqlite3_result_error(ctx, "function result: NULL pointer with a non-zero length", -1);
            break;
        }
        if (v->type == LSQL_TYPE_TEXT)
            sqlite3_result_text64(ctx, v->u.bytes.p ? v->u.bytes.p : "", v->u.bytes.n, d,
                                  SQLITE_UTF8);
        else
            sqlite3_result_blob64(ctx, v->u.bytes.p ? v->u.bytes.p : "", v->u.bytes.n, d);
        break;
    default:
        sqlite3_result_error(ctx, "function result: invalid lsql_value type tag", -1);
    }
}

static void res_error(lsql_fn_ctx *fc, int code, const char *msg)
{
    sqlite3_context *ctx = fc->native;
    if (code == LSQL_NOMEM) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (code == LSQL_TOOBIG && !msg) {
        sqlite3_result_error_toobig(ctx);
        return;
    }
    sqlite3_result_error(ctx, msg ? msg : lsql_errstr(code), -1);
    int cls = LSQL_CLASS(code);
    sqlite3_result_error_code(ctx, (code > 0 && cls > 0 && cls < 32) ? code : SQLITE_ERROR);
}

static void *res_agg_state(lsql_fn_ctx *fc)
{
    if (!fc->state_size)
        return NULL;
    return sqlite3_aggregate_context(fc->native, (int)fc->state_size);
}

static const lsql__fn_ops k_fn_ops = {res_value, res_error, res_agg_state};

/* ---- trampolines ---------------------------------------------------------------- */

#define STACK_ARGS 8

static void call_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    local_fn *f = sqlite3_user_data(ctx);
    lsql_value stack[STACK_ARGS];
    lsql_value *args = stack;
    if (argc > STACK_ARGS) {
        args = lsql__malloc((size_t)argc * sizeof *args);
        if (!args) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    for (int i = 0; i < argc; i++) {
        if (local__value_from_sqlite(argv[i], &args[i]) != LSQL_OK) {
            sqlite3_result_error_nomem(ctx);
            if (args != stack)
                lsql__free(args);
            return;
        }
    }
    lsql_fn_ctx fc = {LSQL_MAGIC_FNCTX, &k_fn_ops, ctx, f->user_data, f->state_size};
    f->fn(&fc, argc, args);
    fc.magic = LSQL_MAGIC_DEAD;
    if (args != stack)
        lsql__free(args);
}

static void call_final(sqlite3_context *ctx)
{
    local_fn *f = sqlite3_user_data(ctx);
    lsql_fn_ctx fc = {LSQL_MAGIC_FNCTX, &k_fn_ops, ctx, f->user_data, f->state_size};
    f->final(&fc);
    fc.magic = LSQL_MAGIC_DEAD;
}

int local__create_function(lsql_conn *c, const char *name, int nargs, unsigned flags,
                           lsql_scalar_fn fn, lsql_scalar_fn step, lsql_final_fn final,
                           size_t state_size, void *user_data, lsql_destroy_fn destroy,
                           lsql_error *e)
{
    local_conn *lc = LC(c);
    int sf = SQLITE_UTF8;
    if (flags & LSQL_FN_DETERMINISTIC)
        sf |= SQLITE_DETERMINISTIC;
    if (flags & LSQL_FN_DIRECTONLY)
        sf |= SQLITE_DIRECTONLY;
    if (flags & LSQL_FN_INNOCUOUS)
        sf |= SQLITE_INNOCUOUS;
    int rc;
    if (!fn && !step) { /* remove */
        rc = sqlite3_create_function_v2(lc->db, name, nargs, sf, NULL, NULL, NULL, NULL, NULL);
        if (destroy)
            destroy(user_data);
    } else {
        local_fn *f = lsql__calloc(1, sizeof *f);
        if (!f) {
            if (destroy)
                destroy(user_data);
            lsql__err_set(e, LSQL_NOMEM, "out of memory registering function '%.64s'", name);
            return LSQL_NOMEM;
        }
        f->fn = fn ? fn : step;
        f->final = final;
        f->state_size = state_size;
        f->user_data = user_data;
        f->destroy = destroy;
        /* from here SQLite owns f: it calls fn_destroy when the function is
         * replaced, removed, at close, or right away if this fails */
        rc = sqlite3_create_function_v2(lc->db, name, nargs, sf, f, fn ? call_step : NULL,
                                        fn ? NULL : call_step, fn ? NULL : call_final,
                                        fn_destroy);
    }
    if (rc != SQLITE_OK) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "registering function '%.64s'", name);
        return local__error(lc->db, rc, e, prefix);
    }
    return LSQL_OK;
}
