/* Transfers through pools that are not the default: a pool that grants late, from its own thread,
 * in reverse order (or in order but always deferred); the example recording pool (every
 * reservation balanced by a release); plus a fail-the-Nth sweep over a whole small upload and
 * download, and large round trips under a two-part memory limit. Against the S3 test server. */
#include "s3_test_util.h"

#include "../../examples/recording_pool.h"

#include <s3xfer/error.h>
#include <s3xfer/pool.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PART ((uint64_t)5 * 1024 * 1024)

/* --- a pool that grants from its own thread, late, in reverse (or FIFO) order ------------------ */

struct s_pending {
    struct s_pending *next;
    struct s3x_future *outer;
    size_t size;
};

struct s_late_pool {
    struct s3x_pool pool;
    struct s3x_allocator *a;
    struct s3x_pool *inner;
    bool reverse;
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop;
    struct s_pending *pending; /* newest first */
    atomic_int granted;
    atomic_int max_batch;
};

static struct s3x_future *s_late_reserve(struct s3x_pool *pool, const struct s3x_pool_reserve_options *o) {
    struct s_late_pool *p = pool->impl;
    struct s3x_future *f = NULL;
    struct s_pending *e = s3x_mem_calloc(p->a, 1, sizeof(*e));
    if (e == NULL || s3x_future_new(p->a, &f) != 0) {
        s3x_mem_release(p->a, e);
        return s3x_pool_reservation_failed(p->a, S3X_ERR_OOM);
    }
    e->outer = s3x_future_acquire(f); /* the pool's reference until it completes the future */
    e->size = o->size_bytes;
    pthread_mutex_lock(&p->lock);
    e->next = p->pending;
    p->pending = e;
    pthread_mutex_unlock(&p->lock);
    return f;
}

static void s_grant(struct s_late_pool *p, struct s_pending *e) {
    struct s3x_pool_reserve_options io = {.size_bytes = e->size};
    struct s3x_future *inner = s3x_pool_reserve(p->inner, &io);
    struct s3x_ticket *ticket = NULL;
    int rc = s3x_future_wait(inner, 60000);
    if (rc == 0) {
        rc = s3x_ticket_take(inner, &ticket);
    }
    s3x_future_release(inner);
    if (rc == 0) {
        s3x_pool_deliver(e->outer, ticket); /* a cancelled reservation gets it back at once */
        atomic_fetch_add(&p->granted, 1);
    } else {
        s3x_future_complete_error(e->outer, rc);
    }
    s3x_future_release(e->outer);
    s3x_mem_release(p->a, e);
}

static void *s_late_thread(void *arg) {
    struct s_late_pool *p = arg;
    for (;;) {
        usleep(2000);
        pthread_mutex_lock(&p->lock);
        struct s_pending *batch = p->pending;
        p->pending = NULL;
        bool stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        int n = 0;
        if (!p->reverse) { /* newest first -> oldest first */
            struct s_pending *rev = NULL;
            while (batch != NULL) {
                struct s_pending *next = batch->next;
                batch->next = rev;
                rev = batch;
                batch = next;
            }
            batch = rev;
        }
        while (batch != NULL) {
            struct s_pending *next = batch->next;
            s_grant(p, batch);
            batch = next;
            ++n;
        }
        if (n > atomic_load(&p->max_batch)) {
            atomic_store(&p->max_batch, n);
        }
        if (stop) {
            return NULL;
        }
    }
}

static void s_late_destroy(struct s3x_pool *pool) {
    struct s_late_pool *p = pool->impl;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->lock);
    s3x_pool_release(p->inner);
    s3x_mem_release(p->a, p);
}

static const struct s3x_pool_vtable s_late_vtable = {.reserve = s_late_reserve, .destroy = s_late_destroy};

static struct s_late_pool *s_last_late_pool;

