/* Engine tests: the direct receive path (src/http/direct.c), what works. A GET into a buffer sink
 * over http(s) with no proxy runs on a connection the engine drives itself; these tests hold it to
 * what libcurl's transfer does: exact bytes (guard bytes around every buffer), exact attempt, hook
 * and completion counts, connections counted on both ends. Here: bodies of every size, keep-alive,
 * framing (chunked, and t_mini's answers: until-close, interim, trailers, odd heads, HTTP/1.0, 204),
 * the request head as sent, and the requests that must not take the path. Faults, timeouts, cancel,
 * closed kept connections, TLS, limits and shutdown are in test_engine_direct_faults.c.
 *
 * stats.direct_attempts says which path ran: the number of attempts when the direct path must run,
 * 0 when it must not (direct_receive_disable, an upload, another sink, a proxy). Example: the 22
 * steps of the t_mini script on one connection slot make 24 attempts (bad-chunk and cut-head are
 * retried once): direct_attempts 24 with the path on, 0 with it off, the same bytes and connection
 * counts on both.
 */
#include "test_engine_direct_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================================================
 * 1 and 10. Bodies: exact bytes for every size around curl's 16 KiB and the part sizes, exact and
 * larger buffers, ranges, an interim 100 answer; the direct path or (disabled) curl's.
 */
static void s_bodies(struct t_env *env, bool direct) {
    static const size_t sizes[] = {0, 1, 16383, 16384, 16385, T_MIB + 7, 8 * T_MIB};
    enum { N = 2 * T_ARRAY_LEN(sizes), EXTRA = 3 };
    static struct t_get g[N + EXTRA];
    memset(g, 0, sizeof(g));
    char path[64], url[160];
    for (size_t i = 0; i < N; ++i) {
        size_t size = sizes[i / 2];
        bool larger = i % 2 == 1;
        snprintf(path, sizeof(path), "/data/%zu", size);
        t_get_new(env, &g[i], t_url(env, path, url, sizeof(url)), larger ? size + 4099 : size, larger ? 3 : 0,
            NULL, NULL);
        t_req_submit(&g[i].t);
    }
    g[N].header_name = "Range";
    g[N].header_value = "bytes=1000-70999";
    t_get_submit(env, &g[N], "/data/100000", 70000, NULL, NULL);
    g[N + 1].header_name = "Range";
    g[N + 1].header_value = "bytes=-10";
    t_get_submit(env, &g[N + 1], "/data/100000", 10, NULL, NULL);
    g[N + 2].header_name = "Expect"; /* the fault server answers 100 Continue first */
    g[N + 2].header_value = "100-continue";
    t_get_submit(env, &g[N + 2], "/data/65536", 65536, NULL, NULL);
    t_done_wait(&env->done, N + EXTRA);
    for (size_t i = 0; i < N; ++i) {
        size_t size = sizes[i / 2];
        t_expect_ok(&g[i], 200, 0, size, 1);
        assert_int_equal(atomic_load(&g[i].t.headers_calls), 1);
        char want[32];
        snprintf(want, sizeof(want), "%zu", size);
        assert_string_equal(s3x__http_request_response_header(g[i].t.request, "content-length"), want);
        snprintf(want, sizeof(want), "\"pattern-%zu\"", size);
        assert_string_equal(s3x__http_request_response_header(g[i].t.request, "ETag"), want);
        size_t len = 1;
        s3x__http_request_response_body(g[i].t.request, &len);
        assert_int_equal(len, 0); /* nothing went to a memory sink */
    }
    t_expect_ok(&g[N], 206, 1000, 70000, 1);
    assert_string_equal(s3x__http_request_response_header(g[N].t.request, "Content-Range"), "bytes 1000-70999/100000");
    t_expect_ok(&g[N + 1], 206, 99990, 10, 1);
    t_expect_ok(&g[N + 2], 200, 0, 65536, 1);
    assert_int_equal(atomic_load(&g[N + 2].t.headers_calls), 1);
    assert_int_equal(g[N + 2].headers_status, 200);
    struct s3x_http_engine_stats st = t_stats(env);
    assert_int_equal(st.attempts, N + EXTRA);
    assert_int_equal(st.direct_attempts, direct ? N + EXTRA : 0);
    assert_int_equal(st.direct_reconnects, 0);
    for (size_t i = 0; i < N + EXTRA; ++i) {
        t_get_release(&g[i]);
    }
}

