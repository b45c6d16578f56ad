#include "signing_tests.h"

int main(int argc, char **argv) {
    struct CMUnitTest all[128];
    size_t n = 0;
    const struct {
        const struct CMUnitTest *tests;
        size_t count;
    } lists[] = {
        {s3x_sigv4_vector_tests, s3x_sigv4_vector_tests_count},
        {s3x_sigv4_tests, s3x_sigv4_tests_count},
        {s3x_uri_tests, s3x_uri_tests_count},
    };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); ++l) {
        for (size_t i = 0; i < lists[l].count && n < 128; ++i) {
            all[n++] = lists[l].tests[i];
        }
    }
    return s3x_test_main(argc, argv, "signing", all, n);
}
