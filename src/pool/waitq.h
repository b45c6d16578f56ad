/* The queue of pending reservations shared by the shipped pools: priority classes, FIFO within a
 * class, cancellation noticed at once through the future's producer hook, completion outside the
 * pool's lock. Functions ending in _synced need the owner's lock held. */
#ifndef S3XFER_SRC_POOL_WAITQ_H
#define S3XFER_SRC_POOL_WAITQ_H

#include <s3xfer/pool.h>

#include "../common/common.h"

#include <pthread.h>

#define S3X__WAITQ_CLASSES 3
/* Completions are collected under the lock in batches of this many, then run after unlocking. */
#define S3X__WAITQ_BATCH 16

struct s3x__waitq;

struct s3x__waiter {
    struct s3x__waiter *prev;
    struct s3x__waiter *next;
    struct s3x__waitq *queue;
    struct s3x_future *future; /* the queue's reference, while queued */
    size_t size;
    const void *requester;
    uint64_t enqueued_ns;
    unsigned klass; /* 0 = LOW .. 2 = HIGH */
    bool queued;
};

struct s3x__waitq_owner {
    /* Runs the owner's grant loop; called with no lock held after a cancellation removed a waiter
     * (which may let the ones behind it through), only while the pool is alive. */
    void (*pump)(struct s3x__waitq *queue);
    /* Called once, with no lock held, when the owner has released the queue and the last waiter
     * record is gone: the owner frees its object (and the lock). */
    void (*finalize)(struct s3x__waitq *queue);
};

struct s3x__waitq {
    /* immutable */
    const struct s3x__waitq_owner *owner;
    struct s3x_pool *pool;
    pthread_mutex_t *lock;
    struct s3x_allocator *allocator;
    /* synced */
    struct s3x__waiter classes[S3X__WAITQ_CLASSES]; /* sentinels of circular lists */
    size_t class_count[S3X__WAITQ_CLASSES];
    size_t count;
    size_t bytes;
    struct s3x__waiter *free_records;
    size_t free_count;
    size_t records; /* allocated records: queued, or dequeued and waiting for their future's hook */
    bool shut;
    bool owner_gone;
    uint64_t popped_count;
    uint64_t wait_ns_total;
    uint64_t cancelled_count;
};

/* One completion to run outside the lock: a ticket to deliver, or an error. The future reference
 * is the batch's and is released after completing. */
struct s3x__completion {
    struct s3x_future *future;
    struct s3x_ticket *ticket;
    int error;
};

struct s3x__batch {
    size_t count;
    struct s3x__completion items[S3X__WAITQ_BATCH];
};

void s3x__waitq_init(struct s3x__waitq *queue, const struct s3x__waitq_owner *owner, struct s3x_pool *pool,
    pthread_mutex_t *lock, struct s3x_allocator *allocator);

/* Whether a waiter of the same or a higher class than `priority` exists (then granting a new
 * reservation of that priority would be barging). */
bool s3x__waitq_blocks_synced(const struct s3x__waitq *queue, enum s3x_pool_priority priority);

/* Queues `future` (takes a reference on it and sets its hook). Returns 0, S3X_ERR_OOM,
 * S3X_ERR_POOL_SHUTDOWN. */
int s3x__waitq_push_synced(struct s3x__waitq *queue, struct s3x_future *future,
    const struct s3x_pool_reserve_options *options);

/* The waiter to serve next (highest class, oldest), or NULL. */
struct s3x__waiter *s3x__waitq_head_synced(struct s3x__waitq *queue);
/* The next waiter after `w` in service order (across classes), or NULL. */
struct s3x__waiter *s3x__waitq_next_synced(struct s3x__waitq *queue, struct s3x__waiter *w);

/* Dequeues `w`; its future reference moves to the caller (who completes it outside the lock). */
struct s3x_future *s3x__waitq_pop_synced(struct s3x__waitq *queue, struct s3x__waiter *w);

/* Adds a completion to `batch` (must not be full). */
void s3x__batch_add(struct s3x__batch *batch, struct s3x_future *future, struct s3x_ticket *ticket, int error);
/* Runs and empties the batch: delivers tickets / completes errors, releases the references. */
void s3x__batch_run(struct s3x__batch *batch);

/* The owner's destroy: refuses new waiters and completes every pending one with
 * S3X_ERR_POOL_SHUTDOWN. No lock held. */
void s3x__waitq_shutdown(struct s3x__waitq *queue);
/* The owner lets go of the queue; finalize runs now or when the last record is gone. The owner
 * must not touch its object after this call. No lock held. */
void s3x__waitq_owner_release(struct s3x__waitq *queue);
/* Frees cached free records. */
void s3x__waitq_trim_synced(struct s3x__waitq *queue);

#endif
