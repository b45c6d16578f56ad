/* Helpers shared by the pool tests. */
#ifndef S3XFER_TESTS_POOL_UTIL_H
#define S3XFER_TESTS_POOL_UTIL_H

#include "harness.h"

#include <s3xfer/error.h>
#include <s3xfer/pool.h>

#include "pool/pool_internal.h"

#include <stdatomic.h>
#include <string.h>

#define KIB ((size_t)1024)
#define MIB ((size_t)1024 * 1024)

static inline struct s3x_future *t_reserve(struct s3x_pool *pool, size_t size, enum s3x_pool_priority priority) {
    struct s3x_pool_reserve_options o = {.size_bytes = size, .priority = priority};
    return s3x_pool_reserve(pool, &o);
}

static inline struct s3x_future *t_reserve_nowait(struct s3x_pool *pool, size_t size) {
    struct s3x_pool_reserve_options o = {.size_bytes = size, .no_wait = true};
    return s3x_pool_reserve(pool, &o);
}

/* Takes the ticket of a completed reservation and releases the future; fails the test otherwise. */
static inline struct s3x_ticket *t_take(struct s3x_future *f) {
    struct s3x_ticket *t = NULL;
    assert_non_null(f);
    assert_true(s3x_future_is_done(f));
    assert_int_equal(s3x_ticket_take(f, &t), 0);
    assert_non_null(t);
    s3x_future_release(f);
    return t;
}

static inline struct s3x_ticket *t_get(struct s3x_pool *pool, size_t size) {
    return t_take(t_reserve(pool, size, S3X_POOL_PRIORITY_NORMAL));
}

/* Asserts that `f` completed with `error`, then releases it. */
static inline void t_expect_error(struct s3x_future *f, int error) {
    assert_non_null(f);
    assert_true(s3x_future_is_done(f));
    assert_int_equal(s3x_future_error(f), error);
    s3x_future_release(f);
}

static inline struct s3x_pool_stats t_stats(struct s3x_pool *pool) {
    struct s3x_pool_stats s;
    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    assert_int_equal(s3x_pool_stats(pool, &s), 0);
    return s;
}

static inline void t_validate(struct s3x_pool *pool) {
    assert_int_equal(s3x__pool_validate(pool), 0);
}

static inline struct s3x_pool *t_default_pool(struct s3x_allocator *a, size_t limit, size_t part) {
    struct s3x_pool_config c = {.memory_limit_bytes = limit, .part_size_bytes = part};
    struct s3x_pool *p = NULL;
    assert_int_equal(s3x_default_pool_new(a, &c, &p), 0);
    assert_non_null(p);
    return p;
}

/* Counts callbacks and remembers the order in which reservations completed. */
struct t_order {
    atomic_int calls;
    int order[64];
};
struct t_order_entry {
    struct t_order *order;
    int id;
};
static inline void t_order_cb(struct s3x_future *f, void *user) {
    (void)f;
    struct t_order_entry *e = user;
    int n = atomic_fetch_add(&e->order->calls, 1);
    if (n < 64) {
        e->order->order[n] = e->id;
    }
}

static inline uint64_t t_alloc_count(struct s3x_allocator *tracking) {
    struct s3x_tracking_stats s;
    s3x_tracking_allocator_stats(tracking, &s);
    return s.total_count;
}

static inline size_t t_outstanding(struct s3x_allocator *tracking) {
    struct s3x_tracking_stats s;
    s3x_tracking_allocator_stats(tracking, &s);
    return s.outstanding_count;
}

#endif
