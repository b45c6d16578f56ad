/* Engine tests: the BUFFER sink (a 2xx body copied into a caller's fixed buffer: the part-buffer
 * data path) and the per-handle buffer size options. Exact bytes, exact attempt and hook counts,
 * against the fault server's self-describing pattern. */
#include "test_engine_util.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_GUARD 0xEE
#define T_GUARD_BYTES 64

static const struct s3x_http_engine_options s_fast = {.retry_base_delay_ms = 1, .retry_max_delay_ms = 5};

/* A buffer of `capacity` bytes at `misalign` bytes past a 64-byte boundary, guard bytes around. */
struct t_buf {
    uint8_t *alloc;
    uint8_t *data;
    size_t capacity;
};

static void t_buf_init(struct t_buf *b, size_t capacity, size_t misalign) {
    b->alloc = NULL;
    assert_int_equal(posix_memalign((void **)&b->alloc, 64, capacity + misalign + 2 * T_GUARD_BYTES), 0);
    memset(b->alloc, T_GUARD, capacity + misalign + 2 * T_GUARD_BYTES);
    b->data = b->alloc + T_GUARD_BYTES + misalign;
    b->capacity = capacity;
}

/* The first `len` bytes are the pattern; the rest of the buffer and the guards are untouched. */
static void t_buf_check(const struct t_buf *b, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        if (b->data[i] != s3x_fault_pattern_byte(i)) {
            fail_msg("byte %zu differs", i);
        }
    }
    for (size_t i = len; i < b->capacity; ++i) {
        if (b->data[i] != T_GUARD) {
            fail_msg("byte %zu past the body was written", i);
        }
    }
    for (size_t i = 0; i < T_GUARD_BYTES; ++i) {
        if (b->data[-1 - (ptrdiff_t)i] != T_GUARD || b->data[b->capacity + i] != T_GUARD) {
            fail_msg("guard byte %zu overwritten", i);
        }
    }
}

static void s_get(struct t_env *env, struct t_req *t, const char *path, struct t_buf *b, const char *fault,
    const char *id) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(t, &o, "GET", t_url(env, path, url, sizeof(url)));
    o.sink.kind = S3X_HTTP_SINK_BUFFER;
    o.sink.buffer = b != NULL ? b->data : NULL;
    o.sink.capacity = b != NULL ? b->capacity : 0;
    o.sink.on_retry = t_sink_on_retry;
    t->fault = fault;
    t->fault_id = id;
    t_req_new(t, env, &o);
    t_req_submit(t);
}

/* Large buffers (>= S3X_HTTP_BUFFER_SINK_STREAMING_MIN: the non-temporal copy on x86-64) and small
 * ones (memcpy), aligned and not, full and partly filled. */
static void test_buffer_sink_bodies(void **state) {
    struct t_env env;
    t_env_start(&env, state, NULL);
    struct {
        const char *path;
        size_t len, capacity, misalign;
    } cases[] = {
        {"/data/3000000", 3000000, 3000000, 0},
        {"/data/3000000", 3000000, 4u << 20, 3},   /* unaligned head, room left over */
        {"/data/2097155", 2097155, 2097155, 13},   /* odd tail */
        {"/data/100000", 100000, 100000, 0},       /* small: memcpy */
        {"/data/0", 0, 1000, 1},
    };
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    struct t_req t[N];
    struct t_buf b[N];
    memset(t, 0, sizeof(t));
    for (int i = 0; i < N; ++i) {
        t_buf_init(&b[i], cases[i].capacity, cases[i].misalign);
        s_get(&env, &t[i], cases[i].path, &b[i], NULL, NULL);
    }
    t_done_wait(&env.done, N);
    for (int i = 0; i < N; ++i) {
        assert_int_equal(t[i].error, 0);
        assert_int_equal(t[i].status, 200);
        assert_int_equal(t[i].attempts, 1);
        assert_int_equal(t[i].bytes_received, cases[i].len);
        assert_int_equal(atomic_load(&t[i].headers_calls), 1);
        assert_int_equal(atomic_load(&t[i].completions), 1);
        assert_false(atomic_load(&t[i].off_thread));
        t_buf_check(&b[i], cases[i].len);
        size_t len = 1;
        s3x__http_request_response_body(t[i].request, &len);
        assert_int_equal(len, 0); /* nothing went to a memory sink */
    }
    t_env_stop(&env);
    for (int i = 0; i < N; ++i) {
        t_req_release(&t[i]);
        free(b[i].alloc);
    }
}