static void test_direct_bodies(void **state) {
    struct t_env env;
    t_env_start(&env, state, &t_fast);
    s_bodies(&env, true);
    t_env_stop(&env);
}

/* ================================================================================================
 * 2. Keep-alive: one connection for 20 GETs of sizes that would misframe the next answer if a
 * byte were left over or taken too many; with "Connection: close", one connection each.
 */
static void s_sequential(struct t_env *env, const char *fault, int *done) {
    char path[64];
    for (int i = 0; i < 20; ++i) {
        size_t size = (size_t)i * 1337 + (size_t)(i % 3);
        snprintf(path, sizeof(path), "/data/%zu", size);
        struct t_get g = {0};
        t_get_submit(env, &g, path, size, fault, NULL);
        t_done_wait(&env->done, ++*done);
        t_expect_ok(&g, 200, 0, size, 1);
        t_get_release(&g);
    }
}

static void test_direct_keep_alive(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    int done = 0;
    s_sequential(&env, NULL, &done);
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, 20);
    assert_int_equal(st.connections_opened, 1);
    assert_int_equal(st.direct_reconnects, 0);
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1);
    assert_int_equal(s3x_fault_server_stat(&env.server, "requests"), 20);
    struct t_env closing;
    t_env_second(&env, &closing, &eo);
    done = 0;
    s_sequential(&closing, "close", &done);
    st = t_stats(&closing);
    assert_int_equal(st.direct_attempts, 20);
    assert_int_equal(st.connections_opened, 20);
    assert_int_equal(st.direct_reconnects, 0); /* announced closes are not reconnects */
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 21);
    t_env_second_stop(&closing);
    t_env_stop(&env);
}

/* Many direct GETs through few connections: each slot's connection is reused by the queue. */
static void test_direct_many(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 8;
    struct t_env env;
    t_env_start(&env, state, &eo);
    enum { N = 48 };
    static struct t_get g[N];
    memset(g, 0, sizeof(g));
    for (int i = 0; i < N; ++i) {
        t_get_submit(&env, &g[i], "/data/262151", 262151, NULL, NULL);
    }
    t_done_wait(&env.done, N);
    for (int i = 0; i < N; ++i) {
        t_expect_ok(&g[i], 200, 0, 262151, 1);
    }
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, N);
    assert_true(st.connections_opened >= 1 && st.connections_opened <= 8);
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), (long)st.connections_opened);
    assert_int_equal(s3x_fault_server_stat(&env.server, "requests"), N);
    t_env_stop(&env);
    for (int i = 0; i < N; ++i) {
        t_get_release(&g[i]);
    }
}

/* ================================================================================================
 * 3. Framing: chunked bodies (tiny, 1000-byte and 64 KiB chunks, empty) on one kept connection, a
 * chunked body too large for the buffer; then t_mini's answers, the same script on both paths.
 */
static void test_direct_chunked(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    static const struct {
        const char *path, *fault;
        size_t size;
    } cases[] = {
        {"/data/100000", "chunked; chunk=1000", 100000},
        {"/data/1048583", "chunked", T_MIB + 7},
        {"/data/300", "chunked; chunk=1", 300},
        {"/data/0", "chunked", 0},
        {"/data/5000", NULL, 5000}, /* a plain answer after them, same connection */
    };
    int done = 0;
    for (size_t i = 0; i < T_ARRAY_LEN(cases); ++i) {
        struct t_get g = {0};
        t_get_submit(&env, &g, cases[i].path, cases[i].size, cases[i].fault, NULL);
        t_done_wait(&env.done, ++done);
        t_expect_ok(&g, 200, 0, cases[i].size, 1);
        t_get_release(&g);
    }
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1);
    /* refused at the chunk that would pass the end; bytes up to it only, not retried */
    struct t_get big = {0};
    t_get_submit(&env, &big, "/data/100000", 99999, "chunked; chunk=7000", "too-big");
    t_done_wait(&env.done, ++done);
    t_expect_error(&big, S3X_ERR_OVERFLOW, 200, 1);
    assert_true(big.t.bytes_received <= 99999);
    t_buf_check(&big.buf, 0, big.t.bytes_received);
    assert_int_equal(t_counter(&env, "too-big"), 1);
    t_get_release(&big);
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, T_ARRAY_LEN(cases) + 1);
    t_env_stop(&env);
}

