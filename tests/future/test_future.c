#include "harness.h"

#include <s3xfer/error.h>
#include <s3xfer/future.h>

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <time.h>

static atomic_int s_dtor_calls;
static void s_count_dtor(void *value) {
    (void)value;
    atomic_fetch_add(&s_dtor_calls, 1);
}

struct s_cb_state {
    atomic_int calls;
    int last_error;
    struct s3x_executor *expect_executor; /* when set, the callback must run on it */
    atomic_bool inside_registration;
    atomic_bool ran_reentrantly;
    pthread_t caller; /* the thread that registers and completes */
};

static void s_cb(struct s3x_future *f, void *user) {
    struct s_cb_state *s = user;
    s->last_error = s3x_future_error(f);
    /* Re-entrant would mean: run by the registering or completing call itself, on its thread.
     * (A flag set around that call cannot tell: the executor's thread may legitimately run the
     * callback before the call has returned.) */
    if (atomic_load(&s->inside_registration) && pthread_equal(pthread_self(), s->caller)) {
        atomic_store(&s->ran_reentrantly, true);
    }
    if (s->expect_executor != NULL) {
        assert_true(s3x_thread_executor_is_current(s->expect_executor));
    }
    atomic_fetch_add(&s->calls, 1);
}

static void test_value_ownership(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    atomic_store(&s_dtor_calls, 0);
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(a, &f), 0);
    void *v = NULL;
    assert_int_equal(s3x_future_take(f, &v), S3X_ERR_FUTURE_NOT_DONE);
    assert_int_equal(s3x_future_error(f), S3X_ERR_FUTURE_NOT_DONE);
    int payload = 42;
    assert_true(s3x_future_complete(f, &payload, s_count_dtor));
    assert_int_equal(s3x_future_error(f), 0);
    assert_int_equal(s3x_future_take(f, &v), 0);
    assert_ptr_equal(v, &payload);
    assert_int_equal(s3x_future_take(f, &v), S3X_ERR_FUTURE_VALUE_TAKEN);
    assert_null(v);
    assert_null(s3x_future_release(f));
    assert_int_equal(atomic_load(&s_dtor_calls), 0); /* taken: the caller owns it */

    /* Not taken: releasing the last reference destroys it, once. */
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_true(s3x_future_complete(f, &payload, s_count_dtor));
    s3x_future_acquire(f);
    s3x_future_release(f);
    assert_int_equal(atomic_load(&s_dtor_calls), 0);
    s3x_future_release(f);
    assert_int_equal(atomic_load(&s_dtor_calls), 1);
    assert_null(s3x_future_release(NULL));
}

static void test_late_result_destroyed_once(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    atomic_store(&s_dtor_calls, 0);
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_true(s3x_future_complete_error(f, S3X_ERR_CANCELED)); /* the waiter cancels */
    int payload = 1;
    assert_false(s3x_future_complete(f, &payload, s_count_dtor)); /* the producer is late */
    assert_int_equal(atomic_load(&s_dtor_calls), 1);
    assert_false(s3x_future_complete_error(f, S3X_ERR_TIMEOUT)); /* a late error is ignored */
    void *v = &payload;
    assert_int_equal(s3x_future_take(f, &v), S3X_ERR_CANCELED);
    assert_null(v);
    assert_int_equal(s3x_future_error(f), S3X_ERR_CANCELED);
    s3x_future_release(f);
    assert_int_equal(atomic_load(&s_dtor_calls), 1);

    /* Value first, then a late value and a late error: only the late value is destroyed now. */
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_true(s3x_future_complete(f, &payload, s_count_dtor));
    assert_false(s3x_future_complete(f, &payload, s_count_dtor));
    assert_false(s3x_future_complete_error(f, S3X_ERR_CANCELED));
    assert_int_equal(atomic_load(&s_dtor_calls), 2);
    assert_int_equal(s3x_future_error(f), 0);
    s3x_future_release(f);
    assert_int_equal(atomic_load(&s_dtor_calls), 3);
    /* error 0 is not a valid error */
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_true(s3x_future_complete_error(f, 0));
    assert_int_equal(s3x_future_error(f), S3X_ERR_UNKNOWN);
    s3x_future_release(f);
}

static void test_callback_fires_once_without_executor(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_cb_state cs = {0};
    struct s3x_future *f = NULL;
    /* Registered before completion: fires on the completing call. */
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_int_equal(s3x_future_on_done(f, NULL, s_cb, &cs), 0);
    assert_int_equal(s3x_future_on_done(f, NULL, s_cb, &cs), S3X_ERR_FUTURE_CALLBACK_SET);
    assert_int_equal(atomic_load(&cs.calls), 0);
    assert_true(s3x_future_complete_error(f, S3X_ERR_IO));
    assert_int_equal(atomic_load(&cs.calls), 1);
    assert_int_equal(cs.last_error, S3X_ERR_IO);
    assert_false(s3x_future_complete_error(f, S3X_ERR_IO));
    assert_int_equal(atomic_load(&cs.calls), 1);
    s3x_future_release(f);

    /* Registered after completion: fires before on_done returns. */
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_true(s3x_future_complete(f, NULL, NULL));
    assert_int_equal(s3x_future_on_done(f, NULL, s_cb, &cs), 0);
    assert_int_equal(atomic_load(&cs.calls), 2);
    assert_int_equal(cs.last_error, 0);
    s3x_future_release(f);
    assert_int_equal(s3x_future_on_done(NULL, NULL, s_cb, &cs), S3X_ERR_INVALID_ARGUMENT);
}

