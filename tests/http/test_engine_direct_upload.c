/* Engine tests: uploads on direct connections (src/http/direct.c). A PUT or POST of a memory body
 * (an upload part) is sent straight from the caller's buffer on a connection the engine drives;
 * these tests hold it to what libcurl's path does with the same request: the server receives the
 * exact bytes (the fault server's /sink answers with their count and SHA-256), the connection is
 * kept, faults are retried with the same attempt counts, and an answer that comes before the body
 * was read (a 403) is reported as such, with its error body.
 *
 * Every case runs on both paths (direct_receive_disable off and on) and checks
 * stats.direct_attempts: all attempts direct on one, none on the other. Example: 10 PUTs of 1 MiB
 * on one connection slot: 10 direct attempts, 1 connection, x-sink-bytes 1048576 each.
 */
#include "test_engine_direct_util.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *s_pattern(size_t len) {
    uint8_t *p = malloc(len > 0 ? len : 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; ++i) {
        p[i] = s3x_fault_pattern_byte(i);
    }
    return p;
}

/* A PUT (or POST) of `len` pattern bytes from memory to `url`, memory sink; submitted. */
static void s_put(struct t_env *env, struct t_req *t, const char *method, const char *url, const uint8_t *data,
    size_t len, uint32_t max_attempts) {
    struct s3x_http_request_options o;
    t_req_options(t, &o, method, url);
    o.body.kind = S3X_HTTP_BODY_MEMORY;
    o.body.data = data;
    o.body.len = len;
    o.max_attempts = max_attempts;
    t_req_new(t, env, &o);
    t_req_submit(t);
}

/* The sink's answer: the exact bytes arrived. */
static void s_check_sink(const struct t_req *t, size_t len) {
    char bytes[32], want[65];
    snprintf(bytes, sizeof(bytes), "%zu", len);
    t_pattern_sha256(len, want);
    assert_string_equal(s3x__http_request_response_header(t->request, "x-sink-bytes"), bytes);
    assert_string_equal(s3x__http_request_response_header(t->request, "x-sink-sha256"), want);
    assert_int_equal(t->bytes_sent, len);
    size_t body_len = 0;
    const uint8_t *body = s3x__http_request_response_body(t->request, &body_len);
    assert_true(body_len > 10 && memcmp(body, "{\"bytes\": ", 10) == 0); /* the JSON answer, kept */
}

static struct s3x_http_engine_options s_options(bool direct, uint32_t max_connections) {
    struct s3x_http_engine_options o = t_fast;
    o.max_connections = max_connections;
    o.direct_receive_disable = !direct;
    return o;
}

/* Sizes around the staging and socket buffers, 10 PUTs and a POST on one kept connection. */
static void test_upload_bodies(void **state) {
    static const size_t sizes[] = {1, 16383, 16385, (size_t)1 << 20, (size_t)8 << 20, 777};
    uint8_t *data = s_pattern((size_t)8 << 20);
    for (int direct = 1; direct >= 0; --direct) {
        struct s3x_http_engine_options o = s_options(direct != 0, 1);
        struct t_env env;
        t_env_start(&env, state, &o);
        char url[128];
        int n = 0;
        for (size_t i = 0; i < T_ARRAY_LEN(sizes) + 5; ++i) {
            size_t len = sizes[i % T_ARRAY_LEN(sizes)];
            struct t_req t = {0};
            s_put(&env, &t, i == 3 ? "POST" : "PUT", t_url(&env, "/sink/u", url, sizeof(url)), data, len, 0);
            t_done_wait(&env.done, ++n);
            assert_int_equal(t.error, 0);
            assert_int_equal(t.status, 200);
            assert_int_equal(t.attempts, 1);
            assert_int_equal(atomic_load(&t.headers_calls), 1);
            s_check_sink(&t, len);
            t_req_release(&t);
        }
        struct s3x_http_engine_stats st = t_stats(&env);
        assert_int_equal(st.attempts, (uint64_t)n);
        assert_int_equal(st.direct_attempts, direct ? (uint64_t)n : 0);
        assert_int_equal(st.connections_opened, 1);
        assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1);
        t_env_stop(&env);
    }
    free(data);
}

/* A reset after 100 000 body bytes, a stall in the body, a 503 answer: retried, the same counts on
 * both paths; the last attempt's bytes arrive whole. */