static const struct {
    const char *mode;
    size_t size, capacity;
    int status, error;
    int headers;        /* on_headers calls */
    int new_connection; /* new connections the request needs */
    const char *error_body;
    uint32_t attempts;
} s_mini_cases[] = {
    {"until-close", 100000, 100000, 200, 0, 1, 1, NULL, 1}, /* no length: the body ends with the connection */
    {"until-close-header", 70001, 80000, 200, 0, 1, 1, NULL, 1},
    {"until-close", 0, 0, 200, 0, 1, 1, NULL, 1},
    {"until-close", 100000, 99999, 200, S3X_ERR_OVERFLOW, 1, 1, NULL, 1},
    {"interim", 50000, 50000, 200, 0, 1, 1, NULL, 1}, /* 100 and 103 before the answer, in one segment */
    {"dribble", 30000, 30000, 200, 0, 1, 0, NULL, 1},
    {"trailers", 100000, 100000, 200, 0, 1, 0, NULL, 1},
    {"", 1000, 1000, 200, 0, 1, 0, NULL, 1}, /* the trailers were consumed: the connection is in step */
    {"no-content", 5, 100, 204, 0, 1, 0, NULL, 1},
    {"", 777, 777, 200, 0, 1, 0, NULL, 1},
    {"error-chunked", 100, 100, 404, S3X_ERR_HTTP_STATUS, 1, 0, "<Error><Code>NoSuchKey</Code></Error>", 1},
    {"", 2000, 2000, 200, 0, 1, 0, NULL, 1},
    {"big-headers", 3000, 3000, 200, 0, 1, 0, NULL, 1},
    {"long-header", 3000, 3000, 200, 0, 1, 0, NULL, 1},
    {"excess", 1000, 1000, 200, 0, 1, 0, NULL, 1},
    {"", 1000, 1000, 200, 0, 1, 1, NULL, 1}, /* not on the connection with bytes pending */
    {"huge-headers", 3000, 3000, 200, S3X_ERR_HTTP_PROTOCOL, 0, 0, NULL, 1}, /* a server's fault: not retried */
    {"bad-chunk", 100, 100, 200, S3X_ERR_HTTP_RECV, 2, 2, NULL, 2},    /* as curl: a receive error, retried */
    {"cut-head", 100, 100, 200, S3X_ERR_HTTP_RECV, 0, 2, NULL, 2}, /* both paths: a receive error, retried */
    {"error-until-close", 100, 100, 403, S3X_ERR_HTTP_STATUS, 1, 1, "<Error><Code>AccessDenied</Code></Error>", 1},
    {"http10", 20000, 20000, 200, 0, 1, 1, NULL, 1},
    {"", 1000, 1000, 200, 0, 1, 1, NULL, 1}, /* never on the HTTP/1.0 connection */
};

static void s_mini_check(const struct t_get *g, size_t i) {
    struct s3x_http_request *r = g->t.request;
    const char *mode = s_mini_cases[i].mode;
    if (strcmp(mode, "interim") == 0) {
        assert_null(s3x__http_request_response_header(r, "Link")); /* the 103's header */
    } else if (strcmp(mode, "dribble") == 0) {
        assert_string_equal(s3x__http_request_response_header(r, "Content-Length"), "30000");
        assert_string_equal(s3x__http_request_response_header(r, "x-spaced"), "a  b");
        assert_string_equal(s3x__http_request_response_header(r, "X-Empty"), "");
    } else if (strcmp(mode, "trailers") == 0) {
        assert_null(s3x__http_request_response_header(r, "X-Trailer")); /* trailers are not kept */
    } else if (strcmp(mode, "no-content") == 0) {
        assert_string_equal(s3x__http_request_response_header(r, "X-Note"), "none");
    } else if (strcmp(mode, "long-header") == 0) {
        assert_int_equal(strlen(s3x__http_request_response_header(r, "X-Long")), 50000);
    } else if (strcmp(mode, "big-headers") == 0) {
        assert_int_equal(s3x__http_request_response_header_count(r), 1001);
        char want[96];
        snprintf(want, sizeof(want), "%090d", 999);
        assert_string_equal(s3x__http_request_response_header(r, "x-h0999"), want);
    }
    if (s_mini_cases[i].error_body != NULL) {
        assert_string_equal(g->t.error_body, s_mini_cases[i].error_body);
        assert_int_equal(g->t.bytes_received, strlen(s_mini_cases[i].error_body));
    }
}