static int s_late_create(struct s3x_allocator *a, const struct s3x_pool_config *c, void *user, struct s3x_pool **out) {
    struct s_late_pool *p = s3x_mem_calloc(a, 1, sizeof(*p));
    if (p == NULL) {
        return S3X_ERR_OOM;
    }
    p->a = a;
    p->reverse = user != NULL;
    pthread_mutex_init(&p->lock, NULL);
    int rc = s3x_default_pool_new(a, c, &p->inner);
    if (rc == 0) {
        rc = s3x_pool_init(&p->pool, a, &s_late_vtable, p);
    }
    if (rc == 0 && pthread_create(&p->thread, NULL, s_late_thread, p) != 0) {
        rc = S3X_ERR_SYS;
    }
    if (rc != 0) {
        s3x_pool_release(p->inner);
        s3x_mem_release(a, p);
        return rc;
    }
    s_last_late_pool = p;
    *out = &p->pool;
    return 0;
}

struct s_env {
    struct s3x_allocator *a;
    struct s3x_client *client;
    char bucket[64];
    char dir[64];
};

static void s_env_init(struct s_env *e, void **state, const struct s3x_pool_factory *factory, uint64_t limit,
    struct s3x_allocator *a) {
    memset(e, 0, sizeof(*e));
    e->a = a != NULL ? a : s3x_test_allocator(state);
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.part_size_bytes = PART;
    opt.memory_limit_bytes = limit;
    opt.pool_factory = factory;
    e->client = s3x_test_client_new(e->a, &opt);
    s3x_test_create_bucket(e->client, e->bucket, sizeof(e->bucket));
    s3x_test_temp_dir(e->dir, sizeof(e->dir));
}

static void s_env_clean_up(struct s_env *e) {
    s3x_test_rm_rf(e->dir);
    e->client = s3x_client_release(e->client);
}

static int s_transfer(struct s_env *e, enum s3x_transfer_kind kind, const char *key, const char *path) {
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = kind;
    o.bucket = e->bucket;
    o.key = key;
    o.file_path = path;
    return s3x_test_run_transfer(e->client, &o, NULL);
}

static void s_round_trip(struct s_env *e, uint64_t size, uint32_t seed) {
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src", e->dir);
    snprintf(dst, sizeof(dst), "%s/dst", e->dir);
    s3x_test_write_pattern_file(src, size, seed);
    assert_int_equal(s_transfer(e, S3X_TRANSFER_PUT, "obj", src), 0);
    assert_int_equal(s_transfer(e, S3X_TRANSFER_GET, "obj", dst), 0);
    s3x_test_assert_pattern_file(dst, size, seed);
    unlink(src);
    unlink(dst);
}

static void test_late_reverse_pool(void **state) {
    struct s_env e;
    struct s3x_pool_factory f = {.create = s_late_create, .user_data = (void *)1};
    s_env_init(&e, state, &f, 64 * 1024 * 1024, NULL);
    s_round_trip(&e, 7 * PART + 99, 21);
    assert_true(atomic_load(&s_last_late_pool->granted) >= 16);
    s_env_clean_up(&e);
}

static void test_late_fifo_pool(void **state) {
    struct s_env e;
    struct s3x_pool_factory f = {.create = s_late_create, .user_data = NULL};
    s_env_init(&e, state, &f, 4 * PART, NULL);
    s_round_trip(&e, 5 * PART + 1, 22);
    s_env_clean_up(&e);
}

static void test_recording_pool_balanced(void **state) {
    struct s_env e;
    struct s3x_pool_factory f = {.create = recording_pool_factory_create, .user_data = NULL};
    s_env_init(&e, state, &f, 3 * PART, NULL);
    s_round_trip(&e, 4 * PART + 17, 23);
    struct s3x_pool *pool = s3x_client_pool(e.client);
    size_t reserves = recording_pool_count(pool, RECORDING_POOL_RESERVE);
    size_t grants = recording_pool_count(pool, RECORDING_POOL_GRANT);
    size_t releases = recording_pool_count(pool, RECORDING_POOL_RELEASE);
    size_t cancels = recording_pool_count(pool, RECORDING_POOL_CANCEL);
    /* upload: 5 parts; download: 5 parts -> every reservation granted and every ticket released. */
    assert_int_equal(reserves, 10);
    assert_int_equal(grants + cancels, reserves);
    assert_int_equal(releases, grants);
    s_env_clean_up(&e);
}

