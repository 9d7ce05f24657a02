/* log.c -- formatting log lines for the configured sink. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lsqld_log(const lsqld_logger *l, int level, const char *fmt, ...)
{
    if (!lsqld_log_on(l, level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->fn(level, msg, l->ctx);
}

static const char *const names[] = {NULL, "error", "warn", "info", "debug"};

int lsqld_log_level_parse(const char *s)
{
    for (int i = 1; i <= LSQLD_LOG_DEBUG; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

const char *lsqld_log_level_name(int level)
{
    return level >= 1 && level <= LSQLD_LOG_DEBUG ? names[level] : NULL;
}
