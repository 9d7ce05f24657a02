/* decode_stmt.c -- statements, batches and batch conditions (shared by the
 * pipeline and cursor request decoders). */
#include "decode_int.h"

#include <string.h>

int hrana__get_sql_or_id(dctx *c, json_t *v, hrana_str *sql, int32_t *id, int *has_id)
{
    return hrana__get_string(c, v, "sql", 0, c->lim->max_sql, sql) ||
                   hrana__get_i32(c, v, "sql_id", 0, id, has_id)
               ? -1
               : 0;
}

int hrana__check_sql_or_id(dctx *c, const hrana_str *sql, int has_id)
{
    if (!sql->p == !has_id)
        return hrana__fail(c, HRANA_E_INVALID,
                           sql->p ? "both \"sql\" and \"sql_id\" are given; give one"
                                  : "one of \"sql\" and \"sql_id\" is required");
    return 0;
}

static int named_arg(dctx *c, json_t *a, void *outp, void *arg)
{
    (void)arg;
    hrana_named_arg *out = outp;
    if (hrana__need_object(c, a, "a named argument") ||
        hrana__get_string(c, a, "name", 1, c->lim->max_text, &out->name))
        return -1;
    return hrana__get_sub(c, a, "value", &out->value, hrana__value, NULL);
}

int hrana__stmt(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_stmt *out = outp;
    memset(out, 0, sizeof *out);
    out->want_rows = 1;
    if (hrana__need_object(c, v, "a statement"))
        return -1;
    int present = 0;
    if (hrana__get_sql_or_id(c, v, &out->sql, &out->sql_id, &out->has_sql_id) ||
        hrana__get_bool(c, v, "want_rows", 0, &out->want_rows, &present) ||
        hrana__check_sql_or_id(c, &out->sql, out->has_sql_id))
        return -1;
    json_t *args, *named;
    if (hrana__get_array(c, v, "args", 0, c->lim->max_args, "arguments", &args) ||
        hrana__get_array(c, v, "named_args", 0, c->lim->max_args, "named arguments", &named))
        return -1;
    size_t na = args ? json_array_size(args) : 0, nn = named ? json_array_size(named) : 0;
    if (na + nn > c->lim->max_args)
        return hrana__fail(c, HRANA_E_LIMIT, "%zu arguments is more than the limit of %zu",
                           na + nn, c->lim->max_args);
    if (na) {
        out->args = hrana__list_of(c, "args", args, sizeof *out->args, hrana__value, NULL,
                                   &out->nargs);
        if (!out->args)
            return -1;
    }
    if (nn) {
        out->named_args = hrana__list_of(c, "named_args", named, sizeof *out->named_args,
                                         named_arg, NULL, &out->nnamed);
        if (!out->named_args)
            return -1;
    }
    return 0;
}

/* arg: the index of the step the condition belongs to (a size_t): it may
 * only look at earlier steps. Recursion depth is bounded by the JSON depth
 * limit. */
static int cond(dctx *c, json_t *v, void *outp, void *arg)
{
    hrana_cond *out = outp;
    size_t index = *(const size_t *)arg;
    const char *type;
    if (hrana__need_object(c, v, "a condition") || hrana__get_type(c, v, &type))
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
        out->conds = hrana__alloc_n(c, 1, sizeof *out->conds);
        if (!out->conds)
            return -1;
        out->nconds = 1;
        return hrana__read_in(c, "cond", inner, out->conds, cond, arg);
    }
    if (!strcmp(type, "and") || !strcmp(type, "or")) {
        out->type = type[0] == 'a' ? HRANA_COND_AND : HRANA_COND_OR;
        out->conds = hrana__get_list(c, v, "conds", c->lim->max_steps, "conditions",
                                     sizeof *out->conds, cond, arg, &out->nconds);
        return out->conds ? 0 : -1;
    }
    if (!strcmp(type, "is_autocommit")) {
        out->type = HRANA_COND_IS_AUTOCOMMIT;
        return 0;
    }
    return hrana__fail(c, HRANA_E_INVALID, "unknown condition type \"%.40s\"", type);
}

/* arg: the first step of the array, to know the index of this one. */
static int step(dctx *c, json_t *s, void *outp, void *arg)
{
    hrana_step *out = outp;
    size_t index = (size_t)(out - (hrana_step *)arg);
    json_t *cv, *sv;
    if (hrana__need_object(c, s, "a batch step") ||
        hrana__get_object(c, s, "condition", 0, &cv) || hrana__get_object(c, s, "stmt", 1, &sv))
        return -1;
    if (cv) {
        out->cond = hrana__alloc_n(c, 1, sizeof *out->cond);
        if (!out->cond || hrana__read_in(c, "condition", cv, out->cond, cond, &index))
            return -1;
    }
    return hrana__read_in(c, "stmt", sv, &out->stmt, hrana__stmt, NULL);
}

int hrana__batch(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_batch *out = outp;
    memset(out, 0, sizeof *out);
    json_t *steps;
    if (hrana__need_object(c, v, "a batch") ||
        hrana__get_array(c, v, "steps", 1, c->lim->max_steps, "steps", &steps))
        return -1;
    out->steps = hrana__alloc_n(c, json_array_size(steps), sizeof *out->steps);
    if (!out->steps ||
        hrana__read_items(c, "steps", steps, out->steps, sizeof *out->steps, step, out->steps))
        return -1;
    out->nsteps = json_array_size(steps);
    return 0;
}
