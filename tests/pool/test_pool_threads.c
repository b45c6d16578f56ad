/* The default pool under threads: an 8-thread stress test that checks no two tickets share
 * memory, a randomized operation test (reserve, claim, release, cancel, abandon, trim, limit
 * changes) that validates every accounting identity after every step, and the races the contract
 * names: cancel against grant, cancel against destroy, callbacks on an executor. Assertions are on
 * outcomes and exact counts, never on timing. */
#include "pool_test_util.h"

#include <pthread.h>
#include <sched.h>

#define PART (64 * KIB)

static uint64_t s_rand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* --- 8-thread stress ------------------------------------------------------------------------ */

struct s_stress {
    struct s3x_pool *pool;
    int id;
    int iterations;
    int corrupted;
    uint64_t granted;
};

static void *s_stress_thread(void *arg) {
    struct s_stress *st = arg;
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(st->id + 1);
    for (int i = 0; i < st->iterations; ++i) {
        uint64_t r = s_rand(&seed);
        size_t size = (r & 3) == 0 ? 1 + (size_t)(r >> 8) % (2 * PART) : PART;
        enum s3x_pool_priority prio = (enum s3x_pool_priority)((int)((r >> 4) % 3) - 1);
        struct s3x_future *f = t_reserve(st->pool, size, prio);
        if (s3x_future_wait(f, 60000) != 0) {
            st->corrupted++; /* never happens: every holder releases promptly */
            s3x_future_complete_error(f, S3X_ERR_CANCELED);
        }
        struct s3x_ticket *t = NULL;
        if (s3x_ticket_take(f, &t) == 0) {
            st->granted++;
            unsigned char *b = NULL;
            s3x_ticket_claim(t, (void **)&b);
            unsigned char mark = (unsigned char)(st->id * 31 + i);
            memset(b, mark, size);
            if ((r & 16) != 0) {
                sched_yield();
            }
            for (size_t k = 0; k < size; k += 509) {
                st->corrupted += b[k] != mark; /* another ticket wrote here: shared memory */
            }
            st->corrupted += b[size - 1] != mark;
            s3x_ticket_release(t);
        }
        s3x_future_release(f);
    }
    return NULL;
}

static void test_stress_8_threads(void **state) {
    struct s3x_pool *p = t_default_pool(s3x_test_allocator(state), 6 * PART, PART);
    struct s_stress st[8];
    pthread_t th[8];
    for (int i = 0; i < 8; ++i) {
        st[i] = (struct s_stress){.pool = p, .id = i, .iterations = 1500};
        pthread_create(&th[i], NULL, s_stress_thread, &st[i]);
    }
    uint64_t granted = 0;
    for (int i = 0; i < 8; ++i) {
        pthread_join(th[i], NULL);
        assert_int_equal(st[i].corrupted, 0);
        granted += st[i].granted;
    }
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(granted, 8 * 1500); /* every size <= 2 parts fits the 6-part limit */
    assert_int_equal(s.granted_count, granted);
    assert_int_equal(s.reserved_bytes, 0);
    assert_int_equal(s.live_tickets, 0);
    assert_int_equal(s.pending_count, 0);
    assert_true(s.peak_allocated_bytes <= 6 * PART);
    t_validate(p);
    s3x_pool_release(p);
}

/* --- randomized operations, invariants after every step -------------------------------------- */

#define R_MAX_HELD 4
#define R_LIMIT_HI (8 * PART)
#define R_LIMIT_LO (3 * PART)

struct s_random {
    struct s3x_pool *pool;
    int id;
    int steps;
    int failures;
    struct s3x_ticket *held[R_MAX_HELD];
    struct s3x_future *pending[R_MAX_HELD];
};

