/* pb_decode_stmt.c -- protobuf statements, batches and batch conditions
 * (shared by the pipeline and cursor request decoders), with the checks of
 * the JSON decoder (decode_stmt.c). */
#include "pb_int.h"

#include <string.h>

static int named_arg(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_named_arg *out = outp;
    pb_reader r;
    pb_field f, value;
    int rc;
    value.num = 0;
    out->name.p = "";
    out->name.n = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_NAMED_ARG_NAME &&
            hrana__pb_str(c, &f, "name", c->d.lim->max_text, &out->name))
            return -1;
        if (f.num == HRANA_PB_NAMED_ARG_VALUE)
            value = f;
    }
    if (rc < 0)
        return -1;
    if (!value.num)
        return hrana__pb_missing(c, "value");
    return hrana__pb_sub(c, "value", &value, &out->value, hrana__pb_value, NULL);
}

/* The hottest message: one pass to count the arguments, one to read. */
int hrana__pb_stmt(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_stmt *out = outp;
    memset(out, 0, sizeof *out);
    out->want_rows = 1;
    pb_reader r;
    pb_field f;
    int rc;
    size_t na = 0, nn = 0, max = c->d.lim->max_args;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        na += f.num == HRANA_PB_STMT_ARGS;
        nn += f.num == HRANA_PB_STMT_NAMED_ARGS;
    }
    if (rc < 0 || hrana__pb_count(c, na, max, "args", "arguments") ||
        hrana__pb_count(c, nn, max, "named_args", "named arguments"))
        return -1;
    if (na + nn > max)
        return hrana__fail(&c->d, HRANA_E_LIMIT, "%zu arguments is more than the limit of %zu",
                           na + nn, max);
    out->args = na ? hrana__alloc_n(&c->d, na, sizeof *out->args) : NULL;
    out->named_args = nn ? hrana__alloc_n(&c->d, nn, sizeof *out->named_args) : NULL;
    if ((na && !out->args) || (nn && !out->named_args))
        return -1;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        int bad = 0;
        switch (f.num) {
        case HRANA_PB_STMT_SQL:
            bad = hrana__pb_str(c, &f, "sql", c->d.lim->max_sql, &out->sql);
            break;
        case HRANA_PB_STMT_SQL_ID:
            bad = hrana__pb_i32(c, &f, "sql_id", &out->sql_id);
            out->has_sql_id = 1;
            break;
        case HRANA_PB_STMT_ARGS:
            bad = hrana__pb_item(c, "args", out->nargs, &f, &out->args[out->nargs],
                                 hrana__pb_value, NULL);
            out->nargs++;
            break;
        case HRANA_PB_STMT_NAMED_ARGS:
            bad = hrana__pb_item(c, "named_args", out->nnamed, &f, &out->named_args[out->nnamed],
                                 named_arg, NULL);
            out->nnamed++;
            break;
        case HRANA_PB_STMT_WANT_ROWS:
            bad = hrana__pb_bool(c, &f, "want_rows", &out->want_rows);
            break;
        default:
            break;
        }
        if (bad)
            return -1;
    }
    if (rc < 0)
        return -1;
    return hrana__check_sql_or_id(&c->d, &out->sql, out->has_sql_id);
}

/* The index of the step a condition belongs to: it may only look at
 * earlier steps. */
typedef struct cond_arg {
    size_t index;
} cond_arg;

static int cond(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg);

/* A CondList: the conditions of an "and" or "or" (recursion is bounded by
 * the nesting level checked in hrana__pb_sub/hrana__pb_item). */
static int cond_list(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    hrana_cond *out = outp;
    out->conds = hrana__pb_list(c, p, n, HRANA_PB_CONDLIST_CONDS, "conds", c->d.lim->max_steps,
                                "conditions", sizeof *out->conds, cond, arg, &out->nconds);
    return out->conds ? 0 : -1;
}

static int cond(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    hrana_cond *out = outp;
    size_t index = ((const cond_arg *)arg)->index;
    pb_field last;
    unsigned other;
    memset(out, 0, sizeof *out);
    if (hrana__pb_oneof(c, p, n, HRANA_PB_COND_IS_AUTOCOMMIT + 1, &last, &other))
        return -1;
    switch (last.num) {
    case HRANA_PB_COND_STEP_OK:
    case HRANA_PB_COND_STEP_ERROR:
        out->type = last.num == HRANA_PB_COND_STEP_OK ? HRANA_COND_OK : HRANA_COND_ERROR;
        if (hrana__pb_u32(c, &last, out->type == HRANA_COND_OK ? "step_ok" : "step_error",
                          &out->step))
            return -1;
        if (out->step >= index)
            return hrana__fail(&c->d, HRANA_E_INVALID,
                               "condition refers to step %u, which is not before step %zu",
                               out->step, index);
        return 0;
    case HRANA_PB_COND_NOT:
        out->type = HRANA_COND_NOT;
        out->conds = hrana__alloc_n(&c->d, 1, sizeof *out->conds);
        if (!out->conds)
            return -1;
        out->nconds = 1;
        return hrana__pb_sub(c, "not", &last, out->conds, cond, arg);
    case HRANA_PB_COND_AND:
    case HRANA_PB_COND_OR:
        out->type = last.num == HRANA_PB_COND_AND ? HRANA_COND_AND : HRANA_COND_OR;
        return hrana__pb_sub(c, out->type == HRANA_COND_AND ? "and" : "or", &last, out,
                             cond_list, arg);
    case HRANA_PB_COND_IS_AUTOCOMMIT:
        out->type = HRANA_COND_IS_AUTOCOMMIT;
        return hrana__pb_sub(c, "is_autocommit", &last, NULL, hrana__pb_empty, NULL);
    default:
        return hrana__fail(&c->d, HRANA_E_INVALID,
                           "a condition needs one of step_ok, step_error, not, and, or, "
                           "is_autocommit");
    }
}

/* arg: the first step of the batch, to know the index of this one. */
static int step(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    hrana_step *out = outp;
    cond_arg ca = {(size_t)(out - (hrana_step *)arg)};
    pb_reader r;
    pb_field f, cf, sf;
    int rc;
    cf.num = sf.num = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_STEP_CONDITION)
            cf = f;
        else if (f.num == HRANA_PB_STEP_STMT)
            sf = f;
    }
    if (rc < 0)
        return -1;
    if (cf.num) {
        out->cond = hrana__alloc_n(&c->d, 1, sizeof *out->cond);
        if (!out->cond || hrana__pb_sub(c, "condition", &cf, out->cond, cond, &ca))
            return -1;
    }
    if (!sf.num)
        return hrana__pb_missing(c, "stmt");
    return hrana__pb_sub(c, "stmt", &sf, &out->stmt, hrana__pb_stmt, NULL);
}

int hrana__pb_batch(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_batch *out = outp;
    size_t k;
    memset(out, 0, sizeof *out);
    if (hrana__pb_count_field(c, p, n, HRANA_PB_BATCH_STEPS, &k) ||
        hrana__pb_count(c, k, c->d.lim->max_steps, "steps", "steps"))
        return -1;
    out->steps = hrana__alloc_n(&c->d, k, sizeof *out->steps);
    if (!out->steps)
        return -1;
    return hrana__pb_items(c, p, n, HRANA_PB_BATCH_STEPS, "steps", out->steps, sizeof *out->steps,
                           k, step, out->steps, &out->nsteps);
}
