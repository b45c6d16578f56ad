/* Leaks on purpose: CTest expects this executable to fail (WILL_FAIL), proving that the harness's
 * teardown turns a leaked byte into a failed test. */
#include "harness.h"

static void test_leaks_one_allocation(void **state) {
    assert_non_null(s3x_mem_acquire(s3x_test_allocator(state), 1));
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {S3X_TEST(test_leaks_one_allocation)};
    return S3X_TEST_MAIN(argc, argv, "harness_leak", tests);
}
