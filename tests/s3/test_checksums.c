/* Checksums: check values, the two CRC-64/NVME paths against each other and against a bitwise
 * reference, ISA-L's conventions, incremental use, CRC combine, COMPOSITE values, base64, names.
 *
 * Reference values that are not standard check values were computed independently with Python
 * (zlib.crc32, hashlib, base64 and a bitwise CRC for CRC32C and CRC-64/NVME), e.g.
 *   crc32c = bitwise(poly=0x82F63B78 reflected, init=xorout=0xFFFFFFFF)
 *   parts = [b"The quick brown fox ", b"jumps over the lazy dog", b"."]
 *   base64(crc32c(b"".join(pack(">I", crc32c(p)) for p in parts))) + "-3"  ->  "vtcdsw==-3"
 * Random data comes from a fixed-seed generator, so every run checks the same cases.
 */
#include "harness.h"

#include <s3xfer/checksum.h>
#include <s3xfer/error.h>

#include "s3/checksums.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* --- helpers ---------------------------------------------------------------------------------- */

#define S_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t s_rng = 0x9E3779B97F4A7C15u;

static uint64_t s_rand(void) {
    /* xorshift64* */
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1Du;
}

static size_t s_min(size_t a, size_t b) {
    return a < b ? a : b;
}

static size_t s_rand_below(size_t n) {
    return n == 0 ? 0 : (size_t)(s_rand() % n);
}

static uint8_t *s_random_buffer(struct s3x_allocator *a, size_t len) {
    uint8_t *buf = s3x_mem_acquire(a, len == 0 ? 1 : len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; ++i) {
        buf[i] = (uint8_t)s_rand();
    }
    return buf;
}

/* Bit-at-a-time reflected CRC, the textbook definition: the independent oracle. `raw` register in,
 * raw register out (no inversions). */
static uint64_t s_bitwise_raw(uint64_t raw, const uint8_t *p, size_t len, uint64_t poly_reflected) {
    for (size_t i = 0; i < len; ++i) {
        raw ^= p[i];
        for (int b = 0; b < 8; ++b) {
            raw = (raw & 1u) != 0 ? (raw >> 1) ^ poly_reflected : raw >> 1;
        }
    }
    return raw;
}

static uint32_t s_bitwise_crc32(uint32_t crc, const uint8_t *p, size_t len, uint32_t poly) {
    return ~(uint32_t)s_bitwise_raw((uint32_t)~crc, p, len, poly);
}

static uint64_t s_bitwise_crc64nvme(uint64_t crc, const uint8_t *p, size_t len) {
    return ~s_bitwise_raw(~crc, p, len, S3X__CRC64NVME_POLY_REFLECTED);
}

/* One-shot digest of `data` through the state API. */
static void s_digest(enum s3x_checksum_algorithm alg, const void *data, size_t len, struct s3x_checksum_value *out) {
    struct s3x_checksum_state st;
    assert_int_equal(s3x_checksum_init(&st, alg), 0);
    assert_int_equal(s3x_checksum_update(&st, data, len), 0);
    assert_int_equal(s3x_checksum_final_value(&st, out), 0);
    s3x_checksum_clean_up(&st);
}

static void s_assert_base64(const struct s3x_checksum_value *v, const char *expected) {
    char text[S3X_CHECKSUM_VALUE_TEXT_MAX];
    assert_int_equal(s3x_checksum_value_format(v, text, sizeof(text)), 0);
    assert_string_equal(text, expected);
}

static const enum s3x_checksum_algorithm s_all[] = {S3X_CHECKSUM_NONE, S3X_CHECKSUM_CRC32C, S3X_CHECKSUM_CRC32,
    S3X_CHECKSUM_CRC64NVME, S3X_CHECKSUM_SHA1, S3X_CHECKSUM_SHA256};
static const enum s3x_checksum_algorithm s_crcs[] = {S3X_CHECKSUM_CRC32C, S3X_CHECKSUM_CRC32, S3X_CHECKSUM_CRC64NVME};

static const char s_check[] = "123456789";

/* --- check values ------------------------------------------------------------------------------ */

