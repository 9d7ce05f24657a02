/* control.h -- private types of connection control, hooks, custom functions
 * and backup, shared by the core (control.c, pragma.c, hooks.c, func.c,
 * extension.c, backup.c) and the backends that implement them. */
#ifndef LSQL_CONTROL_H
#define LSQL_CONTROL_H

#include "internal.h"

#define LSQL_MAGIC_FNCTX 0x6c73464eu /* "lsFN" */
#define LSQL_MAGIC_PREUP 0x6c735055u /* "lsPU" */

/* Directions of the backend's backup op. */
enum { LSQL__BACKUP_TO_FILE = 0, LSQL__BACKUP_FROM_FILE, LSQL__BACKUP_TO_CONN };

/* What a backend does for the lsql_result_* / lsql_fn_* calls. */
typedef struct lsql__fn_ops {
    void (*result)(lsql_fn_ctx *fc, const lsql_value *v, int lifetime);
    void (*error)(lsql_fn_ctx *fc, int code, const char *msg);
    void *(*agg_state)(lsql_fn_ctx *fc);
} lsql__fn_ops;

/* One call of a custom function (on the backend's stack, valid during the
 * callback). */
struct lsql_fn_ctx {
    uint32_t magic;
    const lsql__fn_ops *ops;
    void *native;      /* backend's call context (sqlite3_context*) */
    void *user_data;
    size_t state_size; /* aggregate state size, 0 for scalars */
};

/* What a backend does for the lsql_preupdate_* calls. */
typedef struct lsql__preupdate_ops {
    int (*count)(const lsql_preupdate *pu);
    int (*depth)(const lsql_preupdate *pu);
    int (*value)(lsql_preupdate *pu, bool is_new, int col, lsql_value *out);
} lsql__preupdate_ops;

struct lsql_preupdate {
    uint32_t magic;
    const lsql__preupdate_ops *ops;
    void *native; /* sqlite3* */
    int op;       /* LSQL_KIND_INSERT/UPDATE/DELETE */
};

/* ---- helpers (control.c) ------------------------------------------------- */
/* Records LSQL_NOTSUP_BACKEND for feature `what` on the connection. */
int lsql__notsup(lsql_conn *c, lsql_error *err, const char *what);

/* ---- helpers (pragma.c) -------------------------------------------------- */
/* Writes `name` as a double-quoted SQL identifier ("a""b") into buf; returns
 * LSQL_OK, or LSQL_INVALID_NAME (empty / too long / NULL). */
int lsql__quote_ident(char *buf, size_t cap, const char *name);

#endif
