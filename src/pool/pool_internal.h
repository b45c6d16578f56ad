/* Internal declarations of the pool layer, shared by its files and reachable by tests. */
#ifndef S3XFER_SRC_POOL_INTERNAL_H
#define S3XFER_SRC_POOL_INTERNAL_H

#include <s3xfer/pool.h>

#include "../common/common.h"

/* Takes a reference on `pool` only if it still has one (its count is not zero), atomically.
 * Returns whether it did. For code that can run while the pool is being destroyed (a
 * cancellation hook): when it returns false the pool's destroy has begun or is done. */
bool s3x__pool_try_acquire(struct s3x_pool *pool);

/* The ticket-release destructor given to reservation futures. */
void s3x__ticket_release_dtor(void *ticket);

/* Checks the accounting identities of a default pool (written above its struct in
 * pool_default.c) under its lock. Returns 0, or S3X_ERR_INVALID_STATE after logging the first
 * identity that does not hold; S3X_ERR_INVALID_ARGUMENT if `pool` is not a default pool. */
int s3x__default_pool_validate(struct s3x_pool *pool);
/* Same for the arena pool. */
int s3x__arena_pool_validate(struct s3x_pool *pool);
/* Dispatches to the validator of a shipped pool; 0 for any other pool. */
int s3x__pool_validate(struct s3x_pool *pool);
/* Whether the library was built with S3XFER_POOL_MALLOC_EACH (every buffer its own allocation). */
bool s3x__pool_malloc_each(void);

#endif