/* --- fail-the-Nth over a whole small upload and download -------------------------------------- */

struct s_sweep_ctx {
    char dir[64];
    uint64_t size;
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
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src", ctx->dir);
    snprintf(dst, sizeof(dst), "%s/dst", ctx->dir);
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = getenv("S3X_SWEEP_BUCKET");
    o.key = "sweep";
    o.file_path = src;
    rc = s3x_test_run_transfer(client, &o, NULL);
    if (rc == 0) {
        o.kind = S3X_TRANSFER_GET;
        o.file_path = dst;
        rc = s3x_test_run_transfer(client, &o, NULL);
        if (rc == 0) {
            s3x_test_assert_pattern_file(dst, ctx->size, 31);
        }
    }
    if (rc != 0) {
        /* a failed download leaves nothing behind: only the source remains */
        assert_int_equal(s3x_test_dir_entries(ctx->dir), 1 + (access(dst, F_OK) == 0));
        assert_int_equal(access(dst, F_OK), -1);
    }
    unlink(dst);
    s3x_client_release(client);
    return rc;
}

static void test_fail_nth_sweep_round_trip(void **state) {
    struct s_env e;
    s_env_init(&e, state, NULL, 0, NULL);
    setenv("S3X_SWEEP_BUCKET", e.bucket, 1);
    struct s_sweep_ctx ctx = {.size = 2 * PART + 3};
    memcpy(ctx.dir, e.dir, sizeof(ctx.dir));
    char src[128];
    snprintf(src, sizeof(src), "%s/src", ctx.dir);
    s3x_test_write_pattern_file(src, ctx.size, 31);
    uint64_t sites = s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_sweep_block, &ctx, 1);
    print_message("fail-nth sweep over client + 3-part upload + download: %llu allocation sites\n",
        (unsigned long long)sites);
    assert_true(sites > 50);
    s_env_clean_up(&e);
}

/* --- large objects under a two-part limit ----------------------------------------------------- */

static uint64_t s_vm_hwm_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t v = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            v = strtoull(line + 6, NULL, 10);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return v;
}

struct s_progress {
    atomic_uint_fast64_t last;
    atomic_int calls;
    atomic_int regressions;
};

static void s_on_progress(struct s3x_transfer *t, uint64_t done, uint64_t total, void *user) {
    (void)t;
    (void)total;
    struct s_progress *p = user;
    if (done < atomic_load(&p->last)) {
        atomic_fetch_add(&p->regressions, 1);
    }
    atomic_store(&p->last, done);
    atomic_fetch_add(&p->calls, 1);
}

struct s_stream {
    uint64_t size;
    uint64_t pos;
    uint32_t seed;
};

static int s_read_pattern(struct s3x_transfer *t, uint8_t *buf, size_t cap, size_t *out_len, void *user) {
    (void)t;
    struct s_stream *s = user;
    size_t n = cap < 1048576 ? cap : 1048576;
    if (n > s->size - s->pos) {
        n = (size_t)(s->size - s->pos);
    }
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_test_pattern_byte(s->pos + i, s->seed);
    }
    s->pos += n;
    *out_len = n;
    return 0;
}

struct s_check {
    uint64_t next;
    uint32_t seed;
    int bad;
};

static int s_write_check(struct s3x_transfer *t, const uint8_t *data, size_t len, uint64_t offset, void *user) {
    (void)t;
    struct s_check *c = user;
    if (offset != c->next) {
        c->bad++;
    }
    for (size_t i = 0; i < len; i += 511) {
        if (data[i] != s3x_test_pattern_byte(offset + i, c->seed)) {
            c->bad++;
            break;
        }
    }
    c->next = offset + len;
    return 0;
}