static void s_random_step(struct s_random *r, uint64_t *seed) {
    uint64_t x = s_rand(seed);
    unsigned op = (unsigned)(x % 100);
    unsigned slot = (unsigned)((x >> 8) % R_MAX_HELD);
    if (op < 35) { /* reserve */
        if (r->pending[slot] == NULL) {
            size_t size = (x >> 16) % 3 == 0 ? 1 + (size_t)(x >> 20) % (3 * PART) : PART;
            struct s3x_pool_reserve_options o = {.size_bytes = size,
                .priority = (enum s3x_pool_priority)((int)((x >> 12) % 3) - 1),
                .requester = r,
                .no_wait = (x >> 14) % 5 == 0};
            r->pending[slot] = s3x_pool_reserve(r->pool, &o);
        }
    } else if (op < 55) { /* collect a completed reservation */
        struct s3x_future *f = r->pending[slot];
        if (f != NULL && s3x_future_is_done(f) && r->held[slot] == NULL) {
            int rc = s3x_ticket_take(f, &r->held[slot]);
            r->failures += rc != 0 && rc != S3X_ERR_POOL_EXHAUSTED && rc != S3X_ERR_BUFFER_TOO_LARGE;
            r->pending[slot] = s3x_future_release(f);
        }
    } else if (op < 65) { /* claim and write */
        if (r->held[slot] != NULL) {
            void *b = NULL;
            r->failures += s3x_ticket_claim(r->held[slot], &b) != 0;
            memset(b, r->id, s3x_ticket_size(r->held[slot]));
        }
    } else if (op < 82) { /* release */
        r->held[slot] = s3x_ticket_release(r->held[slot]);
    } else if (op < 90) { /* cancel (maybe racing a grant) */
        if (r->pending[slot] != NULL) {
            s3x_future_complete_error(r->pending[slot], S3X_ERR_CANCELED);
            r->pending[slot] = s3x_future_release(r->pending[slot]);
        }
    } else if (op < 94) { /* abandon without cancelling */
        r->pending[slot] = s3x_future_release(r->pending[slot]);
    } else if (op < 97) {
        s3x_pool_trim(r->pool);
    } else {
        r->failures += s3x_pool_set_memory_limit(r->pool, (x >> 10) % 2 ? R_LIMIT_HI : R_LIMIT_LO) != 0;
    }
}

static void *s_random_thread(void *arg) {
    struct s_random *r = arg;
    uint64_t seed = 0x2545f4914f6cdd1dull ^ (uint64_t)(r->id + 1) * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < r->steps; ++i) {
        s_random_step(r, &seed);
        /* Every identity, under the pool's lock, after every step; allocated <= limit is (A6). */
        r->failures += s3x__pool_validate(r->pool) != 0;
        struct s3x_pool_stats s = {.struct_size = sizeof(s)};
        s3x_pool_stats(r->pool, &s);
        r->failures += s.peak_allocated_bytes > R_LIMIT_HI;
    }
    for (int k = 0; k < R_MAX_HELD; ++k) {
        if (r->pending[k] != NULL) {
            s3x_future_complete_error(r->pending[k], S3X_ERR_CANCELED);
            s3x_future_release(r->pending[k]);
        }
        s3x_ticket_release(r->held[k]);
    }
    return NULL;
}

static void s_run_random(struct s3x_pool *p, int threads, int steps) {
    struct s_random r[4];
    pthread_t th[4];
    for (int i = 0; i < threads; ++i) {
        r[i] = (struct s_random){.pool = p, .id = i + 1, .steps = steps};
        pthread_create(&th[i], NULL, s_random_thread, &r[i]);
    }
    for (int i = 0; i < threads; ++i) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.reserved_bytes, 0);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(s.live_tickets, 0);
    assert_int_equal(s.pending_count, 0);
    assert_true(s.peak_allocated_bytes <= R_LIMIT_HI);
    t_validate(p);
}

static void test_randomized_operations(void **state) {
    struct s3x_pool *p = t_default_pool(s3x_test_allocator(state), R_LIMIT_HI, PART);
    s_run_random(p, 4, 4000);
    s3x_pool_release(p);
}

/* --- cancel racing grant --------------------------------------------------------------------- */

struct s_race {
    pthread_barrier_t barrier;
    struct s3x_ticket *to_release;
    struct s3x_future *to_cancel;
    struct s3x_pool *pool_to_release;
    bool stop;
};

static void *s_releaser(void *arg) {
    struct s_race *r = arg;
    for (;;) {
        pthread_barrier_wait(&r->barrier);
        if (r->stop) {
            return NULL;
        }
        r->pool_to_release = s3x_pool_release(r->pool_to_release);
        r->to_release = s3x_ticket_release(r->to_release);
        pthread_barrier_wait(&r->barrier);
    }
}

static void *s_canceller(void *arg) {
    struct s_race *r = arg;
    for (;;) {
        pthread_barrier_wait(&r->barrier);
        if (r->stop) {
            return NULL;
        }
        s3x_future_complete_error(r->to_cancel, S3X_ERR_CANCELED);
        pthread_barrier_wait(&r->barrier);
    }
}

/* Each round: a waiter is cancelled on one thread while the held part is released on another
 * (and, with `destroy`, the creator's reference is dropped too, so the pool's destroy races the
 * cancellation hook). Whoever wins, nothing is lost and the accounting is exact. */
