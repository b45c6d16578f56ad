/* CRC-64/NVME: polynomial 0xAD93D23594C93659, reflected input and output, init and xorout all
 * ones; check value crc("123456789") = 0xAE8B14860A799888. ISA-L 2.30 has no variant equal to
 * it, so this file owns it: a portable slicing-by-8 path and two carry-less-multiplication paths
 * (128-bit PCLMULQDQ, 512-bit VPCLMULQDQ), chosen once at run time by CPU detection. The build
 * needs no special flags: the fast paths are compiled with target attributes.
 *
 * Representation. A 64-bit register in reflected form: bit i is the coefficient of x^(63-i). The
 * bytes of a message are read little-endian, so 16 message bytes loaded into an XMM register put
 * the coefficient of x^(127-k) (relative to the end of those 16 bytes) in bit k. For such
 * operands PCLMULQDQ of a (x^(63-i) in bit i) and b yields the 128-bit reflected form of
 * a(x)*b(x)*x: the product lands one degree high. Hence the folding constants are x^(d-1) and
 * x^(d+63) rather than x^d and x^(d+64).
 *
 * Folding. A 128-bit accumulator X = H*x^64 + L (H: low qword, L: high qword, reflected) standing
 * d bits before the data it is folded into contributes X*x^d = H*x^(d+64) + L*x^d (mod P), so
 *     X' = clmul(H, x^(d+63) mod P) ^ clmul(L, x^(d-1) mod P)      (each < 2^128)
 * is congruent and can be XORed into that data. VPCLMULQDQ does the same on the four 128-bit
 * lanes of a ZMM register at once.
 *   pclmul: 8 XMM accumulators 128 bytes apart (d = 1024 bits), merged with d = 128, then single
 *           16-byte blocks.
 *   avx512: 8 ZMM accumulators 512 bytes apart (d = 4096), merged with d = 512, then single
 *           64-byte blocks, then the 4 lanes merged with d = 128; the rest as in pclmul.
 * The last accumulator, 16 bytes of message M with the register already XORed into its first 8
 * bytes, reduces to the register value M*x^64 mod P: the table path run over those 16 bytes from
 * a zero register, exact and a few nanoseconds per call. A tail shorter than 16 bytes goes through
 * the table too. The constants are computed at start-up from the polynomial, not typed in.
 *
 * Example (pclmul): 1,000 bytes -> 7 blocks of 128 bytes (1 load of 8 lanes + 6 rounds of 8
 * folds), 7 folds merging the lanes, 1000 - 896 = 104 = 6 * 16 + 8: 6 single-block folds, then
 * the table runs over the 16 reduced bytes and the 8 tail bytes.
 */
#include <s3xfer/checksum.h>

#include "../common/common.h"
#include "checksums.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#    define S_HAVE_X86 1
#    include <immintrin.h>
#else
#    define S_HAVE_X86 0
#endif

struct s_constants {
    uint64_t low;  /* x^(d+63) mod P: multiplies the low qword (the high-degree half) */
    uint64_t high; /* x^(d-1) mod P: multiplies the high qword */
};

static uint64_t s_table[8][256];
static struct s_constants s_k128, s_k512, s_k1024, s_k4096;
static bool s_available[S3X__CRC64_PATH_COUNT];
static enum s3x__crc64_path s_best;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static struct s_constants s_fold_constants(uint64_t d_bits) {
    struct s_constants k = {
        .low = s3x__crc_x_pow_mod(d_bits + 63, S3X__CRC64NVME_POLY_REFLECTED, 64),
        .high = s3x__crc_x_pow_mod(d_bits - 1, S3X__CRC64NVME_POLY_REFLECTED, 64),
    };
    return k;
}

static void s_init_once(void) {
    for (unsigned b = 0; b < 256; ++b) {
        uint64_t c = b;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1u) != 0 ? (c >> 1) ^ S3X__CRC64NVME_POLY_REFLECTED : c >> 1;
        }
        s_table[0][b] = c;
    }
    for (unsigned b = 0; b < 256; ++b) {
        for (unsigned k = 1; k < 8; ++k) {
            uint64_t prev = s_table[k - 1][b];
            s_table[k][b] = (prev >> 8) ^ s_table[0][prev & 0xffu];
        }
    }
    s_k128 = s_fold_constants(128);
    s_k512 = s_fold_constants(512);
    s_k1024 = s_fold_constants(1024);
    s_k4096 = s_fold_constants(4096);
    s_available[S3X__CRC64_PORTABLE] = true;
#if S_HAVE_X86
    __builtin_cpu_init();
    s_available[S3X__CRC64_PCLMUL] = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    s_available[S3X__CRC64_AVX512] = s_available[S3X__CRC64_PCLMUL] && __builtin_cpu_supports("avx512f") &&
                                     __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq");
