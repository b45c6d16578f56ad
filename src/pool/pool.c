/* The pool and ticket interface: validation, reference counting, dispatch, the factory.
 *
 * Owns: the library-owned fields of `struct s3x_pool` and `struct s3x_ticket` (reference count,
 * allocator, a ticket's pool and size). The contract is in include/s3xfer/pool.h.
 *
 * Reference counts: a plain size_t in the public struct (so the public header needs no
 * <stdatomic.h>, which C++ embedders cannot include), manipulated only here with __atomic builtins.
 * Acquire is relaxed (the caller already holds a reference); release is acq_rel so every write of
 * every holder happens-before `destroy`. Invariants:
 *   pool.count  = 1 (creator) + acquires - releases + live tickets of the pool
 *   ticket.count >= 1 while alive; destroy runs once, at the transition to 0
 * Example: s3x_default_pool_new -> count 1; two tickets granted -> 3; the creator releases -> 2
 * (the pool lives on); both tickets released -> each drops its pool reference after its own
 * destroy returned -> 0 -> the pool's destroy runs.
 */
#include "pool_internal.h"

#include "../future/future_internal.h"

#include <string.h>

#define S_SUBSYSTEM "pool"

/* --- reference counts ----------------------------------------------------------------------- */

static void s_ref_init(size_t *count) {
    __atomic_store_n(count, 1, __ATOMIC_RELAXED);
}

static void s_ref_acquire(size_t *count) {
    __atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
}

static bool s_ref_release(size_t *count) {
    return __atomic_fetch_sub(count, 1, __ATOMIC_ACQ_REL) == 1;
}

bool s3x__pool_try_acquire(struct s3x_pool *pool) {
    size_t n = __atomic_load_n(&pool->private_ref_count, __ATOMIC_RELAXED);
    while (n != 0) {
        if (__atomic_compare_exchange_n(&pool->private_ref_count, &n, n + 1, true, __ATOMIC_ACQUIRE,
                __ATOMIC_RELAXED)) {
            return true;
        }
    }
    return false;
}

/* --- construction ------------------------------------------------------------------------ */

int s3x_pool_init(struct s3x_pool *pool, struct s3x_allocator *allocator, const struct s3x_pool_vtable *vtable,
    void *impl) {
    if (pool == NULL || allocator == NULL || vtable == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (vtable->reserve == NULL || vtable->destroy == NULL) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "pool vtable %p lacks %s", (const void *)vtable,
            vtable->reserve == NULL ? "reserve" : "destroy");
        return S3X_ERR_POOL_INVALID_VTABLE;
    }
    pool->vtable = vtable;
    pool->impl = impl;
    pool->allocator = allocator;
    s_ref_init(&pool->private_ref_count);
    return 0;
}

int s3x_ticket_init(struct s3x_ticket *ticket, struct s3x_pool *pool, const struct s3x_ticket_vtable *vtable,
    void *impl, size_t size) {
    if (ticket == NULL || pool == NULL || vtable == NULL || size == 0) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (vtable->claim == NULL || vtable->destroy == NULL) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "ticket vtable %p lacks %s", (const void *)vtable,
            vtable->claim == NULL ? "claim" : "destroy");
        return S3X_ERR_POOL_INVALID_VTABLE;
    }
    ticket->vtable = vtable;
    ticket->impl = impl;
    ticket->pool = pool;
    ticket->size = size;
    s_ref_init(&ticket->private_ref_count);
    s_ref_acquire(&pool->private_ref_count);
    return 0;
}

/* --- pool ---------------------------------------------------------------------------------- */

struct s3x_pool *s3x_pool_acquire(struct s3x_pool *pool) {
    if (pool != NULL) {
        s_ref_acquire(&pool->private_ref_count);
    }
    return pool;
}

struct s3x_pool *s3x_pool_release(struct s3x_pool *pool) {
    if (pool != NULL && s_ref_release(&pool->private_ref_count)) {
        pool->vtable->destroy(pool);
    }
    return NULL;
}

/* A future completed with `error`, allocated from `allocator`; the static OOM future if even that
 * fails. Never NULL. */
static struct s3x_future *s_error_future(struct s3x_allocator *allocator, int error) {
    struct s3x_future *f = NULL;
    if (allocator == NULL || s3x_future_new(allocator, &f) != 0) {
        return s3x__future_static_error(S3X_ERR_OOM);
    }
    s3x_future_complete_error(f, error);
    return f;
}

struct s3x_future *s3x_pool_reservation_failed(struct s3x_allocator *allocator, int error) {
    return s_error_future(allocator, error == 0 ? S3X_ERR_UNKNOWN : error);
}

static bool s_priority_valid(enum s3x_pool_priority priority) {
    return priority == S3X_POOL_PRIORITY_LOW || priority == S3X_POOL_PRIORITY_NORMAL ||
           priority == S3X_POOL_PRIORITY_HIGH;
}

struct s3x_future *s3x_pool_reserve(struct s3x_pool *pool, const struct s3x_pool_reserve_options *options) {
    if (pool == NULL) {
        return s3x__future_static_error(S3X_ERR_INVALID_ARGUMENT);
    }
    if (options == NULL || !s_priority_valid(options->priority)) {
        return s_error_future(pool->allocator, S3X_ERR_INVALID_ARGUMENT);
    }
    if (options->size_bytes == 0) {
        return s_error_future(pool->allocator, S3X_ERR_BUFFER_SIZE_ZERO);
    }
    struct s3x_future *f = pool->vtable->reserve(pool, options);
    if (f == NULL) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "pool %p: reserve returned NULL (a pool must return a future)", (void *)pool);
        return s_error_future(pool->allocator, S3X_ERR_INVALID_STATE);
    }
    return f;
}