static void test_check_values(void **state) {
    (void)state;
    assert_int_equal(s3x_crc32(0, s_check, 9), 0xCBF43926u);
    assert_int_equal(s3x_crc32c(0, s_check, 9), 0xE3069283u);
    assert_true(s3x_crc64nvme(0, s_check, 9) == UINT64_C(0xAE8B14860A799888));
    for (int path = 0; path < S3X__CRC64_PATH_COUNT; ++path) {
        assert_true(~s3x__crc64nvme_raw((enum s3x__crc64_path)path, ~UINT64_C(0), (const uint8_t *)s_check, 9) ==
                    UINT64_C(0xAE8B14860A799888));
    }
    /* zlib convention: continuing from a previous result. */
    assert_int_equal(s3x_crc32c(s3x_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
    assert_int_equal(s3x_crc32(s3x_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    assert_true(s3x_crc64nvme(s3x_crc64nvme(0, "1234", 4), "56789", 5) == UINT64_C(0xAE8B14860A799888));
    assert_int_equal(s3x_crc32c(0, "1234", 4), 0xF63AF4EEu); /* the example in checksums.c */
    assert_int_equal(s3x_crc32c(0, "56789", 5), 0x83B565D8u);
    /* Empty input, NULL allowed. */
    assert_int_equal(s3x_crc32(0, NULL, 0), 0);
    assert_int_equal(s3x_crc32c(0, NULL, 0), 0);
    assert_true(s3x_crc64nvme(0, NULL, 0) == 0);

    struct s3x_checksum_value v;
    s_digest(S3X_CHECKSUM_CRC32C, s_check, 9, &v);
    assert_int_equal(v.digest_len, 4);
    assert_int_equal(v.digest[0], 0xE3);
    assert_int_equal(v.digest[3], 0x83);
    s_assert_base64(&v, "4waSgw==");
    s_digest(S3X_CHECKSUM_CRC64NVME, s_check, 9, &v);
    assert_int_equal(v.digest_len, 8);
    s_assert_base64(&v, "rosUhgp5mIg=");
    s_digest(S3X_CHECKSUM_SHA256, "", 0, &v);
    s_assert_base64(&v, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");

    static const uint8_t sha1_abc[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71,
        0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    static const uint8_t sha256_abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
        0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
        0x15, 0xad};
    s_digest(S3X_CHECKSUM_SHA1, "abc", 3, &v);
    assert_int_equal(v.digest_len, 20);
    assert_memory_equal(v.digest, sha1_abc, 20);
    s_digest(S3X_CHECKSUM_SHA256, "abc", 3, &v);
    assert_int_equal(v.digest_len, 32);
    assert_memory_equal(v.digest, sha256_abc, 32);
}

/* --- CRC-64/NVME: every path, every length 0..2048, random alignments ----------------------------- */

/* The paths this CPU runs; the portable one always. */
static size_t s_crc64_paths(enum s3x__crc64_path out[S3X__CRC64_PATH_COUNT]) {
    size_t n = 0;
    for (int path = 0; path < S3X__CRC64_PATH_COUNT; ++path) {
        if (s3x__crc64nvme_path_available((enum s3x__crc64_path)path)) {
            out[n++] = (enum s3x__crc64_path)path;
        }
    }
    assert_true(n >= 1 && out[0] == S3X__CRC64_PORTABLE);
    return n;
}

static void test_crc64nvme_paths_every_length(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* 2048 bytes reach every stage of every path: the avx512 path's main loop (>= 1024), its
     * 64-byte and 16-byte blocks and tails, the same for pclmul. */
    const size_t max_len = 2048, slack = 64;
    uint8_t *buf = s_random_buffer(a, max_len + slack);
    enum s3x__crc64_path paths[S3X__CRC64_PATH_COUNT];
    size_t npaths = s_crc64_paths(paths);
    print_message("crc64nvme: %zu paths available, best %s\n", npaths,
        s3x__crc64nvme_path_name(s3x__crc64nvme_best_path()));
    for (size_t len = 0; len <= max_len; ++len) {
        for (int rep = 0; rep < 2; ++rep) {
            const uint8_t *p = buf + s_rand_below(slack);
            uint64_t init = rep == 0 ? ~UINT64_C(0) : s_rand();
            uint64_t expect = s_bitwise_raw(init, p, len, S3X__CRC64NVME_POLY_REFLECTED);
            for (size_t i = 0; i < npaths; ++i) {
                if (s3x__crc64nvme_raw(paths[i], init, p, len) != expect) {
                    fail_msg("%s path wrong at len %zu offset %td", s3x__crc64nvme_path_name(paths[i]), len, p - buf);
                }
            }
            if (s3x_crc64nvme(~init, p, len) != ~expect) {
                fail_msg("s3x_crc64nvme wrong at len %zu offset %td", len, p - buf);
            }
        }
    }
    s3x_mem_release(a, buf);
}

static void test_crc64nvme_paths_large(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const size_t lens[] = {4096, 65536 + 1, (1u << 20) + 13, (3u << 20) + 127};
    uint8_t *buf = s_random_buffer(a, (3u << 20) + 127 + 64);
    enum s3x__crc64_path paths[S3X__CRC64_PATH_COUNT];
    size_t npaths = s_crc64_paths(paths);
    for (size_t i = 0; i < S_LEN(lens); ++i) {
        const uint8_t *p = buf + s_rand_below(64);
        uint64_t init = s_rand();
        uint64_t portable = s3x__crc64nvme_raw(S3X__CRC64_PORTABLE, init, p, lens[i]);
        for (size_t k = 1; k < npaths; ++k) {
            assert_true(portable == s3x__crc64nvme_raw(paths[k], init, p, lens[i]));
        }
        if (i < 2) { /* the bitwise oracle is slow: only on the smaller ones */
            assert_true(portable == s_bitwise_raw(init, p, lens[i], S3X__CRC64NVME_POLY_REFLECTED));
        }
        /* Random chunking through the public function gives the same CRC. */
        uint64_t crc = 0;
        size_t done = 0;
        while (done < lens[i]) {
            size_t n = s_min(lens[i] - done, 1 + s_rand_below(5000));
            crc = s3x_crc64nvme(crc, p + done, n);
            done += n;
        }
        assert_true(crc == s3x_crc64nvme(0, p, lens[i]));
        assert_true(~crc == s3x__crc64nvme_raw(S3X__CRC64_PORTABLE, ~UINT64_C(0), p, lens[i]));
    }
    s3x_mem_release(a, buf);
}

/* ISA-L's CRC32 and CRC32C behind our zlib-style wrappers, against the bitwise definition. */
static void test_crc32_crc32c_conventions(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    uint8_t *buf = s_random_buffer(a, 600);
    for (size_t len = 0; len <= 512; ++len) {
        const uint8_t *p = buf + s_rand_below(64);
        uint32_t prev = len % 2 == 0 ? 0 : (uint32_t)s_rand();
        if (s3x_crc32(prev, p, len) != s_bitwise_crc32(prev, p, len, S3X__CRC32_POLY_REFLECTED)) {
            fail_msg("crc32 wrong at len %zu", len);
        }
        if (s3x_crc32c(prev, p, len) != s_bitwise_crc32(prev, p, len, S3X__CRC32C_POLY_REFLECTED)) {
            fail_msg("crc32c wrong at len %zu", len);
        }
        if (s3x_crc64nvme(prev, p, len) != s_bitwise_crc64nvme(prev, p, len)) {
            fail_msg("crc64nvme wrong at len %zu", len);
        }
    }
    s3x_mem_release(a, buf);
}

/* More than INT_MAX bytes: crc32_iscsi takes an int length, so the wrapper must chunk. The data is
 * a read-only anonymous mapping (zero pages, nothing resident); the expected CRC of n zero bytes
 * comes from the algebra: crc(0^n) = (~0 * x^(8n) mod P) ^ ~0. */
static uint64_t s_crc_of_zeros(uint64_t n, uint64_t poly, unsigned width) {
    uint64_t ones = width == 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1;
    return s3x__crc_mul_mod(ones, s3x__crc_x_pow_8n_mod(n, poly, width), poly, width) ^ ones;
}

static void test_crc32c_beyond_int_max(void **state) {
    (void)state;
    /* The algebra agrees with direct computation on small zero runs first. */
    static const uint8_t zeros[1000];
    for (size_t n = 0; n <= sizeof(zeros); n += 37) {
        assert_int_equal(s_crc_of_zeros(n, S3X__CRC32C_POLY_REFLECTED, 32), s3x_crc32c(0, zeros, n));
        assert_int_equal(s_crc_of_zeros(n, S3X__CRC32_POLY_REFLECTED, 32), s3x_crc32(0, zeros, n));
        assert_true(s_crc_of_zeros(n, S3X__CRC64NVME_POLY_REFLECTED, 64) == s3x_crc64nvme(0, zeros, n));
    }
    size_t len = ((size_t)1 << 31) + 4099;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        skip();
    }
    uint32_t got = s3x_crc32c(0, map, len);
    munmap(map, len);
    assert_int_equal(got, s_crc_of_zeros(len, S3X__CRC32C_POLY_REFLECTED, 32));
}

/* --- incremental API ----------------------------------------------------------------------------- */

static void test_incremental_random_splits(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    const size_t len = 200000;
    uint8_t *buf = s_random_buffer(a, len);
    for (size_t i = 0; i < S_LEN(s_all); ++i) {
        struct s3x_checksum_value whole;
        s_digest(s_all[i], buf, len, &whole);
        assert_int_equal(whole.digest_len, s3x_checksum_digest_size(s_all[i]));
        for (int round = 0; round < 8; ++round) {
            struct s3x_checksum_state st;
            assert_int_equal(s3x_checksum_init(&st, s_all[i]), 0);
            size_t done = 0;
            while (done < len) {
                size_t n = s_min(len - done, s_rand_below(round < 4 ? 300 : 70000));
                assert_int_equal(s3x_checksum_update(&st, buf + done, n), 0);
                done += n;
            }
            assert_true(s3x_checksum_bytes(&st) == len);
            struct s3x_checksum_value v;
            assert_int_equal(s3x_checksum_final_value(&st, &v), 0);
            assert_true(s3x_checksum_value_equal(&v, &whole));
            s3x_checksum_clean_up(&st);
        }
    }
    /* A SHA256 vector longer than one block, fed a byte at a time. */
    static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const uint8_t expect[32] = {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93,
        0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb,
        0x06, 0xc1};
    struct s3x_checksum_state st;
    assert_int_equal(s3x_checksum_init(&st, S3X_CHECKSUM_SHA256), 0);
    for (size_t i = 0; i + 1 < sizeof(msg); ++i) {
        assert_int_equal(s3x_checksum_update(&st, msg + i, 1), 0);
    }
    uint8_t out[S3X_CHECKSUM_MAX_DIGEST_SIZE];
    size_t out_len = 0;
    assert_int_equal(s3x_checksum_final(&st, out, &out_len), 0);
    assert_int_equal(out_len, 32);
    assert_memory_equal(out, expect, 32);
    s3x_checksum_clean_up(&st);
    s3x_mem_release(a, buf);
}

static void test_state_lifecycle_and_misuse(void **state) {
    (void)state;
    struct s3x_checksum_state st;
    uint8_t out[S3X_CHECKSUM_MAX_DIGEST_SIZE];
    size_t out_len = 99;
    assert_int_equal(s3x_checksum_init(NULL, S3X_CHECKSUM_CRC32C), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_init(&st, (enum s3x_checksum_algorithm)6), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_init(&st, (enum s3x_checksum_algorithm)-1), S3X_ERR_INVALID_ARGUMENT);

    /* A zero-filled state is "not initialised". */
    memset(&st, 0, sizeof(st));
    assert_int_equal(s3x_checksum_update(&st, "x", 1), S3X_ERR_INVALID_STATE);
    assert_int_equal(s3x_checksum_final(&st, out, &out_len), S3X_ERR_INVALID_STATE);
    assert_int_equal(out_len, 0);
    assert_int_equal(s3x_checksum_reset(&st), S3X_ERR_INVALID_STATE);
    s3x_checksum_clean_up(&st);
    s3x_checksum_clean_up(NULL);
    assert_true(s3x_checksum_bytes(NULL) == 0);

    for (size_t i = 0; i < S_LEN(s_all); ++i) {
        enum s3x_checksum_algorithm alg = s_all[i];
        assert_int_equal(s3x_checksum_init(&st, alg), 0);
        assert_int_equal(s3x_checksum_update(NULL, "x", 1), S3X_ERR_INVALID_ARGUMENT);
        assert_int_equal(s3x_checksum_update(&st, NULL, 1), S3X_ERR_INVALID_ARGUMENT);
        assert_int_equal(s3x_checksum_update(&st, NULL, 0), 0);
        assert_int_equal(s3x_checksum_update(&st, "garbage", 7), 0);
        assert_true(s3x_checksum_bytes(&st) == 7);
        /* Reset while open discards what was added. */
        assert_int_equal(s3x_checksum_reset(&st), 0);
        assert_true(s3x_checksum_bytes(&st) == 0);
        assert_int_equal(s3x_checksum_update(&st, s_check, 9), 0);
        assert_int_equal(s3x_checksum_final(&st, NULL, &out_len), S3X_ERR_INVALID_ARGUMENT);
        assert_int_equal(s3x_checksum_final(&st, out, NULL), S3X_ERR_INVALID_ARGUMENT);
        assert_int_equal(s3x_checksum_final(&st, out, &out_len), 0);
        assert_int_equal(out_len, s3x_checksum_digest_size(alg));
        uint8_t first[S3X_CHECKSUM_MAX_DIGEST_SIZE];
        memcpy(first, out, out_len);
        /* Finished: no more data, no second final. */
        assert_int_equal(s3x_checksum_update(&st, "x", 1), S3X_ERR_INVALID_STATE);
        size_t len2 = 99;
        assert_int_equal(s3x_checksum_final(&st, out, &len2), S3X_ERR_INVALID_STATE);
        assert_int_equal(len2, 0);
        /* Reset after final: the same input gives the same digest again. */
        assert_int_equal(s3x_checksum_reset(&st), 0);
        assert_int_equal(s3x_checksum_update(&st, s_check, 4), 0);
        assert_int_equal(s3x_checksum_update(&st, s_check + 4, 5), 0);
        assert_int_equal(s3x_checksum_final(&st, out, &len2), 0);
        assert_int_equal(len2, out_len);
        assert_memory_equal(out, first, out_len);
        s3x_checksum_clean_up(&st);
        s3x_checksum_clean_up(&st); /* twice is fine */
        assert_int_equal(s3x_checksum_update(&st, "x", 1), S3X_ERR_INVALID_STATE);
    }
    assert_int_equal(s3x_checksum_init(&st, S3X_CHECKSUM_NONE), 0);
    struct s3x_checksum_value v;
    assert_int_equal(s3x_checksum_final_value(&st, &v), 0);
    assert_int_equal(v.algorithm, S3X_CHECKSUM_NONE);
    assert_int_equal(v.digest_len, 0);
    char text[S3X_CHECKSUM_VALUE_TEXT_MAX];
    assert_int_equal(s3x_checksum_value_format(&v, text, sizeof(text)), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_final_value(&st, NULL), S3X_ERR_INVALID_ARGUMENT);
    s3x_checksum_clean_up(&st);
}

/* --- combine ------------------------------------------------------------------------------------ */

static void test_combine_random_splits(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    const size_t max = 70000;
    uint8_t *buf = s_random_buffer(a, max);
    for (int round = 0; round < 200; ++round) {
        size_t len = round < 20 ? (size_t)round : s_rand_below(max + 1);
        size_t split = s_rand_below(len + 1);
        if (round % 10 == 0) {
            split = round % 20 == 0 ? 0 : len; /* empty A, empty B */
        }
        const uint8_t *p = buf;
        size_t lb = len - split;
        assert_int_equal(s3x_crc32_combine(s3x_crc32(0, p, split), s3x_crc32(0, p + split, lb), lb),
            s3x_crc32(0, p, len));
        assert_int_equal(s3x_crc32c_combine(s3x_crc32c(0, p, split), s3x_crc32c(0, p + split, lb), lb),
            s3x_crc32c(0, p, len));
        assert_true(s3x_crc64nvme_combine(s3x_crc64nvme(0, p, split), s3x_crc64nvme(0, p + split, lb), lb) ==
                    s3x_crc64nvme(0, p, len));
    }
    /* Value level: parts of random sizes folded in order from the empty value, as a multipart
     * upload does with the parts' CRCs. */
    for (size_t i = 0; i < S_LEN(s_crcs); ++i) {
        for (int round = 0; round < 10; ++round) {
            struct s3x_checksum_value acc, part, whole;
            s_digest(s_crcs[i], NULL, 0, &acc); /* the empty value */
            size_t done = 0;
            while (done < max) {
                size_t n = s_min(max - done, s_rand_below(20000));
                s_digest(s_crcs[i], buf + done, n, &part);
                assert_int_equal(s3x_checksum_value_combine(&acc, &part, n), 0);
                done += n;
            }
            s_digest(s_crcs[i], buf, max, &whole);
            assert_true(s3x_checksum_value_equal(&acc, &whole));
        }
    }
    s3x_mem_release(a, buf);
}

static void test_combine_huge_lengths(void **state) {
    (void)state;
    /* Associativity with lengths far beyond memory exercises every bit of the exponent:
     * (A||B)||C == A||(B||C). */
    for (int round = 0; round < 50; ++round) {
        uint64_t lb = s_rand() >> (s_rand_below(40) + 1);
        uint64_t lc = s_rand() >> (s_rand_below(40) + 1);
        if (round == 0) {
            lb = UINT64_MAX / 2;
            lc = UINT64_MAX / 2; /* lb + lc = UINT64_MAX - 1 */
        }
        uint64_t a = s_rand(), b = s_rand(), c = s_rand();
        assert_true(s3x_crc64nvme_combine(s3x_crc64nvme_combine(a, b, lb), c, lc) ==
                    s3x_crc64nvme_combine(a, s3x_crc64nvme_combine(b, c, lc), lb + lc));
        uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b, c32 = (uint32_t)c;
        assert_int_equal(s3x_crc32c_combine(s3x_crc32c_combine(a32, b32, lb), c32, lc),
            s3x_crc32c_combine(a32, s3x_crc32c_combine(b32, c32, lc), lb + lc));
        assert_int_equal(s3x_crc32_combine(s3x_crc32_combine(a32, b32, lb), c32, lc),
            s3x_crc32_combine(a32, s3x_crc32_combine(b32, c32, lc), lb + lc));
    }
    /* x^(8n) by square-and-multiply agrees with repeated multiplication by x^8, and with x^k for
     * small k being a single bit. */
    for (unsigned k = 0; k < 64; ++k) {
        assert_true(s3x__crc_x_pow_mod(k, S3X__CRC64NVME_POLY_REFLECTED, 64) == (UINT64_C(1) << (63 - k)));
    }
    uint64_t x8 = s3x__crc_x_pow_mod(8, S3X__CRC64NVME_POLY_REFLECTED, 64);
    uint64_t acc = UINT64_C(1) << 63;
    for (uint64_t n = 0; n < 300; ++n) {
        assert_true(s3x__crc_x_pow_8n_mod(n, S3X__CRC64NVME_POLY_REFLECTED, 64) == acc);
        assert_true(s3x__crc_x_pow_mod(8 * n, S3X__CRC64NVME_POLY_REFLECTED, 64) == acc);
        acc = s3x__crc_mul_mod(acc, x8, S3X__CRC64NVME_POLY_REFLECTED, 64);
    }
    /* Multiplication is commutative and distributes over XOR. */
    for (int i = 0; i < 200; ++i) {
        uint64_t p = s_rand(), q = s_rand(), r = s_rand();
        uint64_t poly = S3X__CRC64NVME_POLY_REFLECTED;
        assert_true(s3x__crc_mul_mod(p, q, poly, 64) == s3x__crc_mul_mod(q, p, poly, 64));
        assert_true(s3x__crc_mul_mod(p, q ^ r, poly, 64) ==
                    (s3x__crc_mul_mod(p, q, poly, 64) ^ s3x__crc_mul_mod(p, r, poly, 64)));
    }
}

static void test_combine_rejects(void **state) {
    (void)state;
    struct s3x_checksum_value c32, c64, sha, composite;
    s_digest(S3X_CHECKSUM_CRC32C, "ab", 2, &c32);
    s_digest(S3X_CHECKSUM_CRC64NVME, "ab", 2, &c64);
    s_digest(S3X_CHECKSUM_SHA256, "ab", 2, &sha);
    composite = c32;
    composite.part_count = 2;
    struct s3x_checksum_value acc = c32;
    assert_int_equal(s3x_checksum_value_combine(NULL, &c32, 2), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_value_combine(&acc, NULL, 2), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_value_combine(&acc, &c64, 2), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_value_combine(&acc, &composite, 2), S3X_ERR_INVALID_ARGUMENT);
    assert_true(s3x_checksum_value_equal(&acc, &c32)); /* untouched by the failures */
    struct s3x_checksum_value sha2 = sha;
    assert_int_equal(s3x_checksum_value_combine(&sha2, &sha, 2), S3X_ERR_UNSUPPORTED);
    struct s3x_checksum_value bad = c32;
    bad.digest_len = 8;
    assert_int_equal(s3x_checksum_value_combine(&acc, &bad, 2), S3X_ERR_INVALID_ARGUMENT);
    /* The example of the note in checksums.c: "1234" then "56789". */
    struct s3x_checksum_value b;
    s_digest(S3X_CHECKSUM_CRC32C, "1234", 4, &acc);
    s_digest(S3X_CHECKSUM_CRC32C, "56789", 5, &b);
    assert_int_equal(s3x_checksum_value_combine(&acc, &b, 5), 0);
    s_assert_base64(&acc, "4waSgw==");
}

/* --- multipart values: COMPOSITE and FULL_OBJECT, hand-computed ----------------------------------- */

static void test_composite_and_full_object_hand_computed(void **state) {
    (void)state;
    static const char *parts[] = {"The quick brown fox ", "jumps over the lazy dog", "."};
    static const struct {
        enum s3x_checksum_algorithm alg;
        const char *part_b64[3];
        const char *composite;
        const char *full; /* NULL: not a CRC */
    } cases[] = {
        {S3X_CHECKSUM_CRC32C, {"RmdbuQ==", "H9ktkg==", "3rhiqA=="}, "vtcdsw==-3", "GQCXsw=="},
        {S3X_CHECKSUM_CRC32, {"iLB14g==", "GHhnlA==", "DtTiQg=="}, "mV4Xrg==-3", "UZAl6Q=="},
        {S3X_CHECKSUM_CRC64NVME, {"e+WXsHOhtoM=", "Uqa2Y2a1hbc=", "tbhGZ26uAiI="}, "cG+emPGSzd8=-3", "44bh1kHX4Ac="},
        {S3X_CHECKSUM_SHA1,
            {"PjQ2oHPnLFMAzcps5cMh5J38QS4=", "x2fWkmcQ170IQyaFu6aipnWg3+w=", "OlLOeAlQ1NlpeSolWc1RnX7oxyc="},
            "tCe+ES2WoLyKDyRsZwXw0AVvzIg=-3", NULL},
        {S3X_CHECKSUM_SHA256,
            {"sp1m5W7ZDM6bAWXEP+3sYStgoHGXTYvkUT4YWA1Vtb0=", "n0lBn+Yt6XfMaPgISlJL/1LHuQ7KZZRZuL9VuzuhKVc=",
                "zbTuKuppzGqDMxu+ltwsqpopnSEynvsDNvwCqC4YOag="},
            "1pF5a6VN4nPQrAz+IrTyjvlrBZIlFR7URs67/v0qXAA=-3", NULL},
    };
    for (size_t c = 0; c < S_LEN(cases); ++c) {
        struct s3x_checksum_value values[3], full;
        s_digest(cases[c].alg, NULL, 0, &full);
        for (size_t i = 0; i < 3; ++i) {
            s_digest(cases[c].alg, parts[i], strlen(parts[i]), &values[i]);
            s_assert_base64(&values[i], cases[c].part_b64[i]);
            if (cases[c].full != NULL) {
                assert_int_equal(s3x_checksum_value_combine(&full, &values[i], strlen(parts[i])), 0);
            }
        }
        struct s3x_checksum_value comp;
        assert_int_equal(s3x_checksum_composite(cases[c].alg, values, 3, &comp), 0);
        assert_int_equal(comp.part_count, 3);
        s_assert_base64(&comp, cases[c].composite);
        /* And the text parses back to the same value. */
        struct s3x_checksum_value parsed;
        const char *text = cases[c].composite;
        assert_int_equal(s3x_checksum_value_parse(cases[c].alg, text, strlen(text), &parsed), 0);
        assert_true(s3x_checksum_value_equal(&parsed, &comp));
        if (cases[c].full != NULL) {
            s_assert_base64(&full, cases[c].full);
        }
    }
    /* Rejections. */
    struct s3x_checksum_value v[2], out;
    s_digest(S3X_CHECKSUM_CRC32C, "a", 1, &v[0]);
    s_digest(S3X_CHECKSUM_CRC32, "b", 1, &v[1]);
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, v, 0, &out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, v, 2, &out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_NONE, v, 1, &out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, NULL, 1, &out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, v, 1, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, v, S3X_CHECKSUM_MAX_PARTS + 1, &out),
        S3X_ERR_INVALID_ARGUMENT);
    v[1] = v[0];
    v[1].part_count = 4; /* a composite is not a part */
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, v, 2, &out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(out.part_count, 0);
}

static void test_composite_many_parts(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* 10,000 parts: the composite is the hash of the 40,000 concatenated digest bytes. */
    struct s3x_checksum_value *parts = s3x_mem_calloc(a, S3X_CHECKSUM_MAX_PARTS, sizeof(*parts));
    uint8_t *concat = s3x_mem_acquire(a, 4 * S3X_CHECKSUM_MAX_PARTS);
    assert_non_null(parts);
    assert_non_null(concat);
    for (uint32_t i = 0; i < S3X_CHECKSUM_MAX_PARTS; ++i) {
        s_digest(S3X_CHECKSUM_CRC32C, &i, sizeof(i), &parts[i]);
        memcpy(concat + 4 * i, parts[i].digest, 4);
    }
    struct s3x_checksum_value comp, direct;
    assert_int_equal(s3x_checksum_composite(S3X_CHECKSUM_CRC32C, parts, S3X_CHECKSUM_MAX_PARTS, &comp), 0);
    s_digest(S3X_CHECKSUM_CRC32C, concat, 4 * S3X_CHECKSUM_MAX_PARTS, &direct);
    assert_memory_equal(comp.digest, direct.digest, 4);
    char text[S3X_CHECKSUM_VALUE_TEXT_MAX];
    assert_int_equal(s3x_checksum_value_format(&comp, text, sizeof(text)), 0);
    assert_non_null(strstr(text, "==-10000"));
    s3x_mem_release(a, concat);
    s3x_mem_release(a, parts);
}

/* --- values: parse and format -------------------------------------------------------------------- */

static void test_value_parse_format(void **state) {
    (void)state;
    struct s3x_checksum_value v;
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, "4waSgw==", 8, &v), 0);
    assert_int_equal(v.algorithm, S3X_CHECKSUM_CRC32C);
    assert_int_equal(v.part_count, 0);
    assert_int_equal(v.digest_len, 4);
    static const uint8_t check[4] = {0xE3, 0x06, 0x92, 0x83};
    assert_memory_equal(v.digest, check, 4);
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, "4waSgw==-10000", 14, &v), 0);
    assert_int_equal(v.part_count, 10000);
    s_assert_base64(&v, "4waSgw==-10000");
    /* Only `len` bytes are read. */
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, "4waSgw==-7 trailing", 10, &v), 0);
    assert_int_equal(v.part_count, 7);

    static const char *bad[] = {"", "-", "-3", "4waSgw==-", "4waSgw==-0", "4waSgw==-01", "4waSgw==-10001",
        "4waSgw==-1x", "4waSgw==-+1", "4waSgw==--1", "4waSgw=", "4waSgw", "4waSgx==", " 4waSgw==", "4waSgw== ",
        "rosUhgp5mIg=", "4waSgw==4waSgw==", "4waS\ngw=", "4wa*gw=="};
    for (size_t i = 0; i < S_LEN(bad); ++i) {
        v.part_count = 77;
        if (s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, bad[i], strlen(bad[i]), &v) != S3X_ERR_PARSE) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(v.part_count, 0); /* zero-filled on error */
    }
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC64NVME, "rosUhgp5mIg=", 12, &v), 0);
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_SHA256, "4waSgw==", 8, &v), S3X_ERR_PARSE);
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_NONE, "", 0, &v), S3X_ERR_INVALID_ARGUMENT);
    enum s3x_checksum_algorithm odd = (enum s3x_checksum_algorithm)42;
    assert_int_equal(s3x_checksum_value_parse(odd, "4waSgw==", 8, &v), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, NULL, 8, &v), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, "4waSgw==", 8, NULL), S3X_ERR_INVALID_ARGUMENT);

    /* Format: exact fit, one byte short, invalid values. */
    assert_int_equal(s3x_checksum_value_parse(S3X_CHECKSUM_CRC32C, "4waSgw==-12", 11, &v), 0);
    char text[S3X_CHECKSUM_VALUE_TEXT_MAX];
    assert_int_equal(s3x_checksum_value_format(&v, text, 12), 0);
    assert_string_equal(text, "4waSgw==-12");
    assert_int_equal(s3x_checksum_value_format(&v, text, 11), S3X_ERR_OVERFLOW);
    assert_int_equal(s3x_checksum_value_format(&v, text, 8), S3X_ERR_OVERFLOW);
    assert_int_equal(s3x_checksum_value_format(&v, NULL, 12), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_value_format(NULL, text, 12), S3X_ERR_INVALID_ARGUMENT);
    struct s3x_checksum_value w = v;
    w.digest_len = 5;
    assert_int_equal(s3x_checksum_value_format(&w, text, sizeof(text)), S3X_ERR_INVALID_ARGUMENT);
    w = v;
    w.part_count = S3X_CHECKSUM_MAX_PARTS + 1;
    assert_int_equal(s3x_checksum_value_format(&w, text, sizeof(text)), S3X_ERR_INVALID_ARGUMENT);
    /* The largest value fits the documented buffer. */
    struct s3x_checksum_value big;
    memset(&big, 0xff, sizeof(big));
    big.algorithm = S3X_CHECKSUM_SHA256;
    big.digest_len = 32;
    big.part_count = S3X_CHECKSUM_MAX_PARTS;
    assert_int_equal(s3x_checksum_value_format(&big, text, sizeof(text)), 0);
    assert_int_equal(strlen(text), 44 + 6);

    /* Equality. */
    struct s3x_checksum_value x, y;
    s_digest(S3X_CHECKSUM_CRC32C, "a", 1, &x);
    y = x;
    assert_true(s3x_checksum_value_equal(&x, &y));
    y.part_count = 1;
    assert_false(s3x_checksum_value_equal(&x, &y));
    y = x;
    y.digest[3] ^= 1;
    assert_false(s3x_checksum_value_equal(&x, &y));
    s_digest(S3X_CHECKSUM_CRC32, "a", 1, &y);
    assert_false(s3x_checksum_value_equal(&x, &y));
    assert_false(s3x_checksum_value_equal(&x, NULL));
    assert_false(s3x_checksum_value_equal(NULL, &x));
}

