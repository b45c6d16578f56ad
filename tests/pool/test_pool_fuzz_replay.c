/* Runs the libFuzzer target fuzz/fuzz_pool.c on seeded random inputs in every ordinary build, so
 * the operation-sequence checks run everywhere (the fuzzer proper needs clang, -DS3XFER_FUZZ=ON). */
#include "harness.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t s_rand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_fuzz_replay_random_sequences(void **state) {
    (void)state;
    uint64_t seed = 0x853c49e6748fea9bull;
    static uint8_t buf[3 * 400 + 1];
    for (int run = 0; run < 600; ++run) {
        size_t len = 1 + (size_t)(s_rand(&seed) % sizeof(buf));
        for (size_t i = 0; i < len; ++i) {
            buf[i] = (uint8_t)s_rand(&seed);
        }
        assert_int_equal(LLVMFuzzerTestOneInput(buf, len), 0); /* traps on any violation */
    }
}

static void test_fuzz_replay_edge_inputs(void **state) {
    (void)state;
    const uint8_t empty[1] = {0};
    assert_int_equal(LLVMFuzzerTestOneInput(empty, 0), 0);
    /* default pool of 1 part: reserve 3 parts (too large), reserve a part twice (one waits),
     * cancel, drop the pool early, release */
    const uint8_t seq[] = {0x00, 0, 0, 0x03, 0, 1, 0x00, 1, 2, 0x00, 2, 0x00, 5, 2, 0, 9, 0, 0xff, 4, 1, 0, 2, 0, 0};
    assert_int_equal(LLVMFuzzerTestOneInput(seq, sizeof(seq)), 0);
    const uint8_t arena[] = {0x01, 0, 0, 0x10, 0, 1, 0x10, 8, 0, 3, 7, 0, 0};
    assert_int_equal(LLVMFuzzerTestOneInput(arena, sizeof(arena)), 0);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_fuzz_replay_random_sequences),
        S3X_TEST(test_fuzz_replay_edge_inputs),
    };
    return S3X_TEST_MAIN(argc, argv, "pool_fuzz_replay", tests);
}
