/* The queue of pending reservations (see waitq.h).
 *
 * Owns: waiter records and the queue's reference on each pending future.
 *
 * A record is created when a reservation has to wait and lives until its future's producer hook
 * has run (every pending future is completed eventually: granted, failed, cancelled or shut down,
 * and the hook runs exactly once on that completion). Whoever dequeues a record (the owner
 * granting or failing it, the hook of a cancellation) takes over the future reference; only the
 * hook frees the record. Because the hook may run on another thread at any time after the future
 * completes, the owner never touches a record after dequeuing it: completions are copied into a
 * `struct s3x__batch` under the lock.
 *
 * Invariants (synced: under the owner's lock):
 *   count = sum(class_count) = number of records with queued == true
 *   bytes = sum of size over queued records
 *   records = queued records + dequeued records whose hook has not finished + 0
 *   shut => no record is ever queued again;  owner_gone => shut
 *   the owner's object is finalized exactly when owner_gone && records == 0
 *
 * Example: limit 2 parts, both in use. A reserves 1 part (record rA queued, records 1), B reserves
 * 1 part (rB, records 2). A cancels: its hook unlinks rA (count 1), drops the queue's reference,
 * pumps (nothing free: B keeps waiting), frees rA (records 1). A ticket is released: the pump pops
 * rB into a batch, unlocks, delivers; rB's hook finds it dequeued and frees it (records 0).
 */
#include "waitq.h"

#include "../future/future_internal.h"
#include "pool_internal.h"

/* Free records kept for reuse (each is ~80 bytes; steady-state waiting allocates nothing). */
#define S_MAX_FREE_RECORDS 64u

static unsigned s_class_of(enum s3x_pool_priority priority) {
    return (unsigned)((int)priority - (int)S3X_POOL_PRIORITY_LOW);
}

void s3x__waitq_init(struct s3x__waitq *queue, const struct s3x__waitq_owner *owner, struct s3x_pool *pool,
    pthread_mutex_t *lock, struct s3x_allocator *allocator) {
    *queue = (struct s3x__waitq){.owner = owner, .pool = pool, .lock = lock, .allocator = allocator};
    for (unsigned i = 0; i < S3X__WAITQ_CLASSES; ++i) {
        queue->classes[i].next = &queue->classes[i];
        queue->classes[i].prev = &queue->classes[i];
    }
}

bool s3x__waitq_blocks_synced(const struct s3x__waitq *queue, enum s3x_pool_priority priority) {
    if (queue->count == 0) {
        return false;
    }
    for (unsigned k = s_class_of(priority); k < S3X__WAITQ_CLASSES; ++k) {
        if (queue->class_count[k] != 0) {
            return true;
        }
    }
    return false;
}

static void s_unlink_synced(struct s3x__waitq *queue, struct s3x__waiter *w) {
    w->prev->next = w->next;
    w->next->prev = w->prev;
    w->queued = false;
    queue->class_count[w->klass]--;
    queue->count--;
    queue->bytes -= w->size;
}

/* Frees a finished record; finalizes the owner when it was the last one after owner_release. */
static void s_record_done(struct s3x__waitq *queue, struct s3x__waiter *w) {
    pthread_mutex_lock(queue->lock);
    bool recycle = !queue->owner_gone && queue->free_count < S_MAX_FREE_RECORDS;
    if (recycle) {
        w->next = queue->free_records;
        queue->free_records = w;
        queue->free_count++;
    }
    queue->records--;
    bool finalize = queue->owner_gone && queue->records == 0;
    pthread_mutex_unlock(queue->lock);
    if (!recycle) {
        s3x_mem_release(queue->allocator, w);
    }
    if (finalize) {
        queue->owner->finalize(queue);
    }
}

/* The producer hook of every queued future: runs once, on whatever thread completes it. */
static void s_hook(struct s3x_future *future, void *user_data) {
    struct s3x__waiter *w = user_data;
    struct s3x__waitq *queue = w->queue;
    pthread_mutex_lock(queue->lock);
    bool cancelled = w->queued; /* the owner dequeues before completing, so this is someone else */
    if (cancelled) {
        s_unlink_synced(queue, w);
        queue->cancelled_count++;
    }
    pthread_mutex_unlock(queue->lock);
    if (cancelled) {
        s3x_future_release(future); /* the queue's reference; the canceller holds its own */
        /* The waiters behind may fit now. The pool may be in its destroy on another thread:
         * pump only while it is alive, holding a reference. Our record keeps its memory valid. */
        if (s3x__pool_try_acquire(queue->pool)) {
            queue->owner->pump(queue);
            s3x_pool_release(queue->pool);
        }
    }
    s_record_done(queue, w);
}