/* --- base64 -------------------------------------------------------------------------------------- */

static void test_base64(void **state) {
    (void)state;
    static const char *rfc[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    char text[80];
    uint8_t bytes[64];
    size_t n = 0;
    for (size_t i = 0; i < S_LEN(rfc); ++i) {
        size_t len = strlen(rfc[i][0]);
        assert_int_equal(s3x_base64_encode((const uint8_t *)rfc[i][0], len, text, sizeof(text), &n), 0);
        assert_string_equal(text, rfc[i][1]);
        assert_int_equal(n, strlen(rfc[i][1]));
        assert_int_equal(s3x_base64_decode(rfc[i][1], strlen(rfc[i][1]), bytes, sizeof(bytes), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(bytes, rfc[i][0], len);
    }
    /* Exact sizes: 4 * ceil(len / 3) + 1 for encode, the decoded length for decode. */
    assert_int_equal(s3x_base64_encode((const uint8_t *)"foob", 4, text, 9, NULL), 0);
    assert_int_equal(s3x_base64_encode((const uint8_t *)"foob", 4, text, 8, NULL), S3X_ERR_OVERFLOW);
    assert_int_equal(s3x_base64_encode(NULL, 0, text, 1, NULL), 0);
    assert_string_equal(text, "");
    assert_int_equal(s3x_base64_encode(NULL, 0, text, 0, NULL), S3X_ERR_OVERFLOW);
    assert_int_equal(s3x_base64_encode(NULL, 1, text, 9, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_base64_decode("Zm9vYmE=", 8, bytes, 5, &n), 0);
    assert_int_equal(s3x_base64_decode("Zm9vYmE=", 8, bytes, 4, &n), S3X_ERR_OVERFLOW);
    assert_int_equal(s3x_base64_decode("Zm9v", 4, bytes, sizeof(bytes), NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_base64_decode(NULL, 4, bytes, sizeof(bytes), &n), S3X_ERR_INVALID_ARGUMENT);

    static const char *bad[] = {"Zg=", "Zg", "Z", "Zg==Zg==", "Zh==", "Zm9=", "Z===", "====", "Zm=v", "Zm9v\n",
        "Zm-v", "Zm_v", "Zm9v YmFy", "=Zm9"};
    for (size_t i = 0; i < S_LEN(bad); ++i) {
        n = 99;
        if (s3x_base64_decode(bad[i], strlen(bad[i]), bytes, sizeof(bytes), &n) != S3X_ERR_PARSE) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_int_equal(n, 0);
    }
    /* Round trips of every byte value and length. */
    uint8_t data[48];
    for (size_t len = 0; len <= sizeof(data); ++len) {
        for (size_t i = 0; i < len; ++i) {
            data[i] = (uint8_t)s_rand();
        }
        assert_int_equal(s3x_base64_encode(data, len, text, sizeof(text), &n), 0);
        assert_int_equal(n, (len + 2) / 3 * 4);
        assert_int_equal(s3x_base64_decode(text, n, bytes, sizeof(bytes), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(bytes, data, len);
    }
}

/* --- names --------------------------------------------------------------------------------------- */

static void test_names_and_parsing(void **state) {
    (void)state;
    static const struct {
        enum s3x_checksum_algorithm alg;
        const char *name, *header, *xml, *api;
        size_t size;
    } table[] = {
        {S3X_CHECKSUM_NONE, "none", NULL, NULL, NULL, 0},
        {S3X_CHECKSUM_CRC32C, "crc32c", "x-amz-checksum-crc32c", "ChecksumCRC32C", "CRC32C", 4},
        {S3X_CHECKSUM_CRC32, "crc32", "x-amz-checksum-crc32", "ChecksumCRC32", "CRC32", 4},
        {S3X_CHECKSUM_CRC64NVME, "crc64nvme", "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", "CRC64NVME", 8},
        {S3X_CHECKSUM_SHA1, "sha1", "x-amz-checksum-sha1", "ChecksumSHA1", "SHA1", 20},
        {S3X_CHECKSUM_SHA256, "sha256", "x-amz-checksum-sha256", "ChecksumSHA256", "SHA256", 32},
    };
    for (size_t i = 0; i < S_LEN(table); ++i) {
        enum s3x_checksum_algorithm alg = table[i].alg, got = S3X_CHECKSUM_SHA1;
        assert_string_equal(s3x_checksum_algorithm_name(alg), table[i].name);
        assert_int_equal(s3x_checksum_digest_size(alg), table[i].size);
        if (table[i].header == NULL) {
            assert_null(s3x_checksum_header_name(alg));
            assert_null(s3x_checksum_xml_element(alg));
            assert_null(s3x_checksum_api_name(alg));
        } else {
            assert_string_equal(s3x_checksum_header_name(alg), table[i].header);
            assert_string_equal(s3x_checksum_xml_element(alg), table[i].xml);
            assert_string_equal(s3x_checksum_api_name(alg), table[i].api);
            assert_int_equal(s3x_checksum_algorithm_parse(table[i].api, strlen(table[i].api), &got), 0);
            assert_int_equal(got, alg);
            assert_int_equal(s3x_checksum_algorithm_from_xml_element(table[i].xml, strlen(table[i].xml), &got), 0);
            assert_int_equal(got, alg);
            assert_int_equal(s3x_checksum_algorithm_from_header(table[i].header, strlen(table[i].header), &got), 0);
            assert_int_equal(got, alg);
        }
        got = S3X_CHECKSUM_SHA1;
        assert_int_equal(s3x_checksum_algorithm_parse(table[i].name, strlen(table[i].name), &got), 0);
        assert_int_equal(got, alg);
    }
    enum s3x_checksum_algorithm out = S3X_CHECKSUM_NONE;
    static const char *mixed[] = {"Crc64Nvme", "CRC64NVME", "cRc32C", "NONE", "Sha256"};
    static const enum s3x_checksum_algorithm mixed_alg[] = {S3X_CHECKSUM_CRC64NVME, S3X_CHECKSUM_CRC64NVME,
        S3X_CHECKSUM_CRC32C, S3X_CHECKSUM_NONE, S3X_CHECKSUM_SHA256};
    for (size_t i = 0; i < S_LEN(mixed); ++i) {
        assert_int_equal(s3x_checksum_algorithm_parse(mixed[i], strlen(mixed[i]), &out), 0);
        assert_int_equal(out, mixed_alg[i]);
    }
    static const char *unknown[] = {"", "crc", "crc32c ", " crc32c", "crc32cx", "crc-32c", "md5", "crc64", "sha-256"};
    for (size_t i = 0; i < S_LEN(unknown); ++i) {
        assert_int_equal(s3x_checksum_algorithm_parse(unknown[i], strlen(unknown[i]), &out), S3X_ERR_NOT_FOUND);
    }
    assert_int_equal(s3x_checksum_algorithm_parse("crc32c,sha256", 6, &out), 0); /* length-bounded */
    assert_int_equal(out, S3X_CHECKSUM_CRC32C);
    assert_int_equal(s3x_checksum_algorithm_parse(NULL, 0, &out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_algorithm_parse("crc32", 5, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_checksum_algorithm_from_header("X-Amz-Checksum-CRC64NVME", 24, &out), 0);
    assert_int_equal(out, S3X_CHECKSUM_CRC64NVME);
    assert_int_equal(s3x_checksum_algorithm_from_header("x-amz-checksum-type", 19, &out), S3X_ERR_NOT_FOUND);
    assert_int_equal(s3x_checksum_algorithm_from_header("none", 4, &out), S3X_ERR_NOT_FOUND);
    assert_int_equal(s3x_checksum_algorithm_from_xml_element("checksumcrc32c", 14, &out), S3X_ERR_NOT_FOUND);
    assert_int_equal(s3x_checksum_algorithm_from_xml_element("ChecksumType", 12, &out), S3X_ERR_NOT_FOUND);

    /* Outside the enum. */
    enum s3x_checksum_algorithm odd = (enum s3x_checksum_algorithm)6;
    assert_null(s3x_checksum_algorithm_name(odd));
    assert_null(s3x_checksum_header_name(odd));
    assert_null(s3x_checksum_xml_element(odd));
    assert_null(s3x_checksum_api_name(odd));
    assert_int_equal(s3x_checksum_digest_size(odd), 0);
    assert_false(s3x_checksum_supports_type(odd, S3X_CHECKSUM_TYPE_COMPOSITE));
}

static void test_checksum_types(void **state) {
    (void)state;
    enum s3x_checksum_type type = S3X_CHECKSUM_TYPE_COMPOSITE;
    assert_string_equal(s3x_checksum_type_name(S3X_CHECKSUM_TYPE_FULL_OBJECT), "FULL_OBJECT");
    assert_string_equal(s3x_checksum_type_name(S3X_CHECKSUM_TYPE_COMPOSITE), "COMPOSITE");
    assert_null(s3x_checksum_type_name((enum s3x_checksum_type)2));
    assert_int_equal(s3x_checksum_type_parse("full_object", 11, &type), 0);
    assert_int_equal(type, S3X_CHECKSUM_TYPE_FULL_OBJECT);
    assert_int_equal(s3x_checksum_type_parse("COMPOSITE", 9, &type), 0);
    assert_int_equal(type, S3X_CHECKSUM_TYPE_COMPOSITE);
    assert_int_equal(s3x_checksum_type_parse("FULL", 4, &type), S3X_ERR_NOT_FOUND);
    assert_int_equal(s3x_checksum_type_parse(NULL, 4, &type), S3X_ERR_INVALID_ARGUMENT);
    /* What S3 accepts. */
    static const bool full[] = {false, true, true, true, false, false};
    static const bool composite[] = {false, true, true, false, true, true};
    for (size_t i = 0; i < S_LEN(s_all); ++i) {
        assert_int_equal(s3x_checksum_supports_type(s_all[i], S3X_CHECKSUM_TYPE_FULL_OBJECT), full[i]);
        assert_int_equal(s3x_checksum_supports_type(s_all[i], S3X_CHECKSUM_TYPE_COMPOSITE), composite[i]);
    }
}

static const struct CMUnitTest tests[] = {
    S3X_TEST(test_check_values),
    S3X_TEST(test_crc64nvme_paths_every_length),
    S3X_TEST(test_crc64nvme_paths_large),
    S3X_TEST(test_crc32_crc32c_conventions),
    S3X_TEST(test_crc32c_beyond_int_max),
    S3X_TEST(test_incremental_random_splits),
    S3X_TEST(test_state_lifecycle_and_misuse),
    S3X_TEST(test_combine_random_splits),
    S3X_TEST(test_combine_huge_lengths),
    S3X_TEST(test_combine_rejects),
    S3X_TEST(test_composite_and_full_object_hand_computed),
    S3X_TEST(test_composite_many_parts),
    S3X_TEST(test_value_parse_format),
    S3X_TEST(test_base64),
    S3X_TEST(test_names_and_parsing),
    S3X_TEST(test_checksum_types),
};

int main(int argc, char **argv) {
    return S3X_TEST_MAIN(argc, argv, "checksums", tests);
}