static void s_mini_script(void **state, bool direct) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    eo.direct_receive_disable = !direct;
    struct t_env env;
    t_env_bare(&env, state, &eo);
    struct t_mini m;
    t_mini_start(&m);
    int done = 0, connections = 0;
    for (size_t i = 0; i < T_ARRAY_LEN(s_mini_cases); ++i) {
        struct t_get g = {.max_attempts = 2};
        t_get_mini(&env, &m, &g, s_mini_cases[i].mode, s_mini_cases[i].size, s_mini_cases[i].capacity, &done);
        connections += s_mini_cases[i].new_connection;
        int status = s_mini_cases[i].status;
        uint32_t attempts = s_mini_cases[i].attempts;
        if (s_mini_cases[i].error == 0) {
            t_expect_ok(&g, status, 0, status == 204 ? 0 : s_mini_cases[i].size, attempts);
        } else {
            t_expect_error(&g, s_mini_cases[i].error, status, attempts);
            t_buf_check(&g.buf, 0, status / 100 == 2 ? g.t.bytes_received : 0);
        }
        assert_int_equal(atomic_load(&g.t.headers_calls), s_mini_cases[i].headers);
        if (s_mini_cases[i].headers > 0) {
            assert_int_equal(g.headers_status, status);
        }
        s_mini_check(&g, i);
        t_get_release(&g);
        if (atomic_load(&m.accepted) != connections) {
            fail_msg("after %zu (%s): %d connections, expected %d", i, s_mini_cases[i].mode, atomic_load(&m.accepted),
                connections);
        }
    }
    size_t attempts = T_ARRAY_LEN(s_mini_cases) + 2; /* bad-chunk's and cut-head's retries */
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.attempts, attempts);
    assert_int_equal(st.direct_attempts, direct ? attempts : 0);
    assert_int_equal(st.direct_reconnects, 0);
    assert_int_equal(st.connections_opened, connections);
    t_env_stop(&env);
    t_mini_stop(&m);
    assert_int_equal(atomic_load(&m.requests), attempts);
    assert_int_equal(atomic_load(&m.violations), 0);
}

static void test_direct_framing(void **state) {
    s_mini_script(state, true);
    s_mini_script(state, false); /* the reference: curl's transfer gives the same */
}

/* ================================================================================================
 * The request head as the server saw it (the fault server's /echo returns every header it got):
 * the same on both paths, the target sent as given, a custom Host kept, a 12 000-byte header whole
 * (echoed back in one answer header line of that length).
 */
static void s_echo(struct t_env *env, struct t_get *g, const char *host, const char *long_value) {
    char url[256];
    t_get_new(env, g, t_url(env, "/echo/a%20b/./c?x=1&y=%2F&z", url, sizeof(url)), 16, 0, NULL, NULL);
    struct s3x_http_request *r = g->t.request;
    assert_int_equal(s3x__http_request_set_header(r, "X-Custom", "v1"), 0);
    assert_int_equal(s3x__http_request_set_header(r, "X-Empty", ""), 0);
    assert_int_equal(s3x__http_request_set_header(r, "X-Long", long_value), 0);
    assert_int_equal(s3x__http_request_set_header(r, "Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x"), 0);
    if (host != NULL) {
        assert_int_equal(s3x__http_request_set_header(r, "Host", host), 0);
    }
    t_req_submit(&g->t);
}

