/* Transfers against the S3 test server: round trips through files, streams and callbacks, the
 * memory cap, errors and cancel. Every test runs with the harness's tracking allocator. */
#include "s3_test_util.h"

#include <s3xfer/error.h>
#include <s3xfer/objects.h>
#include <s3xfer/pool.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PART ((uint64_t)5 * 1024 * 1024)

struct s_env {
    struct s3x_allocator *a;
    struct s3x_client *client;
    char bucket[64];
    char dir[64];
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
    s3x_test_temp_dir(e->dir, sizeof(e->dir));
}

static void s_env_clean_up(struct s_env *e) {
    s3x_test_rm_rf(e->dir);
    e->client = s3x_client_release(e->client);
}

static int s_put_file(struct s_env *e, const char *key, const char *path) {
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e->bucket;
    o.key = key;
    o.file_path = path;
    return s3x_test_run_transfer(e->client, &o, NULL);
}

static int s_get_file(struct s_env *e, const char *key, const char *path, uint64_t *size) {
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e->bucket;
    o.key = key;
    o.file_path = path;
    return s3x_test_run_transfer(e->client, &o, size);
}

static void s_round_trip_file(struct s_env *e, uint64_t size, uint32_t seed) {
    char src[128];
    char dst[128];
    char key[64];
    snprintf(src, sizeof(src), "%s/src-%llu", e->dir, (unsigned long long)size);
    snprintf(dst, sizeof(dst), "%s/dst-%llu", e->dir, (unsigned long long)size);
    snprintf(key, sizeof(key), "dir/obj %llu+x", (unsigned long long)size);
    s3x_test_write_pattern_file(src, size, seed);
    assert_int_equal(s_put_file(e, key, src), 0);
    uint64_t got = 0;
    assert_int_equal(s_get_file(e, key, dst, &got), 0);
    assert_int_equal(got, size);
    s3x_test_assert_pattern_file(dst, size, seed);
}

static void test_round_trip_file_sizes(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    const uint64_t sizes[] = {0, 1, PART - 1, PART, PART + 1, 3 * PART + 12345};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        s_round_trip_file(&e, sizes[i], (uint32_t)i + 1);
    }
    s_env_clean_up(&e);
}

/* --- streams and ordered callbacks ------------------------------------------------------------ */

struct s_stream {
    uint64_t size;
    uint64_t pos;
    uint32_t seed;
    size_t chunk; /* bytes per read call, to exercise partial reads */
    atomic_int calls;
};

static int s_read_pattern(struct s3x_transfer *t, uint8_t *buf, size_t cap, size_t *out_len, void *user) {
    (void)t;
    struct s_stream *s = user;
    size_t n = cap < s->chunk ? cap : s->chunk;
    if (n > s->size - s->pos) {
        n = (size_t)(s->size - s->pos);
    }
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_test_pattern_byte(s->pos + i, s->seed);
    }
    s->pos += n;
    *out_len = n;
    atomic_fetch_add(&s->calls, 1);
    return 0;
}

struct s_sink {
    uint64_t next_offset;
    uint32_t seed;
    int mismatches;
    int out_of_order;
};

static int s_write_check(struct s3x_transfer *t, const uint8_t *data, size_t len, uint64_t offset, void *user) {
    (void)t;
    struct s_sink *s = user;
    if (offset != s->next_offset) {
        s->out_of_order++;
    }
    for (size_t i = 0; i < len; ++i) {
        if (data[i] != s3x_test_pattern_byte(offset + i, s->seed)) {
            s->mismatches++;
            break;
        }
    }
    s->next_offset = offset + len;
    return 0;
}

static void s_round_trip_stream(struct s_env *e, uint64_t size, uint32_t seed) {
    char key[64];
    snprintf(key, sizeof(key), "stream-%llu", (unsigned long long)size);
    struct s_stream src = {.size = size, .seed = seed, .chunk = 100000};
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e->bucket;
    o.key = key;
    o.read = s_read_pattern;
    o.user_data = &src;
    assert_int_equal(s3x_test_run_transfer(e->client, &o, NULL), 0);
    assert_int_equal(src.pos, size);

    struct s_sink sink = {.seed = seed};
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e->bucket;
    o.key = key;
    o.write = s_write_check;
    o.user_data = &sink;
    uint64_t got = 0;
    assert_int_equal(s3x_test_run_transfer(e->client, &o, &got), 0);
    assert_int_equal(got, size);
    assert_int_equal(sink.next_offset, size);
    assert_int_equal(sink.mismatches, 0);
    assert_int_equal(sink.out_of_order, 0);
}

