/* An example custom pool, written only against the public headers: it wraps another pool and
 * records every call made to it (reserve, grant, failure, cancel, claim, release, trim, limit
 * changes), so an application or a test can see exactly how a client used its memory.
 *
 * It shows every duty of a pool implementation (docs/pool.md): embedding struct s3x_pool and
 * struct s3x_ticket in its own objects, validating through s3x_pool_init / s3x_ticket_init,
 * returning a future that is never NULL, delivering with s3x_pool_deliver outside any lock,
 * learning of cancellations with s3x_pool_watch_reservation and passing them on to the inner
 * pool, and releasing in any order. */
#ifndef S3XFER_EXAMPLE_RECORDING_POOL_H
#define S3XFER_EXAMPLE_RECORDING_POOL_H

#include <s3xfer/pool.h>

#include <stddef.h>

enum recording_pool_event_kind {
    RECORDING_POOL_RESERVE,   /* a reservation was asked for */
    RECORDING_POOL_GRANT,     /* a ticket was delivered */
    RECORDING_POOL_FAIL,      /* the inner pool failed the reservation (error set) */
    RECORDING_POOL_CANCEL,    /* the caller cancelled a pending reservation (error set) */
    RECORDING_POOL_UNWANTED,  /* a ticket arrived after the caller cancelled: handed straight back */
    RECORDING_POOL_CLAIM,
    RECORDING_POOL_RELEASE,   /* a ticket's last reference went */
    RECORDING_POOL_TRIM,
    RECORDING_POOL_SET_LIMIT, /* size = the new limit, error = the inner pool's answer */
    RECORDING_POOL_EVENT_KINDS,
};

struct recording_pool_event {
    enum recording_pool_event_kind kind;
    size_t size;
    int error;
    const void *requester;
};

/* Wraps `inner` (takes a reference on it; released when the recording pool is destroyed). Returns
 * 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM. */
int recording_pool_new(struct s3x_allocator *allocator, struct s3x_pool *inner, struct s3x_pool **out);

/* A pool factory create function: user_data is the inner pool factory (const struct
 * s3x_pool_factory *, NULL = the default pool). */
int recording_pool_factory_create(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    void *user_data, struct s3x_pool **out);

/* Copies up to `max` recorded events, oldest first; returns how many were recorded in total
 * (events that could not be stored for lack of memory are counted but not kept). */
size_t recording_pool_events(struct s3x_pool *pool, struct recording_pool_event *out, size_t max);
/* How many events of `kind` were recorded. */
size_t recording_pool_count(struct s3x_pool *pool, enum recording_pool_event_kind kind);

#endif