static void test_direct_request_head(void **state) {
    struct t_env env, curl_path;
    t_env_start(&env, state, &t_fast);
    struct s3x_http_engine_options off = t_fast;
    off.direct_receive_disable = true;
    t_env_second(&env, &curl_path, &off);
    char *long_value = malloc(12001);
    assert_non_null(long_value);
    for (size_t i = 0; i < 12000; ++i) {
        long_value[i] = (char)('a' + i % 26);
    }
    long_value[12000] = '\0';
    static const char *hosts[] = {NULL, "example.test:8080"};
    for (size_t h = 0; h < T_ARRAY_LEN(hosts); ++h) {
        struct t_get d = {0}, c = {0};
        s_echo(&env, &d, hosts[h], long_value);
        s_echo(&curl_path, &c, hosts[h], long_value);
        t_done_wait(&env.done, (int)h + 1);
        t_done_wait(&curl_path.done, (int)h + 1);
        t_expect_ok(&d, 200, 0, 0, 1);
        t_expect_ok(&c, 200, 0, 0, 1);
        struct s3x_http_request *dr = d.t.request, *cr = c.t.request;
        assert_string_equal(s3x__http_request_response_header(dr, "x-echo-path"), "/echo/a%20b/./c?x=1&y=%2F&z");
        assert_string_equal(s3x__http_request_response_header(cr, "x-echo-path"), "/echo/a%20b/./c?x=1&y=%2F&z");
        assert_string_equal(s3x__http_request_response_header(dr, "x-echo-method"), "GET");
        assert_string_equal(s3x__http_request_response_header(dr, "x-echo-body-length"), "0");
        assert_string_equal(s3x__http_request_response_header(dr, "x-echo-h-x-long"), long_value);
        if (hosts[h] != NULL) {
            assert_string_equal(s3x__http_request_response_header(dr, "x-echo-h-host"), hosts[h]);
        }
        /* every header curl's path sent, the direct path sent with the same value, and no other */
        size_t sent_d = 0, sent_c = 0;
        const char *name, *value;
        for (size_t i = 0; s3x__http_request_response_header_at(cr, i, &name, &value); ++i) {
            if (strncmp(name, "x-echo-h-", 9) == 0) {
                sent_c++;
                const char *mine = s3x__http_request_response_header(dr, name);
                if (mine == NULL || strcmp(mine, value) != 0) {
                    fail_msg("%s: curl's path sent \"%.60s\", the direct path %s%.60s%s", name + 9, value,
                        mine ? "\"" : "", mine ? mine : "nothing", mine ? "\"" : "");
                }
            }
        }
        for (size_t i = 0; s3x__http_request_response_header_at(dr, i, &name, &value); ++i) {
            sent_d += strncmp(name, "x-echo-h-", 9) == 0;
        }
        assert_int_equal(sent_d, sent_c);
        t_get_release(&d);
        t_get_release(&c);
    }
    assert_int_equal(t_stats(&env).direct_attempts, 2);
    assert_int_equal(t_stats(&curl_path).direct_attempts, 0);
    free(long_value);
    t_env_second_stop(&curl_path);
    t_env_stop(&env);
}


/* ================================================================================================
 * 10. direct_receive_disable: the same bodies, chunked, keep-alive and retries through curl.
 */
static void test_direct_disabled(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.direct_receive_disable = true;
    struct t_env env;
    t_env_start(&env, state, &eo);
    s_bodies(&env, false);
    int done = 17;
    struct t_get chunked = {0}, shortb = {0};
    t_get_submit(&env, &chunked, "/data/100000", 100000, "chunked; chunk=1000", NULL);
    t_get_submit(&env, &shortb, "/data/200000", 200000, "short-body; times=1", "off-short");
    done += 2;
    t_done_wait(&env.done, done);
    t_expect_ok(&chunked, 200, 0, 100000, 1);
    t_expect_ok(&shortb, 200, 0, 200000, 2);
    assert_int_equal(t_stats(&env).direct_attempts, 0);
    eo.max_connections = 1;
    struct t_env one;
    t_env_second(&env, &one, &eo);
    done = 0;
    long before = s3x_fault_server_stat(&env.server, "connections");
    s_sequential(&one, NULL, &done);
    assert_int_equal(t_stats(&one).direct_attempts, 0);
    assert_int_equal(t_stats(&one).connections_opened, 1);
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections") - before, 1);
    t_env_second_stop(&one);
    t_env_stop(&env);
    t_get_release(&chunked);
    t_get_release(&shortb);
}

/* Requests that are not direct GETs on an engine that has the path on: an upload into a buffer
 * sink, a bodiless POST, HEAD, a GET with a body, memory and stream sinks, a proxy. Then one that
 * is, so the zeros count. */
