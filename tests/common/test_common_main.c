#include "tests.h"

#include <string.h>

int main(int argc, char **argv) {
    struct CMUnitTest all[64];
    size_t n = 0;
    const struct {
        const struct CMUnitTest *tests;
        size_t count;
    } lists[] = {
        {s3x_allocator_tests, s3x_allocator_tests_count},
        {s3x_error_tests, s3x_error_tests_count},
        {s3x_log_tests, s3x_log_tests_count},
    };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); ++l) {
        for (size_t i = 0; i < lists[l].count && n < 64; ++i) {
            all[n++] = lists[l].tests[i];
        }
    }
    return s3x_test_main(argc, argv, "common", all, n);
}