static void test_large_round_trip_two_part_limit(void **state) {
    /* 300 MiB by default; 1 GiB with S3X_TEST_LARGE=1 (the normal build in scripts/test); 40 MiB
     * with S3X_TEST_SMALL=1 (sanitizer builds, where every byte copied is instrumented). */
    const char *large = getenv("S3X_TEST_LARGE");
    const char *small = getenv("S3X_TEST_SMALL");
    uint64_t size = 300ull * 1024 * 1024;
    if (large != NULL && strcmp(large, "1") == 0) {
        size = 1024ull * 1024 * 1024;
    } else if (small != NULL && strcmp(small, "1") == 0) {
        size = 40ull * 1024 * 1024;
    }
    struct s_env e;
    s_env_init(&e, state, NULL, 2 * PART, NULL);
    uint64_t hwm_before = s_vm_hwm_kib();
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst", e.dir);
    s3x_test_write_pattern_file(src, size, 41);
    uint64_t hwm_after_write = s_vm_hwm_kib();
    struct s_progress prog = {0};
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "large";
    o.file_path = src;
    o.on_progress = s_on_progress;
    o.user_data = &prog;
    struct s3x_transfer *t = NULL;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), 0);
    assert_int_equal(s3x_transfer_wait(t, 600000), 0);
    assert_int_equal(s3x_transfer_result(t)->error, 0);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(t, &m);
    assert_int_equal(m.bytes_done, size);
    assert_int_equal(m.bytes_total, size);
    assert_int_equal(m.parts_done, m.parts_total);
    assert_true(m.peak_memory_bytes <= 2 * PART);
    assert_true(m.requests >= m.parts_total + 2);
    s3x_transfer_release(t);
    assert_int_equal(atomic_load(&prog.last), size);
    assert_int_equal(atomic_load(&prog.regressions), 0);
    assert_int_equal(s_transfer(&e, S3X_TRANSFER_GET, "large", dst), 0);
    s3x_test_assert_pattern_file(dst, size, 41);
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_true(st.peak_allocated_bytes <= 2 * PART);
    /* The same size as a stream of unknown length, read back through the ordered callback. */
    struct s_stream stream = {.size = size, .seed = 42};
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "large-stream";
    o.read = s_read_pattern;
    o.user_data = &stream;
    assert_int_equal(s3x_test_run_transfer(e.client, &o, NULL), 0);
    struct s_check check = {.seed = 42};
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e.bucket;
    o.key = "large-stream";
    o.write = s_write_check;
    o.user_data = &check;
    assert_int_equal(s3x_test_run_transfer(e.client, &o, NULL), 0);
    assert_int_equal(check.next, size);
    assert_int_equal(check.bad, 0);
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e.client), &st), 0);
    assert_true(st.peak_allocated_bytes <= 2 * PART);
    uint64_t hwm_end = s_vm_hwm_kib();
    print_message("%llu MiB round trip, limit %llu MiB: pool peak %zu bytes; VmHWM %llu KiB before, %llu after "
                  "writing the source, %llu at the end\n",
        (unsigned long long)(size >> 20), (unsigned long long)(2 * PART >> 20), st.peak_allocated_bytes,
        (unsigned long long)hwm_before, (unsigned long long)hwm_after_write, (unsigned long long)hwm_end);
    /* The whole process grew by at most the limit plus a fixed overhead (threads' stacks, curl). */
    assert_true((hwm_end - hwm_before) * 1024 <= 2 * PART + 48ull * 1024 * 1024);
    s_env_clean_up(&e);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_late_reverse_pool),
        S3X_TEST(test_late_fifo_pool),
        S3X_TEST(test_recording_pool_balanced),
        S3X_TEST(test_fail_nth_sweep_round_trip),
        S3X_TEST(test_large_round_trip_two_part_limit),
    };
    return S3X_TEST_MAIN(argc, argv, "transfer_pools", tests);
}
