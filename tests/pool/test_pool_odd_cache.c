/* The default pool's odd cache: released buffers of sizes that take no part slot are kept and
 * reused (best fit, at most a quarter of waste), bounded in count and bytes, and given up whenever
 * a reservation needs their room, so the hard cap holds. Exact accounting after every step.
 * 64 KiB parts: odd sizes are those <= 32 KiB or > 64 KiB. */
#include "pool_test_util.h"

#include "pool/pool_default.h"

#define PART (64 * KIB)

/* Every buffer is its own allocation, freed on release, in that build: nothing to cache. */
#define T_SKIP_WITHOUT_CACHING()                                                                   \
    do {                                                                                           \
        if (s3x__pool_malloc_each()) {                                                             \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void *t_claim(struct s3x_ticket *t) {
    void *b = NULL;
    assert_int_equal(s3x_ticket_claim(t, &b), 0);
    return b;
}

static void test_released_odd_buffer_is_reused(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = t_default_pool(a, 64 * PART, PART);
    struct s3x_ticket *t = t_get(p, 20 * KIB);
    void *first = t_claim(t);
    memset(first, 1, 20 * KIB);
    s3x_ticket_release(t);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 20 * KIB); /* kept, still counted */
    assert_int_equal(s.cached_bytes, 20 * KIB);
    assert_int_equal(s.reserved_bytes, 0);
    assert_int_equal(s.system_allocations, 1);
    assert_int_equal(s.system_frees, 0);
    t_validate(p);

    uint64_t allocs = t_alloc_count(a);
    t = t_get(p, 17 * KIB); /* rounds to 20 KiB: the same buffer, no allocation at all */
    assert_ptr_equal(t_claim(t), first);
    assert_int_equal(t_alloc_count(a), allocs);
    s = t_stats(p);
    assert_int_equal(s.cached_bytes, 0);
    assert_int_equal(s.reserved_bytes, 17 * KIB);
    assert_int_equal(s.allocated_bytes, 20 * KIB);
    assert_int_equal(s.system_allocations, 1);
    t_validate(p);

    struct s3x_ticket *u = t_get(p, 16 * KIB); /* the cache is empty: a new buffer */
    assert_int_equal(t_stats(p).system_allocations, 2);
    s3x_ticket_release(t);
    s3x_ticket_release(u);
    assert_int_equal(t_stats(p).cached_bytes, 36 * KIB);
    t_validate(p);
    s3x_pool_release(p);
}

static void test_best_fit_within_a_quarter(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_pool *p = t_default_pool(s3x_test_allocator(state), 64 * PART, PART);
    const size_t sizes[] = {8 * KIB, 28 * KIB, 20 * KIB, 12 * KIB};
    struct s3x_ticket *t[4];
    void *buf[4];
    for (int i = 0; i < 4; ++i) {
        t[i] = t_get(p, sizes[i]);
        buf[i] = t_claim(t[i]);
    }
    for (int i = 0; i < 4; ++i) {
        s3x_ticket_release(t[i]);
    }
    assert_int_equal(t_stats(p).cached_bytes, 68 * KIB);
    /* 16 KiB: 20 KiB fits (waste 4 = 16/4); 28 KiB would waste too much; 8 and 12 are too small. */
    struct s3x_ticket *x = t_get(p, 16 * KIB);
    assert_ptr_equal(t_claim(x), buf[2]);
    /* 24 KiB: 28 KiB fits (waste 4 <= 6). */
    struct s3x_ticket *y = t_get(p, 24 * KIB);
    assert_ptr_equal(t_claim(y), buf[1]);
    /* 9 KiB -> 12 KiB: the 12 KiB buffer fits exactly (the 8 KiB one is too small). */
    struct s3x_ticket *z = t_get(p, 9 * KIB);
    assert_ptr_equal(t_claim(z), buf[3]);
    /* 6 KiB -> 8 KiB: exact. */
    struct s3x_ticket *w = t_get(p, 6 * KIB);
    assert_ptr_equal(t_claim(w), buf[0]);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.system_allocations, 4);
    assert_int_equal(s.cached_bytes, 0);
    assert_int_equal(s.reserved_bytes, 55 * KIB);
    assert_int_equal(s.allocated_bytes, 68 * KIB); /* the difference is waste, counted */
    t_validate(p);
    s3x_ticket_release(x);
    s3x_ticket_release(y);
    s3x_ticket_release(z);
    s3x_ticket_release(w);
    s3x_pool_release(p);
}

