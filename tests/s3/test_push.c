/* Pushed-write uploads (S3X_TRANSFER_PUSH) against the S3 test server: sizes and part boundaries,
 * many streams written in an order the client does not control under a small memory limit (no
 * deadlock, limit never exceeded, data intact), admission that waits or fails fast, cancel while a
 * write or the admission is pending, failures while the application writes, misuse, too many
 * parts, and a fail-the-Nth sweep. Every test runs with the harness's tracking allocator. */
#include "s3_test_util.h"

#include "s3/client_impl.h"
#include "s3/put_impl.h"
#include "s3/responses.h"

#include <s3xfer/error.h>
#include <s3xfer/pool.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PART ((uint64_t)5 * 1024 * 1024)
#define KIB ((uint64_t)1024)
#define MIB ((uint64_t)1024 * 1024)
/* Bounded waits: a hang fails the test instead of blocking it. */
#define WAIT_MS 120000u

struct s_env {
    struct s3x_allocator *a;
    struct s3x_client *client;
    char bucket[64];
};

static void s_env_init(struct s_env *e, void **state, uint64_t memory_limit) {
    memset(e, 0, sizeof(*e));
    e->a = s3x_test_allocator(state);
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.part_size_bytes = PART;
    opt.memory_limit_bytes = memory_limit;
    e->client = s3x_test_client_new(e->a, &opt);
    s3x_test_create_bucket(e->client, e->bucket, sizeof(e->bucket));
}

static void s_pool_stats(struct s_env *e, struct s3x_pool_stats *st) {
    memset(st, 0, sizeof(*st));
    st->struct_size = sizeof(*st);
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e->client), st), 0);
}

/* Nothing held, nothing pending, the limit never exceeded. */
static void s_env_clean_up(struct s_env *e, uint64_t limit) {
    struct s3x_pool_stats st;
    s_pool_stats(e, &st);
    assert_int_equal(st.live_tickets, 0);
    assert_int_equal(st.pending_count, 0);
    if (limit != 0) {
        assert_true(st.peak_allocated_bytes <= limit);
    }
    e->client = s3x_client_release(e->client);
}

/* --- one stream ------------------------------------------------------------------------------ */

struct s_stream {
    struct s3x_transfer *t;
    char key[48];
    uint64_t size;
    uint32_t seed;
    uint64_t written;
    bool eof_sent;
    struct s3x_future *pending;
    uint8_t *chunk; /* the bytes of the write in flight: valid until its future completes */
    size_t chunk_cap;
    atomic_int done_calls;
    int done_error;
    uint64_t done_size;
    char etag[80];
};

static void s_on_done(struct s3x_transfer *t, const struct s3x_transfer_result *r, void *user) {
    (void)t;
    struct s_stream *s = user;
    s->done_error = r->error;
    s->done_size = r->object_size;
    snprintf(s->etag, sizeof(s->etag), "%s", r->etag);
    atomic_fetch_add(&s->done_calls, 1);
}

static int s_start(struct s_env *e, struct s_stream *s, const char *key, enum s3x_transfer_admission admission) {
    snprintf(s->key, sizeof(s->key), "%s", key);
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUSH;
    o.bucket = e->bucket;
    o.key = s->key;
    o.admission = admission;
    o.on_done = s_on_done;
    o.user_data = s;
    return s3x_transfer_start(e->client, &o, &s->t);
}

static void s_fill(uint8_t *buf, uint64_t offset, size_t len, uint32_t seed) {
    for (size_t i = 0; i < len; ++i) {
        buf[i] = s3x_test_pattern_byte(offset + i, seed);
    }
}

/* Waits for a future and returns its error (fails the test on a hang). */
static int s_wait(struct s3x_future *f) {
    assert_int_equal(s3x_future_wait(f, WAIT_MS), 0);
    int rc = s3x_future_error(f);
    s3x_future_release(f);
    return rc;
}

/* Writes `len` pattern bytes at the stream's position and waits for the write. */
static int s_write_sync(struct s_stream *s, size_t len, bool eof) {
    uint8_t *buf = len > 0 ? malloc(len) : NULL;
    assert_true(len == 0 || buf != NULL);
    s_fill(buf, s->written, len, s->seed);
    int rc = s_wait(s3x_transfer_write(s->t, buf, len, eof));
    free(buf);
    if (rc == 0) {
        s->written += len;
    }
    return rc;
}

/* Waits for the transfer; asserts on_done fired exactly once; returns its error. */
static int s_finish(struct s_stream *s) {
    assert_int_equal(s3x_transfer_wait(s->t, WAIT_MS), 0);
    assert_int_equal(atomic_load(&s->done_calls), 1);
    const struct s3x_transfer_result *r = s3x_transfer_result(s->t);
    assert_non_null(r);
    assert_int_equal(r->error, s->done_error);
    s->t = s3x_transfer_release(s->t);
    free(s->chunk);
    s->chunk = NULL;
    return s->done_error;
}

/* --- checking what arrived --------------------------------------------------------------------- */

