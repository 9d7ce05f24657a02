// Compiled as C++11 with -pedantic -Werror: the header must be clean C++.
#include "lsql.h"

int lsql_header_check_cxx();
int lsql_header_check_cxx()
{
    lsql_value v = lsql_text("abc", 3);
    lsql_error err;
    lsql_error_clear(&err);
    return v.type + LSQL_CLASS(LSQL_CONSTRAINT_UNIQUE) + err.code;
}
