/* The pool and ticket interface (include/s3xfer/pool.h), tested with a hand-driven pool: vtable
 * validation, the one reference-count model, tickets holding their pool, reserve never NULL,
 * argument checks before the implementation is called, stats versioning, the factory, the watch,
 * and the static error futures. Issue 3 points 1-5, 9 (mechanism) and 11 (contract). */
#include "pool_test_util.h"

#include "future/future_internal.h"

/* --- a hand-driven pool: reservations wait until the test delivers ------------------------- */

struct m_pool {
    struct s3x_pool base;
    struct s3x_allocator *allocator;
    struct s3x_future *pending[8];
    int npending;
    int reserve_calls;
    int destroyed;
    int tickets_destroyed;
    bool return_null;
    bool claim_null;
};

struct m_ticket {
    struct s3x_ticket base;
    struct m_pool *pool;
    char buffer[64];
};

static int m_claim(struct s3x_ticket *t, void **out) {
    struct m_ticket *mt = t->impl;
    *out = mt->pool->claim_null ? NULL : mt->buffer;
    return 0;
}

static void m_ticket_destroy(struct s3x_ticket *t) {
    struct m_ticket *mt = t->impl;
    mt->pool->tickets_destroyed++;
    s3x_mem_release(mt->pool->allocator, mt);
}

static const struct s3x_ticket_vtable m_ticket_vtable = {.claim = m_claim, .destroy = m_ticket_destroy};

static struct s3x_future *m_reserve(struct s3x_pool *pool, const struct s3x_pool_reserve_options *o) {
    struct m_pool *m = pool->impl;
    m->reserve_calls++;
    assert_true(o->size_bytes > 0); /* the library checked */
    if (m->return_null) {
        return NULL;
    }
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(m->allocator, &f), 0);
    m->pending[m->npending++] = s3x_future_acquire(f);
    return f;
}

static void m_destroy(struct s3x_pool *pool) {
    struct m_pool *m = pool->impl;
    m->destroyed++;
    for (int i = 0; i < m->npending; ++i) {
        s3x_future_complete_error(m->pending[i], S3X_ERR_POOL_SHUTDOWN);
        s3x_future_release(m->pending[i]);
    }
    m->npending = 0;
}

static const struct s3x_pool_vtable m_vtable = {.reserve = m_reserve, .destroy = m_destroy};

static void m_init(struct m_pool *m, struct s3x_allocator *a) {
    memset(m, 0, sizeof(*m));
    m->allocator = a;
    assert_int_equal(s3x_pool_init(&m->base, a, &m_vtable, m), 0);
}

/* Delivers a ticket into the oldest pending reservation; returns s3x_pool_deliver's answer. */
static bool m_deliver(struct m_pool *m, size_t size) {
    assert_true(m->npending > 0);
    struct s3x_future *f = m->pending[0];
    memmove(&m->pending[0], &m->pending[1], (size_t)(m->npending - 1) * sizeof(m->pending[0]));
    m->npending--;
    struct m_ticket *t = s3x_mem_calloc(m->allocator, 1, sizeof(*t));
    t->pool = m;
    assert_int_equal(s3x_ticket_init(&t->base, &m->base, &m_ticket_vtable, t, size), 0);
    bool delivered = s3x_pool_deliver(f, &t->base);
    s3x_future_release(f);
    return delivered;
}

/* --- tests -------------------------------------------------------------------------------- */

static struct s3x_future *s_noop_reserve(struct s3x_pool *p, const struct s3x_pool_reserve_options *o) {
    (void)p;
    (void)o;
    return NULL;
}
static void s_noop_destroy(struct s3x_pool *p) {
    (void)p;
}
static int s_noop_claim(struct s3x_ticket *t, void **out) {
    (void)t;
    *out = NULL;
    return 0;
}
static void s_noop_ticket_destroy(struct s3x_ticket *t) {
    (void)t;
}