size_t s3x_pool_trim(struct s3x_pool *pool) {
    if (pool == NULL || pool->vtable->trim == NULL) {
        return 0;
    }
    return pool->vtable->trim(pool);
}

int s3x_pool_set_memory_limit(struct s3x_pool *pool, size_t memory_limit_bytes) {
    if (pool == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (pool->vtable->set_memory_limit == NULL) {
        return S3X_ERR_UNSUPPORTED;
    }
    return pool->vtable->set_memory_limit(pool, memory_limit_bytes);
}

/* The first version of the stats struct ends after `flags`; every later version is longer. */
#define S_STATS_V1_SIZE (offsetof(struct s3x_pool_stats, flags) + sizeof(uint32_t))

int s3x_pool_stats(struct s3x_pool *pool, struct s3x_pool_stats *out) {
    if (pool == NULL || out == NULL || out->struct_size < S_STATS_V1_SIZE) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (pool->vtable->stats == NULL) {
        return S3X_ERR_UNSUPPORTED;
    }
    size_t caller_size = out->struct_size;
    struct s3x_pool_stats full;
    memset(&full, 0, sizeof(full));
    full.struct_size = sizeof(full);
    pool->vtable->stats(pool, &full);
    /* A caller built against a newer header gets the fields we know; the rest stay as it set them. */
    size_t n = S3X_MIN(caller_size, sizeof(full));
    memcpy(out, &full, n);
    out->struct_size = n;
    return 0;
}

/* --- ticket -------------------------------------------------------------------------------- */

struct s3x_ticket *s3x_ticket_acquire(struct s3x_ticket *ticket) {
    if (ticket != NULL) {
        s_ref_acquire(&ticket->private_ref_count);
    }
    return ticket;
}

struct s3x_ticket *s3x_ticket_release(struct s3x_ticket *ticket) {
    if (ticket != NULL && s_ref_release(&ticket->private_ref_count)) {
        struct s3x_pool *pool = ticket->pool;
        ticket->vtable->destroy(ticket); /* may recycle the ticket's storage */
        s3x_pool_release(pool);
    }
    return NULL;
}

void s3x__ticket_release_dtor(void *ticket) {
    s3x_ticket_release(ticket);
}

int s3x_ticket_claim(struct s3x_ticket *ticket, void **out_buffer) {
    if (out_buffer == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out_buffer = NULL;
    if (ticket == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    void *buffer = NULL;
    int rc = ticket->vtable->claim(ticket, &buffer);
    if (rc != 0) {
        return rc;
    }
    if (buffer == NULL) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "ticket %p: claim succeeded without a buffer", (void *)ticket);
        return S3X_ERR_INVALID_STATE;
    }
    *out_buffer = buffer;
    return 0;
}

size_t s3x_ticket_size(const struct s3x_ticket *ticket) {
    return ticket == NULL ? 0 : ticket->size;
}

bool s3x_pool_deliver(struct s3x_future *reservation, struct s3x_ticket *ticket) {
    if (ticket == NULL) {
        return false;
    }
    return s3x_future_complete(reservation, ticket, s3x__ticket_release_dtor);
}

int s3x_ticket_take(struct s3x_future *reservation, struct s3x_ticket **out_ticket) {
    if (out_ticket == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out_ticket = NULL;
    if (reservation == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    void *value = NULL;
    int rc = s3x_future_take(reservation, &value);
    if (rc == 0) {
        *out_ticket = value;
    }
    return rc;
}

int s3x_pool_watch_reservation(struct s3x_future *reservation, s3x_pool_watch_fn *fn, void *user_data) {
    return s3x__future_set_hook(reservation, fn, user_data);
}

/* --- factory ------------------------------------------------------------------------------ */

int s3x_pool_factory_create(const struct s3x_pool_factory *factory, struct s3x_allocator *allocator,
    const struct s3x_pool_config *config, struct s3x_pool **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (factory == NULL || factory->create == NULL) {
        return s3x_default_pool_new(allocator, config, out);
    }
    struct s3x_pool *pool = NULL;
    int rc = factory->create(allocator, config, factory->user_data, &pool);
    if (rc != 0) {
        return rc; /* whatever the factory left in `pool` is not ours to release */
    }
    if (pool == NULL) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "pool factory reported success without a pool");
        return S3X_ERR_INVALID_STATE;
    }
    *out = pool;
    return 0;
}

int s3x_arena_pool_factory_create(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    void *user_data, struct s3x_pool **out) {
    return s3x_arena_pool_new(allocator, config, user_data, out);
}

int s3x__pool_validate(struct s3x_pool *pool) {
    int rc = s3x__default_pool_validate(pool);
    if (rc != S3X_ERR_INVALID_ARGUMENT) {
        return rc;
    }
    rc = s3x__arena_pool_validate(pool);
    return rc == S3X_ERR_INVALID_ARGUMENT ? 0 : rc;
}
