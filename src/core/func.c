/* func.c -- custom SQL functions: registration checks and the result API
 * (lsql_result_*), dispatched to the backend that made the call context. */
#include "control.h"

#include <string.h>

#define FN_FLAGS (LSQL_FN_DETERMINISTIC | LSQL_FN_DIRECTONLY | LSQL_FN_INNOCUOUS)
#define MAX_STATE 65536u

static int reg(lsql_conn *c, const char *name, int nargs, unsigned flags, lsql_scalar_fn fn,
               lsql_scalar_fn step, lsql_final_fn final, size_t state_size, void *user_data,
               lsql_destroy_fn destroy, lsql_error *err)
{
    /* ownership of user_data passes in every case: release it on refusal */
#define REFUSE(code, ...)                                                     \
    do {                                                                      \
        if (destroy)                                                          \
            destroy(user_data);                                               \
        return c ? lsql__conn_fail(c, err, code, __VA_ARGS__)                 \
                 : lsql__fail(err, code, __VA_ARGS__);                        \
    } while (0)
    if (!lsql__conn_valid(c)) {
        c = NULL;
        REFUSE(LSQL_MISUSE_HANDLE, "invalid connection handle");
    }
    if (!name || !*name || strlen(name) > 255)
        REFUSE(LSQL_INVALID_NAME, "function name must be 1 to 255 bytes");
    if (nargs < -1 || nargs > 127)
        REFUSE(LSQL_INVALID_ARG, "function '%s': nargs %d is not in -1..127", name, nargs);
    if (flags & ~FN_FLAGS)
        REFUSE(LSQL_INVALID_ARG, "function '%s': unknown flags 0x%x", name, flags & ~FN_FLAGS);
    if (!step != !final)
        REFUSE(LSQL_INVALID_ARG, "aggregate '%s': step and final must both be set or both NULL",
               name);
    if (state_size > MAX_STATE)
        REFUSE(LSQL_INVALID_ARG, "aggregate '%s': state_size %zu is above %u", name, state_size,
               MAX_STATE);
    if (!c->be->create_function)
        REFUSE(LSQL_NOTSUP_BACKEND, "custom SQL functions are not supported in this mode (%s)",
               c->be->name);
#undef REFUSE
    int rc = c->be->create_function(c, name, nargs, flags, fn, step, final, state_size, user_data,
                                    destroy, &c->last);
    if (rc)
        return lsql__conn_err(c, err);
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_create_function(lsql_conn *c, const char *name, int nargs, unsigned flags,
                                  lsql_scalar_fn fn, void *user_data, lsql_destroy_fn destroy,
                                  lsql_error *err)
{
    return reg(c, name, nargs, flags, fn, NULL, NULL, 0, user_data, destroy, err);
}

LSQL_API int lsql_create_aggregate(lsql_conn *c, const char *name, int nargs, unsigned flags,
                                   size_t state_size, lsql_scalar_fn step, lsql_final_fn final,
                                   void *user_data, lsql_destroy_fn destroy, lsql_error *err)
{
    return reg(c, name, nargs, flags, NULL, step, final, step ? state_size : 0, user_data,
               destroy, err);
}

/* ---- inside a call ------------------------------------------------------------ */

static bool fc_valid(const lsql_fn_ctx *fc)
{
    return fc && fc->magic == LSQL_MAGIC_FNCTX;
}

LSQL_API void *lsql_fn_user_data(lsql_fn_ctx *fc)
{
    return fc_valid(fc) ? fc->user_data : NULL;
}

LSQL_API void *lsql_fn_aggregate_state(lsql_fn_ctx *fc)
{
    return fc_valid(fc) ? fc->ops->agg_state(fc) : NULL;
}

static void result(lsql_fn_ctx *fc, lsql_value v, int lifetime)
{
    if (fc_valid(fc))
        fc->ops->result(fc, &v, lifetime);
}

LSQL_API void lsql_result_null(lsql_fn_ctx *fc) { result(fc, lsql_null(), LSQL_COPY); }
LSQL_API void lsql_result_int64(lsql_fn_ctx *fc, int64_t v) { result(fc, lsql_int(v), LSQL_COPY); }
LSQL_API void lsql_result_double(lsql_fn_ctx *fc, double v)
{
    result(fc, lsql_float(v), LSQL_COPY);
}

LSQL_API void lsql_result_text(lsql_fn_ctx *fc, const char *p, size_t n, int lifetime)
{
    result(fc, lsql_text(p, n), lifetime);
}

LSQL_API void lsql_result_blob(lsql_fn_ctx *fc, const void *p, size_t n, int lifetime)
{
    result(fc, lsql_blob(p, n), lifetime);
}

LSQL_API void lsql_result_value(lsql_fn_ctx *fc, const lsql_value *v)
{
    if (!fc_valid(fc))
        return;
    if (!v) {
        fc->ops->error(fc, LSQL_ERROR, "lsql_result_value: value is NULL");
        return;
    }
    fc->ops->result(fc, v, LSQL_COPY);
}

LSQL_API void lsql_result_error(lsql_fn_ctx *fc, int code, const char *msg)
{
    if (fc_valid(fc))
        fc->ops->error(fc, code, msg);
}