static void test_incomplete_vtable_rejected(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool pool;
    const struct s3x_pool_vtable no_reserve = {.destroy = s_noop_destroy};
    const struct s3x_pool_vtable no_destroy = {.reserve = s_noop_reserve};
    const struct s3x_pool_vtable complete = {.reserve = s_noop_reserve, .destroy = s_noop_destroy};
    assert_int_equal(s3x_pool_init(&pool, a, &no_reserve, NULL), S3X_ERR_POOL_INVALID_VTABLE);
    assert_int_equal(s3x_pool_init(&pool, a, &no_destroy, NULL), S3X_ERR_POOL_INVALID_VTABLE);
    assert_int_equal(s3x_pool_init(NULL, a, &complete, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_init(&pool, NULL, &complete, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_init(&pool, a, NULL, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_init(&pool, a, &complete, NULL), 0);

    struct s3x_ticket ticket;
    const struct s3x_ticket_vtable no_claim = {.destroy = s_noop_ticket_destroy};
    const struct s3x_ticket_vtable no_tdestroy = {.claim = s_noop_claim};
    const struct s3x_ticket_vtable tcomplete = {.claim = s_noop_claim, .destroy = s_noop_ticket_destroy};
    assert_int_equal(s3x_ticket_init(&ticket, &pool, &no_claim, NULL, 1), S3X_ERR_POOL_INVALID_VTABLE);
    assert_int_equal(s3x_ticket_init(&ticket, &pool, &no_tdestroy, NULL, 1), S3X_ERR_POOL_INVALID_VTABLE);
    assert_int_equal(s3x_ticket_init(&ticket, &pool, &tcomplete, NULL, 0), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_ticket_init(&ticket, NULL, &tcomplete, NULL, 1), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_ticket_init(NULL, &pool, &tcomplete, NULL, 1), S3X_ERR_INVALID_ARGUMENT);
    /* None of the failures took a pool reference: one release destroys the pool. */
    assert_int_equal(pool.private_ref_count, 1);
    assert_int_equal(s3x_ticket_init(&ticket, &pool, &tcomplete, NULL, 1), 0);
    assert_int_equal(pool.private_ref_count, 2);
    s3x_ticket_release(&ticket);
    assert_int_equal(pool.private_ref_count, 1);
    assert_null(s3x_pool_release(&pool));
}

static void test_reserve_never_null_and_argument_checks(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct m_pool m;
    m_init(&m, a);
    t_expect_error(s3x_pool_reserve(NULL, NULL), S3X_ERR_INVALID_ARGUMENT);
    t_expect_error(s3x_pool_reserve(&m.base, NULL), S3X_ERR_INVALID_ARGUMENT);
    t_expect_error(t_reserve(&m.base, 0, S3X_POOL_PRIORITY_NORMAL), S3X_ERR_BUFFER_SIZE_ZERO);
    t_expect_error(t_reserve(&m.base, 1, (enum s3x_pool_priority)7), S3X_ERR_INVALID_ARGUMENT);
    t_expect_error(t_reserve(&m.base, 1, (enum s3x_pool_priority)-2), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(m.reserve_calls, 0); /* the implementation never saw them */
    m.return_null = true;
    t_expect_error(t_reserve(&m.base, 10, S3X_POOL_PRIORITY_HIGH), S3X_ERR_INVALID_STATE);
    assert_int_equal(m.reserve_calls, 1);
    s3x_pool_release(&m.base);
    assert_int_equal(m.destroyed, 1);
}

static void test_ticket_holds_pool_any_release_order(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct m_pool m;
    m_init(&m, a);
    struct s3x_future *f1 = t_reserve(&m.base, 10, S3X_POOL_PRIORITY_NORMAL);
    struct s3x_future *f2 = t_reserve(&m.base, 20, S3X_POOL_PRIORITY_LOW);
    assert_false(s3x_future_is_done(f1));
    assert_true(m_deliver(&m, 10));
    assert_true(m_deliver(&m, 20));
    struct s3x_ticket *t1 = t_take(f1);
    struct s3x_ticket *t2 = t_take(f2);
    assert_int_equal(s3x_ticket_size(t1), 10);
    assert_int_equal(s3x_ticket_size(NULL), 0);
    void *b1 = NULL;
    void *b1again = NULL;
    assert_int_equal(s3x_ticket_claim(t1, &b1), 0);
    assert_int_equal(s3x_ticket_claim(t1, &b1again), 0);
    assert_ptr_equal(b1, b1again);
    assert_int_equal(s3x_ticket_claim(NULL, &b1), S3X_ERR_INVALID_ARGUMENT);
    assert_null(b1);
    assert_int_equal(s3x_ticket_claim(t1, NULL), S3X_ERR_INVALID_ARGUMENT);

    /* The creator lets go first; the two tickets keep the pool alive. */
    assert_null(s3x_pool_release(&m.base));
    assert_int_equal(m.destroyed, 0);
    s3x_ticket_acquire(t2);
    assert_null(s3x_ticket_release(t2));
    assert_int_equal(m.tickets_destroyed, 0);
    s3x_ticket_release(t2);
    assert_int_equal(m.tickets_destroyed, 1);
    assert_int_equal(m.destroyed, 0);
    s3x_ticket_release(t1); /* destroy runs after the ticket's own destroy */
    assert_int_equal(m.tickets_destroyed, 2);
    assert_int_equal(m.destroyed, 1);
    assert_null(s3x_ticket_release(NULL));
    assert_null(s3x_pool_release(NULL));
    assert_null(s3x_pool_acquire(NULL));
    assert_null(s3x_ticket_acquire(NULL));
}

static void test_claim_without_buffer_is_an_error(void **state) {
    struct m_pool m;
    m_init(&m, s3x_test_allocator(state));
    struct s3x_future *f = t_reserve(&m.base, 8, S3X_POOL_PRIORITY_NORMAL);
    m_deliver(&m, 8);
    struct s3x_ticket *t = t_take(f);
    m.claim_null = true;
    void *b = &m;
    assert_int_equal(s3x_ticket_claim(t, &b), S3X_ERR_INVALID_STATE);
    assert_null(b);
    s3x_ticket_release(t);
    s3x_pool_release(&m.base);
}

static void test_late_ticket_goes_straight_back(void **state) {
    struct m_pool m;
    m_init(&m, s3x_test_allocator(state));
    struct s3x_future *f = t_reserve(&m.base, 8, S3X_POOL_PRIORITY_NORMAL);
    assert_true(s3x_future_complete_error(f, S3X_ERR_CANCELED)); /* the waiter cancels */
    assert_false(m_deliver(&m, 8));                               /* the pool is late */
    assert_int_equal(m.tickets_destroyed, 1);
    t_expect_error(f, S3X_ERR_CANCELED);
    /* Abandoned without cancelling: the future owns the delivered ticket and releases it. */
    f = t_reserve(&m.base, 8, S3X_POOL_PRIORITY_NORMAL);
    s3x_future_release(f);
    assert_true(m_deliver(&m, 8));
    assert_int_equal(m.tickets_destroyed, 2);
    /* Delivering into NULL releases the ticket too. */
    assert_false(s3x_pool_deliver(NULL, NULL));
    s3x_pool_release(&m.base);
}

static void test_destroy_with_pending_shutdown(void **state) {
    struct m_pool m;
    m_init(&m, s3x_test_allocator(state));
    struct s3x_future *f = t_reserve(&m.base, 8, S3X_POOL_PRIORITY_NORMAL);
    s3x_pool_release(&m.base);
    t_expect_error(f, S3X_ERR_POOL_SHUTDOWN);
}

static void test_optional_functions_absent(void **state) {
    struct m_pool m;
    m_init(&m, s3x_test_allocator(state));
    struct s3x_pool_stats s = {.struct_size = sizeof(s)};
    assert_int_equal(s3x_pool_stats(&m.base, &s), S3X_ERR_UNSUPPORTED);
    assert_int_equal(s3x_pool_set_memory_limit(&m.base, 1), S3X_ERR_UNSUPPORTED);
    assert_int_equal(s3x_pool_set_memory_limit(NULL, 1), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_trim(&m.base), 0);
    assert_int_equal(s3x_pool_trim(NULL), 0);
    assert_int_equal(s3x_pool_stats(NULL, &s), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_stats(&m.base, NULL), S3X_ERR_INVALID_ARGUMENT);
    s3x_pool_release(&m.base);
}

static void test_stats_versioning(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = t_default_pool(a, 4 * MIB, MIB);
    struct s3x_ticket *t = t_get(p, MIB);
    /* Too small to be any version. */
    struct s3x_pool_stats s = {.struct_size = sizeof(size_t)};
    assert_int_equal(s3x_pool_stats(p, &s), S3X_ERR_INVALID_ARGUMENT);
    /* A caller from the future with a bigger struct: we fill what we know, leave the rest. */
    struct {
        struct s3x_pool_stats known;
        uint64_t later_field;
    } big;
    memset(&big, 0xee, sizeof(big));
    big.known.struct_size = sizeof(big);
    assert_int_equal(s3x_pool_stats(p, &big.known), 0);
    assert_int_equal(big.known.struct_size, sizeof(struct s3x_pool_stats));
    assert_int_equal(big.known.reserved_bytes, MIB);
    assert_int_equal(big.known.memory_limit_bytes, 4 * MIB);
    assert_int_equal(big.later_field, 0xeeeeeeeeeeeeeeeeull);
    s3x_ticket_release(t);
    s3x_pool_release(p);
}

static int s_failing_factory(struct s3x_allocator *a, const struct s3x_pool_config *c, void *user,
    struct s3x_pool **out) {
    (void)a;
    (void)c;
    *out = NULL;
    return *(int *)user;
}

static void test_factory(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool_config c = {.memory_limit_bytes = 2 * MIB, .part_size_bytes = MIB};
    struct s3x_pool *p = NULL;
    assert_int_equal(s3x_pool_factory_create(NULL, a, &c, &p), 0); /* default */
    assert_int_equal(s3x__default_pool_validate(p), 0);
    s3x_pool_release(p);
    struct s3x_pool_factory arena = {.create = s3x_arena_pool_factory_create, .user_data = NULL};
    assert_int_equal(s3x_pool_factory_create(&arena, a, &c, &p), 0);
    assert_int_equal(s3x__arena_pool_validate(p), 0);
    s3x_pool_release(p);
    int rc = S3X_ERR_IO;
    struct s3x_pool_factory failing = {.create = s_failing_factory, .user_data = &rc};
    assert_int_equal(s3x_pool_factory_create(&failing, a, &c, &p), S3X_ERR_IO);
    assert_null(p);
    rc = 0; /* claims success without a pool */
    assert_int_equal(s3x_pool_factory_create(&failing, a, &c, &p), S3X_ERR_INVALID_STATE);
    assert_int_equal(s3x_pool_factory_create(NULL, a, &c, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_factory_create(NULL, a, NULL, &p), S3X_ERR_INVALID_ARGUMENT);
}

struct s_watch_state {
    int watch_calls;
    int callback_calls;
    int error_seen_by_watch;
};

static void s_watch(struct s3x_future *f, void *user) {
    struct s_watch_state *w = user;
    w->watch_calls++;
    assert_int_equal(w->callback_calls, 0); /* before the consumer's callback */
    w->error_seen_by_watch = s3x_future_error(f);
}

static void s_consumer(struct s3x_future *f, void *user) {
    (void)f;
    ((struct s_watch_state *)user)->callback_calls++;
}

static void test_watch_reservation(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_watch_state w = {0};
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_int_equal(s3x_pool_watch_reservation(f, s_watch, &w), 0);
    assert_int_equal(s3x_pool_watch_reservation(f, s_watch, &w), S3X_ERR_INVALID_STATE);
    assert_int_equal(s3x_future_on_done(f, NULL, s_consumer, &w), 0);
    assert_true(s3x_future_complete_error(f, S3X_ERR_CANCELED));
    assert_false(s3x_future_complete_error(f, S3X_ERR_IO));
    assert_int_equal(w.watch_calls, 1);
    assert_int_equal(w.callback_calls, 1);
    assert_int_equal(w.error_seen_by_watch, S3X_ERR_CANCELED);
    assert_int_equal(s3x_pool_watch_reservation(f, s_watch, &w), S3X_ERR_INVALID_STATE); /* complete */
    assert_int_equal(s3x_pool_watch_reservation(NULL, s_watch, &w), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_pool_watch_reservation(f, NULL, &w), S3X_ERR_INVALID_ARGUMENT);
    s3x_future_release(f);
}

static atomic_int s_static_cb_calls;
static void s_static_cb(struct s3x_future *f, void *user) {
    (void)user;
    assert_int_equal(s3x_future_error(f), S3X_ERR_OOM);
    atomic_fetch_add(&s_static_cb_calls, 1);
}

static void test_static_error_future(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_future *f = s3x__future_static_error(S3X_ERR_OOM);
    assert_ptr_equal(f, s3x__future_static_error(S3X_ERR_IO)); /* every other code maps to OOM */
    assert_true(s3x_future_is_done(f));
    assert_int_equal(s3x_future_wait(f, 0), 0);
    struct s3x_ticket dummy;
    struct s3x_ticket *t = &dummy;
    assert_int_equal(s3x_ticket_take(f, &t), S3X_ERR_OOM);
    assert_null(t);
    assert_ptr_equal(s3x_future_acquire(f), f);
    assert_null(s3x_future_release(f));
    assert_null(s3x_future_release(f)); /* no-ops, any number of times */
    assert_false(s3x_future_complete_error(f, S3X_ERR_IO));
    assert_int_equal(s3x__future_set_hook(f, s_watch, NULL), S3X_ERR_INVALID_STATE);
    atomic_store(&s_static_cb_calls, 0);
    /* Every registration fires once, inline or through an executor. */
    assert_int_equal(s3x_future_on_done(f, NULL, s_static_cb, NULL), 0);
    assert_int_equal(s3x_future_on_done(f, NULL, s_static_cb, NULL), 0);
    assert_int_equal(atomic_load(&s_static_cb_calls), 2);
    struct s3x_executor *ex = NULL;
    assert_int_equal(s3x_thread_executor_new(a, &ex), 0);
    assert_int_equal(s3x_future_on_done(f, ex, s_static_cb, NULL), 0);
    s3x_thread_executor_destroy(ex); /* runs it at the latest here */
    assert_int_equal(atomic_load(&s_static_cb_calls), 3);
    assert_int_equal(s3x_future_error(s3x__future_static_error(S3X_ERR_INVALID_ARGUMENT)), S3X_ERR_INVALID_ARGUMENT);
    /* The public helper: an allocated failed future, or the static one when allocation fails. */
    f = s3x_pool_reservation_failed(a, S3X_ERR_IO);
    t_expect_error(f, S3X_ERR_IO);
    struct s3x_allocator *fail = NULL;
    assert_int_equal(s3x_fail_nth_allocator_new(a, 1, &fail), 0);
    f = s3x_pool_reservation_failed(fail, S3X_ERR_IO);
    assert_ptr_equal(f, s3x__future_static_error(S3X_ERR_OOM));
    s3x_fail_nth_allocator_destroy(fail);
    t_expect_error(s3x_pool_reservation_failed(a, 0), S3X_ERR_UNKNOWN);
}

static void test_ticket_take_errors(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(a, &f), 0);
    struct s3x_ticket *t = NULL;
    assert_int_equal(s3x_ticket_take(f, &t), S3X_ERR_FUTURE_NOT_DONE);
    assert_int_equal(s3x_ticket_take(NULL, &t), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_ticket_take(f, NULL), S3X_ERR_INVALID_ARGUMENT);
    s3x_future_release(f);
    struct s3x_pool *p = t_default_pool(a, 2 * MIB, MIB);
    f = t_reserve(p, MIB, S3X_POOL_PRIORITY_NORMAL);
    assert_int_equal(s3x_ticket_take(f, &t), 0);
    struct s3x_ticket *again = NULL;
    assert_int_equal(s3x_ticket_take(f, &again), S3X_ERR_FUTURE_VALUE_TAKEN);
    s3x_future_release(f); /* taken: releasing the future does not release the ticket */
    assert_int_equal(t_stats(p).live_tickets, 1);
    s3x_ticket_release(t);
    assert_int_equal(t_stats(p).live_tickets, 0);
    s3x_pool_release(p);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_incomplete_vtable_rejected),
        S3X_TEST(test_reserve_never_null_and_argument_checks),
        S3X_TEST(test_ticket_holds_pool_any_release_order),
        S3X_TEST(test_claim_without_buffer_is_an_error),
        S3X_TEST(test_late_ticket_goes_straight_back),
        S3X_TEST(test_destroy_with_pending_shutdown),
        S3X_TEST(test_optional_functions_absent),
        S3X_TEST(test_stats_versioning),
        S3X_TEST(test_factory),
        S3X_TEST(test_watch_reservation),
        S3X_TEST(test_static_error_future),
        S3X_TEST(test_ticket_take_errors),
    };
    return S3X_TEST_MAIN(argc, argv, "pool_interface", tests);
}
