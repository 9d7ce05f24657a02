/* backup.c -- online backup: option and handle checks over the backend. */
#include "control.h"

#include <string.h>

static int opts_get(lsql_conn *c, const lsql_backup_opts *in, lsql_backup_opts *o,
                    lsql_error *err)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    if (!in)
        return LSQL_OK;
    if (in->struct_size < offsetof(lsql_backup_opts, sleep_ms))
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "backup opts.struct_size is %zu; set it to "
                               "sizeof(lsql_backup_opts)",
                               in->struct_size);
    memcpy(o, in, in->struct_size < sizeof *o ? in->struct_size : sizeof *o);
    return LSQL_OK;
}

static int file_backup(lsql_conn *c, const char *schema, const char *path,
                       const lsql_backup_opts *in, int dir, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (!path || !*path)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "backup: path is NULL or empty");
    if (schema && !*schema)
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME, "backup: schema name is empty");
    lsql_backup_opts o;
    int rc = opts_get(c, in, &o, err);
    if (rc)
        return rc;
    if (!c->be->backup)
        return lsql__notsup(c, err, "backup");
    rc = c->be->backup(c, schema, NULL, NULL, path, dir, &o, &c->last);
    if (dir == LSQL__BACKUP_FROM_FILE)
        c->schema_epoch++; /* the schema may have been replaced */
    if (rc)
        return lsql__conn_err(c, err);
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_backup_to_file(lsql_conn *c, const char *schema, const char *path,
                                 const lsql_backup_opts *opts, lsql_error *err)
{
    return file_backup(c, schema, path, opts, LSQL__BACKUP_TO_FILE, err);
}

LSQL_API int lsql_backup_from_file(lsql_conn *c, const char *schema, const char *path,
                                   const lsql_backup_opts *opts, lsql_error *err)
{
    return file_backup(c, schema, path, opts, LSQL__BACKUP_FROM_FILE, err);
}

LSQL_API int lsql_backup_to_conn(lsql_conn *src, const char *src_schema, lsql_conn *dest,
                                 const char *dest_schema, const lsql_backup_opts *opts,
                                 lsql_error *err)
{
    if (!lsql__conn_valid(src))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid source connection handle");
    if (!lsql__conn_valid(dest))
        return lsql__conn_fail(src, err, LSQL_MISUSE_HANDLE,
                               "invalid destination connection handle");
    if (src == dest)
        return lsql__conn_fail(src, err, LSQL_INVALID_ARG,
                               "backup: source and destination are the same connection");
    if ((src_schema && !*src_schema) || (dest_schema && !*dest_schema))
        return lsql__conn_fail(src, err, LSQL_INVALID_NAME, "backup: schema name is empty");
    lsql_backup_opts o;
    int rc = opts_get(src, opts, &o, err);
    if (rc)
        return rc;
    if (!src->be->backup || src->be != dest->be)
        return lsql__notsup(src, err, "backup between these connections");
    rc = src->be->backup(src, src_schema, dest, dest_schema, NULL, LSQL__BACKUP_TO_CONN, &o,
                         &src->last);
    dest->schema_epoch++;
    if (rc)
        return lsql__conn_err(src, err);
    lsql__conn_ok(src, err);
    return LSQL_OK;
}
