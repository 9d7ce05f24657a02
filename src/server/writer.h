/* writer.h -- the server-wide write lock: serialises write transactions of
 * all streams so that SQLite never sees two writers (no SQLITE_BUSY from
 * lock upgrades). Held by one stream from its first write (or BEGIN
 * IMMEDIATE/EXCLUSIVE) until its connection is back in autocommit. */
#ifndef LSQLD_WRITER_H
#define LSQLD_WRITER_H

#include <pthread.h>
#include <stdint.h>

typedef struct lsqld_writer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t owner; /* stream id, 0 when free */
} lsqld_writer;

int lsqld_writer_init(lsqld_writer *w);
void lsqld_writer_destroy(lsqld_writer *w);
/* Waits at most timeout_ms for the lock. 0 when acquired (or already held by
 * `owner`), -1 on timeout. *waited is set when the call had to wait. */
int lsqld_writer_acquire(lsqld_writer *w, uint64_t owner, unsigned timeout_ms, int *waited);
/* Releases the lock if `owner` holds it. */
void lsqld_writer_release(lsqld_writer *w, uint64_t owner);

#endif