static void s_release_in_cb(struct s3x_future *f, void *user) {
    (void)user;
    /* The registrant handed its reference to the callback: dropping it here is allowed because the
     * future holds its own reference until the callback returns. */
    assert_int_equal(s3x_future_error(f), S3X_ERR_CANCELED);
    s3x_future_release(f);
}

static void test_registrant_may_release_early(void **state) {
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(s3x_test_allocator(state), &f), 0);
    struct s3x_future *producer_ref = s3x_future_acquire(f);
    assert_int_equal(s3x_future_on_done(f, NULL, s_release_in_cb, NULL), 0);
    /* The registrant lets go entirely; the producer completes later. */
    assert_true(s3x_future_complete_error(producer_ref, S3X_ERR_CANCELED));
    s3x_future_release(producer_ref);
}

static void test_executor_never_reentrant(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_executor *ex = NULL;
    assert_int_equal(s3x_thread_executor_new(a, &ex), 0);
    struct s_cb_state cs = {0};
    cs.expect_executor = ex;
    cs.caller = pthread_self();
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_true(s3x_future_complete(f, NULL, NULL));
    atomic_store(&cs.inside_registration, true);
    assert_int_equal(s3x_future_on_done(f, ex, s_cb, &cs), 0);
    atomic_store(&cs.inside_registration, false);
    s3x_future_release(f);

    /* Registered before completion: the completing thread posts, never runs it. */
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_int_equal(s3x_future_on_done(f, ex, s_cb, &cs), 0);
    atomic_store(&cs.inside_registration, true);
    assert_true(s3x_future_complete_error(f, S3X_ERR_CANCELED));
    atomic_store(&cs.inside_registration, false);
    s3x_future_release(f);
    uint64_t deadline = s3x_test_now_ms() + 10000;
    while (atomic_load(&cs.calls) < 2 && s3x_test_now_ms() < deadline) {
        sched_yield();
    }
    s3x_thread_executor_destroy(ex);
    assert_int_equal(atomic_load(&cs.calls), 2);
    assert_false(atomic_load(&cs.ran_reentrantly));
}

static void s_shutdown_cb(struct s3x_future *f, void *user) {
    (void)f;
    atomic_fetch_add((atomic_int *)user, 1);
}

static void s_block_task(struct s3x_task *task, int status) {
    (void)status;
    /* Holds the executor's thread until the test lets it go. */
    while (!atomic_load((atomic_bool *)task->arg)) {
        sched_yield();
    }
}

static void test_executor_shutdown_still_fires(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_executor *ex = NULL;
    assert_int_equal(s3x_thread_executor_new(a, &ex), 0);
    atomic_bool go = false;
    struct s3x_task blocker;
    s3x_task_init(&blocker, s_block_task, &go);
    s3x_executor_post(ex, &blocker);
    atomic_int calls = 0;
    struct s3x_future *f[10];
    for (int i = 0; i < 10; ++i) {
        assert_int_equal(s3x_future_new(a, &f[i]), 0);
        assert_int_equal(s3x_future_on_done(f[i], ex, s_shutdown_cb, &calls), 0);
        s3x_future_complete_error(f[i], S3X_ERR_CANCELED);
        s3x_future_release(f[i]);
    }
    atomic_store(&go, true);
    s3x_thread_executor_destroy(ex); /* remaining callbacks run here, with the shutdown status */
    assert_int_equal(atomic_load(&calls), 10);
}

struct s_completer {
    struct s3x_future *f;
    int delay_ms;
};

static void *s_complete_later(void *arg) {
    struct s_completer *c = arg;
    struct timespec ts = {0, c->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    s3x_future_complete(c->f, NULL, NULL);
    return NULL;
}

static void test_wait_with_timeout(void **state) {
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(s3x_test_allocator(state), &f), 0);
    assert_int_equal(s3x_future_wait(f, 20), S3X_ERR_TIMEOUT);
    struct s_completer c = {f, 20};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_complete_later, &c), 0);
    assert_int_equal(s3x_future_wait(f, UINT64_MAX), 0);
    pthread_join(th, NULL);
    assert_int_equal(s3x_future_wait(f, 0), 0);
    s3x_future_release(f);
}

/* --- the race: complete, cancel, register and release from 3 threads, 100,000 times ---------- */

#define RACE_ITERATIONS 100000

struct s_race {
    pthread_barrier_t start;
    pthread_barrier_t end;
    struct s3x_future *f;
    struct s3x_executor *ex;
    int iteration;
    atomic_int wins;
    atomic_int callbacks;
    int payload;
};

