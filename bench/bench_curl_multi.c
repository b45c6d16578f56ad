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
 *   bench_curl_multi ... --nt-copy           (the copy with non-temporal stores)
 *   bench_curl_multi ... --threads 2         (two loops, 8 connections each: sharded event threads)
 * --prefault touches the part buffers before the clock starts (no first-touch page faults in the
 * measurement); without it they are faulted in during the first parts, as in s3xfer. With
 * --threads T the connections are split over T threads, each with its own multi handle, taking
 * the next range from one shared counter.
 * Output: `name value` lines as bench_transfer (bytes, seconds, mb_per_s, cpu_s, cpu_s_per_gib,
 * peak_rss_mib). Example: 2 GiB, 16 connections, 8 MiB parts = 256 ranged GETs.
 * Invariants: every range must arrive whole (exact length), else exit status 1.
 */
#include <curl/curl.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

struct conn {
    CURL *easy;
    unsigned char *buf;
    size_t filled;
    size_t want;
    int copy; /* 0: discard, 1: memcpy, 2: non-temporal stores */
    int overflow;
};

/* Copies with streaming (non-temporal) stores: the destination lines are written without being
 * read first and do not displace libcurl's receive buffer from the cache. */
static void s_copy_nt(unsigned char *dst, const unsigned char *src, size_t n) {
#if defined(__SSE2__)
    size_t head = (16u - ((uintptr_t)dst & 15u)) & 15u;
    if (head > n) {
        head = n;
    }
    memcpy(dst, src, head);
    dst += head;
    src += head;
    n -= head;
    for (; n >= 64; n -= 64, dst += 64, src += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + 48));
        _mm_stream_si128((__m128i *)(void *)dst, a);
        _mm_stream_si128((__m128i *)(void *)(dst + 16), b);
        _mm_stream_si128((__m128i *)(void *)(dst + 32), c);
        _mm_stream_si128((__m128i *)(void *)(dst + 48), d);
    }
    _mm_sfence();
#endif
    memcpy(dst, src, n);
}

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
    if (c->copy == 1) {
        memcpy(c->buf + c->filled, data, n);
    } else if (c->copy == 2) {
        s_copy_nt(c->buf + c->filled, (const unsigned char *)data, n);
    }
    c->filled += n;
    return n;
}

/* Claims the next range of the object for `c`; 0 when none is left. */
static int s_next(struct conn *c, const char *url, _Atomic uint64_t *next, uint64_t size, uint64_t part) {
    uint64_t a = atomic_fetch_add(next, part);
    if (a >= size) {
        return 0;
    }
    uint64_t b = a + part > size ? size : a + part;
    char range[64];
    snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, a, b - 1);
    c->filled = 0;
    c->want = (size_t)(b - a);
    curl_easy_setopt(c->easy, CURLOPT_URL, url);
    curl_easy_setopt(c->easy, CURLOPT_RANGE, range);
    return 1;
}

/* One event loop: a multi handle and its connections, like s3xfer's event thread. */
struct loop {
    pthread_t thread;
    struct conn *conns;
    unsigned n;
    long bufsize;
    const char *url;
    uint64_t size;
    uint64_t part;
    _Atomic uint64_t *next;
    uint64_t bytes;
    int failed;
};

static void s_finish(struct loop *l, CURLM *multi, CURLMsg *m, int *running) {
    struct conn *c = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
    long code = 0;
    curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
    if (m->data.result != CURLE_OK || code != 206 || c->filled != c->want || c->overflow) {
        fprintf(stderr, "bench_curl_multi: range failed (curl %d, http %ld, %zu of %zu bytes)\n",
            (int)m->data.result, code, c->filled, c->want);
        l->failed = 1;
    }
    l->bytes += c->filled;
    curl_multi_remove_handle(multi, c->easy);
    if (!l->failed && s_next(c, l->url, l->next, l->size, l->part)) {
        curl_multi_add_handle(multi, c->easy);
        (*running)++;
    }
}

static void *s_loop(void *arg) {
    struct loop *l = arg;
    CURLM *multi = curl_multi_init();
    int running = 0;
    for (unsigned i = 0; i < l->n; ++i) {
        struct conn *c = &l->conns[i];
        c->easy = curl_easy_init();
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, s_write);
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
        if (l->bufsize > 0) {
            curl_easy_setopt(c->easy, CURLOPT_BUFFERSIZE, l->bufsize);
        }
        if (s_next(c, l->url, l->next, l->size, l->part)) {
            curl_multi_add_handle(multi, c->easy);
        }
    }
    do {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg == CURLMSG_DONE) {
                s_finish(l, multi, m, &running);
            }
        }
        if (running > 0) {
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
        }
    } while (running > 0 && !l->failed);
    for (unsigned i = 0; i < l->n; ++i) {
        curl_easy_cleanup(l->conns[i].easy);
    }
    curl_multi_cleanup(multi);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_curl_multi URL SIZE [--connections N] [--part-size BYTES]\n"
                        "         [--copy|--nt-copy|--no-copy] [--buffer-size BYTES] [--prefault] [--threads T]\n");
        return 2;
    }
    const char *url = argv[1];
    uint64_t size = strtoull(argv[2], NULL, 10);
    unsigned n = 16;
    unsigned threads = 1;
    uint64_t part = 8u << 20;
    long bufsize = 0;
    int copy = 1;
    int prefault = 0;
    for (int i = 3; i < argc; ++i) {
        if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc) {
            n = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--part-size") == 0 && i + 1 < argc) {
            part = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--buffer-size") == 0 && i + 1 < argc) {
            bufsize = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--copy") == 0) {
            copy = 1;
        } else if (strcmp(argv[i], "--nt-copy") == 0) {
            copy = 2;
        } else if (strcmp(argv[i], "--no-copy") == 0) {
            copy = 0;
        } else if (strcmp(argv[i], "--prefault") == 0) {
            prefault = 1;
        } else {
            fprintf(stderr, "bench_curl_multi: bad option %s\n", argv[i]);
            return 2;
        }
    }
    if (n == 0 || part == 0 || size == 0 || threads == 0 || threads > n) {
        fprintf(stderr, "bench_curl_multi: sizes and counts must be > 0, threads <= connections\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct conn *conns = calloc(n, sizeof(*conns));
    struct loop *loops = calloc(threads, sizeof(*loops));
    if (conns == NULL || loops == NULL) {
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
    _Atomic uint64_t next = 0;
    double t0 = s_now();
    for (unsigned t = 0, first = 0; t < threads; ++t) {
        unsigned count = n / threads + (t < n % threads ? 1u : 0u);
        loops[t] = (struct loop){.conns = conns + first, .n = count, .bufsize = bufsize, .url = url, .size = size,
            .part = part, .next = &next};
        first += count;
        if (threads > 1 && pthread_create(&loops[t].thread, NULL, s_loop, &loops[t]) != 0) {
            return 1;
        }
    }
    if (threads == 1) {
        s_loop(&loops[0]);
    }
    uint64_t bytes = 0;
    int failed = 0;
    for (unsigned t = 0; t < threads; ++t) {
        if (threads > 1) {
            pthread_join(loops[t].thread, NULL);
        }
        bytes += loops[t].bytes;
        failed |= loops[t].failed;
    }
    double seconds = s_now() - t0;
    for (unsigned i = 0; i < n; ++i) {
        free(conns[i].buf);
    }
    free(conns);
    free(loops);
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