static void test_upload_faults(void **state) {
    size_t len = (size_t)2 << 20;
    uint8_t *data = s_pattern(len);
    static const struct {
        const char *fault;
        int error;       /* of attempt 1 (seen through the retry) */
        uint32_t stalls; /* stall detections */
    } cases[] = {
        {"reset-upload; after=100000; times=1", S3X_ERR_HTTP_SEND, 0},
        {"stall-upload; after=50000; times=1", S3X_ERR_HTTP_STALL, 1},
        {"slowdown; times=1", S3X_ERR_HTTP_STATUS, 0},
    };
    for (int direct = 1; direct >= 0; --direct) {
        struct s3x_http_engine_options o = s_options(direct != 0, 2);
        o.stall_window_ms = 300;
        struct t_env env;
        t_env_start(&env, state, &o);
        char url[128], id[32];
        for (size_t i = 0; i < T_ARRAY_LEN(cases); ++i) {
            struct t_req t = {0};
            snprintf(id, sizeof(id), "up-%d-%zu", direct, i);
            t.fault = cases[i].fault;
            t.fault_id = id;
            s_put(&env, &t, "PUT", t_url(&env, "/sink/f", url, sizeof(url)), data, len, 3);
            t_done_wait(&env.done, (int)i + 1);
            if (t.error != 0) {
                fail_msg("%s (%s): %s, %s", cases[i].fault, direct ? "direct" : "curl", s3x_error_name(t.error),
                    t.curl_message);
            }
            assert_int_equal(t.attempts, 2);
            assert_int_equal(atomic_load(&t.classify_calls), 2);
            s_check_sink(&t, len);
            t_req_release(&t);
        }
        struct s3x_http_engine_stats st = t_stats(&env);
        assert_int_equal(st.attempts, 2 * T_ARRAY_LEN(cases));
        assert_int_equal(st.direct_attempts, direct ? 2 * T_ARRAY_LEN(cases) : 0);
        assert_int_equal(st.stalls, 1);
        t_env_stop(&env);
    }
    free(data);
}

/* Over TLS to a server reading 64 KiB every 2 ms (~30 MB/s): a 64 MiB part is being sent for
 * ~2 s (the socket buffers take the first ~10 MiB at once; what they hold drains in ~0.3 s at the
 * end) and must show progress within every 1 s stall window. On the direct path
 * each send hands OpenSSL at most 256 KiB (curl 7.88 does not enable partial writes: one SSL_write
 * of the whole part would count nothing sent until all of it went: "stalled"). */
static void test_upload_tls_slow_reader(void **state) {
    size_t len = (size_t)64 << 20;
    uint8_t *data = s_pattern(len);
    for (int direct = 1; direct >= 0; --direct) {
        struct s3x_http_engine_options o = s_options(direct != 0, 1);
        o.stall_window_ms = 1000;
        o.ca_file = s3x_fault_server_ca_file();
        struct t_env env;
        t_env_start_tls(&env, state, &o);
        char url[128];
        struct t_req t = {0};
        t.fault = "slow-upload; interval_ms=2";
        s_put(&env, &t, "PUT", t_url(&env, "/sink/tls", url, sizeof(url)), data, len, 1);
        t_done_wait(&env.done, 1);
        if (t.error != 0) {
            fail_msg("%s: %s (%s)", direct ? "direct" : "curl", s3x_error_name(t.error), t.curl_message);
        }
        s_check_sink(&t, len);
        struct s3x_http_engine_stats st = t_stats(&env);
        assert_int_equal(st.direct_attempts, direct ? 1 : 0);
        assert_int_equal(st.stalls, 0);
        t_req_release(&t);
        t_env_stop(&env);
    }
    free(data);
}

/* One engine (one connection slot, direct on or off) and a scripted server. */
struct s_mini_env {
    struct t_env env;
    struct t_mini m;
    bool direct;
    int done;
};

static void s_mini_env_start(struct s_mini_env *me, void **state, bool direct, uint32_t stall_ms) {
    struct s3x_http_engine_options o = s_options(direct, 1);
    o.stall_window_ms = stall_ms;
    t_env_bare(&me->env, state, &o);
    t_mini_start(&me->m);
    me->direct = direct;
    me->done = 0;
}

/* Stops both; the server's counters stay readable. */
static void s_mini_env_stop(struct s_mini_env *me) {
    t_mini_stop(&me->m);
    t_env_stop(&me->env);
}

/* A PUT of `len` bytes to /<path_size> with `mode` (x-fault) and at most `max_attempts` (0: the
 * engine's 5), waited for; fails the test unless it ended with `error` after `attempts`. */
static void s_mini_put(struct s_mini_env *me, struct t_req *t, const char *mode, size_t path_size,
    const uint8_t *data, size_t len, uint32_t max_attempts, int error, uint32_t attempts) {
    char url[128];
    snprintf(url, sizeof(url), "%s/%zu", me->m.base_url, path_size);
    t->fault = mode;
    s_put(&me->env, t, "PUT", url, data, len, max_attempts);
    t_done_wait(&me->env.done, ++me->done);
    if (t->error != error) {
        fail_msg("%s (%s): %s (%s)", mode, me->direct ? "direct" : "curl", s3x_error_name(t->error),
            t->curl_message);
    }
    assert_int_equal(t->attempts, attempts);
}