struct s_sink {
    uint64_t next;
    uint32_t seed;
    int mismatches;
};

static int s_sink_write(struct s3x_transfer *t, const uint8_t *data, size_t len, uint64_t offset, void *user) {
    (void)t;
    struct s_sink *k = user;
    if (offset != k->next) {
        k->mismatches++;
    }
    for (size_t i = 0; i < len; ++i) {
        if (data[i] != s3x_test_pattern_byte(offset + i, k->seed)) {
            k->mismatches++;
            break;
        }
    }
    k->next = offset + len;
    return 0;
}

/* Downloads `key` and asserts it holds exactly `size` pattern bytes of `seed`. */
static void s_assert_object(struct s_env *e, const char *key, uint64_t size, uint32_t seed) {
    struct s_sink k = {.seed = seed};
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e->bucket;
    o.key = key;
    o.write = s_sink_write;
    o.user_data = &k;
    uint64_t got = 0;
    assert_int_equal(s3x_test_run_transfer(e->client, &o, &got), 0);
    assert_int_equal(got, size);
    assert_int_equal(k.next, size);
    assert_int_equal(k.mismatches, 0);
}

/* "abc-3" for a multipart upload of 3 parts, "abc" for one PutObject. */
static int s_etag_parts(const char *etag) {
    const char *dash = strrchr(etag, '-');
    return dash == NULL ? 0 : atoi(dash + 1);
}

/* --- sizes and part boundaries ----------------------------------------------------------------- */

/* Uploads `size` bytes in writes of `chunk` bytes (eof with the last one, or in a write of its own)
 * and checks the object, its ETag's part count and the metrics. */
static void s_round_trip(struct s_env *e, uint64_t size, size_t chunk, bool separate_eof, int parts) {
    struct s_stream s = {.size = size, .seed = (uint32_t)(size % 1000u) + (separate_eof ? 7u : 0u)};
    char key[48];
    snprintf(key, sizeof(key), "sizes/%llu-%d", (unsigned long long)size, (int)separate_eof);
    assert_int_equal(s_start(e, &s, key, S3X_TRANSFER_ADMISSION_WAIT), 0);
    while (s.written < size) {
        size_t n = (size_t)S3X_MIN((uint64_t)chunk, size - s.written);
        bool eof = !separate_eof && s.written + n == size;
        assert_int_equal(s_write_sync(&s, n, eof), 0);
    }
    if (separate_eof || size == 0) {
        assert_int_equal(s_write_sync(&s, 0, true), 0);
    }
    struct s3x_transfer *t = s3x_transfer_acquire(s.t);
    assert_int_equal(s_finish(&s), 0);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(t, &m);
    assert_int_equal(m.bytes_done, size);
    assert_int_equal(m.bytes_total, size);
    assert_true(m.peak_memory_bytes >= (size > 0 ? PART : 0) && m.peak_memory_bytes <= 10 * PART);
    s3x_transfer_release(t);
    assert_int_equal(s.done_size, size);
    assert_int_equal(s_etag_parts(s.etag), parts);
    s_assert_object(e, key, size, s.seed);
}

static void test_sizes_and_boundaries(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    s_round_trip(&e, 0, 65536, false, 0);               /* an empty object: one PutObject */
    s_round_trip(&e, 1, 65536, false, 0);
    s_round_trip(&e, 3 * MIB + 5, 65537, false, 0);     /* ends within the first part */
    s_round_trip(&e, PART, 65536, false, 0);            /* eof with the byte that fills part 1 */
    s_round_trip(&e, PART, 65536, true, 1);             /* part 1 already sent when eof comes */
    s_round_trip(&e, PART + 1, 1 * MIB, false, 2);
    s_round_trip(&e, 2 * PART + 3, 3 * MIB + 1, false, 3); /* writes that straddle parts */
    s_round_trip(&e, 2 * PART + 3, 12 * MIB, false, 3);    /* one write of several parts */
    s_env_clean_up(&e, 0);
}

/* --- many streams written last to first ---------------------------------------------------------- */

struct s_driver {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t fired;
};