static void s_race_rounds(struct s3x_allocator *a, bool destroy, int rounds) {
    struct s_race r = {.stop = false};
    pthread_barrier_init(&r.barrier, NULL, 3);
    pthread_t t1;
    pthread_t t2;
    pthread_create(&t1, NULL, s_releaser, &r);
    pthread_create(&t2, NULL, s_canceller, &r);
    struct s3x_pool *p = t_default_pool(a, PART, PART);
    int granted = 0;
    for (int i = 0; i < rounds; ++i) {
        r.to_release = t_get(p, PART);
        r.to_cancel = t_reserve(p, PART, S3X_POOL_PRIORITY_NORMAL);
        r.pool_to_release = destroy ? p : NULL;
        pthread_barrier_wait(&r.barrier); /* go */
        pthread_barrier_wait(&r.barrier); /* both done */
        struct s3x_ticket *t = NULL;
        int rc = s3x_ticket_take(r.to_cancel, &t);
        assert_true(rc == 0 || rc == S3X_ERR_CANCELED);
        granted += rc == 0;
        if (destroy) {
            s3x_future_release(r.to_cancel);
            s3x_ticket_release(t); /* if granted, this is the pool's last reference */
            p = t_default_pool(a, PART, PART);
            continue;
        }
        s3x_ticket_release(t);
        s3x_future_release(r.to_cancel);
        struct s3x_pool_stats s = t_stats(p);
        assert_int_equal(s.live_tickets, 0);
        assert_int_equal(s.pending_count, 0);
        /* A grant that lost to the cancel counts as granted (its ticket came straight back). */
        assert_true(s.granted_count >= (uint64_t)(i + 1 + granted));
        assert_true(s.granted_count <= (uint64_t)(2 * (i + 1)));
        assert_int_equal(s.granted_count + s.cancelled_count, (uint64_t)(2 * (i + 1)));
        t_validate(p);
    }
    r.stop = true;
    pthread_barrier_wait(&r.barrier);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&r.barrier);
    s3x_pool_release(p);
}

static void test_cancel_races_grant(void **state) {
    s_race_rounds(s3x_test_allocator(state), false, 2000);
}

static void test_cancel_races_destroy(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    s_race_rounds(a, true, 2000);
    assert_int_equal(t_outstanding(a), 0);
}

/* --- callbacks on an executor ---------------------------------------------------------------- */

struct s_exec {
    struct s3x_executor *executor;
    atomic_int calls;
    atomic_int wrong_thread;
};

static void s_exec_cb(struct s3x_future *f, void *user) {
    struct s_exec *e = user;
    atomic_fetch_add(&e->wrong_thread, !s3x_thread_executor_is_current(e->executor));
    struct s3x_ticket *t = NULL;
    if (s3x_ticket_take(f, &t) == 0) {
        s3x_ticket_release(t); /* released on the executor: grants the next waiter from there */
    }
    atomic_fetch_add(&e->calls, 1);
    s3x_future_release(f); /* the registrant handed its reference over */
}

static void test_callbacks_on_executor(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_exec e = {0};
    assert_int_equal(s3x_thread_executor_new(a, &e.executor), 0);
    struct s3x_pool *p = t_default_pool(a, 2 * PART, PART);
    for (int i = 0; i < 3000; ++i) {
        struct s3x_future *f = t_reserve(p, i % 7 == 0 ? 3 * KIB : PART, S3X_POOL_PRIORITY_NORMAL);
        assert_int_equal(s3x_future_on_done(f, e.executor, s_exec_cb, &e), 0);
    }
    uint64_t deadline = s3x_test_now_ms() + 60000;
    while (atomic_load(&e.calls) < 3000 && s3x_test_now_ms() < deadline) {
        sched_yield();
    }
    assert_int_equal(atomic_load(&e.calls), 3000);
    assert_int_equal(atomic_load(&e.wrong_thread), 0);
    s3x_thread_executor_destroy(e.executor);
    struct s3x_pool_stats s = t_stats(p);
    assert_int_equal(s.granted_count, 3000);
    assert_int_equal(s.live_tickets, 0);
    t_validate(p);
    s3x_pool_release(p);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_stress_8_threads),
        S3X_TEST(test_randomized_operations),
        S3X_TEST(test_cancel_races_grant),
        S3X_TEST(test_cancel_races_destroy),
        S3X_TEST(test_callbacks_on_executor),
    };
    return S3X_TEST_MAIN(argc, argv, "pool_threads", tests);
}