static void test_cache_bounds(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* limit 64 parts = 4 MiB: the cache holds at most 1 MiB and S3X__MAX_CACHED_ODD buffers. */
    struct s3x_pool *p = t_default_pool(a, 64 * PART, PART);
    enum { N = S3X__MAX_CACHED_ODD + 3 };
    struct s3x_ticket *t[N];
    for (int i = 0; i < N; ++i) {
        t[i] = t_get(p, 4 * KIB);
    }
    for (int i = 0; i < N; ++i) {
        s3x_ticket_release(t[i]);
    }
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.cached_bytes, S3X__MAX_CACHED_ODD * 4 * KIB);
    assert_int_equal(s.system_frees, 3); /* the three least recently cached */
    assert_int_equal(s.allocated_bytes, S3X__MAX_CACHED_ODD * 4 * KIB);
    t_validate(p);
    assert_int_equal(s3x_pool_trim(p), S3X__MAX_CACHED_ODD * 4 * KIB);
    assert_int_equal(t_stats(p).allocated_bytes, 0);

    /* A buffer above a quarter of the limit is never kept. */
    struct s3x_ticket *big = t_get(p, 20 * PART);
    s3x_ticket_release(big);
    s = t_stats(p);
    assert_int_equal(s.cached_bytes, 0);
    assert_int_equal(s.allocated_bytes, 0);
    /* Bytes: 3 x 400 KiB would pass 1 MiB: the oldest goes. */
    struct s3x_ticket *m[3];
    void *buf[3];
    for (int i = 0; i < 3; ++i) {
        m[i] = t_get(p, 400 * KIB);
        assert_int_equal(s3x_ticket_claim(m[i], &buf[i]), 0);
    }
    uint64_t frees = t_stats(p).system_frees;
    for (int i = 0; i < 3; ++i) {
        s3x_ticket_release(m[i]);
    }
    s = t_stats(p);
    assert_int_equal(s.cached_bytes, 800 * KIB);
    assert_int_equal(s.system_frees, frees + 1); /* one buffer went back to the system... */
    struct s3x_ticket *again = t_get(p, 400 * KIB);
    void *reused = NULL;
    assert_int_equal(s3x_ticket_claim(again, &reused), 0);
    assert_true(reused == buf[1] || reused == buf[2]); /* ...the oldest, m[0] */
    s3x_ticket_release(again);
    t_validate(p);
    s3x_pool_release(p);
}

/* A part slot waits for nothing while idle odd buffers hold the room it needs. */
static void test_cached_odd_gives_way_to_a_part(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_pool *p = t_default_pool(s3x_test_allocator(state), 2 * PART, PART); /* blocks of 1 */
    struct s3x_ticket *part = t_get(p, PART);
    struct s3x_ticket *odd = t_get(p, 32 * KIB);
    struct s3x_future *f = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL); /* room: 32 KiB */
    assert_false(s3x_future_is_done(f));
    s3x_ticket_release(odd); /* cached... and freed at once: the waiter needs its room */
    struct s3x_ticket *second = t_take(f);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 2 * PART);
    assert_int_equal(s.cached_bytes, 0);
    assert_int_equal(s.system_frees, 1);
    assert_true(s.peak_allocated_bytes <= 2 * PART);
    t_validate(p);
    s3x_ticket_release(second);
    s3x_ticket_release(part);
    s3x_pool_release(p);

    /* Without a waiter: a new reservation short of room frees idle odd buffers before cached
     * blocks. Limit 4 parts (blocks of 1, cache up to 64 KiB). */
    p = t_default_pool(s3x_test_allocator(state), 4 * PART, PART);
    part = t_get(p, PART);
    s3x_ticket_release(t_get(p, PART)); /* a cached block */
    s3x_ticket_release(t_get(p, 32 * KIB)); /* a cached odd buffer */
    s = t_stats(p);
    assert_int_equal(s.cached_bytes, PART + 32 * KIB);
    assert_int_equal(s.allocated_bytes, 2 * PART + 32 * KIB);
    struct s3x_ticket *big = t_get(p, 100 * KIB); /* odd; room 96 KiB: 4 KiB short */
    s = t_stats(p);
    assert_int_equal(s.cached_bytes, PART); /* the odd buffer went, the block stayed */
    assert_int_equal(s.system_frees, 1);
    assert_int_equal(s.allocated_bytes, 2 * PART + 100 * KIB);
    t_validate(p);
    struct s3x_ticket *huge = t_get(p, PART + 16 * KIB); /* odd, 80 KiB; room 28 KiB: the block goes too */
    s = t_stats(p);
    assert_int_equal(s.cached_bytes, 0);
    assert_int_equal(s.system_frees, 2);
    assert_int_equal(s.allocated_bytes, PART + 180 * KIB);
    assert_true(s.peak_allocated_bytes <= 4 * PART);
    t_validate(p);
    s3x_ticket_release(huge);
    s3x_ticket_release(big);
    s3x_ticket_release(part);
    s3x_pool_release(p);
}