static void s_race_cb(struct s3x_future *f, void *user) {
    (void)f;
    atomic_fetch_add(&((struct s_race *)user)->callbacks, 1);
}

static void *s_race_completer(void *arg) {
    struct s_race *r = arg;
    for (int i = 0; i < RACE_ITERATIONS; ++i) {
        pthread_barrier_wait(&r->start);
        if (s3x_future_complete(r->f, &r->payload, s_count_dtor)) {
            atomic_fetch_add(&r->wins, 1);
        }
        s3x_future_release(r->f);
        pthread_barrier_wait(&r->end);
    }
    return NULL;
}

static void *s_race_canceler(void *arg) {
    struct s_race *r = arg;
    for (int i = 0; i < RACE_ITERATIONS; ++i) {
        pthread_barrier_wait(&r->start);
        if (s3x_future_complete_error(r->f, S3X_ERR_CANCELED)) {
            atomic_fetch_add(&r->wins, 1);
        }
        s3x_future_release(r->f);
        pthread_barrier_wait(&r->end);
    }
    return NULL;
}

static void *s_race_registrar(void *arg) {
    struct s_race *r = arg;
    for (int i = 0; i < RACE_ITERATIONS; ++i) {
        pthread_barrier_wait(&r->start);
        assert_int_equal(s3x_future_on_done(r->f, (i & 1) ? r->ex : NULL, s_race_cb, r), 0);
        s3x_future_release(r->f);
        pthread_barrier_wait(&r->end);
    }
    return NULL;
}

static void test_race_complete_cancel_register_release(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    atomic_store(&s_dtor_calls, 0);
    struct s_race r = {0};
    assert_int_equal(s3x_thread_executor_new(a, &r.ex), 0);
    pthread_barrier_init(&r.start, NULL, 4);
    pthread_barrier_init(&r.end, NULL, 4);
    pthread_t th[3];
    assert_int_equal(pthread_create(&th[0], NULL, s_race_completer, &r), 0);
    assert_int_equal(pthread_create(&th[1], NULL, s_race_canceler, &r), 0);
    assert_int_equal(pthread_create(&th[2], NULL, s_race_registrar, &r), 0);
    int values_won = 0;
    for (int i = 0; i < RACE_ITERATIONS; ++i) {
        assert_int_equal(s3x_future_new(a, &r.f), 0);
        s3x_future_acquire(r.f);
        s3x_future_acquire(r.f);
        s3x_future_acquire(r.f);
        pthread_barrier_wait(&r.start);
        pthread_barrier_wait(&r.end);
        if (s3x_future_error(r.f) == 0) {
            ++values_won;
        }
        s3x_future_release(r.f); /* the main thread's reference; the callback may still hold one */
    }
    for (int i = 0; i < 3; ++i) {
        pthread_join(th[i], NULL);
    }
    s3x_thread_executor_destroy(r.ex); /* every posted callback has run after this */
    pthread_barrier_destroy(&r.start);
    pthread_barrier_destroy(&r.end);
    assert_int_equal(atomic_load(&r.wins), RACE_ITERATIONS);      /* exactly one winner each time */
    assert_int_equal(atomic_load(&r.callbacks), RACE_ITERATIONS); /* exactly one callback each time */
    /* Every value is destroyed exactly once: at once when it lost, at the last release when it won. */
    assert_int_equal(atomic_load(&s_dtor_calls), RACE_ITERATIONS);
    assert_true(values_won > 0 || RACE_ITERATIONS < 100);
}

/* --- fail-the-Nth sweep over creation and registration --------------------------------------- */

static void s_noop_cb(struct s3x_future *f, void *user) {
    (void)f;
    ++*(int *)user;
}

static int s_future_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_executor *ex = NULL;
    int rc = s3x_thread_executor_new(a, &ex);
    if (rc != 0) {
        return rc;
    }
    int calls = 0;
    struct s3x_future *f = NULL;
    rc = s3x_future_new(a, &f);
    if (rc == 0) {
        rc = s3x_future_on_done(f, NULL, s_noop_cb, &calls);
        s3x_future_complete(f, NULL, NULL);
        s3x_future_release(f);
        assert_int_equal(calls, 1);
    }
    s3x_thread_executor_destroy(ex);
    return rc;
}

static void test_fail_nth_sweep(void **state) {
    uint64_t sites = s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_future_block, NULL, 0);
    assert_int_equal(sites, 2); /* the executor and the future */
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_value_ownership),
        S3X_TEST(test_late_result_destroyed_once),
        S3X_TEST(test_callback_fires_once_without_executor),
        S3X_TEST(test_registrant_may_release_early),
        S3X_TEST(test_executor_never_reentrant),
        S3X_TEST(test_executor_shutdown_still_fires),
        S3X_TEST(test_wait_with_timeout),
        S3X_TEST(test_race_complete_cancel_register_release),
        S3X_TEST(test_fail_nth_sweep),
    };
    return S3X_TEST_MAIN(argc, argv, "future", tests);
}
