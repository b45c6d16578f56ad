/* The fixed-arena pool (issue 3 point 15): one region at creation, carved into part slots, no
 * buffer allocation afterwards, the same fairness rules as the default pool. */
#include "pool_test_util.h"

#include <pthread.h>

#define PART (64 * KIB)

static struct s3x_pool *s_arena(struct s3x_allocator *a, size_t limit, const struct s3x_arena_pool_options *o) {
    struct s3x_pool_config c = {.memory_limit_bytes = limit, .part_size_bytes = PART};
    struct s3x_pool *p = NULL;
    assert_int_equal(s3x_arena_pool_new(a, &c, o, &p), 0);
    return p;
}

static void test_arena_basics(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = s_arena(a, 4 * PART + 100, NULL);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 4 * PART);
    assert_int_equal(s.cached_bytes, 4 * PART);
    struct s3x_ticket *t[4];
    char *seen[4];
    for (int i = 0; i < 4; ++i) {
        t[i] = t_get(p, i == 3 ? 10 : PART);
        void *b = NULL;
        assert_int_equal(s3x_ticket_claim(t[i], &b), 0);
        assert_int_equal((uintptr_t)b % 4096, 0);
        memset(b, i, s3x_ticket_size(t[i]));
        seen[i] = b;
        for (int k = 0; k < i; ++k) {
            assert_true(seen[k] != seen[i]);
        }
    }
    t_expect_error(t_reserve(p, PART + 1, S3X_POOL_PRIORITY_NORMAL), S3X_ERR_BUFFER_TOO_LARGE);
    t_expect_error(t_reserve(p, 0, S3X_POOL_PRIORITY_NORMAL), S3X_ERR_BUFFER_SIZE_ZERO);
    t_expect_error(t_reserve_nowait(p, 1), S3X_ERR_POOL_EXHAUSTED);
    s = t_stats(p);
    assert_int_equal(s.reserved_bytes, 3 * PART + 10);
    assert_int_equal(s.used_bytes, 3 * PART + 10);
    assert_int_equal(s.cached_bytes, 0);
    assert_int_equal(s.failed_count, 2);
    assert_int_equal(s3x_pool_set_memory_limit(p, 8 * PART), S3X_ERR_UNSUPPORTED);
    assert_int_equal(s3x_pool_trim(p), 0);
    t_validate(p);
    for (int i = 0; i < 4; ++i) {
        s3x_ticket_release(t[i]);
    }
    t_validate(p);
    s3x_pool_release(p);

    struct s3x_pool_config c = {.memory_limit_bytes = PART - 1, .part_size_bytes = PART};
    struct s3x_pool *q = NULL;
    assert_int_equal(s3x_arena_pool_new(a, &c, NULL, &q), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_arena_pool_new(a, NULL, NULL, &q), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_arena_pool_new(NULL, &c, NULL, &q), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_arena_pool_new(a, &c, NULL, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_null(q);
}

static void test_arena_fairness_and_cancel(void **state) {
    struct s3x_pool *p = s_arena(s3x_test_allocator(state), PART, NULL);
    struct s3x_ticket *t = t_get(p, PART);
    const enum s3x_pool_priority prio[5] = {S3X_POOL_PRIORITY_LOW, S3X_POOL_PRIORITY_NORMAL, S3X_POOL_PRIORITY_HIGH,
        S3X_POOL_PRIORITY_NORMAL, S3X_POOL_PRIORITY_NORMAL};
    struct s3x_future *f[5];
    for (int i = 0; i < 5; ++i) {
        f[i] = t_reserve(p, PART, prio[i]);
    }
    assert_true(s3x_future_complete_error(f[3], S3X_ERR_CANCELED));
    assert_int_equal(t_stats(p).pending_count, 4);
    const int expected[4] = {2, 1, 4, 0};
    for (int k = 0; k < 4; ++k) {
        s3x_ticket_release(t);
        assert_true(s3x_future_is_done(f[expected[k]]));
        t = t_take(f[expected[k]]);
        for (int i = 0; i < 5; ++i) {
            if (i != 3 && i != expected[k] && f[i] != NULL) {
                bool done = s3x_future_is_done(f[i]);
                assert_false(done);
            }
        }
        f[expected[k]] = NULL;
    }
    t_expect_error(f[3], S3X_ERR_CANCELED);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.cancelled_count, 1);
    assert_int_equal(s.waited_count, 4);
    s3x_ticket_release(t);
    t_validate(p);
    s3x_pool_release(p);
}

static void test_arena_never_allocates_after_creation(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = s_arena(a, 2 * PART, NULL);
    struct s3x_ticket *held = t_get(p, PART);
    /* warm the future and waiter-record caches */
    for (int i = 0; i < 4; ++i) {
        struct s3x_future *f = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
        struct s3x_future *g = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
        s3x_ticket_release(held);
        held = t_take(f);
        s3x_ticket_release(t_take(g));
    }
    uint64_t before = t_alloc_count(a);
    for (int i = 0; i < 1000; ++i) {
        struct s3x_future *f = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL); /* immediate */
        struct s3x_future *g = t_reserve(p, 1 + (size_t)i % PART, S3X_POOL_PRIORITY_NORMAL); /* waits */
        struct s3x_ticket *t = t_take(f);
        s3x_ticket_release(held);
        held = t_take(g);
        s3x_ticket_release(t);
    }
    assert_int_equal(t_alloc_count(a), before);
    assert_int_equal(t_stats(p).allocated_bytes, 2 * PART);
    s3x_ticket_release(held);
    s3x_pool_release(p);
}