int s3x__waitq_push_synced(struct s3x__waitq *queue, struct s3x_future *future,
    const struct s3x_pool_reserve_options *options) {
    if (queue->shut) {
        return S3X_ERR_POOL_SHUTDOWN;
    }
    struct s3x__waiter *w = queue->free_records;
    if (w != NULL) {
        queue->free_records = w->next;
        queue->free_count--;
    } else {
        w = s3x_mem_acquire(queue->allocator, sizeof(*w));
        if (w == NULL) {
            return S3X_ERR_OOM;
        }
    }
    *w = (struct s3x__waiter){
        .queue = queue,
        .future = future,
        .size = options->size_bytes,
        .requester = options->requester,
        .enqueued_ns = s3x__clock_mono_ns(),
        .klass = s_class_of(options->priority),
        .queued = true,
    };
    /* The future is still private to the reserving call: the hook cannot be refused. */
    if (s3x__future_set_hook(future, s_hook, w) != 0) {
        s3x_mem_release(queue->allocator, w);
        return S3X_ERR_INVALID_STATE;
    }
    s3x_future_acquire(future);
    struct s3x__waiter *sentinel = &queue->classes[w->klass];
    w->next = sentinel;
    w->prev = sentinel->prev;
    sentinel->prev->next = w;
    sentinel->prev = w;
    queue->class_count[w->klass]++;
    queue->count++;
    queue->bytes += w->size;
    queue->records++;
    return 0;
}

struct s3x__waiter *s3x__waitq_head_synced(struct s3x__waitq *queue) {
    for (unsigned k = S3X__WAITQ_CLASSES; k-- > 0;) {
        if (queue->class_count[k] != 0) {
            return queue->classes[k].next;
        }
    }
    return NULL;
}

struct s3x__waiter *s3x__waitq_next_synced(struct s3x__waitq *queue, struct s3x__waiter *w) {
    if (w->next != &queue->classes[w->klass]) {
        return w->next;
    }
    for (unsigned k = w->klass; k-- > 0;) {
        if (queue->class_count[k] != 0) {
            return queue->classes[k].next;
        }
    }
    return NULL;
}

struct s3x_future *s3x__waitq_pop_synced(struct s3x__waitq *queue, struct s3x__waiter *w) {
    s_unlink_synced(queue, w);
    queue->popped_count++;
    queue->wait_ns_total += s3x__clock_mono_ns() - w->enqueued_ns;
    struct s3x_future *f = w->future;
    w->future = NULL;
    return f;
}

void s3x__batch_add(struct s3x__batch *batch, struct s3x_future *future, struct s3x_ticket *ticket, int error) {
    batch->items[batch->count++] = (struct s3x__completion){.future = future, .ticket = ticket, .error = error};
}

void s3x__batch_run(struct s3x__batch *batch) {
    for (size_t i = 0; i < batch->count; ++i) {
        struct s3x__completion *c = &batch->items[i];
        if (c->ticket != NULL) {
            s3x_pool_deliver(c->future, c->ticket); /* a cancelled future hands the ticket back */
        } else {
            s3x_future_complete_error(c->future, c->error);
        }
        s3x_future_release(c->future);
    }
    batch->count = 0;
}

void s3x__waitq_shutdown(struct s3x__waitq *queue) {
    struct s3x__batch batch = {.count = 0};
    pthread_mutex_lock(queue->lock);
    queue->shut = true;
    for (;;) {
        struct s3x__waiter *w;
        while (batch.count < S3X__WAITQ_BATCH && (w = s3x__waitq_head_synced(queue)) != NULL) {
            s3x__batch_add(&batch, s3x__waitq_pop_synced(queue, w), NULL, S3X_ERR_POOL_SHUTDOWN);
        }
        pthread_mutex_unlock(queue->lock);
        if (batch.count == 0) {
            return;
        }
        s3x__batch_run(&batch);
        pthread_mutex_lock(queue->lock);
    }
}

void s3x__waitq_trim_synced(struct s3x__waitq *queue) {
    while (queue->free_records != NULL) {
        struct s3x__waiter *w = queue->free_records;
        queue->free_records = w->next;
        s3x_mem_release(queue->allocator, w);
    }
    queue->free_count = 0;
}

void s3x__waitq_owner_release(struct s3x__waitq *queue) {
    pthread_mutex_lock(queue->lock);
    queue->shut = true;
    queue->owner_gone = true;
    s3x__waitq_trim_synced(queue);
    bool finalize = queue->records == 0;
    pthread_mutex_unlock(queue->lock);
    if (finalize) {
        queue->owner->finalize(queue);
    }
}
