/* A probe of the data path under s3xfer: ranged GETs on one thread with one libcurl multi handle,
 * the way s3xfer's event thread drives them, with and without the copy into part buffers.
 *
 * What it owns: N easy handles on one multi handle, each fetching the next part-sized range of
 * one object when its previous one is done; N part buffers of part size (one per connection,
 * reused, like a pool that never waits). It answers "what would the event thread do without the
 * memcpy libcurl's write callback forces on us?" and "does CURLOPT_BUFFERSIZE change it?".
 *
 *   bench_curl_multi http://127.0.0.1/bench/big 2147483648 --connections 16 --copy
 *   bench_curl_multi ... --no-copy           (the write callback discards: libcurl's ceiling)
 *   bench_curl_multi ... --copy --buffer-size 524288 --prefault
 * --prefault touches the part buffers before the clock starts (no first-touch page faults in the
 * measurement); without it they are faulted in during the first parts, as in s3xfer.
 * Output: `name value` lines as bench_transfer (bytes, seconds, mb_per_s, cpu_s, cpu_s_per_gib,
 * peak_rss_mib). Example: 2 GiB, 16 connections, 8 MiB parts = 256 ranged GETs.
 * Invariants: every range must arrive whole (exact length), else exit status 1.
 */
#include <curl/curl.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct conn {
    CURL *easy;
    unsigned char *buf;
    size_t filled;
    size_t want;
    int copy;
    int overflow;
};

static double s_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t s_write(char *data, size_t size, size_t nmemb, void *user) {
    struct conn *c = user;
    size_t n = size * nmemb;
    if (c->filled + n > c->want) {
        c->overflow = 1;
        return 0;
    }
    if (c->copy) {
        memcpy(c->buf + c->filled, data, n);
    }
    c->filled += n;
    return n;
}

static int s_next(struct conn *c, const char *url, uint64_t *next, uint64_t size, uint64_t part) {
    if (*next >= size) {
        return 0;
    }
    uint64_t a = *next;
    uint64_t b = a + part > size ? size : a + part;
    *next = b;
    char range[64];
    snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, a, b - 1);
    c->filled = 0;
    c->want = (size_t)(b - a);
    curl_easy_setopt(c->easy, CURLOPT_URL, url);
    curl_easy_setopt(c->easy, CURLOPT_RANGE, range);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_curl_multi URL SIZE [--connections N] [--part-size BYTES] [--copy|--no-copy]\n"
                        "         [--buffer-size BYTES] [--prefault]\n");
        return 2;
    }
    const char *url = argv[1];
    uint64_t size = strtoull(argv[2], NULL, 10);
    unsigned n = 16;
    uint64_t part = 8u << 20;
    long bufsize = 0;
    int copy = 1;
    int prefault = 0;
    for (int i = 3; i < argc; ++i) {
        if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc) {
            n = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--part-size") == 0 && i + 1 < argc) {
            part = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--buffer-size") == 0 && i + 1 < argc) {
            bufsize = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--copy") == 0) {
            copy = 1;
        } else if (strcmp(argv[i], "--no-copy") == 0) {
            copy = 0;
        } else if (strcmp(argv[i], "--prefault") == 0) {
            prefault = 1;
        } else {
            fprintf(stderr, "bench_curl_multi: bad option %s\n", argv[i]);
            return 2;
        }
    }
    if (n == 0 || part == 0 || size == 0) {
        fprintf(stderr, "bench_curl_multi: sizes and counts must be > 0\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct conn *conns = calloc(n, sizeof(*conns));
    if (conns == NULL) {
        return 1;
    }
    for (unsigned i = 0; i < n; ++i) {
        conns[i].copy = copy;
        if (copy && posix_memalign((void **)&conns[i].buf, 4096, (size_t)part) != 0) {
            return 1;
        }
        if (copy && prefault) {
            memset(conns[i].buf, 0, (size_t)part);
        }
    }
    double t0 = s_now();
    CURLM *multi = curl_multi_init();
    uint64_t next = 0;
    uint64_t bytes = 0;
    int failed = 0;
    int running = 0;
    for (unsigned i = 0; i < n; ++i) {
        struct conn *c = &conns[i];
        c->easy = curl_easy_init();
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, s_write);
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
        if (bufsize > 0) {
            curl_easy_setopt(c->easy, CURLOPT_BUFFERSIZE, bufsize);
        }
        if (s_next(c, url, &next, size, part)) {
            curl_multi_add_handle(multi, c->easy);
        }
    }
    do {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            struct conn *c = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            long code = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (m->data.result != CURLE_OK || code != 206 || c->filled != c->want || c->overflow) {
                fprintf(stderr, "bench_curl_multi: range failed (curl %d, http %ld, %zu of %zu bytes)\n",
                    (int)m->data.result, code, c->filled, c->want);
                failed = 1;
            }
            bytes += c->filled;
            curl_multi_remove_handle(multi, c->easy);
            if (!failed && s_next(c, url, &next, size, part)) {
                curl_multi_add_handle(multi, c->easy);
                running++;
            }
        }
        if (running > 0) {
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
        }
    } while (running > 0 && !failed);
    double seconds = s_now() - t0;
    for (unsigned i = 0; i < n; ++i) {
        curl_easy_cleanup(conns[i].easy);
        free(conns[i].buf);
    }
    curl_multi_cleanup(multi);
    free(conns);
    curl_global_cleanup();
    if (failed || bytes != size) {
        fprintf(stderr, "bench_curl_multi: %" PRIu64 " of %" PRIu64 " bytes\n", bytes, size);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec * 1e-6;
    printf("bytes %" PRIu64 "\n", bytes);
    printf("seconds %.4f\n", seconds);
    printf("mb_per_s %.1f\n", (double)bytes / seconds / 1e6);
    printf("cpu_s %.3f\n", cpu);
    printf("cpu_s_per_gib %.3f\n", cpu / ((double)bytes / (double)(1u << 30)));
    printf("peak_rss_mib %.1f\n", (double)ru.ru_maxrss / 1024.0);
    return 0;
}