static void s_other_request(struct t_env *env, struct t_req *t, const char *method, const char *path,
    enum s3x_http_sink_kind sink, uint8_t *buffer, size_t capacity, const char *body, int *done) {
    char url[160];
    struct s3x_http_request_options o;
    t_req_options(t, &o, method, t_url(env, path, url, sizeof(url)));
    o.sink.kind = sink;
    o.sink.buffer = buffer;
    o.sink.capacity = capacity;
    if (sink == S3X_HTTP_SINK_STREAM) {
        o.sink.write = t_sink_pattern;
        o.sink.on_retry = t_sink_on_retry;
    }
    if (body != NULL) {
        o.body.kind = S3X_HTTP_BODY_MEMORY;
        o.body.data = (const uint8_t *)body;
        o.body.len = strlen(body);
    }
    t_req_new(t, env, &o);
    t_req_submit(t);
    t_done_wait(&env->done, ++*done);
    if (t->error != 0) {
        fail_msg("%s %s: %s: %s", method, path, s3x_error_name(t->error), t->curl_message);
    }
    assert_int_equal(t->attempts, 1);
}

/* The proxy option unset: libcurl's proxy variables as the engine found them at its start decide.
 * http_proxy set: curl's path through it (the echo shows an absolute target); only https_proxy set:
 * an http GET is direct. The variables are set while no transfer runs (curl reads them per transfer)
 * and restored at the end. */
static void s_env_proxy(struct t_env *env) {
    static const char *names[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
        "NO_PROXY"};
    char *saved[T_ARRAY_LEN(names)];
    for (size_t i = 0; i < T_ARRAY_LEN(names); ++i) {
        const char *v = getenv(names[i]);
        saved[i] = v != NULL ? strdup(v) : NULL;
        unsetenv(names[i]);
    }
    for (int https_only = 0; https_only < 2; ++https_only) {
        setenv(https_only ? "https_proxy" : "http_proxy", env->server.base_url, 1);
        struct t_env second;
        memset(&second, 0, sizeof(second));
        second.allocator = env->allocator;
        second.server = env->server;
        t_done_init(&second.done);
        struct s3x_http_engine_options o = t_fast; /* proxy NULL: the environment's */
        assert_int_equal(s3x__http_engine_new(env->allocator, &o, &second.engine), 0);
        struct t_get g = {0};
        t_get_submit(&second, &g, "/echo/env", 16, NULL, NULL);
        t_done_wait(&second.done, 1);
        t_expect_ok(&g, 200, 0, 0, 1);
        const char *target = s3x__http_request_response_header(g.t.request, "x-echo-path");
        assert_non_null(target);
        assert_int_equal(strncmp(target, https_only ? "/echo/env" : "http://127.0.0.1:", https_only ? 10 : 17), 0);
        assert_int_equal(t_stats(&second).direct_attempts, https_only ? 1 : 0);
        t_env_second_stop(&second);
        unsetenv(https_only ? "https_proxy" : "http_proxy"); /* curl reads it per transfer */
        t_get_release(&g);
    }
    for (size_t i = 0; i < T_ARRAY_LEN(names); ++i) {
        if (saved[i] != NULL) {
            setenv(names[i], saved[i], 1);
            free(saved[i]);
        }
    }
}

/* A per-host limit below the total: every GET runs on curl's path (curl would hold a transfer
 * pending on a host full of direct connections and never wake it); four slow GETs over two
 * per-host connections all complete, two at a time. */
static void test_direct_per_host_limit(void **state) {
    struct s3x_http_engine_options o = t_fast;
    o.max_connections = 4;
    o.max_connections_per_host = 2;
    struct t_env env;
    t_env_start(&env, state, &o);
    struct t_get g[4];
    memset(g, 0, sizeof(g));
    for (size_t i = 0; i < 4; ++i) {
        t_get_submit(&env, &g[i], "/data/5000", 5000, "delay; ms=200", NULL);
    }
    t_done_wait(&env.done, 4);
    for (size_t i = 0; i < 4; ++i) {
        t_expect_ok(&g[i], 200, 0, 5000, 1);
        t_get_release(&g[i]);
    }
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, 0);
    assert_int_equal(st.attempts, 4);
    assert_true(st.connections_opened <= 2);
    t_env_stop(&env);
}