static void test_round_trip_stream_sizes(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    const uint64_t sizes[] = {0, 1, PART, PART + 1, 2 * PART + PART / 2};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        s_round_trip_stream(&e, sizes[i], (uint32_t)i + 100);
    }
    s_env_clean_up(&e);
}

/* --- client statistics, direct connections on and off ------------------------------------------ */

static bool s_proxy_in_env(void) {
    static const char *const names[] = {
        "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
        const char *v = getenv(names[i]);
        if (v != NULL && v[0] != '\0') {
            return true;
        }
    }
    return false;
}

/* A 2.5-part stream up and down (create, 3 parts, complete; 3 GETs) on a client with direct
 * connections and on one without: the counters add up, and the 6 part requests (a floor: a
 * CompleteMultipartUpload body goes direct too) run on direct connections only on the first.
 * Then idle: the first client (idle_trim_ms 200) trims its pool once, the second never. */
static void test_client_stats(void **state) {
    for (int off = 0; off <= 1; ++off) {
        struct s_env e;
        memset(&e, 0, sizeof(e));
        e.a = s3x_test_allocator(state);
        struct s3x_client_options opt;
        s3x_test_client_options(&opt);
        opt.part_size_bytes = PART;
        opt.direct_receive_disable = off == 1;
        opt.idle_trim_ms = off == 0 ? 200 : S3X_IDLE_TRIM_NEVER;
        e.client = s3x_test_client_new(e.a, &opt);
        s3x_test_create_bucket(e.client, e.bucket, sizeof(e.bucket));
        s3x_test_temp_dir(e.dir, sizeof(e.dir));
        struct s3x_client_stats st = {.struct_size = sizeof(st)};
        assert_int_equal(s3x_client_stats(e.client, &st), 0);
        uint64_t before = st.http_requests; /* the bucket's creation */
        s_round_trip_stream(&e, 2 * PART + PART / 2, 7);
        memset(&st, 0, sizeof(st));
        st.struct_size = sizeof(st);
        assert_int_equal(s3x_client_stats(e.client, &st), 0);
        assert_int_equal(st.struct_size, sizeof(st));
        assert_true(st.http_requests - before >= 8);
        assert_int_equal(st.http_attempts, st.http_requests + st.http_retries);
        assert_true(st.connections_opened >= 1 && st.connections_opened <= st.http_attempts);
        if (off == 1) {
            assert_int_equal(st.direct_attempts, 0);
        } else if (!s_proxy_in_env()) {
            assert_true(st.direct_attempts >= 6);
        }
        /* A caller built against a newer header: its own struct_size comes back as ours. */
        struct {
            struct s3x_client_stats st;
            uint8_t later[16];
        } newer;
        memset(&newer, 0xab, sizeof(newer));
        newer.st.struct_size = sizeof(newer);
        assert_int_equal(s3x_client_stats(e.client, &newer.st), 0);
        assert_int_equal(newer.st.struct_size, sizeof(st));
        assert_int_equal(newer.st.direct_attempts, st.direct_attempts);
        assert_int_equal(newer.later[0], 0xab);
        /* Idle: the first client gives its cached part buffers back after 200 ms; the second
         * never does. */
        for (int i = 0; i < 500 && off == 0 && st.idle_trims == 0; ++i) {
            usleep(20000);
            assert_int_equal(s3x_client_stats(e.client, &st), 0);
        }
        usleep(off == 0 ? 0 : 600000);
        assert_int_equal(s3x_client_stats(e.client, &st), 0);
        struct s3x_pool_stats ps = {.struct_size = sizeof(ps)};
        assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &ps), 0);
        if (off == 0) {
            assert_int_equal(st.idle_trims, 1);
            assert_true(st.idle_trimmed_bytes >= PART);
            assert_int_equal(ps.allocated_bytes, 0);
        } else {
            assert_int_equal(st.idle_trims, 0);
            assert_true(ps.allocated_bytes >= PART);
        }
        st.struct_size = sizeof(size_t); /* older than the first version */
        assert_int_equal(s3x_client_stats(e.client, &st), S3X_ERR_INVALID_ARGUMENT);
        s_env_clean_up(&e);
    }
    struct s3x_client_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_client_stats(NULL, &st), S3X_ERR_INVALID_ARGUMENT);
}

/* --- the memory cap ----------------------------------------------------------------------------- */

