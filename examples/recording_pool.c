/* An example custom pool: wraps another pool and records every call (see recording_pool.h).
 * Uses only the public headers.
 *
 * Objects and ownership:
 *   struct rec_pool          embeds struct s3x_pool; holds a reference on the inner pool.
 *   struct rec_ticket        embeds struct s3x_ticket; owns one inner ticket. The library's
 *                            s3x_ticket_init gives it a reference on the recording pool.
 *   struct rec_reservation   one per reserve call: references on the outer future (ours, given to
 *                            the caller), the inner future, and the recording pool. It is freed
 *                            when both of its notifications have run: the inner future's callback
 *                            (the inner pool answered) and the outer future's watch (the outer
 *                            future completed: by us, or by the caller cancelling).
 *
 * Holding a pool reference per pending reservation is a choice this wrapper may make (the contract
 * allows a pool to keep itself alive while reservations are pending): the inner pool decides when
 * each one ends, so the recording pool is never destroyed with reservations pending.
 *
 * Example: the caller reserves 8 MiB -> RESERVE; the inner pool has memory, its future is already
 * complete, so our callback runs inside s3x_future_on_done: it wraps the inner ticket and delivers
 * it -> GRANT, the watch runs (completed by us: nothing to pass on), the reservation record is
 * freed, and reserve returns a completed future. Claim -> CLAIM (forwarded). The caller releases
 * the ticket -> RELEASE, the inner ticket is released, then the library drops the ticket's
 * reference on the recording pool.
 */
#include "recording_pool.h"

#include <s3xfer/error.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

struct rec_pool {
    struct s3x_pool base;
    struct s3x_allocator *allocator;
    struct s3x_pool *inner;
    pthread_mutex_t lock;
    /* under lock */
    struct recording_pool_event *events;
    size_t stored;
    size_t capacity;
    size_t total;
    size_t counts[RECORDING_POOL_EVENT_KINDS];
};

struct rec_ticket {
    struct s3x_ticket base;
    struct rec_pool *pool;
    struct s3x_ticket *inner;
};

struct rec_reservation {
    struct rec_pool *pool;
    struct s3x_future *outer;
    struct s3x_future *inner;
    size_t size;
    const void *requester;
    atomic_int notifications_left; /* 2: the inner callback and the outer watch */
    atomic_bool completed_by_us;
    atomic_bool cancel_recorded; /* the watch and a lost completion race to record the CANCEL */
};

/* Every reservation ends in exactly one outcome: GRANT not followed by UNWANTED, FAIL, or CANCEL.
 * So RESERVE = GRANT - UNWANTED + FAIL + CANCEL, and RELEASE = GRANT once all tickets are gone. */

static void s_record(struct rec_pool *pool, enum recording_pool_event_kind kind, size_t size, int error,
    const void *requester) {
    pthread_mutex_lock(&pool->lock);
    if (pool->stored == pool->capacity) {
        size_t capacity = pool->capacity == 0 ? 64 : pool->capacity * 2;
        struct recording_pool_event *grown = s3x_mem_realloc(pool->allocator, pool->events,
            pool->capacity * sizeof(*grown), capacity * sizeof(*grown));
        if (grown != NULL) {
            pool->events = grown;
            pool->capacity = capacity;
        }
    }
    if (pool->stored < pool->capacity) {
        pool->events[pool->stored++] =
            (struct recording_pool_event){.kind = kind, .size = size, .error = error, .requester = requester};
    }
    pool->total++;
    pool->counts[kind]++;
    pthread_mutex_unlock(&pool->lock);
}

/* --- tickets ------------------------------------------------------------------------------ */

static int s_ticket_claim(struct s3x_ticket *ticket, void **out_buffer) {
    struct rec_ticket *t = ticket->impl;
    int rc = s3x_ticket_claim(t->inner, out_buffer);
    s_record(t->pool, RECORDING_POOL_CLAIM, ticket->size, rc, NULL);
    return rc;
}

static void s_ticket_destroy(struct s3x_ticket *ticket) {
    struct rec_ticket *t = ticket->impl;
    s_record(t->pool, RECORDING_POOL_RELEASE, ticket->size, 0, NULL);
    s3x_ticket_release(t->inner);
    s3x_mem_release(t->pool->allocator, t);
    /* the library drops this ticket's reference on the recording pool after we return */
}

static const struct s3x_ticket_vtable s_ticket_vtable = {.claim = s_ticket_claim, .destroy = s_ticket_destroy};

