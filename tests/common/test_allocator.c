#include "tests.h"

#include <s3xfer/error.h>

#include <pthread.h>
#include <string.h>

static void test_system_allocator_basics(void **state) {
    (void)state;
    struct s3x_allocator *a = s3x_allocator_system();
    assert_null(s3x_mem_acquire(a, 0));
    char *p = s3x_mem_acquire(a, 10);
    assert_non_null(p);
    memset(p, 'x', 10);
    p = s3x_mem_realloc(a, p, 10, 1000);
    assert_non_null(p);
    assert_int_equal(p[9], 'x');
    s3x_mem_release(a, p);
    s3x_mem_release(a, NULL);
    void *al = s3x_mem_acquire_aligned(a, 4096, 100);
    assert_non_null(al);
    assert_int_equal((uintptr_t)al % 4096, 0);
    s3x_mem_release(a, al);
    assert_null(s3x_mem_acquire_aligned(a, 3, 100));   /* not a power of two */
    assert_null(s3x_mem_acquire_aligned(a, 4096, 0));  /* size 0 */
    assert_null(s3x_mem_calloc(a, SIZE_MAX / 2, 4));   /* overflow */
}

static void test_tracking_counts_and_peak(void **state) {
    struct s3x_allocator *t = NULL;
    assert_int_equal(s3x_tracking_allocator_new(s3x_test_allocator(state), &t), 0);
    void *a = s3x_mem_acquire(t, 100);
    void *b = s3x_mem_acquire_aligned(t, 4096, 300);
    assert_int_equal((uintptr_t)b % 4096, 0);
    assert_int_equal((uintptr_t)a % 16, 0);
    struct s3x_tracking_stats st;
    s3x_tracking_allocator_stats(t, &st);
    assert_int_equal(st.outstanding_bytes, 400);
    assert_int_equal(st.outstanding_count, 2);
    assert_int_equal(st.peak_bytes, 400);
    assert_int_equal(st.total_count, 2);
    s3x_mem_release(t, a);
    a = s3x_mem_realloc(t, NULL, 0, 50);
    a = s3x_mem_realloc(t, a, 50, 80);
    s3x_tracking_allocator_stats(t, &st);
    assert_int_equal(st.outstanding_bytes, 380);
    assert_int_equal(st.peak_bytes, 430); /* 300 + 50 + 80 while reallocating */
    s3x_mem_release(t, a);
    s3x_mem_release(t, b);
    s3x_tracking_allocator_stats(t, &st);
    assert_int_equal(st.outstanding_bytes, 0);
    assert_int_equal(st.outstanding_count, 0);
    assert_int_equal(s3x_tracking_allocator_destroy(t), 0);
}

static void s_count_lines(void *sink, const char *line) {
    assert_non_null(strstr(line, "leaked"));
    ++*(int *)sink;
}

static void test_tracking_reports_leak(void **state) {
    struct s3x_allocator *t = NULL;
    assert_int_equal(s3x_tracking_allocator_new(s3x_test_allocator(state), &t), 0);
    assert_non_null(s3x_mem_acquire(t, 123));
    assert_non_null(s3x_mem_strdup(t, "hello"));
    int lines = 0;
    assert_int_equal(s3x_tracking_allocator_report(t, s_count_lines, &lines, 10), 2);
    assert_int_equal(lines, 2);
    /* Destroy reports the leaked bytes and gives them back to the wrapped (outer tracking)
     * allocator, so the outer test itself sees no leak. */
    assert_int_equal(s3x_tracking_allocator_destroy(t), 129);
}

struct s_thread_arg {
    struct s3x_allocator *a;
    int iterations;
};

static void *s_alloc_thread(void *arg) {
    struct s_thread_arg *ta = arg;
    for (int i = 0; i < ta->iterations; ++i) {
        void *p = s3x_mem_acquire(ta->a, (size_t)(i % 512) + 1);
        assert_non_null(p);
        s3x_mem_release(ta->a, p);
    }
    return NULL;
}

static void test_tracking_thread_safe(void **state) {
    struct s3x_allocator *t = NULL;
    assert_int_equal(s3x_tracking_allocator_new(s3x_test_allocator(state), &t), 0);
    pthread_t th[4];
    struct s_thread_arg arg = {t, 20000};
    for (int i = 0; i < 4; ++i) {
        assert_int_equal(pthread_create(&th[i], NULL, s_alloc_thread, &arg), 0);
    }
    for (int i = 0; i < 4; ++i) {
        pthread_join(th[i], NULL);
    }
    struct s3x_tracking_stats st;
    s3x_tracking_allocator_stats(t, &st);
    assert_int_equal(st.outstanding_count, 0);
    assert_int_equal(st.total_count, 80000);
    assert_int_equal(s3x_tracking_allocator_destroy(t), 0);
}

static void test_fail_nth_fails_exactly_once(void **state) {
    struct s3x_allocator *f = NULL;
    assert_int_equal(s3x_fail_nth_allocator_new(s3x_test_allocator(state), 3, &f), 0);
    void *p1 = s3x_mem_acquire(f, 8);
    void *p2 = s3x_mem_acquire(f, 8);
    assert_false(s3x_fail_nth_allocator_fired(f));
    void *p3 = s3x_mem_acquire(f, 8);
    void *p4 = s3x_mem_acquire(f, 8);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_null(p3);
    assert_non_null(p4);
    assert_true(s3x_fail_nth_allocator_fired(f));
    assert_int_equal(s3x_fail_nth_allocator_count(f), 4);
    s3x_fail_nth_allocator_reset(f, 0);
    void *p5 = s3x_mem_acquire_aligned(f, 64, 8);
    assert_non_null(p5);
    assert_false(s3x_fail_nth_allocator_fired(f));
    s3x_mem_release(f, p1);
    s3x_mem_release(f, p2);
    s3x_mem_release(f, p4);
    s3x_mem_release(f, p5);
    s3x_fail_nth_allocator_destroy(f);
}

/* A small block with three allocation sites and correct cleanup on every path. */
static int s_three_allocs(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    int rc = S3X_ERR_OOM;
    char *x = s3x_mem_acquire(a, 10);
    char *y = x ? s3x_mem_strdup(a, "abc") : NULL;
    char *z = y ? s3x_mem_calloc(a, 4, 4) : NULL;
    if (z != NULL) {
        rc = 0;
    }
    s3x_mem_release(a, z);
    s3x_mem_release(a, y);
    s3x_mem_release(a, x);
    return rc;
}

static void test_sweep_counts_sites(void **state) {
    assert_int_equal(s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_three_allocs, NULL, 0), 3);
}

const struct CMUnitTest s3x_allocator_tests[] = {
    S3X_TEST(test_system_allocator_basics),
    S3X_TEST(test_tracking_counts_and_peak),
    S3X_TEST(test_tracking_reports_leak),
    S3X_TEST(test_tracking_thread_safe),
    S3X_TEST(test_fail_nth_fails_exactly_once),
    S3X_TEST(test_sweep_counts_sites),
};
const size_t s3x_allocator_tests_count = sizeof(s3x_allocator_tests) / sizeof(s3x_allocator_tests[0]);