static void test_memory_limit_two_parts(void **state) {
    struct s_env e;
    s_env_init(&e, state, 2 * PART);
    s_round_trip_file(&e, 9 * PART + 7, 7);
    s_round_trip_stream(&e, 6 * PART + 3, 8);
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_true(st.peak_allocated_bytes <= 2 * PART);
    assert_true(st.peak_allocated_bytes > 0);
    s_env_clean_up(&e);
}

/* --- errors -------------------------------------------------------------------------------------- */

static void test_missing_key_leaves_no_file(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    char dst[128];
    snprintf(dst, sizeof(dst), "%s/never", e.dir);
    assert_int_equal(s_get_file(&e, "no/such/key", dst, NULL), S3X_ERR_S3_NO_SUCH_KEY);
    assert_int_equal(s3x_test_dir_entries(e.dir), 0);
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = "s3x-no-such-bucket-at-all";
    o.key = "k";
    o.file_path = dst;
    assert_int_equal(s3x_test_run_transfer(e.client, &o, NULL), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_int_equal(s3x_test_dir_entries(e.dir), 0);
    s_env_clean_up(&e);
}

static void test_bad_arguments(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    struct s3x_transfer *t = NULL;
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "k";
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_INVALID_ARGUMENT); /* no source */
    o.file_path = "/nonexistent/file";
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_NOT_FOUND);
    o.file_path = "/tmp";
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_INVALID_ARGUMENT);
    o.kind = S3X_TRANSFER_GET;
    o.file_path = "/nonexistent-dir/x";
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_NOT_FOUND);
    o.key = "";
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_INVALID_ARGUMENT);
    assert_null(t);
    s_env_clean_up(&e);
}

/* --- a pool whose reservations always fail --------------------------------------------------- */

struct s_failing_pool {
    struct s3x_pool pool;
    struct s3x_allocator *a;
};

static struct s3x_future *s_fail_reserve(struct s3x_pool *pool, const struct s3x_pool_reserve_options *o) {
    (void)o;
    struct s_failing_pool *p = pool->impl;
    return s3x_pool_reservation_failed(p->a, S3X_ERR_POOL_EXHAUSTED);
}

static void s_fail_destroy(struct s3x_pool *pool) {
    struct s_failing_pool *p = pool->impl;
    s3x_mem_release(p->a, p);
}

static const struct s3x_pool_vtable s_failing_vtable = {.reserve = s_fail_reserve, .destroy = s_fail_destroy};

static int s_failing_create(struct s3x_allocator *a, const struct s3x_pool_config *c, void *user, struct s3x_pool **out) {
    (void)c;
    (void)user;
    struct s_failing_pool *p = s3x_mem_calloc(a, 1, sizeof(*p));
    if (p == NULL) {
        return S3X_ERR_OOM;
    }
    p->a = a;
    int rc = s3x_pool_init(&p->pool, a, &s_failing_vtable, p);
    if (rc != 0) {
        s3x_mem_release(a, p);
        return rc;
    }
    *out = &p->pool;
    return 0;
}

static void test_failing_pool(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.part_size_bytes = PART;
    struct s3x_pool_factory factory = {.create = s_failing_create};
    opt.pool_factory = &factory;
    struct s3x_client *client = s3x_test_client_new(a, &opt);
    char dir[64];
    s3x_test_temp_dir(dir, sizeof(dir));
    char src[128];
    snprintf(src, sizeof(src), "%s/src", dir);
    s3x_test_write_pattern_file(src, 3 * PART, 1);
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = "any-bucket";
    o.key = "k";
    o.file_path = src;
    struct s3x_transfer *t = NULL;
    assert_int_equal(s3x_transfer_start(client, &o, &t), 0);
    assert_int_equal(s3x_transfer_wait(t, 60000), 0);
    const struct s3x_transfer_result *r = s3x_transfer_result(t);
    assert_int_equal(r->error, S3X_ERR_BUFFER_ALLOCATION_FAILED);
    assert_int_equal(r->cause, S3X_ERR_POOL_EXHAUSTED);
    s3x_transfer_release(t);
    o.kind = S3X_TRANSFER_GET;
    snprintf(src, sizeof(src), "%s/dst", dir);
    o.file_path = src;
    assert_int_equal(s3x_test_run_transfer(client, &o, NULL), S3X_ERR_BUFFER_ALLOCATION_FAILED);
    s3x_test_rm_rf(dir);
    s3x_client_release(client);
}

/* --- cancel ---------------------------------------------------------------------------------- */

struct s_cancel_ctx {
    atomic_int done_calls;
    int error;
};

static void s_count_done(struct s3x_transfer *t, const struct s3x_transfer_result *r, void *user) {
    (void)t;
    struct s_cancel_ctx *c = user;
    c->error = r->error;
    atomic_fetch_add(&c->done_calls, 1);
}