/* --- reservations ------------------------------------------------------------------------- */

static void s_reservation_done(struct rec_reservation *r) {
    if (atomic_fetch_sub(&r->notifications_left, 1) != 1) {
        return;
    }
    struct rec_pool *pool = r->pool;
    s3x_future_release(r->outer);
    s3x_future_release(r->inner);
    s3x_mem_release(pool->allocator, r);
    s3x_pool_release(&pool->base); /* may destroy the recording pool: last */
}

/* The outer future completed: by us (nothing to do), or by the caller cancelling. */
static void s_record_cancel_once(struct rec_reservation *r, int error) {
    if (!atomic_exchange(&r->cancel_recorded, true)) {
        s_record(r->pool, RECORDING_POOL_CANCEL, r->size, error, r->requester);
    }
}

static void s_on_outer_done(struct s3x_future *outer, void *user_data) {
    struct rec_reservation *r = user_data;
    int error = s3x_future_error(outer);
    if (error != 0 && !atomic_load(&r->completed_by_us)) {
        s_record_cancel_once(r, error);
        s3x_future_complete_error(r->inner, error); /* pass the cancellation on to the inner pool */
    }
    s_reservation_done(r);
}

/* Wraps an inner ticket and delivers it into the outer future. */
static void s_deliver(struct rec_reservation *r, struct s3x_ticket *inner_ticket) {
    struct rec_pool *pool = r->pool;
    struct rec_ticket *t = s3x_mem_acquire(pool->allocator, sizeof(*t));
    int rc = t == NULL ? S3X_ERR_OOM : s3x_ticket_init(&t->base, &pool->base, &s_ticket_vtable, t, r->size);
    atomic_store(&r->completed_by_us, true);
    if (rc != 0) {
        s3x_mem_release(pool->allocator, t);
        s3x_ticket_release(inner_ticket);
        if (s3x_future_complete_error(r->outer, rc)) {
            s_record(pool, RECORDING_POOL_FAIL, r->size, rc, r->requester);
        } else {
            s_record_cancel_once(r, s3x_future_error(r->outer));
        }
        return;
    }
    t->pool = pool;
    t->inner = inner_ticket;
    /* Record first: once delivered, the caller may release the ticket at any moment. */
    s_record(pool, RECORDING_POOL_GRANT, r->size, 0, r->requester);
    if (!s3x_pool_deliver(r->outer, &t->base)) {
        /* Cancelled just before: the library already released our ticket (a RELEASE event). */
        s_record(pool, RECORDING_POOL_UNWANTED, r->size, 0, r->requester);
        s_record_cancel_once(r, s3x_future_error(r->outer));
    }
}

/* The inner pool answered. Runs on whatever thread completed the inner future, no lock held. */
static void s_on_inner_done(struct s3x_future *inner, void *user_data) {
    struct rec_reservation *r = user_data;
    struct s3x_ticket *inner_ticket = NULL;
    int rc = s3x_ticket_take(inner, &inner_ticket);
    if (rc == 0) {
        s_deliver(r, inner_ticket);
    } else {
        atomic_store(&r->completed_by_us, true);
        if (s3x_future_complete_error(r->outer, rc)) {
            s_record(r->pool, RECORDING_POOL_FAIL, r->size, rc, r->requester);
        } else {
            s_record_cancel_once(r, s3x_future_error(r->outer));
        }
    }
    s_reservation_done(r);
}

static struct s3x_future *s_reserve(struct s3x_pool *base, const struct s3x_pool_reserve_options *options) {
    struct rec_pool *pool = base->impl;
    s_record(pool, RECORDING_POOL_RESERVE, options->size_bytes, 0, options->requester);
    struct rec_reservation *r = s3x_mem_calloc(pool->allocator, 1, sizeof(*r));
    struct s3x_future *outer = NULL;
    if (r == NULL || s3x_future_new(pool->allocator, &outer) != 0) {
        s3x_mem_release(pool->allocator, r);
        s_record(pool, RECORDING_POOL_FAIL, options->size_bytes, S3X_ERR_OOM, options->requester);
        return s3x_pool_reservation_failed(pool->allocator, S3X_ERR_OOM); /* never NULL */
    }
    r->pool = pool;
    r->size = options->size_bytes;
    r->requester = options->requester;
    r->outer = s3x_future_acquire(outer); /* one reference for the caller, one for us */
    atomic_init(&r->notifications_left, 2);
    atomic_init(&r->completed_by_us, false);
    atomic_init(&r->cancel_recorded, false);
    s3x_pool_acquire(&pool->base); /* this wrapper stays alive while a reservation is pending */
    r->inner = s3x_pool_reserve(pool->inner, options);
    /* `outer` is fresh and ours: the watch cannot be refused. */
    if (s3x_pool_watch_reservation(outer, s_on_outer_done, r) != 0) {
        atomic_fetch_sub(&r->notifications_left, 1);
    }
    /* May run s_on_inner_done right here when the inner pool answered at once. A fresh future of
     * the inner pool has no callback yet, so this cannot be refused either. */
    if (s3x_future_on_done(r->inner, NULL, s_on_inner_done, r) != 0) {
        atomic_store(&r->completed_by_us, true);
        s3x_future_complete_error(outer, S3X_ERR_INVALID_STATE);
        s_reservation_done(r);
    }
    return outer;
}

