/* authorizer.c -- a policy checked while SQL is compiled.
 *
 * The authorizer sees every action a statement would perform and answers
 * allow, deny or ignore. Typical server policy: no ATTACH, no
 * load_extension(); here also a column that reads as NULL. Statements
 * prepared before the authorizer was set are compiled again under it.
 * lsql's own statement classifier keeps working alongside. */
#include <lsql.h>

#include <stdio.h>
#include <string.h>

static int policy(void *ctx, int action, const char *arg1, const char *arg2, const char *schema,
                  const char *trigger)
{
    (void)ctx, (void)schema, (void)trigger;
    if (action == LSQL_ACTION_ATTACH || action == LSQL_ACTION_DETACH)
        return LSQL_AUTHZ_DENY;
    if (action == LSQL_ACTION_FUNCTION && arg2 && !strcmp(arg2, "load_extension"))
        return LSQL_AUTHZ_DENY;
    if (action == LSQL_ACTION_READ && arg1 && !strcmp(arg1, "users") && arg2 &&
        !strcmp(arg2, "password"))
        return LSQL_AUTHZ_IGNORE; /* reads as NULL */
    return LSQL_AUTHZ_OK;
}

int main(void)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    lsql_exec(conn, "CREATE TABLE users(name TEXT, password TEXT)", NULL, 0, NULL, &err);
    lsql_exec(conn, "INSERT INTO users VALUES ('ada', 'secret')", NULL, 0, NULL, &err);
    lsql_conn_set_authorizer(conn, policy, NULL);

    int rc = lsql_exec(conn, "ATTACH 'other.db' AS other", NULL, 0, NULL, &err);
    printf("ATTACH: %s (%s) -- action %s denied\n", lsql_errname(rc), err.message,
           lsql_action_name(LSQL_ACTION_ATTACH));
    if (rc != LSQL_AUTH)
        return 1;

    lsql_row *row = NULL;
    if (lsql_query_one(conn, "SELECT name, password FROM users", NULL, 0, &row, &err)) {
        fprintf(stderr, "select: %s\n", err.message);
        return 1;
    }
    lsql_value name, pw;
    lsql_row_get(row, 0, &name);
    lsql_row_get(row, 1, &pw);
    printf("name=%s password=%s\n", (const char *)name.u.bytes.p,
           pw.type == LSQL_TYPE_NULL ? "NULL (ignored by the policy)" : "visible!");
    int ok = pw.type == LSQL_TYPE_NULL;
    lsql_row_free(row);

    lsql_conn_set_authorizer(conn, NULL, NULL); /* policy off again */
    lsql_db_close(db);
    return ok ? 0 : 1;
}