/* The worked example above struct s3x__default_pool, continued past its first part. */
static void test_worked_example_odd_cache(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_pool *p = t_default_pool(s3x_test_allocator(state), 40 * MIB, 8 * MIB);
    struct s3x_ticket *a = t_get(p, 8 * MIB);
    struct s3x_ticket *b = t_get(p, 5 * MIB);
    struct s3x_ticket *c = t_get(p, 20 * KIB);
    s3x_ticket_release(a);
    struct s3x_ticket *d = t_get(p, 30 * MIB);
    assert_int_equal(t_stats(p).allocated_bytes, 38 * MIB + 20 * KIB);
    s3x_ticket_release(c);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 38 * MIB + 20 * KIB);
    assert_int_equal(s.cached_bytes, 20 * KIB);
    uint64_t allocs = s.system_allocations;
    c = t_get(p, 18 * KIB);
    s = t_stats(p);
    assert_int_equal(s.system_allocations, allocs);
    assert_int_equal(s.reserved_bytes, 35 * MIB + 18 * KIB);
    s3x_ticket_release(c);
    struct s3x_ticket *e = t_get(p, 2 * MIB);
    s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 40 * MIB);
    assert_int_equal(s.peak_allocated_bytes, 40 * MIB);
    assert_int_equal(s.cached_bytes, 0);
    t_validate(p);
    s3x_ticket_release(b);
    s3x_ticket_release(d);
    s3x_ticket_release(e);
    s3x_pool_release(p);
}

static void test_lowered_limit_shrinks_the_cache(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_pool *p = t_default_pool(s3x_test_allocator(state), 64 * PART, PART);
    struct s3x_ticket *t[4];
    for (int i = 0; i < 4; ++i) {
        t[i] = t_get(p, 32 * KIB);
    }
    for (int i = 0; i < 4; ++i) {
        s3x_ticket_release(t[i]);
    }
    assert_int_equal(t_stats(p).cached_bytes, 128 * KIB);
    /* 4 parts: the cache may keep a quarter, 64 KiB: two buffers go at once. */
    assert_int_equal(s3x_pool_set_memory_limit(p, 4 * PART), 0);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.cached_bytes, 64 * KIB);
    assert_int_equal(s.allocated_bytes, 64 * KIB);
    assert_int_equal(s.system_frees, 2);
    t_validate(p);
    /* Below what is allocated: nothing idle stays. */
    struct s3x_ticket *held = t_get(p, 32 * KIB); /* reuses one */
    assert_int_equal(s3x_pool_set_memory_limit(p, PART), 0);
    assert_int_equal(t_stats(p).cached_bytes, 0); /* a quarter of 64 KiB holds no 32 KiB buffer */
    s3x_ticket_release(held); /* 32 KiB > a quarter of 64 KiB: freed */
    s = t_stats(p);
    assert_int_equal(s.allocated_bytes, 0);
    assert_int_equal(s.system_frees, 4);
    t_validate(p);
    s3x_pool_release(p);
}

/* Small objects in a loop (PutObject of 1 MiB, say) allocate nothing once warm. */
static void test_odd_steady_state_allocates_nothing(void **state) {
    T_SKIP_WITHOUT_CACHING();
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = t_default_pool(a, 64 * PART, PART);
    struct s3x_ticket *t[4];
    for (int i = 0; i < 4; ++i) {
        t[i] = t_get(p, 24 * KIB);
    }
    for (int i = 0; i < 4; ++i) {
        s3x_ticket_release(t[i]);
    }
    uint64_t before = t_alloc_count(a);
    for (int i = 0; i < 1000; ++i) {
        int k = i % 4;
        t[k] = t_get(p, 24 * KIB - (size_t)(i % 3) * 1000); /* 24 KiB after rounding */
        ((char *)t_claim(t[k]))[i] = 1;
        if (k == 3) {
            for (int j = 0; j < 4; ++j) {
                s3x_ticket_release(t[j]);
            }
        }
    }
    assert_int_equal(t_alloc_count(a), before);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.system_allocations, 4);
    assert_int_equal(s.system_frees, 0);
    t_validate(p);
    s3x_pool_release(p);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_released_odd_buffer_is_reused),
        S3X_TEST(test_best_fit_within_a_quarter),
        S3X_TEST(test_cache_bounds),
        S3X_TEST(test_cached_odd_gives_way_to_a_part),
        S3X_TEST(test_worked_example_odd_cache),
        S3X_TEST(test_lowered_limit_shrinks_the_cache),
        S3X_TEST(test_odd_steady_state_allocates_nothing),
    };
    return S3X_TEST_MAIN(argc, argv, "pool_odd_cache", tests);
}