/* --- the pool ----------------------------------------------------------------------------- */

static size_t s_trim(struct s3x_pool *base) {
    struct rec_pool *pool = base->impl;
    size_t freed = s3x_pool_trim(pool->inner);
    s_record(pool, RECORDING_POOL_TRIM, freed, 0, NULL);
    return freed;
}

static void s_stats(struct s3x_pool *base, struct s3x_pool_stats *out) {
    struct rec_pool *pool = base->impl;
    out->struct_size = sizeof(*out);
    if (s3x_pool_stats(pool->inner, out) != 0) {
        memset(out, 0, sizeof(*out)); /* the inner pool keeps none: report zeros */
    }
}

static int s_set_memory_limit(struct s3x_pool *base, size_t limit) {
    struct rec_pool *pool = base->impl;
    int rc = s3x_pool_set_memory_limit(pool->inner, limit);
    s_record(pool, RECORDING_POOL_SET_LIMIT, limit, rc, NULL);
    return rc;
}

static void s_destroy(struct s3x_pool *base) {
    struct rec_pool *pool = base->impl;
    /* Every pending reservation holds a reference: nothing is pending here. */
    s3x_pool_release(pool->inner);
    pthread_mutex_destroy(&pool->lock);
    s3x_mem_release(pool->allocator, pool->events);
    s3x_mem_release(pool->allocator, pool);
}

static const struct s3x_pool_vtable s_vtable = {
    .reserve = s_reserve,
    .destroy = s_destroy,
    .trim = s_trim,
    .stats = s_stats,
    .set_memory_limit = s_set_memory_limit,
};

int recording_pool_new(struct s3x_allocator *allocator, struct s3x_pool *inner, struct s3x_pool **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (allocator == NULL || inner == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct rec_pool *pool = s3x_mem_calloc(allocator, 1, sizeof(*pool));
    if (pool == NULL) {
        return S3X_ERR_OOM;
    }
    int rc = s3x_pool_init(&pool->base, allocator, &s_vtable, pool);
    if (rc != 0) {
        s3x_mem_release(allocator, pool);
        return rc;
    }
    pool->allocator = allocator;
    pool->inner = s3x_pool_acquire(inner);
    pthread_mutex_init(&pool->lock, NULL);
    *out = &pool->base;
    return 0;
}

int recording_pool_factory_create(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    void *user_data, struct s3x_pool **out) {
    struct s3x_pool *inner = NULL;
    int rc = s3x_pool_factory_create(user_data, allocator, config, &inner);
    if (rc != 0) {
        return rc;
    }
    rc = recording_pool_new(allocator, inner, out);
    s3x_pool_release(inner); /* the recording pool holds its own reference */
    return rc;
}

size_t recording_pool_events(struct s3x_pool *base, struct recording_pool_event *out, size_t max) {
    struct rec_pool *pool = base->impl;
    pthread_mutex_lock(&pool->lock);
    size_t n = pool->stored < max ? pool->stored : max;
    if (n > 0) {
        memcpy(out, pool->events, n * sizeof(*out));
    }
    size_t total = pool->total;
    pthread_mutex_unlock(&pool->lock);
    return total;
}

size_t recording_pool_count(struct s3x_pool *base, enum recording_pool_event_kind kind) {
    struct rec_pool *pool = base->impl;
    pthread_mutex_lock(&pool->lock);
    size_t n = kind < RECORDING_POOL_EVENT_KINDS ? pool->counts[kind] : 0;
    pthread_mutex_unlock(&pool->lock);
    return n;
}
