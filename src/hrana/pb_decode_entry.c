/* pb_decode_entry.c -- decoding the items of a protobuf cursor response:
 * the CursorRespBody head and the CursorEntry items after it (the checks
 * of decode_resp.c's cursor lines). */
#include "pb_int.h"

#include <string.h>

int hrana__pb_head_field(pbctx *c, const pb_field *f, hrana_str *baton, hrana_str *base_url)
{
    if (f->num == HRANA_PB_CURSOR_RESP_BATON) /* == HRANA_PB_PIPELINE_RESP_BATON */
        return hrana__pb_str(c, f, "baton", c->d.lim->max_text, baton);
    if (f->num == HRANA_PB_CURSOR_RESP_BASE_URL) /* == HRANA_PB_PIPELINE_RESP_BASE_URL */
        return hrana__pb_str(c, f, "base_url", c->d.lim->max_text, base_url);
    return 0;
}

static int cursor_head(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_head *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (hrana__pb_head_field(c, &f, &out->baton, &out->base_url))
            return -1;
    return rc;
}

int hrana_pb_decode_cursor_head(const void *msg, size_t len, const hrana_limits *lim,
                                hrana_cursor_head *out, hrana_status *st)
{
    return hrana__pb_decode_owned(msg, len, lim, st, out, sizeof *out, &out->arena, cursor_head);
}

static int step_begin(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_entry *e = outp;
    e->cols = hrana__pb_cols(c, p, n, HRANA_PB_STEP_BEGIN_COLS, "cols", &e->ncols);
    if (!e->cols)
        return -1;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (f.num == HRANA_PB_STEP_BEGIN_STEP && hrana__pb_u32(c, &f, "step", &e->step))
            return -1;
    return rc;
}

static int step_end(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_entry *e = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_STEP_END_AFFECTED &&
            hrana__pb_u64(c, &f, "affected_row_count", &e->affected_row_count))
            return -1;
        if (f.num == HRANA_PB_STEP_END_LAST_INSERT_ROWID) {
            if (hrana__pb_s64(c, &f, "last_insert_rowid", &e->last_insert_rowid))
                return -1;
            e->has_last_insert_rowid = 1;
        }
    }
    return rc;
}

static int step_error(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_entry *e = outp;
    pb_reader r;
    pb_field f, err;
    int rc;
    err.num = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_STEP_ERROR_STEP && hrana__pb_u32(c, &f, "step", &e->step))
            return -1;
        if (f.num == HRANA_PB_STEP_ERROR_ERROR)
            err = f;
    }
    if (rc < 0)
        return -1;
    if (!err.num)
        return hrana__pb_missing(c, "error");
    return hrana__pb_sub(c, "error", &err, &e->error, hrana__pb_error, NULL);
}

/* The values of a Row entry (at most max_cols). */
static int row(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_entry *e = outp;
    e->row = hrana__pb_list(c, p, n, HRANA_PB_ROW_VALUES, NULL, c->d.lim->max_cols, "values",
                            sizeof *e->row, hrana__pb_value, NULL, &e->nrow);
    return e->row ? 0 : -1;
}

static int entry(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_entry *e = outp;
    pb_field last;
    unsigned other;
    if (hrana__pb_oneof(c, p, n, HRANA_PB_ENTRY_ERROR + 1, &last, &other))
        return -1;
    switch (last.num) {
    case HRANA_PB_ENTRY_STEP_BEGIN:
        e->type = HRANA_ENTRY_STEP_BEGIN;
        return hrana__pb_sub(c, NULL, &last, e, step_begin, NULL);
    case HRANA_PB_ENTRY_STEP_END:
        e->type = HRANA_ENTRY_STEP_END;
        return hrana__pb_sub(c, NULL, &last, e, step_end, NULL);
    case HRANA_PB_ENTRY_STEP_ERROR:
        e->type = HRANA_ENTRY_STEP_ERROR;
        return hrana__pb_sub(c, NULL, &last, e, step_error, NULL);
    case HRANA_PB_ENTRY_ROW:
        e->type = HRANA_ENTRY_ROW;
        return hrana__pb_sub(c, "row", &last, e, row, NULL);
    case HRANA_PB_ENTRY_ERROR:
        e->type = HRANA_ENTRY_ERROR;
        return hrana__pb_sub(c, "error", &last, &e->error, hrana__pb_error, NULL);
    default:
        return hrana__pb_no_kind(c, "cursor entry", other);
    }
}

int hrana_pb_decode_cursor_entry(const void *msg, size_t len, const hrana_limits *lim,
                                 hrana_cursor_entry *out, hrana_status *st)
{
    return hrana__pb_decode_owned(msg, len, lim, st, out, sizeof *out, &out->arena, entry);
}