static void test_direct_not_taken(void **state) {
    struct t_env env;
    t_env_start(&env, state, &t_fast);
    int done = 0;
    uint8_t buf[4096];
    struct t_req put = {0}, post = {0}, head = {0}, body = {0}, mem = {0}, stream = {0};
    memset(buf, 0, sizeof(buf));
    s_other_request(&env, &put, "PUT", "/sink/b", S3X_HTTP_SINK_BUFFER, buf, sizeof(buf), "hello", &done);
    assert_int_equal(memcmp(buf, "{\"bytes\": 5,", 12), 0);
    s_other_request(&env, &post, "POST", "/sink/b", S3X_HTTP_SINK_BUFFER, buf, sizeof(buf), NULL, &done);
    assert_int_equal(memcmp(buf, "{\"bytes\": 0,", 12), 0);
    s_other_request(&env, &head, "HEAD", "/data/1000", S3X_HTTP_SINK_BUFFER, buf, sizeof(buf), NULL, &done);
    assert_int_equal(head.bytes_received, 0);
    assert_string_equal(s3x__http_request_response_header(head.request, "Content-Length"), "1000");
    s_other_request(&env, &body, "GET", "/echo/b", S3X_HTTP_SINK_BUFFER, buf, sizeof(buf), "abc", &done);
    assert_int_equal(body.bytes_received, 3);
    assert_memory_equal(buf, "abc", 3);
    s_other_request(&env, &mem, "GET", "/data/1000", S3X_HTTP_SINK_MEMORY, NULL, 0, NULL, &done);
    size_t len = 0;
    s3x__http_request_response_body(mem.request, &len);
    assert_int_equal(len, 1000);
    s_other_request(&env, &stream, "GET", "/data/100000", S3X_HTTP_SINK_STREAM, NULL, 0, NULL, &done);
    assert_int_equal(stream.offset, 100000);
    assert_false(stream.mismatch);
    assert_int_equal(t_stats(&env).direct_attempts, 1); /* only the PUT from memory: an upload part */
    /* through a proxy (the fault server serves absolute-form targets too): the echo shows it */
    struct s3x_http_engine_options proxied = t_fast;
    proxied.proxy = env.server.base_url;
    struct t_env second;
    t_env_second(&env, &second, &proxied);
    struct t_get viaproxy = {0};
    t_get_submit(&second, &viaproxy, "/echo/p", 100, NULL, NULL);
    t_done_wait(&second.done, 1);
    t_expect_ok(&viaproxy, 200, 0, 0, 1);
    const char *target = s3x__http_request_response_header(viaproxy.t.request, "x-echo-path");
    assert_non_null(target);
    assert_int_equal(strncmp(target, "http://127.0.0.1:", 17), 0);
    assert_int_equal(t_stats(&second).direct_attempts, 0);
    t_env_second_stop(&second);
    /* user info or a fragment in the URL: curl's path (it drops the fragment, sends the user info) */
    for (int i = 0; i < 2; ++i) {
        struct t_get g = {0};
        char url[128];
        if (i == 0) {
            snprintf(url, sizeof(url), "http://user:pw@127.0.0.1:%u/data/1000", env.server.port);
        } else {
            snprintf(url, sizeof(url), "http://127.0.0.1:%u/data/1000#frag", env.server.port);
        }
        t_get_new(&env, &g, url, 1000, 0, NULL, NULL);
        t_req_submit(&g.t);
        t_done_wait(&env.done, ++done);
        t_expect_ok(&g, 200, 0, 1000, 1);
        t_get_release(&g);
    }
    assert_int_equal(t_stats(&env).direct_attempts, 1);
    s_env_proxy(&env);
    struct t_get direct = {0};
    t_get_submit(&env, &direct, "/data/1000", 1000, NULL, NULL);
    t_done_wait(&env.done, ++done);
    t_expect_ok(&direct, 200, 0, 1000, 1);
    assert_int_equal(t_stats(&env).direct_attempts, 2);
    t_env_stop(&env);
    struct t_req *all[] = {&put, &post, &head, &body, &mem, &stream};
    for (size_t i = 0; i < T_ARRAY_LEN(all); ++i) {
        t_req_release(all[i]);
    }
    t_get_release(&viaproxy);
    t_get_release(&direct);
}


int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_direct_bodies),
        S3X_TEST(test_direct_keep_alive),
        S3X_TEST(test_direct_many),
        S3X_TEST(test_direct_chunked),
        S3X_TEST(test_direct_framing),
        S3X_TEST(test_direct_request_head),
        S3X_TEST(test_direct_disabled),
        S3X_TEST(test_direct_not_taken),
        S3X_TEST(test_direct_per_host_limit),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_direct", tests);
}
