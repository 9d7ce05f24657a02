/* Compiled as C99 and C11 with -pedantic -Werror: the header must be clean. */
#include "lsql.h"

int lsql_header_check_c(void);
int lsql_header_check_c(void)
{
    lsql_value v = lsql_int(1);
    lsql_param p = {"id", {LSQL_TYPE_NULL, {0}}};
    (void)p;
    return v.type + LSQL_CLASS(LSQL_CONSTRAINT_UNIQUE);
}
