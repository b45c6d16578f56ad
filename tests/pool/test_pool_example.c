/* The example custom pool of examples/ (issue 3 point 16): a pool written only against the public
 * headers, wrapping the default pool. Proves a user can write one that the library accepts and
 * that keeps the contract: exact event log, cancellations passed on to the inner pool, any release
 * order, allocation failures reported cleanly, and consistent outcomes under threads. */
#include "pool_test_util.h"

#include "recording_pool.h"

#include <pthread.h>

#define PART (64 * KIB)

static struct s3x_pool *s_recording(struct s3x_allocator *a, size_t limit) {
    struct s3x_pool_config c = {.memory_limit_bytes = limit, .part_size_bytes = PART};
    struct s3x_pool_factory inner = {.create = NULL};
    struct s3x_pool *p = NULL;
    assert_int_equal(recording_pool_factory_create(a, &c, &inner, &p), 0);
    return p;
}

static void test_example_records_every_call(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = s_recording(a, 2 * PART);
    int transfer = 0;
    struct s3x_pool_reserve_options o = {.size_bytes = PART, .requester = &transfer};
    struct s3x_ticket *t1 = t_take(s3x_pool_reserve(p, &o));
    struct s3x_ticket *t2 = t_take(s3x_pool_reserve(p, &o));
    struct s3x_future *waiting = s3x_pool_reserve(p, &o);
    assert_false(s3x_future_is_done(waiting));
    assert_int_equal(t_stats(p).pending_count, 1); /* stats come from the inner pool */
    void *b = NULL;
    assert_int_equal(s3x_ticket_claim(t1, &b), 0);
    memset(b, 1, PART);
    assert_true(s3x_future_complete_error(waiting, S3X_ERR_CANCELED));
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.pending_count, 0); /* the cancel reached the inner pool at once */
    assert_int_equal(s.cancelled_count, 1);
    t_expect_error(waiting, S3X_ERR_CANCELED);
    t_expect_error(t_reserve(p, 3 * PART, S3X_POOL_PRIORITY_NORMAL), S3X_ERR_BUFFER_TOO_LARGE);
    s3x_ticket_release(t1);
    s3x_ticket_release(t2);
    assert_int_equal(s3x_pool_trim(p), s3x__pool_malloc_each() ? 0 : 2 * PART);
    assert_int_equal(s3x_pool_set_memory_limit(p, 4 * PART), 0);

    struct recording_pool_event ev[16];
    size_t n = recording_pool_events(p, ev, 16);
    const enum recording_pool_event_kind expected[] = {RECORDING_POOL_RESERVE, RECORDING_POOL_GRANT,
        RECORDING_POOL_RESERVE, RECORDING_POOL_GRANT, RECORDING_POOL_RESERVE, RECORDING_POOL_CLAIM,
        RECORDING_POOL_CANCEL, RECORDING_POOL_RESERVE, RECORDING_POOL_FAIL, RECORDING_POOL_RELEASE,
        RECORDING_POOL_RELEASE, RECORDING_POOL_TRIM, RECORDING_POOL_SET_LIMIT};
    assert_int_equal(n, S3X_ARRAY_LEN(expected));
    for (size_t i = 0; i < n; ++i) {
        assert_int_equal(ev[i].kind, expected[i]);
    }
    assert_ptr_equal(ev[0].requester, &transfer);
    assert_int_equal(ev[6].error, S3X_ERR_CANCELED);
    assert_int_equal(ev[8].error, S3X_ERR_BUFFER_TOO_LARGE);
    assert_int_equal(ev[11].size, s3x__pool_malloc_each() ? 0 : 2 * PART);
    assert_int_equal(ev[12].size, 4 * PART);
    s3x_pool_release(p);
}

static void test_example_release_order_and_grant_later(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_pool *p = s_recording(a, PART);
    struct s3x_ticket *t = t_get(p, PART);
    struct s3x_future *w = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
    struct s3x_pool *keep = s3x_pool_acquire(p);
    s3x_pool_release(p); /* the pending reservation keeps the wrapper alive, the ticket too */
    s3x_ticket_release(t);
    struct s3x_ticket *t2 = t_take(w); /* granted by the inner pool, wrapped, delivered */
    assert_int_equal(recording_pool_count(keep, RECORDING_POOL_GRANT), 2);
    s3x_pool_release(keep);
    s3x_ticket_release(t2); /* last: both pools go */
    assert_int_equal(t_outstanding(a), 0);
}

static int s_example_sweep(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_pool_config c = {.memory_limit_bytes = PART, .part_size_bytes = PART};
    struct s3x_pool *p = NULL;
    int rc = recording_pool_factory_create(a, &c, NULL, &p);
    if (rc != 0) {
        return rc;
    }
    struct s3x_future *f = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
    struct s3x_future *g = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
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

static void test_example_fail_nth_sweep(void **state) {
    /* The event log grows with realloc: a failure there drops an event, not the operation, so
     * recovery is allowed; every other failure must surface as an error and nothing may leak. */
    assert_true(s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_example_sweep, NULL, 1) >= 10);
}

struct s_ex_worker {
    struct s3x_pool *pool;
    int bad;
};

static void *s_ex_thread(void *arg) {
    struct s_ex_worker *w = arg;
    for (int i = 0; i < 1500; ++i) {
        struct s3x_future *f = t_reserve(w->pool, i % 4 == 0 ? 5 * KIB : PART, S3X_POOL_PRIORITY_NORMAL);
        if (i % 3 == 2) {
            s3x_future_complete_error(f, S3X_ERR_CANCELED); /* races the grant */
        } else if (s3x_future_wait(f, 60000) != 0) {
            w->bad++;
        }
        struct s3x_ticket *t = NULL;
        if (s3x_ticket_take(f, &t) == 0) {
            void *b = NULL;
            w->bad += s3x_ticket_claim(t, &b) != 0;
            s3x_ticket_release(t);
        }
        s3x_future_release(f);
    }
    return NULL;
}

static void test_example_threads(void **state) {
    struct s3x_pool *p = s_recording(s3x_test_allocator(state), 2 * PART);
    struct s_ex_worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; ++i) {
        w[i] = (struct s_ex_worker){.pool = p};
        pthread_create(&th[i], NULL, s_ex_thread, &w[i]);
    }
    for (int i = 0; i < 4; ++i) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    size_t reserve = recording_pool_count(p, RECORDING_POOL_RESERVE);
    size_t grant = recording_pool_count(p, RECORDING_POOL_GRANT);
    size_t unwanted = recording_pool_count(p, RECORDING_POOL_UNWANTED);
    size_t fail = recording_pool_count(p, RECORDING_POOL_FAIL);
    size_t cancel = recording_pool_count(p, RECORDING_POOL_CANCEL);
    assert_int_equal(reserve, 4 * 1500);
    assert_int_equal(reserve, grant - unwanted + fail + cancel);
    assert_int_equal(fail, 0);
    assert_int_equal(recording_pool_count(p, RECORDING_POOL_RELEASE), grant);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.live_tickets, 0);
    assert_int_equal(s.pending_count, 0);
    s3x_pool_release(p);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_example_records_every_call),
        S3X_TEST(test_example_release_order_and_grant_later),
        S3X_TEST(test_example_fail_nth_sweep),
        S3X_TEST(test_example_threads),
    };
    return S3X_TEST_MAIN(argc, argv, "pool_example", tests);
}
