/* sqltext.c -- blanks, comments and a few keywords of SQLite's lexer. */
#include "sqltext.h"

#include <ctype.h>
#include <strings.h>

size_t lsqld_sql_skip_space(const char *s, size_t n, size_t i)
{
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
            c == ';') {
            i++;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i = i + 1 < n ? i + 2 : n;
        } else {
            break;
        }
    }
    return i;
}

int lsqld_sql_is_blank(const char *sql, size_t n, size_t at)
{
    return lsqld_sql_skip_space(sql, n, at) >= n;
}

/* Blanks without ';' (a ';' ends the statement). */
static size_t skip_ws(const char *s, size_t n, size_t i)
{
    for (;;) {
        size_t j = i;
        while (j < n && s[j] != ';' && isspace((unsigned char)s[j]))
            j++;
        if (j + 1 < n && s[j] == '-' && s[j + 1] == '-') {
            while (j < n && s[j] != '\n')
                j++;
        } else if (j + 1 < n && s[j] == '/' && s[j + 1] == '*') {
            j += 2;
            while (j + 1 < n && !(s[j] == '*' && s[j + 1] == '/'))
                j++;
            j = j + 1 < n ? j + 2 : n;
        }
        if (j == i)
            return i;
        i = j;
    }
}

/* An identifier or keyword at s[i]: bare word or "..", `..`, [..] quoted.
 * Returns its length (0 when none); *bare says whether it was unquoted. */
static size_t word(const char *s, size_t n, size_t i, int *bare)
{
    if (i >= n)
        return 0;
    unsigned char c = (unsigned char)s[i];
    *bare = 0;
    if (c == '"' || c == '`' || c == '[') {
        char close = c == '[' ? ']' : (char)c;
        size_t j = i + 1;
        while (j < n && s[j] != close)
            j++;
        return j < n ? j + 1 - i : 0;
    }
    if (!(isalpha(c) || c == '_' || c >= 0x80))
        return 0;
    size_t j = i;
    while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '$' ||
                     (unsigned char)s[j] >= 0x80))
        j++;
    *bare = 1;
    return j - i;
}

static int is_kw(const char *s, size_t len, int bare, const char *kw)
{
    size_t k = 0;
    while (kw[k])
        k++;
    return bare && len == k && !strncasecmp(s, kw, k);
}

int lsqld_sql_begin_kind(const char *s, size_t n, size_t at, size_t *end)
{
    size_t i = lsqld_sql_skip_space(s, n, at);
    int bare;
    size_t len = word(s, n, i, &bare);
    if (!is_kw(s + i, len, bare, "BEGIN"))
        return LSQLD_BEGIN_NONE;
    i = skip_ws(s, n, i + len);
    len = word(s, n, i, &bare);
    if (is_kw(s + i, len, bare, "DEFERRED"))
        return LSQLD_BEGIN_DEFERRED;
    if (is_kw(s + i, len, bare, "IMMEDIATE"))
        return LSQLD_BEGIN_IMMEDIATE;
    if (is_kw(s + i, len, bare, "EXCLUSIVE"))
        return LSQLD_BEGIN_EXCLUSIVE;
    if (is_kw(s + i, len, bare, "TRANSACTION")) {
        size_t j = skip_ws(s, n, i + len);
        size_t l2 = word(s, n, j, &bare);
        if (is_kw(s + j, l2, bare, "READONLY"))
            return LSQLD_BEGIN_TXN_READONLY;
        return LSQLD_BEGIN_DEFERRED;
    }
    if (!is_kw(s + i, len, bare, "READONLY"))
        return LSQLD_BEGIN_DEFERRED;
    /* BEGIN READONLY [TRANSACTION [name]] (';' | end) */
    i = skip_ws(s, n, i + len);
    len = word(s, n, i, &bare);
    if (is_kw(s + i, len, bare, "TRANSACTION")) {
        i = skip_ws(s, n, i + len);
        len = word(s, n, i, &bare);
        if (len)
            i = skip_ws(s, n, i + len);
    }
    if (i < n && s[i] != ';')
        return LSQLD_BEGIN_NONE;
    if (end)
        *end = i < n ? i + 1 : n;
    return LSQLD_BEGIN_READONLY;
}

int lsqld_sql_pragma_sets(const char *s, size_t n)
{
    /* pragmas whose value names an object or acts on the database file,
     * never on the connection's settings */
    static const char *const harmless[] = {
        "table_info",      "table_xinfo",     "table_list",      "index_info",
        "index_xinfo",     "index_list",      "foreign_key_list", "foreign_key_check",
        "integrity_check", "quick_check",     "wal_checkpoint",  "incremental_vacuum",
        "optimize",        "user_version",    "application_id",
    };
    int bare;
    size_t i = lsqld_sql_skip_space(s, n, 0);
    size_t len = word(s, n, i, &bare);
    if (!is_kw(s + i, len, bare, "PRAGMA"))
        return 0;
    i = skip_ws(s, n, i + len);
    size_t name = i;
    len = word(s, n, i, &bare);
    if (!len)
        return 1; /* not understood: assume the worst */
    i = skip_ws(s, n, i + len);
    if (i < n && s[i] == '.') { /* schema.name */
        i = skip_ws(s, n, i + 1);
        name = i;
        len = word(s, n, i, &bare);
        if (!len)
            return 1;
        i = skip_ws(s, n, i + len);
    }
    if (i >= n || s[i] == ';')
        return 0; /* no value: reads the setting */
    for (size_t k = 0; k < sizeof harmless / sizeof harmless[0]; k++)
        if (is_kw(s + name, len, bare, harmless[k]))
            return 0;
    return 1;
}

int lsqld_sql_is_plain_vacuum(const char *s, size_t n)
{
    int bare;
    size_t i = lsqld_sql_skip_space(s, n, 0);
    size_t len = word(s, n, i, &bare);
    if (!is_kw(s + i, len, bare, "VACUUM"))
        return 0;
    i = skip_ws(s, n, i + len);
    len = word(s, n, i, &bare);
    if (len && !is_kw(s + i, len, bare, "INTO")) /* the schema name */
        i = skip_ws(s, n, i + len);
    return lsqld_sql_is_blank(s, n, i);
}