/* The server answers 403 as soon as it has the head and never reads the 8 MiB body: the sender
 * stops, the answer and its XML are reported (not a send error), not retried, and the connection
 * is not used again. The request is released inside on_complete, as the S3 layer does. */
static void test_upload_early_answer(void **state) {
    size_t len = (size_t)8 << 20;
    uint8_t *data = s_pattern(len);
    for (int direct = 1; direct >= 0; --direct) {
        struct s_mini_env me;
        s_mini_env_start(&me, state, direct != 0, 0);
        struct t_req t = {.release_in_complete = true};
        s_mini_put(&me, &t, "early-403", 0, data, len, 0, S3X_ERR_HTTP_STATUS, 1); /* not retried */
        assert_int_equal(t.status, 403);
        assert_string_equal(t.error_body, "<Error><Code>AccessDenied</Code></Error>");
        assert_true(t.bytes_sent < len);
        assert_int_equal(t_stats(&me.env).direct_attempts, direct ? 1 : 0);
        s_mini_env_stop(&me);
        assert_int_equal(atomic_load(&me.m.accepted), 1);
    }
    free(data);
}

/* An interim answer nobody asked for, split over two segments, arrives while the body is being
 * sent: the sending goes on, the server reads the whole body and answers 200 (on both paths). */
static void test_upload_interim_answer(void **state) {
    size_t len = (size_t)4 << 20;
    uint8_t *data = s_pattern(len);
    for (int direct = 1; direct >= 0; --direct) {
        struct s_mini_env me;
        s_mini_env_start(&me, state, direct != 0, 2000);
        struct t_req t = {0};
        s_mini_put(&me, &t, "continue-read", len, data, len, 1, 0, 1);
        assert_int_equal(t.status, 200);
        assert_int_equal(t.bytes_sent, len);
        assert_int_equal(t_stats(&me.env).direct_attempts, direct ? 1 : 0);
        t_req_release(&t);
        s_mini_env_stop(&me);
    }
    free(data);
}

/* A kept connection the server closes when the next request (a PUT from memory) arrives: the
 * closing is seen while the body is being sent (readable), the request goes again on a new
 * connection within the same attempt, and succeeds (that server answers without reading a body).
 * The direct path always does; libcurl 7.88 replaces a dead kept connection only when it notices
 * before the body went (timing: here sometimes yes, sometimes a send error with one attempt
 * allowed; the engine's retry covers it when attempts remain), so its outcome is checked loosely:
 * the direct path is what this test holds to the behaviour. */
static void test_upload_kept_connection_closed(void **state) {
    size_t len = (size_t)1 << 20;
    uint8_t *data = s_pattern(len);
    for (int direct = 1; direct >= 0; --direct) {
        struct s_mini_env me;
        s_mini_env_start(&me, state, direct != 0, 0);
        struct t_get first = {0};
        t_get_mini(&me.env, &me.m, &first, "drop", 100, 100, &me.done); /* keeps connection 1 */
        t_expect_ok(&first, 200, 0, 100, 1);
        t_get_release(&first);
        struct t_req t = {0};
        if (direct) {
            s_mini_put(&me, &t, "drop", 100, data, len, 1, 0, 1);
        } else {
            char url[128];
            snprintf(url, sizeof(url), "%s/100", me.m.base_url);
            t.fault = "drop";
            s_put(&me.env, &t, "PUT", url, data, len, 1);
            t_done_wait(&me.env.done, ++me.done);
            /* whatever curl makes of it (seen: 200; a send error; a send error after the 200
             * arrived, as this server answers without reading the body): once, and no crash */
            assert_int_equal(atomic_load(&t.completions), 1);
            assert_true(t.error == 0 || t.error == S3X_ERR_HTTP_SEND || t.error == S3X_ERR_HTTP_RECV);
        }
        struct s3x_http_engine_stats st = t_stats(&me.env);
        assert_int_equal(st.direct_attempts, direct ? 2 : 0);
        assert_int_equal(st.direct_reconnects, direct ? 1 : 0);
        t_req_release(&t);
        s_mini_env_stop(&me);
        if (direct) {
            assert_int_equal(t.status, 200);
            assert_int_equal(atomic_load(&me.m.accepted), 2);
        }
    }
    free(data);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_upload_bodies),
        S3X_TEST(test_upload_faults),
        S3X_TEST(test_upload_early_answer),
        S3X_TEST(test_upload_kept_connection_closed),
        S3X_TEST(test_upload_interim_answer),
        S3X_TEST(test_upload_tls_slow_reader),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_direct_upload", tests);
}