#endif
    s_best = s_available[S3X__CRC64_AVX512]   ? S3X__CRC64_AVX512
             : s_available[S3X__CRC64_PCLMUL] ? S3X__CRC64_PCLMUL
                                              : S3X__CRC64_PORTABLE;
    S3X_LOG_DEBUGF("checksum", "crc64nvme: using the %s path", s3x__crc64nvme_path_name(s_best));
}

static void s_init(void) {
    pthread_once(&s_once, s_init_once);
}

static inline uint64_t s_load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Slicing-by-8. Requires s_init() to have run. */
static uint64_t s_raw_table(uint64_t crc, const uint8_t *p, size_t len) {
    while (len >= 8) {
        uint64_t v = crc ^ s_load_le64(p);
        crc = s_table[7][v & 0xffu] ^ s_table[6][(v >> 8) & 0xffu] ^ s_table[5][(v >> 16) & 0xffu] ^
              s_table[4][(v >> 24) & 0xffu] ^ s_table[3][(v >> 32) & 0xffu] ^ s_table[2][(v >> 40) & 0xffu] ^
              s_table[1][(v >> 48) & 0xffu] ^ s_table[0][v >> 56];
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        crc = s_table[0][(crc ^ *p) & 0xffu] ^ (crc >> 8);
        ++p;
        --len;
    }
    return crc;
}

#if S_HAVE_X86

#    define S_TARGET_PCLMUL __attribute__((target("pclmul,sse4.1")))
#    define S_TARGET_AVX512 __attribute__((target("pclmul,sse4.1,avx512f,avx512vl,vpclmulqdq")))

S_TARGET_PCLMUL static inline __m128i s_k128i(struct s_constants k) {
    return _mm_set_epi64x((long long)k.high, (long long)k.low);
}

/* X' = clmul(low(X), low(k)) ^ clmul(high(X), high(k)) ^ data */
S_TARGET_PCLMUL static inline __m128i s_fold(__m128i x, __m128i k, __m128i data) {
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), data);
}

S_TARGET_PCLMUL static inline __m128i s_load128(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Folds the remaining whole 16-byte blocks into acc, reduces it to a register value and runs the
 * table over the tail. */
S_TARGET_PCLMUL static uint64_t s_finish(__m128i acc, const uint8_t *p, size_t len) {
    const __m128i k128 = s_k128i(s_k128);
    while (len >= 16) {
        acc = s_fold(acc, k128, s_load128(p));
        p += 16;
        len -= 16;
    }
    uint8_t last[16];
    _mm_storeu_si128((__m128i *)(void *)last, acc);
    return s_raw_table(s_raw_table(0, last, sizeof(last)), p, len);
}

/* len >= 128. */
S_TARGET_PCLMUL static uint64_t s_raw_pclmul(uint64_t raw, const uint8_t *p, size_t len) {
    const __m128i k1024 = s_k128i(s_k1024);
    const __m128i k128 = s_k128i(s_k128);
    /* Eight named lanes, not an array: they must live in registers across the loop. */
    __m128i x0 = _mm_xor_si128(s_load128(p), _mm_cvtsi64_si128((long long)raw));
    __m128i x1 = s_load128(p + 16), x2 = s_load128(p + 32), x3 = s_load128(p + 48);
    __m128i x4 = s_load128(p + 64), x5 = s_load128(p + 80), x6 = s_load128(p + 96), x7 = s_load128(p + 112);
    p += 128;
    len -= 128;
    while (len >= 128) {
        x0 = s_fold(x0, k1024, s_load128(p));
        x1 = s_fold(x1, k1024, s_load128(p + 16));
        x2 = s_fold(x2, k1024, s_load128(p + 32));
        x3 = s_fold(x3, k1024, s_load128(p + 48));
        x4 = s_fold(x4, k1024, s_load128(p + 64));
        x5 = s_fold(x5, k1024, s_load128(p + 80));
        x6 = s_fold(x6, k1024, s_load128(p + 96));
        x7 = s_fold(x7, k1024, s_load128(p + 112));
        p += 128;
        len -= 128;
    }
    __m128i acc = s_fold(x0, k128, x1);
    acc = s_fold(acc, k128, x2);
    acc = s_fold(acc, k128, x3);
    acc = s_fold(acc, k128, x4);
    acc = s_fold(acc, k128, x5);
    acc = s_fold(acc, k128, x6);
    acc = s_fold(acc, k128, x7);
    return s_finish(acc, p, len);
}

S_TARGET_AVX512 static inline __m512i s_k512i(struct s_constants k) {
    return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k.high, (long long)k.low));
}

/* The four lanes of x, each folded, XORed (0x96: a ^ b ^ c) into data. */
S_TARGET_AVX512 static inline __m512i s_fold4(__m512i x, __m512i k, __m512i data) {
    __m512i lo = _mm512_clmulepi64_epi128(x, k, 0x00);
    __m512i hi = _mm512_clmulepi64_epi128(x, k, 0x11);
    return _mm512_ternarylogic_epi64(lo, hi, data, 0x96);
}