static void test_cancel_at_random_moments(void **state) {
    struct s_env e;
    s_env_init(&e, state, 4 * PART);
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst", e.dir);
    s3x_test_write_pattern_file(src, 4 * PART + 5, 3);
    assert_int_equal(s_put_file(&e, "base", src), 0);
    srand(12345);
    for (int i = 0; i < 12; ++i) {
        struct s_cancel_ctx ctx = {0};
        struct s3x_transfer_options o;
        s3x_transfer_options_init(&o);
        o.kind = (i % 2) ? S3X_TRANSFER_GET : S3X_TRANSFER_PUT;
        o.bucket = e.bucket;
        o.key = (i % 2) ? "base" : "cancelled-upload";
        o.file_path = (i % 2) ? dst : src;
        o.on_done = s_count_done;
        o.user_data = &ctx;
        struct s3x_transfer *t = NULL;
        assert_int_equal(s3x_transfer_start(e.client, &o, &t), 0);
        usleep((useconds_t)(rand() % 60000));
        s3x_transfer_cancel(t);
        s3x_transfer_cancel(t); /* idempotent */
        assert_int_equal(s3x_transfer_wait(t, 60000), 0);
        assert_int_equal(atomic_load(&ctx.done_calls), 1);
        assert_true(ctx.error == 0 || ctx.error == S3X_ERR_CANCELED);
        s3x_transfer_release(t);
        if (ctx.error != 0 && (i % 2)) {
            assert_int_equal(access(dst, F_OK), -1); /* a cancelled download leaves nothing */
        }
        unlink(dst);
    }
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_int_equal(st.live_tickets, 0);
    assert_true(st.peak_allocated_bytes <= 4 * PART);
    s_env_clean_up(&e);
}

/* 200 transfers (uploads and downloads, 10 at a time) cancelled at random moments: each completes
 * exactly once, with success or CANCELED; no multipart upload is left behind, no partial file,
 * no ticket, no leaked byte. */
static void test_cancel_200_transfers_no_orphans(void **state) {
    struct s_env e;
    s_env_init(&e, state, 4 * PART);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", e.dir);
    s3x_test_write_pattern_file(src, 2 * PART + 1, 5);
    assert_int_equal(s_put_file(&e, "base", src), 0);
    srand(777);
    enum { BATCH = 10, TOTAL = 200 };
    int completed = 0;
    int cancelled = 0;
    for (int b = 0; b < TOTAL / BATCH; ++b) {
        struct s_cancel_ctx ctx[BATCH];
        struct s3x_transfer *t[BATCH];
        char dst[BATCH][128];
        char key[BATCH][32];
        memset(ctx, 0, sizeof(ctx));
        for (int i = 0; i < BATCH; ++i) {
            bool get = ((b * BATCH + i) % 2) == 1;
            snprintf(dst[i], sizeof(dst[i]), "%s/dst-%d", e.dir, i);
            snprintf(key[i], sizeof(key[i]), "up-%d-%d", b, i);
            struct s3x_transfer_options o;
            s3x_transfer_options_init(&o);
            o.kind = get ? S3X_TRANSFER_GET : S3X_TRANSFER_PUT;
            o.bucket = e.bucket;
            o.key = get ? "base" : key[i];
            o.file_path = get ? dst[i] : src;
            o.on_done = s_count_done;
            o.user_data = &ctx[i];
            assert_int_equal(s3x_transfer_start(e.client, &o, &t[i]), 0);
        }
        for (int i = 0; i < BATCH; ++i) {
            usleep((useconds_t)(rand() % (i % 3 == 0 ? 120000 : 15000)));
            s3x_transfer_cancel(t[i]);
        }
        for (int i = 0; i < BATCH; ++i) {
            assert_int_equal(s3x_transfer_wait(t[i], 120000), 0);
            assert_int_equal(atomic_load(&ctx[i].done_calls), 1);
            assert_true(ctx[i].error == 0 || ctx[i].error == S3X_ERR_CANCELED);
            if (ctx[i].error == 0) {
                ++completed;
            } else {
                ++cancelled;
                assert_int_equal(access(dst[i], F_OK), -1);
            }
            s3x_transfer_release(t[i]);
            unlink(dst[i]);
        }
    }
    print_message("200 transfers: %d completed, %d cancelled\n", completed, cancelled);
    assert_int_equal(completed + cancelled, TOTAL);
    assert_true(cancelled > 0);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_int_equal(st.live_tickets, 0);
    assert_int_equal(st.pending_count, 0);
    assert_true(st.peak_allocated_bytes <= 4 * PART);
    s_env_clean_up(&e);
}

