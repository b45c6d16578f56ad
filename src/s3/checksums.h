/* Private to the checksum code (src/s3/checksums.c, src/s3/crc64nvme.c) and its tests and bench.
 * The public API is include/s3xfer/checksum.h. */
#ifndef S3XFER_SRC_S3_CHECKSUMS_H
#define S3XFER_SRC_S3_CHECKSUMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reflected polynomials (bit 0 is the coefficient of x^(width-1), the top bit that of x^0, x^width
 * implied), as every reflected CRC implementation writes them. */
#define S3X__CRC32_POLY_REFLECTED 0xEDB88320u
#define S3X__CRC32C_POLY_REFLECTED 0x82F63B78u
#define S3X__CRC64NVME_POLY_REFLECTED UINT64_C(0x9A6C9329AC4BC9B5) /* 0xAD93D23594C93659 reversed */

/* --- GF(2) arithmetic modulo a CRC polynomial, in the reflected representation above.
 * width is 32 or 64; operands and results are below 2^width. */

/* a * b mod P. */
uint64_t s3x__crc_mul_mod(uint64_t a, uint64_t b, uint64_t poly_reflected, unsigned width);
/* x^n mod P, by square-and-multiply: O(log n) multiplications. */
uint64_t s3x__crc_x_pow_mod(uint64_t n, uint64_t poly_reflected, unsigned width);
/* x^(8 * len_bytes) mod P, for any len_bytes (the exponent may exceed 64 bits). */
uint64_t s3x__crc_x_pow_8n_mod(uint64_t len_bytes, uint64_t poly_reflected, unsigned width);
/* crc(A||B) for a CRC whose init and xorout are both all ones (CRC32, CRC32C, CRC64NVME). */
uint64_t s3x__crc_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b, uint64_t poly_reflected, unsigned width);

/* --- CRC-64/NVME implementations. `raw` is the shift register: no initial or final inversion
 * (s3x_crc64nvme(crc, ...) == ~s3x__crc64nvme_raw(path, ~crc, ...)). */

enum s3x__crc64_path {
    S3X__CRC64_PORTABLE = 0, /* table-driven, slicing-by-8; any CPU */
    S3X__CRC64_PCLMUL = 1,   /* 128-bit carry-less folding: x86-64 with PCLMULQDQ and SSE4.1 */
    S3X__CRC64_AVX512 = 2,   /* 512-bit folding: AVX-512F/VL and VPCLMULQDQ */
};
#define S3X__CRC64_PATH_COUNT 3

/* Whether this build and this CPU can run `path`. */
bool s3x__crc64nvme_path_available(enum s3x__crc64_path path);
/* "portable", "pclmul", "avx512"; NULL outside the enum. */
const char *s3x__crc64nvme_path_name(enum s3x__crc64_path path);
/* The fastest available path: the one s3x_crc64nvme uses for large inputs. */
enum s3x__crc64_path s3x__crc64nvme_best_path(void);
/* Runs `path` over the input. An input shorter than the path's first block (pclmul: 128 bytes,
 * avx512: 512) goes to the next path down, as does its tail; an unavailable path runs the
 * portable one. */
uint64_t s3x__crc64nvme_raw(enum s3x__crc64_path path, uint64_t raw, const uint8_t *data, size_t len);

#endif