/* Every attempt writes from offset 0 again; on_retry is still called. */
static void test_buffer_sink_retry_restarts(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    struct t_req t = {0};
    struct t_buf b;
    t_buf_init(&b, 3000000, 5);
    s_get(&env, &t, "/data/3000000", &b, "reset-mid-body; times=2; after=1000000", "buf-mid");
    t_done_wait(&env.done, 1);
    if (t.error != 0) {
        fail_msg("%s after %u attempts: %s", s3x_error_name(t.error), t.attempts, t.curl_message);
    }
    assert_int_equal(t.attempts, 3);
    assert_int_equal(atomic_load(&t.retries_seen), 2);
    assert_int_equal(t.bytes_received, 3000000);
    const struct s3x_http_result *res = s3x__http_request_result(t.request);
    /* the reset may discard part of what the server sent before it */
    assert_true(res->total_bytes_received >= 3000000 && res->total_bytes_received <= 3000000 + 2 * 1000000);
    t_buf_check(&b, 3000000);
    t_env_stop(&env);
    t_req_release(&t);
    free(b.alloc);
}

/* A body that does not fit: refused from its Content-Length before any byte is copied, or, without
 * one (chunked), at the chunk that would pass the end; not retried. A non-2xx body never touches
 * the buffer. */
static void test_buffer_sink_overflow_and_errors(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    struct t_req known = {0}, chunked = {0}, denied = {0}, none = {0};
    struct t_buf bk, bc, bd;
    t_buf_init(&bk, 99999, 0);
    t_buf_init(&bc, 99999, 0);
    t_buf_init(&bd, 100000, 0);
    s_get(&env, &known, "/data/100000", &bk, NULL, NULL);
    s_get(&env, &chunked, "/data/100000", &bc, "chunked; chunk=7000", "buf-chunked");
    s_get(&env, &denied, "/data/100000", &bd, "denied", "buf-denied");
    s_get(&env, &none, "/data/1", NULL, NULL, NULL); /* capacity 0: room for an empty body only */
    t_done_wait(&env.done, 4);
    assert_int_equal(known.error, S3X_ERR_OVERFLOW);
    assert_int_equal(known.attempts, 1);
    assert_int_equal(known.bytes_received, 0);
    t_buf_check(&bk, 0);
    assert_int_equal(chunked.error, S3X_ERR_OVERFLOW);
    assert_int_equal(chunked.attempts, 1);
    /* accepted up to the piece of the 15th chunk that would pass the end (curl hands chunk data
     * over in pieces cut by its receive buffer too) */
    assert_true(chunked.bytes_received >= 13 * 7000 && chunked.bytes_received <= 99999);
    t_buf_check(&bc, chunked.bytes_received);
    assert_int_equal(denied.error, S3X_ERR_HTTP_STATUS);
    assert_int_equal(denied.status, 403);
    assert_non_null(strstr(denied.error_body, "AccessDenied"));
    t_buf_check(&bd, 0);
    assert_int_equal(none.error, S3X_ERR_OVERFLOW);
    t_env_stop(&env);
    t_req_release(&known);
    t_req_release(&chunked);
    t_req_release(&denied);
    t_req_release(&none);
    free(bk.alloc);
    free(bc.alloc);
    free(bd.alloc);
}