static void s_on_write_done(struct s3x_future *f, void *user) {
    (void)f;
    struct s_driver *d = user;
    pthread_mutex_lock(&d->lock);
    d->fired++;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

/* Writes every stream's data in `chunk`-byte writes, visiting the streams from the last to the
 * first and giving each its next chunk as soon as its previous write completed, like an
 * application that feeds many uploads from its own event loop. Never blocks on one stream.
 * Returns the number of writes; every write's callback fired exactly once. */
static uint64_t s_drive(struct s_stream *streams, size_t n, size_t chunk) {
    struct s_driver d = {.fired = 0};
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    uint64_t issued = 0;
    uint64_t deadline = s3x_test_now_ms() + WAIT_MS;
    for (;;) {
        pthread_mutex_lock(&d.lock);
        uint64_t seen = d.fired;
        pthread_mutex_unlock(&d.lock);
        bool progress = false;
        bool all_done = true;
        for (size_t i = n; i-- > 0;) {
            struct s_stream *s = &streams[i];
            if (s->pending != NULL) {
                if (!s3x_future_is_done(s->pending)) {
                    all_done = false;
                    continue;
                }
                assert_int_equal(s3x_future_error(s->pending), 0);
                s->pending = s3x_future_release(s->pending);
            }
            if (s->eof_sent) {
                continue;
            }
            all_done = false;
            size_t len = (size_t)S3X_MIN((uint64_t)chunk, s->size - s->written);
            bool eof = s->written + len == s->size;
            if (s->chunk == NULL) {
                s->chunk_cap = chunk;
                s->chunk = malloc(chunk);
                assert_non_null(s->chunk);
            }
            s_fill(s->chunk, s->written, len, s->seed);
            s->pending = s3x_transfer_write(s->t, s->chunk, len, eof);
            assert_int_equal(s3x_future_on_done(s->pending, NULL, s_on_write_done, &d), 0);
            issued++;
            s->written += len;
            s->eof_sent = eof;
            progress = true;
        }
        if (all_done) {
            break;
        }
        if (!progress) {
            pthread_mutex_lock(&d.lock);
            while (d.fired == seen && s3x_test_now_ms() < deadline) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 50 * 1000 * 1000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&d.cond, &d.lock, &ts);
            }
            pthread_mutex_unlock(&d.lock);
            if (s3x_test_now_ms() >= deadline) {
                fail_msg("pushed writes made no progress for %u ms: deadlock", WAIT_MS);
            }
        }
    }
    pthread_mutex_lock(&d.lock);
    assert_int_equal(d.fired, issued); /* one callback per write */
    pthread_mutex_unlock(&d.lock);
    pthread_cond_destroy(&d.cond);
    pthread_mutex_destroy(&d.lock);
    return issued;
}

static void s_many_streams(void **state, size_t n, uint64_t limit_parts, uint64_t base_size, size_t chunk,
    int parts_each) {
    struct s_env e;
    s_env_init(&e, state, limit_parts * PART);
    struct s_stream *streams = calloc(n, sizeof(*streams));
    assert_non_null(streams);
    uint64_t start_ms = s3x_test_now_ms();
    for (size_t i = 0; i < n; ++i) {
        char key[48];
        snprintf(key, sizeof(key), "many/%zu", i);
        streams[i].size = base_size + i * 7;
        streams[i].seed = (uint32_t)i + 1000;
        assert_int_equal(s_start(&e, &streams[i], key, S3X_TRANSFER_ADMISSION_WAIT), 0);
    }
    /* Admission is in start order: the first limit_parts streams hold their buffer, the rest wait. */
    struct s3x_pool_stats st;
    s_pool_stats(&e, &st);
    assert_int_equal(st.live_tickets, S3X_MIN(n, limit_parts));
    assert_int_equal(st.pending_count, n > limit_parts ? n - limit_parts : 0);
    uint64_t writes = s_drive(streams, n, chunk);
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) {
        assert_int_equal(s_finish(&streams[i]), 0);
        assert_int_equal(streams[i].done_size, streams[i].size);
        assert_int_equal(s_etag_parts(streams[i].etag), parts_each);
        total += streams[i].size;
    }
    uint64_t upload_ms = s3x_test_now_ms() - start_ms;
    s_pool_stats(&e, &st);
    print_message("%zu streams, limit %llu parts: %llu writes, %.1f MiB in %llu ms, pool peak %.1f MiB "
                  "(limit %.1f MiB), %llu reservations waited\n",
        n, (unsigned long long)limit_parts, (unsigned long long)writes, (double)total / (double)MIB,
        (unsigned long long)upload_ms, (double)st.peak_allocated_bytes / (double)MIB,
        (double)(limit_parts * PART) / (double)MIB, (unsigned long long)st.waited_count);
    assert_true(st.peak_allocated_bytes <= limit_parts * PART);
    assert_true(st.waited_count >= (n > limit_parts ? n - limit_parts : 0));
    for (size_t i = 0; i < n; ++i) {
        s_assert_object(&e, streams[i].key, streams[i].size, streams[i].seed);
    }
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    free(streams);
    s_env_clean_up(&e, limit_parts * PART);
}

/* The acceptance test: 200 uploads opened at once under a limit of 16 parts, written last to first
 * in 64 KiB chunks. Each holds a 5 MiB guaranteed buffer for ~1 MiB of data (one PutObject). */
static void test_200_streams_last_to_first(void **state) {
    s_many_streams(state, 200, 16, MIB + 3, 64 * KIB, 0);
}

/* Multipart streams under a limit smaller than one buffer per stream: 6 streams of 3 parts, 4
 * parts of memory, 256 KiB writes last to first. */
static void test_multipart_streams_last_to_first(void **state) {
    s_many_streams(state, 6, 4, 2 * PART + 100 * KIB, 256 * KIB, 3);
}