/* --- ticket hand-off: the consumer receives each part's ticket instead of a copy ------------- */

struct s_handoff {
    struct s3x_ticket *tickets[16];
    size_t lens[16];
    uint64_t offsets[16];
    int count;
    int out_of_order;
};

static int s_take_part(struct s3x_transfer *t, struct s3x_ticket *ticket, size_t len, uint64_t offset, void *user) {
    (void)t;
    struct s_handoff *h = user;
    if (h->count >= 16) {
        s3x_ticket_release(ticket);
        return S3X_ERR_OVERFLOW;
    }
    uint64_t expected = h->count == 0 ? 0 : h->offsets[h->count - 1] + h->lens[h->count - 1];
    if (offset != expected) {
        h->out_of_order++;
    }
    h->tickets[h->count] = ticket; /* ours now: released after the check */
    h->lens[h->count] = len;
    h->offsets[h->count] = offset;
    h->count++;
    return 0;
}

static void test_ticket_handoff(void **state) {
    struct s_env e;
    s_env_init(&e, state, 8 * PART);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", e.dir);
    uint64_t size = 3 * PART + 999;
    s3x_test_write_pattern_file(src, size, 61);
    assert_int_equal(s_put_file(&e, "handoff", src), 0);
    struct s_handoff h = {0};
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e.bucket;
    o.key = "handoff";
    o.on_part = s_take_part;
    o.user_data = &h;
    assert_int_equal(s3x_test_run_transfer(e.client, &o, NULL), 0);
    assert_int_equal(h.count, 4);
    assert_int_equal(h.out_of_order, 0);
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_int_equal(st.live_tickets, 4); /* the consumer holds them: their memory still counts */
    uint64_t total = 0;
    for (int i = 0; i < h.count; ++i) {
        void *buf = NULL;
        assert_int_equal(s3x_ticket_claim(h.tickets[i], &buf), 0);
        const uint8_t *b = buf;
        for (size_t j = 0; j < h.lens[i]; j += 4099) {
            assert_int_equal(b[j], s3x_test_pattern_byte(h.offsets[i] + j, 61));
        }
        total += h.lens[i];
        s3x_ticket_release(h.tickets[i]);
    }
    assert_int_equal(total, size);
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_int_equal(st.live_tickets, 0);
    s_env_clean_up(&e);
}

/* The object's Content-Type: the caller's, else binary/octet-stream, for one PutObject and for a
 * multipart upload alike (Swift takes a multipart object's type from CompleteMultipartUpload). */
static void test_content_type(void **state) {
    struct s_env e;
    s_env_init(&e, state, 0);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", e.dir);
    const uint64_t sizes[] = {10, 2 * PART + 1};
    for (size_t i = 0; i < 2; ++i) {
        s3x_test_write_pattern_file(src, sizes[i], 71);
        for (int typed = 0; typed < 2; ++typed) {
            struct s3x_transfer_options o;
            s3x_transfer_options_init(&o);
            o.kind = S3X_TRANSFER_PUT;
            o.bucket = e.bucket;
            o.key = "typed";
            o.file_path = src;
            o.content_type = typed ? "text/plain" : NULL;
            assert_int_equal(s3x_test_run_transfer(e.client, &o, NULL), 0);
            struct s3x_object_head_options h = {.bucket = e.bucket, .key = "typed"};
            struct s3x_object_result r;
            assert_int_equal(s3x_object_head_sync(e.client, &h, &r), 0);
            assert_non_null(r.info.content_type);
            assert_string_equal(r.info.content_type, typed ? "text/plain" : "binary/octet-stream");
            assert_int_equal(r.info.size, sizes[i]);
            s3x_object_result_clean_up(&r);
        }
    }
    s_env_clean_up(&e);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_round_trip_file_sizes),
        S3X_TEST(test_round_trip_stream_sizes),
        S3X_TEST(test_client_stats),
        S3X_TEST(test_memory_limit_two_parts),
        S3X_TEST(test_missing_key_leaves_no_file),
        S3X_TEST(test_bad_arguments),
        S3X_TEST(test_failing_pool),
        S3X_TEST(test_cancel_at_random_moments),
        S3X_TEST(test_cancel_200_transfers_no_orphans),
        S3X_TEST(test_ticket_handoff),
        S3X_TEST(test_content_type),
    };
    return S3X_TEST_MAIN(argc, argv, "transfer", tests);
}