static void test_arena_huge_pages_and_mlock(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_arena_pool_options huge = {.huge_pages = true};
    /* 4 MiB of 64 KiB parts: huge pages if the system has them reserved, normal pages otherwise. */
    struct s3x_pool *p = s_arena(a, 4 * MIB, &huge);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 4 * MIB);
    struct s3x_ticket *t = t_get(p, PART);
    void *b = NULL;
    assert_int_equal(s3x_ticket_claim(t, &b), 0);
    memset(b, 7, PART);
    s3x_ticket_release(t);
    t_validate(p);
    s3x_pool_release(p);

    struct s3x_arena_pool_options lock = {.lock_memory = true};
    struct s3x_pool_config c = {.memory_limit_bytes = 2 * PART, .part_size_bytes = PART};
    int rc = s3x_arena_pool_new(a, &c, &lock, &p);
    if (rc == 0) {
        assert_int_equal(t_stats(p).flags & S3X_POOL_STATS_MEMORY_LOCKED, S3X_POOL_STATS_MEMORY_LOCKED);
        s3x_ticket_release(t_get(p, PART));
        s3x_pool_release(p);
    } else {
        assert_int_equal(rc, S3X_ERR_PERMISSION); /* RLIMIT_MEMLOCK too small here: a clean error */
        assert_int_equal(t_outstanding(a), 0);
    }
}

static void test_arena_release_order(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = s_arena(a, PART, NULL);
    struct s3x_ticket *t = t_get(p, PART);
    struct s3x_future *w = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
    s3x_pool_release(p); /* drains: the waiter is served when the ticket comes back */
    s3x_ticket_release(t);
    struct s3x_ticket *t2 = t_take(w);
    void *b = NULL;
    assert_int_equal(s3x_ticket_claim(t2, &b), 0);
    s3x_ticket_release(t2);
    assert_int_equal(t_outstanding(a), 0);
}

static int s_arena_sweep(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_pool_config c = {.memory_limit_bytes = PART, .part_size_bytes = PART};
    struct s3x_pool *p = NULL;
    int rc = s3x_arena_pool_new(a, &c, NULL, &p);
    if (rc != 0) {
        return rc;
    }
    struct s3x_future *f = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
    struct s3x_future *g = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL); /* waits: a record */
    struct s3x_ticket *t = NULL;
    struct s3x_ticket *u = NULL;
    int first = s3x_ticket_take(f, &t);
    t = s3x_ticket_release(t);
    int e = s3x_future_is_done(g) ? s3x_ticket_take(g, &u) : S3X_ERR_FUTURE_NOT_DONE;
    first = first != 0 ? first : e;
    s3x_ticket_release(u);
    s3x_pool_release(p);
    s3x_future_release(f);
    s3x_future_release(g);
    return first;
}

static void test_arena_fail_nth_sweep(void **state) {
    assert_true(s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_arena_sweep, NULL, 0) >= 6);
}

struct s_arena_worker {
    struct s3x_pool *pool;
    int id;
    int bad;
};

static void *s_arena_thread(void *arg) {
    struct s_arena_worker *w = arg;
    for (int i = 0; i < 2000; ++i) {
        struct s3x_future *f = t_reserve(w->pool, PART, (enum s3x_pool_priority)(i % 3 - 1));
        if (i % 5 == 4) {
            s3x_future_complete_error(f, S3X_ERR_CANCELED);
        } else if (s3x_future_wait(f, 60000) != 0) {
            w->bad++;
        }
        struct s3x_ticket *t = NULL;
        if (s3x_ticket_take(f, &t) == 0) {
            unsigned char *b = NULL;
            s3x_ticket_claim(t, (void **)&b);
            memset(b, w->id, PART);
            for (size_t k = 0; k < PART; k += 997) {
                w->bad += b[k] != w->id;
            }
            s3x_ticket_release(t);
        }
        s3x_future_release(f);
    }
    return NULL;
}

static void test_arena_threads(void **state) {
    struct s3x_pool *p = s_arena(s3x_test_allocator(state), 3 * PART, NULL);
    struct s_arena_worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; ++i) {
        w[i] = (struct s_arena_worker){.pool = p, .id = i + 1};
        pthread_create(&th[i], NULL, s_arena_thread, &w[i]);
    }
    for (int i = 0; i < 4; ++i) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.live_tickets, 0);
    assert_int_equal(s.pending_count, 0);
    assert_int_equal(s.reserved_bytes, 0);
    t_validate(p);
    s3x_pool_release(p);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_arena_basics),
        S3X_TEST(test_arena_fairness_and_cancel),
        S3X_TEST(test_arena_never_allocates_after_creation),
        S3X_TEST(test_arena_huge_pages_and_mlock),
        S3X_TEST(test_arena_release_order),
        S3X_TEST(test_arena_fail_nth_sweep),
        S3X_TEST(test_arena_threads),
    };
    return S3X_TEST_MAIN(argc, argv, "pool_arena", tests);
}
