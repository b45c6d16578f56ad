/* Checksum throughput: every algorithm over one 64 MiB buffer, through the same incremental API
 * the transfers use, plus each CRC-64/NVME path on its own (portable, pclmul, avx512).
 *
 *   bench_checksums [buffer_mib] [min_seconds_per_algorithm]
 *
 * Prints one `name value` line per algorithm, value in GB/s (10^9 bytes per second), the best of
 * the repetitions (at least 3, and at least min_seconds, default 0.5). `crc64nvme` is what the
 * library uses (the fastest path this CPU has); `crc64nvme_<path>` lines time each path this CPU
 * can run on its own. Which path the dispatcher picked goes to stderr.
 */
#include <s3xfer/checksum.h>
#include <s3xfer/error.h>

#include "s3/checksums.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double s_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t s_sink; /* keeps the results alive */

/* One pass over the buffer; returns 0 or an error. */
static int s_pass(enum s3x_checksum_algorithm alg, int crc64_path, const uint8_t *buf, size_t len) {
    if (crc64_path >= 0) {
        s_sink ^= s3x__crc64nvme_raw((enum s3x__crc64_path)crc64_path, ~UINT64_C(0), buf, len);
        return 0;
    }
    struct s3x_checksum_state st;
    int rc = s3x_checksum_init(&st, alg);
    if (rc == 0) {
        rc = s3x_checksum_update(&st, buf, len);
    }
    uint8_t out[S3X_CHECKSUM_MAX_DIGEST_SIZE];
    size_t out_len = 0;
    if (rc == 0) {
        rc = s3x_checksum_final(&st, out, &out_len);
    }
    s3x_checksum_clean_up(&st);
    s_sink ^= out_len > 0 ? out[0] : 0;
    return rc;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    double min_seconds = argc > 2 ? strtod(argv[2], NULL) : 0.5;
    if (mib == 0 || mib > 4096 || !(min_seconds >= 0.0)) {
        fprintf(stderr, "usage: %s [buffer_mib 1..4096] [min_seconds]\n", argv[0]);
        return 2;
    }
    size_t len = mib << 20;
    uint8_t *buf = malloc(len);
    if (buf == NULL) {
        fprintf(stderr, "cannot allocate %zu MiB\n", mib);
        return 1;
    }
    uint64_t x = 0x243F6A8885A308D3u;
    for (size_t i = 0; i < len; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    fprintf(stderr, "# crc64nvme uses the %s path; buffer %zu MiB\n",
        s3x__crc64nvme_path_name(s3x__crc64nvme_best_path()), mib);

    static const struct {
        const char *name;
        enum s3x_checksum_algorithm alg;
        int crc64_path; /* -1: the algorithm through the state API; else that CRC-64 path only */
    } runs[] = {
        {"crc32c", S3X_CHECKSUM_CRC32C, -1},
        {"crc32", S3X_CHECKSUM_CRC32, -1},
        {"crc64nvme", S3X_CHECKSUM_CRC64NVME, -1},
        {"crc64nvme_avx512", S3X_CHECKSUM_CRC64NVME, S3X__CRC64_AVX512},
        {"crc64nvme_pclmul", S3X_CHECKSUM_CRC64NVME, S3X__CRC64_PCLMUL},
        {"crc64nvme_portable", S3X_CHECKSUM_CRC64NVME, S3X__CRC64_PORTABLE},
        {"sha1", S3X_CHECKSUM_SHA1, -1},
        {"sha256", S3X_CHECKSUM_SHA256, -1},
    };
    int status = 0;
    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); ++r) {
        if (runs[r].crc64_path >= 0 && !s3x__crc64nvme_path_available((enum s3x__crc64_path)runs[r].crc64_path)) {
            continue; /* this CPU cannot run it */
        }
        int rc = s_pass(runs[r].alg, runs[r].crc64_path, buf, len); /* warm-up: page faults, tables */
        double best = 1e30, start = s_now();
        for (int rep = 0; rc == 0 && (rep < 3 || s_now() - start < min_seconds); ++rep) {
            double t0 = s_now();
            rc = s_pass(runs[r].alg, runs[r].crc64_path, buf, len);
            double t = s_now() - t0;
            best = t < best ? t : best;
        }
        if (rc != 0) {
            fprintf(stderr, "%s failed: %s\n", runs[r].name, s3x_error_name(rc));
            status = 1;
            continue;
        }
        printf("%s %.2f\n", runs[r].name, (double)len / best / 1e9);
        fflush(stdout);
    }
    free(buf);
    return status;
}