/* One stream, a two-part limit, one 12 MiB write: the guaranteed buffer fills and uploads, the
 * second part goes into an extra buffer (the pool has it free), the rest waits for a buffer to
 * come back from an upload. */
static void test_extra_buffer_when_free(void **state) {
    struct s_env e;
    s_env_init(&e, state, 2 * PART);
    struct s_stream s = {.size = 12 * MIB, .seed = 5};
    assert_int_equal(s_start(&e, &s, "extra", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_write_sync(&s, (size_t)(12 * MIB), false), 0);
    assert_int_equal(s_write_sync(&s, 0, true), 0);
    struct s3x_transfer *t = s3x_transfer_acquire(s.t);
    assert_int_equal(s_finish(&s), 0);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(t, &m);
    assert_int_equal(m.peak_memory_bytes, 2 * PART); /* guaranteed + one extra, never more */
    assert_int_equal(m.parts_done, 3);
    s3x_transfer_release(t);
    assert_int_equal(s_etag_parts(s.etag), 3);
    s_assert_object(&e, "extra", 12 * MIB, 5);
    s_env_clean_up(&e, 2 * PART);
}

/* --- admission: waits, or fails fast --------------------------------------------------------- */

static void test_admission_waits_or_fails_fast(void **state) {
    enum { N = 8, LIMIT = 3 };
    struct s_env e;
    s_env_init(&e, state, LIMIT * PART);
    struct s_stream s[N];
    memset(s, 0, sizeof(s));
    struct s3x_future *f[N];
    uint8_t bytes[N][4];
    for (int i = 0; i < N; ++i) {
        char key[32];
        snprintf(key, sizeof(key), "adm/%d", i);
        s[i].size = 4;
        s[i].seed = (uint32_t)i + 50;
        assert_int_equal(s_start(&e, &s[i], key, S3X_TRANSFER_ADMISSION_WAIT), 0);
    }
    struct s3x_pool_stats st;
    s_pool_stats(&e, &st);
    assert_int_equal(st.live_tickets, LIMIT);
    assert_int_equal(st.pending_count, N - LIMIT);
    /* A fail-fast stream cannot be admitted now: start fails at once, on_done never fires. */
    struct s_stream ff = {.size = 1};
    assert_int_equal(s_start(&e, &ff, "adm/ff", S3X_TRANSFER_ADMISSION_FAIL_FAST), S3X_ERR_POOL_EXHAUSTED);
    assert_null(ff.t);
    assert_int_equal(atomic_load(&ff.done_calls), 0);
    /* An empty object needs no buffer: it completes while its admission is still pending, and
     * its reservation is withdrawn. */
    struct s_stream empty = {.size = 0};
    assert_int_equal(s_start(&e, &empty, "adm/empty", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_write_sync(&empty, 0, true), 0);
    assert_int_equal(s_finish(&empty), 0);
    s_pool_stats(&e, &st);
    assert_int_equal(st.live_tickets, LIMIT);
    assert_int_equal(st.pending_count, N - LIMIT);
    /* First bytes to every stream, last to first: the admitted ones take theirs at once. */
    for (int i = N - 1; i >= 0; --i) {
        s_fill(bytes[i], 0, 2, s[i].seed);
        f[i] = s3x_transfer_write(s[i].t, bytes[i], 2, false);
    }
    for (int i = 0; i < LIMIT; ++i) {
        assert_int_equal(s3x_future_wait(f[i], WAIT_MS), 0);
        assert_int_equal(s3x_future_error(f[i]), 0);
    }
    /* Nothing can admit the others until an admitted stream ends: their writes wait. */
    for (int i = LIMIT; i < N; ++i) {
        assert_false(s3x_future_is_done(f[i]));
    }
    /* End the streams in turns; each end admits exactly the next waiting stream, in start order. */
    for (int i = 0; i < N; ++i) {
        s_fill(bytes[i], 2, 2, s[i].seed);
        assert_int_equal(s_wait(s3x_transfer_write(s[i].t, bytes[i], 2, true)), 0);
        assert_int_equal(s_finish(&s[i]), 0);
        assert_int_equal(s_wait(f[i]), 0);
        int admitted = i + 1 + LIMIT; /* streams i+1 .. i+LIMIT hold a buffer now */
        if (admitted - 1 < N) {
            assert_int_equal(s3x_future_wait(f[admitted - 1], WAIT_MS), 0);
            assert_int_equal(s3x_future_error(f[admitted - 1]), 0);
        }
        for (int k = admitted; k < N; ++k) {
            assert_false(s3x_future_is_done(f[k]));
        }
    }
    for (int i = 0; i < N; ++i) {
        char key[32];
        snprintf(key, sizeof(key), "adm/%d", i);
        s_assert_object(&e, key, 4, s[i].seed);
    }
    s_assert_object(&e, "adm/empty", 0, 0); /* (a download needs memory: only now) */
    /* With memory free, a fail-fast stream is admitted. */
    assert_int_equal(s_start(&e, &ff, "adm/ff", S3X_TRANSFER_ADMISSION_FAIL_FAST), 0);
    ff.seed = 77;
    assert_int_equal(s_write_sync(&ff, 1, true), 0);
    assert_int_equal(s_finish(&ff), 0);
    s_assert_object(&e, "adm/ff", 1, 77);
    s_env_clean_up(&e, LIMIT * PART);
}

/* --- cancel ------------------------------------------------------------------------------------ */

static void test_cancel_while_admission_pending(void **state) {
    struct s_env e;
    s_env_init(&e, state, PART);
    struct s_stream a = {.size = 10, .seed = 1};
    struct s_stream b = {.size = 10, .seed = 2};
    struct s_stream c = {.size = 10, .seed = 3};
    assert_int_equal(s_start(&e, &a, "cancel/a", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_start(&e, &b, "cancel/b", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_start(&e, &c, "cancel/c", S3X_TRANSFER_ADMISSION_WAIT), 0);
    uint8_t buf[10];
    s_fill(buf, 0, sizeof(buf), 2);
    /* b waits for admission, with a write pending; c waits with none. */
    struct s3x_future *fb = s3x_transfer_write(b.t, buf, sizeof(buf), false);
    assert_false(s3x_future_is_done(fb));
    s3x_transfer_cancel(b.t);
    assert_int_equal(s_wait(fb), S3X_ERR_CANCELED);
    assert_int_equal(s_wait(s3x_transfer_write(b.t, buf, 1, false)), S3X_ERR_CANCELED);
    assert_int_equal(s_finish(&b), S3X_ERR_CANCELED);
    s3x_transfer_cancel(c.t);
    s3x_transfer_cancel(c.t); /* idempotent */
    assert_int_equal(s_finish(&c), S3X_ERR_CANCELED);
    struct s3x_pool_stats st;
    s_pool_stats(&e, &st);
    assert_int_equal(st.pending_count, 0); /* both reservations were withdrawn */
    assert_int_equal(st.cancelled_count, 2);
    /* a, admitted all along, is unaffected. */
    assert_int_equal(s_write_sync(&a, 10, true), 0);
    assert_int_equal(s_finish(&a), 0);
    s_assert_object(&e, "cancel/a", 10, 1);
    s_env_clean_up(&e, PART);
}

/* Cancelled before the start task ran: the reservation made by start goes back too. */
static void test_cancel_before_start(void **state) {
    struct s_env e;
    s_env_init(&e, state, PART);
    for (int i = 0; i < 20; ++i) {
        struct s_stream s = {.size = 1};
        assert_int_equal(s_start(&e, &s, "early", S3X_TRANSFER_ADMISSION_WAIT), 0);
        s3x_transfer_cancel(s.t);
        assert_int_equal(s_wait(s3x_transfer_write(s.t, "x", 1, true)), S3X_ERR_CANCELED);
        assert_int_equal(s3x_transfer_wait(s.t, WAIT_MS), 0);
        /* the guaranteed buffer is back before the application lets go of the transfer */
        struct s3x_pool_stats st;
        s_pool_stats(&e, &st);
        assert_int_equal(st.live_tickets, 0);
        assert_int_equal(st.pending_count, 0);
        assert_int_equal(s_finish(&s), S3X_ERR_CANCELED);
    }
    s_env_clean_up(&e, PART);
}

/* Streams cancelled at random moments while their writes are in flight (waiting for admission,
 * for a buffer, copying, or uploading): every write future and on_done completes exactly once,
 * with success or CANCELED; nothing is left: no multipart upload, no ticket, no byte. */
static void test_cancel_at_random_moments(void **state) {
    enum { ROUNDS = 6, N = 6 };
    struct s_env e;
    s_env_init(&e, state, 3 * PART);
    srand(4242);
    int cancelled = 0;
    int completed = 0;
    size_t len = (size_t)(PART + PART / 2);
    uint8_t *data = malloc(len);
    assert_non_null(data);
    s_fill(data, 0, len, 9);
    for (int r = 0; r < ROUNDS; ++r) {
        struct s_stream s[N];
        memset(s, 0, sizeof(s));
        struct s3x_future *f[N];
        for (int i = 0; i < N; ++i) {
            char key[32];
            snprintf(key, sizeof(key), "rnd/%d-%d", r, i);
            assert_int_equal(s_start(&e, &s[i], key, S3X_TRANSFER_ADMISSION_WAIT), 0);
            f[i] = s3x_transfer_write(s[i].t, data, len, (i % 2) == 0);
        }
        for (int i = N - 1; i >= 0; --i) {
            usleep((useconds_t)(rand() % (i % 3 == 0 ? 300000 : 40000)));
            s3x_transfer_cancel(s[i].t);
        }
        for (int i = 0; i < N; ++i) {
            int rc = s_wait(f[i]);
            assert_true(rc == 0 || rc == S3X_ERR_CANCELED);
            int done = s_finish(&s[i]);
            assert_true(done == 0 || done == S3X_ERR_CANCELED);
            if (done != 0 || (i % 2) != 0) {
                assert_true(done == S3X_ERR_CANCELED); /* without eof it can only be cancelled */
                ++cancelled;
            } else {
                ++completed;
            }
        }
    }
    free(data);
    print_message("%d streams cancelled, %d completed before the cancel\n", cancelled, completed);
    assert_true(cancelled >= ROUNDS * N / 2);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    s_env_clean_up(&e, 3 * PART);
}

/* --- failures while the application writes ----------------------------------------------------- */

/* The bucket does not exist: CreateMultipartUpload fails while a write waits for a buffer (limit
 * 1 part: the first part holds the only one). The pending write completes with the transfer's
 * error; later writes fail with it at once. */
static void test_failure_while_write_pending(void **state) {
    struct s_env e;
    s_env_init(&e, state, PART);
    snprintf(e.bucket, sizeof(e.bucket), "s3x-no-such-bucket-%d", (int)getpid());
    struct s_stream s = {.seed = 3};
    assert_int_equal(s_start(&e, &s, "k", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_write_sync(&s, (size_t)(PART + 64 * KIB), false), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_int_equal(s_write_sync(&s, 1, true), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_int_equal(s_finish(&s), S3X_ERR_S3_NO_SUCH_BUCKET);
    s_env_clean_up(&e, PART);
}

/* A synchronous S3 request for the test's own use. */
struct s_sync {
    atomic_int done;
    int error;
};

static void s_sync_done(struct s3x_s3_request *r, int error, const struct s3x_s3_error_info *info, void *user) {
    (void)r;
    (void)info;
    struct s_sync *s = user;
    s->error = error;
    atomic_store(&s->done, 1);
}

static struct s3x_s3_request *s_request(struct s_env *e, const char *method, const char *key,
    const struct s3x_query_param *query, size_t query_count, int *error) {
    struct s_sync sync = {0};
    struct s3x_s3_request_options o = {
        .method = method,
        .bucket = e->bucket,
        .key = key,
        .query = query,
        .query_count = query_count,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY},
        .on_done = s_sync_done,
        .user_data = &sync,
    };
    struct s3x_s3_request *req = NULL;
    assert_int_equal(s3x__s3_request_new(&e->client->s3, &o, &req), 0);
    assert_int_equal(s3x__s3_request_submit(req), 0);
    uint64_t deadline = s3x_test_now_ms() + 30000;
    while (!atomic_load(&sync.done) && s3x_test_now_ms() < deadline) {
        usleep(1000);
    }
    assert_true(atomic_load(&sync.done));
    *error = sync.error;
    return req;
}

/* Aborts every multipart upload in the bucket behind the client's back; returns how many. */
static size_t s_abort_uploads(struct s_env *e) {
    struct s3x_query_param list_q[1] = {{"uploads", NULL}};
    int error = 0;
    struct s3x_s3_request *req = s_request(e, "GET", NULL, list_q, 1, &error);
    assert_int_equal(error, 0);
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
    struct s3x_s3_list_multipart_uploads r;
    assert_int_equal(s3x__s3_list_multipart_uploads_parse(e->a, body, len, &r), 0);
    s3x__s3_request_release(req);
    for (size_t i = 0; i < r.uploads_count; ++i) {
        struct s3x_query_param q[1] = {{"uploadId", r.uploads[i].upload_id}};
        s3x__s3_request_release(s_request(e, "DELETE", r.uploads[i].key, q, 1, &error));
        assert_int_equal(error, 0);
    }
    size_t n = r.uploads_count;
    s3x__s3_list_multipart_uploads_clean_up(e->a, &r);
    return n;
}

/* An UploadPart fails while the application writes: the multipart upload is aborted behind the
 * client's back after part 1; part 2's upload fails (NoSuchUpload) while the next write waits for
 * its buffer, and that write completes with the transfer's error. */
static void test_part_upload_failure_while_writing(void **state) {
    struct s_env e;
    s_env_init(&e, state, PART);
    struct s_stream s = {.seed = 12};
    assert_int_equal(s_start(&e, &s, "doomed", S3X_TRANSFER_ADMISSION_WAIT), 0);
    /* Part 1 fills and uploads; the byte after it waits for part 1's buffer to come back. */
    assert_int_equal(s_write_sync(&s, (size_t)(PART + 1), false), 0);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(s.t, &m);
    assert_int_equal(m.parts_done, 1);
    assert_int_equal(s_abort_uploads(&e), 1);
    /* Part 2 fills and goes (and fails); the last byte waits for its buffer. */
    int rc = s_write_sync(&s, (size_t)PART, false);
    assert_true(rc == S3X_ERR_S3_NO_SUCH_UPLOAD || rc == S3X_ERR_S3_INVALID_PART || rc == S3X_ERR_HTTP_STATUS);
    assert_int_equal(s_write_sync(&s, 0, true), rc);
    assert_int_equal(s_finish(&s), rc);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    s_env_clean_up(&e, PART);
}

/* --- misuse -------------------------------------------------------------------------------------- */

static void test_misuse(void **state) {
    struct s_env e;
    s_env_init(&e, state, PART);
    struct s_stream a = {.seed = 21};
    struct s_stream b = {.seed = 22};
    assert_int_equal(s_start(&e, &a, "misuse/a", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_start(&e, &b, "misuse/b", S3X_TRANSFER_ADMISSION_WAIT), 0);
    uint8_t buf[16];
    s_fill(buf, 0, sizeof(buf), 22);
    /* b is not admitted (a holds the only buffer): its write stays in flight. */
    struct s3x_future *fb = s3x_transfer_write(b.t, buf, 8, false);
    assert_false(s3x_future_is_done(fb));
    assert_int_equal(s_wait(s3x_transfer_write(b.t, buf + 8, 8, false)), S3X_ERR_INVALID_STATE);
    assert_int_equal(s_wait(s3x_transfer_write(b.t, NULL, 0, true)), S3X_ERR_INVALID_STATE);
    /* Bad arguments. */
    assert_int_equal(s_wait(s3x_transfer_write(NULL, buf, 1, false)), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s_wait(s3x_transfer_write(a.t, NULL, 1, false)), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s_wait(s3x_transfer_write(a.t, NULL, 0, false)), 0); /* nothing to take */
    /* a: write after eof, while the eof write may be in flight and after it completed. (b's
     * pending write still reads `buf`: a gets memory of its own.) */
    uint8_t abuf[4];
    s_fill(abuf, 0, 4, 21);
    struct s3x_future *fa = s3x_transfer_write(a.t, abuf, 4, true);
    int rc = s_wait(s3x_transfer_write(a.t, abuf, 1, false));
    assert_int_equal(rc, S3X_ERR_INVALID_STATE);
    assert_int_equal(s_wait(fa), 0);
    assert_int_equal(s_wait(s3x_transfer_write(a.t, abuf, 1, false)), S3X_ERR_INVALID_STATE);
    assert_int_equal(s_wait(s3x_transfer_write(a.t, NULL, 0, true)), S3X_ERR_INVALID_STATE);
    struct s3x_transfer *ta = s3x_transfer_acquire(a.t);
    assert_int_equal(s_finish(&a), 0);
    /* a finished transfer: still INVALID_STATE (its object was ended). */
    assert_int_equal(s_wait(s3x_transfer_write(ta, abuf, 1, true)), S3X_ERR_INVALID_STATE);
    s3x_transfer_release(ta);
    /* b is admitted once a ended; its first write completes, the rest goes on. */
    assert_int_equal(s_wait(fb), 0);
    b.written = 8;
    assert_int_equal(s_write_sync(&b, 8, true), 0);
    assert_int_equal(s_finish(&b), 0);
    s_assert_object(&e, "misuse/a", 4, 21);
    s_assert_object(&e, "misuse/b", 16, 22);
    /* Writing to a download, and a PUSH with a source. */
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e.bucket;
    o.key = "misuse/a";
    o.file_path = "/dev/null";
    struct s3x_transfer *g = NULL;
    assert_int_equal(s3x_transfer_start(e.client, &o, &g), 0);
    assert_int_equal(s_wait(s3x_transfer_write(g, buf, 1, false)), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_transfer_wait(g, WAIT_MS), 0);
    s3x_transfer_release(g);
    o.kind = S3X_TRANSFER_PUSH;
    g = NULL;
    assert_int_equal(s3x_transfer_start(e.client, &o, &g), S3X_ERR_INVALID_ARGUMENT);
    o.file_path = NULL;
    o.admission = (enum s3x_transfer_admission)7;
    assert_int_equal(s3x_transfer_start(e.client, &o, &g), S3X_ERR_INVALID_ARGUMENT);
    assert_null(g);
    s_env_clean_up(&e, PART);
}

/* --- too many parts -------------------------------------------------------------------------- */

static void test_too_many_parts(void **state) {
    struct s_env e;
    s_env_init(&e, state, 2 * PART);
    /* Exactly at the limit (2 parts here, 10,000 in real life): fine. */
    struct s_stream s = {.seed = 31};
    assert_int_equal(s_start(&e, &s, "parts/ok", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s3x__push_set_max_parts(s.t, 2), 0);
    assert_int_equal(s_write_sync(&s, (size_t)(2 * PART), false), 0);
    assert_int_equal(s_write_sync(&s, 0, true), 0);
    assert_int_equal(s3x__push_set_max_parts(s.t, 3), S3X_ERR_INVALID_STATE);
    assert_int_equal(s_finish(&s), 0);
    assert_int_equal(s_etag_parts(s.etag), 2);
    s_assert_object(&e, "parts/ok", 2 * PART, 31);
    /* One byte more: the write that brings it fails, the upload is aborted. */
    struct s_stream x = {.seed = 32};
    assert_int_equal(s_start(&e, &x, "parts/over", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s3x__push_set_max_parts(x.t, 2), 0);
    assert_int_equal(s_write_sync(&x, (size_t)(2 * PART + 1), false), S3X_ERR_TRANSFER_TOO_MANY_PARTS);
    assert_int_equal(s_write_sync(&x, 0, true), S3X_ERR_TRANSFER_TOO_MANY_PARTS);
    assert_int_equal(s_finish(&x), S3X_ERR_TRANSFER_TOO_MANY_PARTS);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    s_env_clean_up(&e, 2 * PART);
}

/* --- fail the Nth allocation over a whole pushed upload ------------------------------------------ */

struct s_sweep_ctx {
    const char *bucket;
    uint8_t *data;
    size_t size;
};

static int s_sweep_block(struct s3x_allocator *a, void *ctx_) {
    struct s_sweep_ctx *ctx = ctx_;
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.part_size_bytes = PART;
    opt.memory_limit_bytes = 2 * PART;
    opt.max_attempts = 1;
    struct s3x_client *client = NULL;
    int rc = s3x_client_new(a, &opt, &client);
    if (rc != 0) {
        return rc;
    }
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUSH;
    o.bucket = ctx->bucket;
    o.key = "sweep";
    struct s3x_transfer *t = NULL;
    rc = s3x_transfer_start(client, &o, &t);
    const size_t chunk = (size_t)(3 * MIB);
    for (size_t off = 0; rc == 0 && off < ctx->size; off += chunk) {
        size_t n = S3X_MIN(chunk, ctx->size - off);
        rc = s_wait(s3x_transfer_write(t, ctx->data + off, n, off + n == ctx->size));
    }
    if (t != NULL) {
        if (rc != 0) {
            s3x_transfer_cancel(t);
        }
        assert_int_equal(s3x_transfer_wait(t, WAIT_MS), 0);
        int done = s3x_transfer_result(t)->error;
        rc = rc != 0 ? rc : done;
        s3x_transfer_release(t);
    }
    s3x_client_release(client);
    return rc;
}

static void test_fail_nth_sweep(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    struct s_sweep_ctx ctx = {.bucket = e.bucket, .size = (size_t)(PART + 7)};
    ctx.data = malloc(ctx.size);
    assert_non_null(ctx.data);
    s_fill(ctx.data, 0, ctx.size, 41);
    uint64_t sites = s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_sweep_block, &ctx, 1);
    print_message("fail-nth sweep over client + pushed 2-part upload: %llu allocation sites\n",
        (unsigned long long)sites);
    assert_true(sites > 50);
    free(ctx.data);
    s_assert_object(&e, "sweep", PART + 7, 41);
    s_env_clean_up(&e, 0);
}


/* The application lets go of its streams: one never ended is cancelled (on_done once with
 * CANCELED, its buffers back, its multipart upload aborted); one ended completes on its own. */
static void test_release_without_eof_cancels(void **state) {
    struct s_env e;
    s_env_init(&e, state, 3 * PART);
    struct s_stream open_stream = {.seed = 71};
    struct s_stream ended = {.seed = 72};
    assert_int_equal(s_start(&e, &open_stream, "abandoned", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_start(&e, &ended, "ended", S3X_TRANSFER_ADMISSION_WAIT), 0);
    assert_int_equal(s_write_sync(&open_stream, (size_t)(PART + PART / 2), false), 0); /* a part uploads */
    assert_int_equal(s_write_sync(&ended, (size_t)(PART + 3), true), 0);
    open_stream.t = s3x_transfer_release(open_stream.t);
    ended.t = s3x_transfer_release(ended.t);
    uint64_t deadline = s3x_test_now_ms() + WAIT_MS;
    while ((atomic_load(&open_stream.done_calls) == 0 || atomic_load(&ended.done_calls) == 0) &&
           s3x_test_now_ms() < deadline) {
        usleep(1000);
    }
    assert_int_equal(atomic_load(&open_stream.done_calls), 1);
    assert_int_equal(open_stream.done_error, S3X_ERR_CANCELED);
    assert_int_equal(atomic_load(&ended.done_calls), 1);
    assert_int_equal(ended.done_error, 0);
    /* A request through the client's event thread: it runs after the transfers' final tasks. */
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    s_assert_object(&e, "ended", PART + 3, 72);
    s_env_clean_up(&e, 3 * PART);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_sizes_and_boundaries),
        S3X_TEST(test_200_streams_last_to_first),
        S3X_TEST(test_multipart_streams_last_to_first),
        S3X_TEST(test_extra_buffer_when_free),
        S3X_TEST(test_admission_waits_or_fails_fast),
        S3X_TEST(test_cancel_while_admission_pending),
        S3X_TEST(test_cancel_before_start),
        S3X_TEST(test_release_without_eof_cancels),
        S3X_TEST(test_cancel_at_random_moments),
        S3X_TEST(test_failure_while_write_pending),
        S3X_TEST(test_part_upload_failure_while_writing),
        S3X_TEST(test_misuse),
        S3X_TEST(test_too_many_parts),
        S3X_TEST(test_fail_nth_sweep),
    };
    return S3X_TEST_MAIN(argc, argv, "push", tests);
}