static void test_buffer_sink_invalid(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_http_request_options o = {.method = "GET", .url = "http://127.0.0.1:1/x"};
    o.sink.kind = S3X_HTTP_SINK_BUFFER;
    o.sink.capacity = 10; /* and no buffer */
    struct s3x_http_request *r = (struct s3x_http_request *)&o;
    assert_int_equal(s3x__http_request_new(a, &o, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_null(r);
    o.sink.capacity = 0;
    assert_int_equal(s3x__http_request_new(a, &o, &r), 0);
    s3x__http_request_release(r);
}

/* The buffer options, from curl's smallest to large, move the same bytes both ways; the upload
 * buffer bounds how much one read hook call is asked for. */
struct t_upload {
    struct t_env *env;
    size_t sent;
    size_t total;
    size_t largest_ask;
    int error;
    uint64_t bytes_sent;
};

static int s_read(struct s3x_http_request *r, uint8_t *buffer, size_t capacity, size_t *out_len, void *user_data) {
    (void)r;
    struct t_upload *u = user_data;
    u->largest_ask = capacity > u->largest_ask ? capacity : u->largest_ask;
    size_t n = u->total - u->sent < capacity ? u->total - u->sent : capacity;
    for (size_t i = 0; i < n; ++i) {
        buffer[i] = s3x_fault_pattern_byte(u->sent + i);
    }
    u->sent += n;
    *out_len = n;
    return 0;
}

static void s_upload_done(struct s3x_http_request *r, const struct s3x_http_result *res, void *user_data) {
    (void)r;
    struct t_upload *u = user_data;
    u->error = res->error;
    u->bytes_sent = res->bytes_sent;
    t_done_add(&u->env->done);
}

#define T_UPLOAD_BYTES 3000000u

/* The sizes show as the largest chunk curl hands to a stream sink (at most its receive buffer; a
 * size curl refused would leave its 16 KiB default) and the largest read it asks of a source (its
 * upload buffer). */
static void s_buffer_sizes_once(void **state, uint32_t connections, uint32_t recv_bytes, uint32_t send_bytes,
    size_t expect_ask, size_t expect_recv_max) {
    struct s3x_http_engine_options eo = {
        .max_connections = connections, .recv_buffer_bytes = recv_bytes, .send_buffer_bytes = send_bytes};
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_req get = {0};
    struct t_buf b;
    t_buf_init(&b, 700001, 7);
    s_get(&env, &get, "/data/700001", &b, NULL, NULL);
    struct t_upload up = {.env = &env, .total = T_UPLOAD_BYTES, .error = -1};
    char url[128];
    struct s3x_http_request_options o = {.method = "PUT", .url = t_url(&env, "/sink", url, sizeof(url))};
    o.body.kind = S3X_HTTP_BODY_STREAM;
    o.body.content_length = up.total;
    o.body.read = s_read;
    o.on_complete = s_upload_done;
    o.user_data = &up;
    struct s3x_http_request *put = NULL;
    assert_int_equal(s3x__http_request_new(env.allocator, &o, &put), 0);
    assert_int_equal(s3x__http_engine_submit(env.engine, put), 0);
    struct t_req streamed = {0};
    struct s3x_http_request_options so;
    t_req_options(&streamed, &so, "GET", t_url(&env, "/data/2000000", url, sizeof(url)));
    so.sink.kind = S3X_HTTP_SINK_STREAM;
    so.sink.write = t_sink_pattern;
    t_req_new(&streamed, &env, &so);
    t_req_submit(&streamed);
    t_done_wait(&env.done, 3);
    assert_int_equal(streamed.error, 0);
    assert_false(streamed.mismatch);
    assert_int_equal(streamed.offset, 2000000);
    assert_true(streamed.largest_chunk > 0);
    if (streamed.largest_chunk > expect_recv_max) {
        fail_msg("a %zu-byte chunk with a receive buffer of %zu", streamed.largest_chunk, expect_recv_max);
    }
    t_req_release(&streamed);
    assert_int_equal(up.error, 0);
    assert_int_equal(up.bytes_sent, T_UPLOAD_BYTES);
    assert_int_equal(up.sent, T_UPLOAD_BYTES);
    assert_int_equal(up.largest_ask, expect_ask);
    assert_int_equal(get.error, 0);
    assert_int_equal(get.bytes_received, 700001);
    t_buf_check(&b, 700001);
    t_env_stop(&env);
    s3x__http_request_release(put);
    t_req_release(&get);
    free(b.alloc);
}

static void test_buffer_size_options(void **state) {
    s_buffer_sizes_once(state, 0, 1024, 16 * 1024, 16 * 1024, 1024);        /* curl's smallest */
    s_buffer_sizes_once(state, 0, 1, 1, 16 * 1024, 1024);                    /* clamped up */
    s_buffer_sizes_once(state, 0, 512 * 1024, 300 * 1024, 300 * 1024, 512 * 1024);
    s_buffer_sizes_once(state, 0, UINT32_MAX, UINT32_MAX, 2048 * 1024, 512 * 1024); /* clamped down */
    /* defaults: 3 MiB shared by the connections, 64 .. 512 KiB each */
    s_buffer_sizes_once(state, 0, 0, 0, 64 * 1024, 64 * 1024); /* 64 connections: 48 KiB -> 64 KiB */
    s_buffer_sizes_once(state, 16, 0, 0, 192 * 1024, 192 * 1024);
    s_buffer_sizes_once(state, 4, 0, 0, 512 * 1024, 512 * 1024); /* 768 KiB -> 512 KiB */
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_buffer_sink_bodies),
        S3X_TEST(test_buffer_sink_retry_restarts),
        S3X_TEST(test_buffer_sink_overflow_and_errors),
        S3X_TEST(test_buffer_sink_invalid),
        S3X_TEST(test_buffer_size_options),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_buffer_sink", tests);
}