S_TARGET_AVX512 static inline __m512i s_load512(const uint8_t *p) {
    return _mm512_loadu_si512((const void *)p);
}

/* len >= 512. */
S_TARGET_AVX512 static uint64_t s_raw_avx512(uint64_t raw, const uint8_t *p, size_t len) {
    const __m512i k4096 = s_k512i(s_k4096);
    const __m512i k512 = s_k512i(s_k512);
    __m512i z0 = _mm512_xor_si512(s_load512(p), _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)raw));
    __m512i z1 = s_load512(p + 64), z2 = s_load512(p + 128), z3 = s_load512(p + 192);
    __m512i z4 = s_load512(p + 256), z5 = s_load512(p + 320), z6 = s_load512(p + 384), z7 = s_load512(p + 448);
    p += 512;
    len -= 512;
    while (len >= 512) {
        z0 = s_fold4(z0, k4096, s_load512(p));
        z1 = s_fold4(z1, k4096, s_load512(p + 64));
        z2 = s_fold4(z2, k4096, s_load512(p + 128));
        z3 = s_fold4(z3, k4096, s_load512(p + 192));
        z4 = s_fold4(z4, k4096, s_load512(p + 256));
        z5 = s_fold4(z5, k4096, s_load512(p + 320));
        z6 = s_fold4(z6, k4096, s_load512(p + 384));
        z7 = s_fold4(z7, k4096, s_load512(p + 448));
        p += 512;
        len -= 512;
    }
    __m512i acc = s_fold4(z0, k512, z1);
    acc = s_fold4(acc, k512, z2);
    acc = s_fold4(acc, k512, z3);
    acc = s_fold4(acc, k512, z4);
    acc = s_fold4(acc, k512, z5);
    acc = s_fold4(acc, k512, z6);
    acc = s_fold4(acc, k512, z7);
    while (len >= 64) {
        acc = s_fold4(acc, k512, s_load512(p));
        p += 64;
        len -= 64;
    }
    const __m128i k128 = s_k128i(s_k128);
    __m128i x = s_fold(_mm512_extracti32x4_epi32(acc, 0), k128, _mm512_extracti32x4_epi32(acc, 1));
    x = s_fold(x, k128, _mm512_extracti32x4_epi32(acc, 2));
    x = s_fold(x, k128, _mm512_extracti32x4_epi32(acc, 3));
    return s_finish(x, p, len);
}

#endif /* S_HAVE_X86 */

/* Requires s_init(); `path` must be available. Each path takes over from its first whole block:
 * measured here in GB/s (hot cache, bytes per call: portable / pclmul / avx512)
 *     64: 1.9 / -    / -      128: 1.9 / 5.4 / -      512: 2.0 / 11.4 / 16.8
 *   1024: 2.0 / 7.7 / 30.5   4096: 2.0 / 8.0 / 49.7
 * so shorter inputs fall to the next path down with no separate threshold. */
static uint64_t s_raw_dispatch(enum s3x__crc64_path path, uint64_t raw, const uint8_t *data, size_t len) {
#if S_HAVE_X86
    if (path == S3X__CRC64_AVX512 && len >= 512) {
        return s_raw_avx512(raw, data, len);
    }
    if (path != S3X__CRC64_PORTABLE && len >= 128) {
        return s_raw_pclmul(raw, data, len);
    }
#else
    S3X_UNUSED(path);
#endif
    return len == 0 ? raw : s_raw_table(raw, data, len);
}

bool s3x__crc64nvme_path_available(enum s3x__crc64_path path) {
    s_init();
    unsigned i = (unsigned)path;
    return i < S3X__CRC64_PATH_COUNT && s_available[i];
}

const char *s3x__crc64nvme_path_name(enum s3x__crc64_path path) {
    switch (path) {
    case S3X__CRC64_PORTABLE:
        return "portable";
    case S3X__CRC64_PCLMUL:
        return "pclmul";
    case S3X__CRC64_AVX512:
        return "avx512";
    }
    return NULL;
}

enum s3x__crc64_path s3x__crc64nvme_best_path(void) {
    s_init();
    return s_best;
}

uint64_t s3x__crc64nvme_raw(enum s3x__crc64_path path, uint64_t raw, const uint8_t *data, size_t len) {
    if (!s3x__crc64nvme_path_available(path)) {
        path = S3X__CRC64_PORTABLE;
    }
    return s_raw_dispatch(path, raw, data, len);
}

uint64_t s3x_crc64nvme(uint64_t crc, const void *data, size_t len) {
    if (len == 0) {
        return crc;
    }
    s_init();
    return ~s_raw_dispatch(s_best, ~crc, data, len);
}

uint64_t s3x_crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b) {
    return s3x__crc_combine(crc_a, crc_b, len_b, S3X__CRC64NVME_POLY_REFLECTED, 64);
}
