/* The cmocka harness: tracking allocator per test, leak check in teardown, per-test selection,
 * fail-the-Nth sweeps. */
#include "harness.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

static void s_print_leak(void *sink, const char *line) {
    (void)sink;
    print_error("  %s\n", line);
}

int s3x_test_setup(void **state) {
    struct s3x_allocator *tracking = NULL;
    if (s3x_tracking_allocator_new(NULL, &tracking) != 0) {
        return -1;
    }
    *state = tracking;
    return 0;
}

int s3x_test_teardown(void **state) {
    struct s3x_allocator *tracking = *state;
    struct s3x_tracking_stats stats;
    s3x_tracking_allocator_stats(tracking, &stats);
    if (stats.outstanding_count != 0) {
        print_error("LEAK: %zu bytes in %zu allocations still outstanding at the end of the test\n",
            stats.outstanding_bytes, stats.outstanding_count);
        s3x_tracking_allocator_report(tracking, s_print_leak, NULL, 20);
    }
    s3x_tracking_allocator_destroy(tracking);
    *state = NULL;
    return stats.outstanding_count == 0 ? 0 : -1;
}

struct s3x_allocator *s3x_test_allocator(void **state) {
    return *state;
}

int s3x_test_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests, size_t count) {
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < count; ++i) {
            printf("%s\n", tests[i].name);
        }
        return 0;
    }
    if (argc > 1) {
        for (size_t i = 0; i < count; ++i) {
            if (strcmp(argv[1], tests[i].name) == 0) {
                return _cmocka_run_group_tests(group, &tests[i], 1, NULL, NULL);
            }
        }
        fprintf(stderr, "no test named %s in %s\n", argv[1], group);
        return 2;
    }
    return _cmocka_run_group_tests(group, tests, count, NULL, NULL);
}

uint64_t s3x_test_sweep_fail_nth(struct s3x_allocator *tracking, s3x_test_block_fn *block, void *ctx, int allow_recovery) {
    struct s3x_allocator *fail = NULL;
    assert_int_equal(s3x_fail_nth_allocator_new(tracking, 0, &fail), 0);
    struct s3x_tracking_stats before;
    s3x_tracking_allocator_stats(tracking, &before);
    uint64_t n = 1;
    for (;; ++n) {
        s3x_fail_nth_allocator_reset(fail, n);
        int rc = block(fail, ctx);
        int fired = s3x_fail_nth_allocator_fired(fail);
        struct s3x_tracking_stats after;
        s3x_tracking_allocator_stats(tracking, &after);
        if (after.outstanding_bytes != before.outstanding_bytes) {
            fail_msg("fail-nth sweep: failing allocation %llu leaked %zu bytes (rc=%s)", (unsigned long long)n,
                after.outstanding_bytes - before.outstanding_bytes, s3x_error_name(rc));
        }
        if (!fired) {
            if (rc != 0) {
                fail_msg("fail-nth sweep: run with no failure injected returned %s", s3x_error_name(rc));
            }
            break;
        }
        if (rc == 0 && !allow_recovery) {
            fail_msg("fail-nth sweep: failing allocation %llu was not reported (returned 0)", (unsigned long long)n);
        }
    }
    s3x_fail_nth_allocator_destroy(fail);
    return n - 1;
}

uint64_t s3x_test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
