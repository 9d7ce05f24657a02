/* log.h -- leveled logging through the configured callback (the library
 * never prints; main.c installs a stderr sink). */
#ifndef LSQLD_LOG_H
#define LSQLD_LOG_H

#include "server.h"

#if defined(__GNUC__) || defined(__clang__)
#define LSQLD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LSQLD_PRINTF(a, b)
#endif

typedef struct lsqld_logger {
    int level;
    lsqld_log_fn fn;
    void *ctx;
} lsqld_logger;

void lsqld_log(const lsqld_logger *l, int level, const char *fmt, ...) LSQLD_PRINTF(3, 4);
static inline int lsqld_log_on(const lsqld_logger *l, int level)
{
    return l->fn && level <= l->level;
}
/* "error", "warn", "info", "debug" <-> LSQLD_LOG_*; -1 / NULL when unknown. */
int lsqld_log_level_parse(const char *s);
const char *lsqld_log_level_name(int level);

#endif
