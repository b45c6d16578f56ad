/* Internal future functions for producers (the buffer pools). Not part of the public API. */
#ifndef S3XFER_SRC_FUTURE_INTERNAL_H
#define S3XFER_SRC_FUTURE_INTERNAL_H

#include <s3xfer/future.h>

/* The producer's hook. Runs exactly once, when the future completes (by anyone: the producer
 * delivering, a consumer cancelling), on the completing thread, after the future's lock is
 * released and before the consumer's callback fires. The completing caller holds a reference for
 * the duration. The producer must itself hold a reference until the future completes, or the hook
 * may never run. */
typedef void(s3x__future_hook_fn)(struct s3x_future *future, void *user_data);

/* Sets the hook on a pending future that has none. Returns 0, S3X_ERR_INVALID_ARGUMENT, or
 * S3X_ERR_INVALID_STATE (already complete, a hook already set, or a static future). */
int s3x__future_set_hook(struct s3x_future *future, s3x__future_hook_fn *hook, void *user_data);

/* s3x_future_complete for a future no other thread can see yet (created by the caller and not
 * handed out): skips the lock. Falls back to s3x_future_complete if a callback or hook is set. */
bool s3x__future_complete_unshared(struct s3x_future *future, void *value, s3x_future_value_dtor_fn *dtor);

/* A completed, never-freed future carrying `error`: S3X_ERR_INVALID_ARGUMENT gets its own, every
 * other code maps to the S3X_ERR_OOM one. Acquire/release are no-ops, `take` returns the error,
 * a callback registered on it fires once as on any completed future. Never NULL, never allocates
 * (except a small task when a callback is registered with an executor; if that fails the callback
 * runs inline). */
struct s3x_future *s3x__future_static_error(int error);

#endif
