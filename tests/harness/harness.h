/* The test harness: every test gets its own tracking allocator and fails on any leaked byte.
 *
 *   static void test_x(void **state) { struct s3x_allocator *a = s3x_test_allocator(state); ... }
 *   static const struct CMUnitTest tests[] = { S3X_TEST(test_x), ... };
 *   int main(int argc, char **argv) { return S3X_TEST_MAIN(argc, argv, "future", tests); }
 *
 * `exe --list` prints the test names; `exe NAME` runs one (CTest runs each in its own process).
 */
#ifndef S3XFER_TEST_HARNESS_H
#define S3XFER_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <s3xfer/allocator.h>

int s3x_test_setup(void **state);
int s3x_test_teardown(void **state);
struct s3x_allocator *s3x_test_allocator(void **state);

#define S3X_TEST(fn) cmocka_unit_test_setup_teardown(fn, s3x_test_setup, s3x_test_teardown)

int s3x_test_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests, size_t count);
#define S3X_TEST_MAIN(argc, argv, group, tests)                                                     \
    s3x_test_main((argc), (argv), (group), (tests), sizeof(tests) / sizeof((tests)[0]))

/* Fail-the-Nth sweep. Runs `block` with a fail-the-Nth allocator over `tracking`, failing
 * allocation 1, then 2, ... until a run completes with no failure injected. After every run the
 * tracking allocator must be back at its starting outstanding bytes (the block released
 * everything), a run with a failure injected must return non-zero unless `allow_recovery`, and the
 * final run must return 0. Fails the current test otherwise. Returns the number of allocation
 * sites swept (N). */
typedef int(s3x_test_block_fn)(struct s3x_allocator *allocator, void *ctx);
uint64_t s3x_test_sweep_fail_nth(struct s3x_allocator *tracking, s3x_test_block_fn *block, void *ctx, int allow_recovery);

/* Milliseconds on the monotonic clock, for bounded waits in tests (never for timing assertions). */
uint64_t s3x_test_now_ms(void);

#endif
