/* Engine tests: requests and responses, methods and bodies, 64 concurrent requests, keep-alive,
 * the executor, argument errors and fail-the-Nth sweeps. Against tests/servers/fault. */
#include "test_engine_util.h"

#include <s3xfer/error.h>
#include <s3xfer/future.h>

#include <curl/curl.h>

#include <stdio.h>
#include <string.h>

static void test_get_memory_sink(void **state) {
    struct t_env env;
    t_env_start(&env, state, NULL);
    char url[128];
    struct t_req t = {0};
    struct s3x_http_request_options o;
    t_req_options(&t, &o, "GET", t_url(&env, "/data/100000", url, sizeof(url)));
    t_req_new(&t, &env, &o);
    t_req_submit(&t);
    t_done_wait(&env.done, 1);
    assert_int_equal(t.error, 0);
    assert_int_equal(t.status, 200);
    assert_int_equal(t.attempts, 1);
    assert_int_equal(t.bytes_received, 100000);
    assert_int_equal(atomic_load(&t.prepares), 1);
    assert_int_equal(atomic_load(&t.headers_calls), 1);
    assert_int_equal(atomic_load(&t.classify_calls), 1);
    assert_false(atomic_load(&t.off_thread));
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(t.request, &len);
    assert_int_equal(len, 100000);
    for (size_t i = 0; i < len; ++i) {
        if (body[i] != s3x_fault_pattern_byte(i)) {
            fail_msg("byte %zu differs", i);
        }
    }
    assert_string_equal(s3x__http_request_response_header(t.request, "etag"), "\"pattern-100000\"");
    assert_string_equal(s3x__http_request_response_header(t.request, "CONTENT-LENGTH"), "100000");
    assert_null(s3x__http_request_response_header(t.request, "x-nope"));
    const struct s3x_http_result *res = s3x__http_request_result(t.request);
    assert_non_null(res);
    assert_int_equal(res->error, 0);
    t_env_stop(&env);
    assert_int_equal(atomic_load(&t.completions), 1);
    t_req_release(&t);
}

/* Method, body and headers as the server saw them, on one recycled handle. */
static void s_echo(struct t_env *env, const char *method, const char *body, struct t_req *t) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(t, &o, method, t_url(env, "/echo/a%20b/../c?x=1&y=%2F", url, sizeof(url)));
    if (body != NULL) {
        o.body.kind = S3X_HTTP_BODY_MEMORY;
        o.body.data = (const uint8_t *)body;
        o.body.len = strlen(body);
    }
    t_req_new(t, env, &o);
    assert_int_equal(s3x__http_request_set_header(t->request, "X-Custom", "v1"), 0);
    assert_int_equal(s3x__http_request_set_header(t->request, "x-custom", "v2"), 0); /* replaces */
    assert_int_equal(s3x__http_request_set_header(t->request, "X-Empty", ""), 0);
    assert_int_equal(s3x__http_request_set_header(t->request, "X-Gone", "1"), 0);
    assert_int_equal(s3x__http_request_set_header(t->request, "X-Gone", NULL), 0);
    assert_int_equal(s3x__http_request_header_count(t->request), 2);
    t_req_submit(t);
}

static void test_methods_and_headers(void **state) {
    struct t_env env;
    /* libcurl's path for every method: one handle, one kept connection (uploads from memory and
     * GETs into buffers run on direct connections, a separate set: test_engine_direct*.c) */
    struct s3x_http_engine_options eo = {.max_connections = 1, .direct_receive_disable = true};
    t_env_start(&env, state, &eo);
    static const struct {
        const char *method, *body, *content_length;
    } cases[] = {
        {"GET", NULL, NULL}, {"PUT", "hello", "5"}, {"HEAD", NULL, NULL}, {"POST", "<x/>", "4"},
        {"DELETE", NULL, NULL}, {"PUT", NULL, "0"}, {"POST", NULL, "0"}, {"GET", NULL, NULL},
    };
    for (size_t i = 0; i < T_ARRAY_LEN(cases); ++i) {
        struct t_req t = {0};
        s_echo(&env, cases[i].method, cases[i].body, &t);
        t_done_wait(&env.done, (int)i + 1);
        assert_int_equal(t.error, 0);
        struct s3x_http_request *r = t.request;
        assert_string_equal(s3x__http_request_response_header(r, "x-echo-method"), cases[i].method);
        /* sent as is: no dot-segment removal, no re-encoding */
        assert_string_equal(s3x__http_request_response_header(r, "x-echo-path"), "/echo/a%20b/../c?x=1&y=%2F");
        assert_string_equal(s3x__http_request_response_header(r, "x-echo-h-x-custom"), "v2");
        assert_string_equal(s3x__http_request_response_header(r, "x-echo-h-x-empty"), "");
        assert_null(s3x__http_request_response_header(r, "x-echo-h-x-gone"));
        assert_null(s3x__http_request_response_header(r, "x-echo-h-expect"));
        const char *cl = s3x__http_request_response_header(r, "x-echo-h-content-length");
        if (cases[i].content_length != NULL) {
            assert_non_null(cl);
            assert_string_equal(cl, cases[i].content_length);
        } else {
            assert_null(cl);
        }
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(r, &len);
        if (cases[i].body != NULL && strcmp(cases[i].method, "HEAD") != 0) {
            assert_int_equal(len, strlen(cases[i].body));
            assert_memory_equal(body, cases[i].body, len);
        } else {
            assert_int_equal(len, 0);
        }
        t_req_release(&t);
    }
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.handles_created, 1);
    assert_int_equal(st.connections_opened, 1);
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1);
    t_env_stop(&env);
}

/* A streamed upload of unknown length goes out chunked; a streamed download arrives chunked. */
struct s_gen {
    struct t_req t;
    uint64_t total, produced;
    atomic_int rewinds;
};

static int s_gen_read(struct s3x_http_request *r, uint8_t *buf, size_t cap, size_t *out, void *user_data) {
    struct s_gen *g = user_data;
    (void)r;
    size_t n = g->total - g->produced < cap ? (size_t)(g->total - g->produced) : cap;
    if (n > 1000) {
        n = 1000; /* small reads: many chunks */
    }
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_fault_pattern_byte(g->produced + i);
    }
    g->produced += n;
    *out = n;
    return 0;
}

static int s_gen_rewind(struct s3x_http_request *r, void *user_data) {
    struct s_gen *g = user_data;
    (void)r;
    g->produced = 0;
    atomic_fetch_add(&g->rewinds, 1);
    return 0;
}

static void test_chunked_both_ways(void **state) {
    struct t_env env;
    t_env_start(&env, state, NULL);
    char url[128];
    struct s_gen g = {.total = 300000};
    struct s3x_http_request_options o;
    t_req_options(&g.t, &o, "PUT", t_url(&env, "/sink/x", url, sizeof(url)));
    o.body.kind = S3X_HTTP_BODY_STREAM;
    o.body.content_length = S3X_HTTP_LENGTH_UNKNOWN;
    o.body.read = s_gen_read;
    o.body.rewind = s_gen_rewind;
    t_req_new(&g.t, &env, &o);
    t_req_submit(&g.t);
    t_done_wait(&env.done, 1);
    assert_int_equal(g.t.error, 0);
    assert_int_equal(g.t.bytes_sent, 300000);
    char want[65];
    t_pattern_sha256(300000, want);
    assert_string_equal(s3x__http_request_response_header(g.t.request, "x-sink-bytes"), "300000");
    assert_string_equal(s3x__http_request_response_header(g.t.request, "x-sink-sha256"), want);
    assert_string_equal(s3x__http_request_response_header(g.t.request, "x-sink-chunked"), "1");
    t_req_release(&g.t);

    struct t_req d = {0};
    t_req_options(&d, &o, "GET", t_url(&env, "/data/1000000", url, sizeof(url)));
    o.sink.kind = S3X_HTTP_SINK_STREAM;
    o.sink.write = t_sink_pattern;
    o.sink.on_retry = t_sink_on_retry;
    d.fault = "chunked; chunk=777";
    t_req_new(&d, &env, &o);
    t_req_submit(&d);
    t_done_wait(&env.done, 2);
    assert_int_equal(d.error, 0);
    assert_false(d.mismatch);
    assert_int_equal(d.offset, 1000000);
    assert_int_equal(d.bytes_received, 1000000);
    assert_null(s3x__http_request_response_header(d.request, "content-length"));
    t_req_release(&d);
    t_env_stop(&env);
}

/* 64 requests at once over 16 connections: 64 callbacks, every body right, connections reused. */
#define S_CONCURRENT 64
static void test_64_concurrent(void **state) {
    struct t_env env;
    struct s3x_http_engine_options eo = {.max_connections = 16};
    t_env_start(&env, state, &eo);
    static struct t_req reqs[S_CONCURRENT];
    memset(reqs, 0, sizeof(reqs));
    char url[128], path[64];
    for (int i = 0; i < S_CONCURRENT; ++i) {
        struct s3x_http_request_options o;
        uint64_t size = 1000u + (uint64_t)i * 4099u; /* 1 000 .. 259 237 bytes */
        snprintf(path, sizeof(path), "/data/%llu", (unsigned long long)size);
        t_req_options(&reqs[i], &o, "GET", t_url(&env, path, url, sizeof(url)));
        if (i % 2 == 1) {
            o.sink.kind = S3X_HTTP_SINK_STREAM;
            o.sink.write = t_sink_pattern;
            o.sink.on_retry = t_sink_on_retry;
        }
        t_req_new(&reqs[i], &env, &o);
    }
    for (int i = 0; i < S_CONCURRENT; ++i) {
        t_req_submit(&reqs[i]);
    }
    t_done_wait(&env.done, S_CONCURRENT);
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    t_env_destroy_engine(&env); /* joins the thread: no callback can come after this */
    assert_int_equal(env.done.count, S_CONCURRENT);
    for (int i = 0; i < S_CONCURRENT; ++i) {
        struct t_req *t = &reqs[i];
        uint64_t size = 1000u + (uint64_t)i * 4099u;
        assert_int_equal(atomic_load(&t->completions), 1);
        assert_int_equal(t->error, 0);
        assert_int_equal(t->attempts, 1);
        assert_int_equal(t->bytes_received, size);
        assert_false(atomic_load(&t->off_thread));
        if (i % 2 == 1) {
            assert_false(t->mismatch);
            assert_int_equal(t->offset, size);
        } else {
            size_t len = 0;
            const uint8_t *body = s3x__http_request_response_body(t->request, &len);
            assert_int_equal(len, size);
            for (size_t k = 0; k < len; k += 97) {
                assert_int_equal(body[k], s3x_fault_pattern_byte(k));
            }
        }
        t_req_release(t);
    }
    assert_int_equal(st.requests_submitted, S_CONCURRENT);
    assert_int_equal(st.requests_completed, S_CONCURRENT);
    assert_int_equal(st.attempts, S_CONCURRENT);
    assert_true(st.connections_opened <= 16);
    assert_true(st.handles_created <= 16);
    long server_conns = s3x_fault_server_stat(&env.server, "connections");
    assert_int_equal(server_conns, (long)st.connections_opened);
    assert_int_equal(s3x_fault_server_stat(&env.server, "requests"), S_CONCURRENT);
    print_message("64 requests: %llu connections, %llu easy handles\n", (unsigned long long)st.connections_opened,
        (unsigned long long)st.handles_created);
    t_env_stop(&env);
}

/* Sequential requests reuse one connection and one easy handle. */
static void test_keepalive_reuse(void **state) {
    struct t_env env;
    const struct s3x_http_engine_options curl_path = {.direct_receive_disable = true}; /* as above */
    t_env_start(&env, state, &curl_path);
    char url[128];
    for (int i = 0; i < 20; ++i) {
        struct t_req t = {0};
        struct s3x_http_request_options o;
        t_req_options(&t, &o, i % 3 == 0 ? "PUT" : "GET", t_url(&env, i % 3 == 0 ? "/sink" : "/data/5000", url,
                                                                sizeof(url)));
        if (i % 3 == 0) {
            o.body.kind = S3X_HTTP_BODY_MEMORY;
            o.body.data = (const uint8_t *)"0123456789";
            o.body.len = 10;
        }
        t_req_new(&t, &env, &o);
        t_req_submit(&t);
        t_done_wait(&env.done, i + 1);
        assert_int_equal(t.error, 0);
        t_req_release(&t);
    }
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.connections_opened, 1);
    assert_int_equal(st.handles_created, 1);
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1);
    assert_int_equal(s3x_fault_server_stat(&env.server, "requests"), 20);
    t_env_stop(&env);
}

/* The per-host limit holds, and transfers curl keeps waiting for a connection are not "stalled":
 * 8 requests of 150 ms each over 2 connections take 4 rounds = 600 ms > the 400 ms window. */
static void test_per_host_limit(void **state) {
    struct t_env env;
    struct s3x_http_engine_options eo = {.max_connections = 8, .max_connections_per_host = 2,
        .stall_window_ms = 400, .max_attempts = 1};
    t_env_start(&env, state, &eo);
    struct t_req reqs[8];
    memset(reqs, 0, sizeof(reqs));
    char url[128];
    for (int i = 0; i < 8; ++i) {
        struct s3x_http_request_options o;
        t_req_options(&reqs[i], &o, "GET", t_url(&env, "/data/1000", url, sizeof(url)));
        reqs[i].fault = "delay; ms=150";
        t_req_new(&reqs[i], &env, &o);
        t_req_submit(&reqs[i]);
    }
    t_done_wait(&env.done, 8);
    for (int i = 0; i < 8; ++i) {
        assert_int_equal(reqs[i].error, 0);
        assert_int_equal(reqs[i].attempts, 1);
        t_req_release(&reqs[i]);
    }
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.stalls, 0);
    assert_true(st.connections_opened <= 2);
    assert_true(s3x_fault_server_stat(&env.server, "connections") <= 2);
    t_env_stop(&env);
}

/* TLS: verification is on by default; a CA file or the explicit opt-out make it work. */
static void s_tls_get(struct t_env *env, struct t_req *t, const char *path) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(t, &o, "GET", t_url(env, path, url, sizeof(url)));
    t_req_new(t, env, &o);
    t_req_submit(t);
}

static void test_tls(void **state) {
    struct s3x_http_engine_options strict = {.tls_verify_disable = false, .ca_file = "/etc/ssl/certs/ca-certificates.crt"};
    struct s3x_http_engine_options insecure = {.tls_verify_disable = true};
    struct s3x_http_engine_options trusted = {0}; /* t_env_start_tls adds the server's certificate */
    const struct s3x_http_engine_options *cases[] = {&strict, &insecure, &trusted};
    for (int c = 0; c < 3; ++c) {
        struct t_env env;
        t_env_start_tls(&env, state, cases[c]);
        struct t_req t[3];
        memset(t, 0, sizeof(t));
        for (int i = 0; i < 3; ++i) {
            s_tls_get(&env, &t[i], "/data/300000");
            t_done_wait(&env.done, i + 1);
        }
        for (int i = 0; i < 3; ++i) {
            if (c == 0) {
                assert_int_equal(t[i].error, S3X_ERR_HTTP_TLS);
                assert_int_equal(t[i].curl_code, CURLE_PEER_FAILED_VERIFICATION);
                assert_int_equal(t[i].attempts, 1); /* a certificate will not get better */
            } else {
                assert_int_equal(t[i].error, 0);
                size_t len = 0;
                const uint8_t *body = s3x__http_request_response_body(t[i].request, &len);
                assert_int_equal(len, 300000);
                assert_int_equal(body[299999], s3x_fault_pattern_byte(299999));
            }
            t_req_release(&t[i]);
        }
        if (c != 0) {
            assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1); /* kept alive */
        }
        t_env_stop(&env);
    }
}

/* --- executor --------------------------------------------------------------------------------- */

struct s_task_ctx {
    struct s3x_task task;
    struct s3x_http_engine *engine;
    atomic_int runs;
    atomic_int shutdown_runs;
    atomic_bool off_thread;
};

static void s_task_fn(struct s3x_task *task, int status) {
    struct s_task_ctx *c = task->arg;
    if (status == 0) {
        if (!s3x__http_engine_is_current(c->engine)) {
            atomic_store(&c->off_thread, true);
        }
        atomic_fetch_add(&c->runs, 1);
    } else {
        assert_int_equal(status, S3X_ERR_EXECUTOR_SHUTDOWN);
        atomic_fetch_add(&c->shutdown_runs, 1);
    }
}

#define S_POSTERS 4
#define S_TASKS_EACH 500
struct s_poster {
    pthread_t thread;
    struct s3x_executor *executor;
    struct s_task_ctx tasks[S_TASKS_EACH];
};

static void *s_poster_main(void *arg) {
    struct s_poster *p = arg;
    for (int i = 0; i < S_TASKS_EACH; ++i) {
        s3x_executor_post(p->executor, &p->tasks[i].task);
    }
    return NULL;
}

struct s_future_ctx {
    struct s3x_http_engine *engine;
    atomic_int calls;
    atomic_bool off_thread;
    struct t_done *done;
};

static void s_future_cb(struct s3x_future *f, void *user_data) {
    struct s_future_ctx *c = user_data;
    assert_int_equal(s3x_future_error(f), S3X_ERR_IO);
    if (!s3x__http_engine_is_current(c->engine)) {
        atomic_store(&c->off_thread, true);
    }
    atomic_fetch_add(&c->calls, 1);
    t_done_add(c->done);
}

static void test_executor(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_http_engine *engine = NULL;
    assert_int_equal(s3x__http_engine_new(a, NULL, &engine), 0);
    struct s3x_executor *ex = s3x__http_engine_executor(engine);
    static struct s_poster posters[S_POSTERS];
    for (int p = 0; p < S_POSTERS; ++p) {
        posters[p].executor = ex;
        for (int i = 0; i < S_TASKS_EACH; ++i) {
            struct s_task_ctx *c = &posters[p].tasks[i];
            memset(c, 0, sizeof(*c));
            c->engine = engine;
            s3x_task_init(&c->task, s_task_fn, c);
        }
        assert_int_equal(pthread_create(&posters[p].thread, NULL, s_poster_main, &posters[p]), 0);
    }
    /* a future's callback posted to the engine runs on its thread */
    struct t_done done;
    t_done_init(&done);
    struct s_future_ctx fc = {.engine = engine, .done = &done};
    struct s3x_future *f = NULL;
    assert_int_equal(s3x_future_new(a, &f), 0);
    assert_int_equal(s3x_future_on_done(f, ex, s_future_cb, &fc), 0);
    assert_true(s3x_future_complete_error(f, S3X_ERR_IO));
    s3x_future_release(f);
    t_done_wait(&done, 1);
    for (int p = 0; p < S_POSTERS; ++p) {
        pthread_join(posters[p].thread, NULL);
    }
    /* tasks posted before destroy run once each, normally or with the shutdown status */
    assert_int_equal(s3x__http_engine_destroy(engine), 0);
    int normal = 0;
    for (int p = 0; p < S_POSTERS; ++p) {
        for (int i = 0; i < S_TASKS_EACH; ++i) {
            struct s_task_ctx *c = &posters[p].tasks[i];
            assert_int_equal(atomic_load(&c->runs) + atomic_load(&c->shutdown_runs), 1);
            assert_false(atomic_load(&c->off_thread));
            normal += atomic_load(&c->runs);
        }
    }
    print_message("%d of %d tasks ran before shutdown\n", normal, S_POSTERS * S_TASKS_EACH);
    assert_int_equal(atomic_load(&fc.calls), 1);
    assert_false(atomic_load(&fc.off_thread));
    t_done_clean_up(&done);
}

/* After shutdown: posted tasks run inline with EXECUTOR_SHUTDOWN; queued ones at shutdown too. */
struct s_blocker {
    struct s3x_task task;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool started, release;
};

static void s_blocker_fn(struct s3x_task *task, int status) {
    struct s_blocker *b = task->arg;
    assert_int_equal(status, 0);
    pthread_mutex_lock(&b->lock);
    b->started = true;
    pthread_cond_broadcast(&b->cond);
    while (!b->release) {
        pthread_cond_wait(&b->cond, &b->lock);
    }
    pthread_mutex_unlock(&b->lock);
}

struct s_destroyer {
    pthread_t thread;
    struct s3x_http_engine *engine;
};

static void *s_destroy_main(void *arg) {
    struct s_destroyer *d = arg;
    assert_int_equal(s3x__http_engine_destroy(d->engine), 0);
    return NULL;
}

static void test_executor_shutdown(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_http_engine *engine = NULL;
    assert_int_equal(s3x__http_engine_new(a, NULL, &engine), 0);
    struct s3x_executor *ex = s3x__http_engine_executor(engine);
    struct s_blocker b = {0};
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.cond, NULL);
    s3x_task_init(&b.task, s_blocker_fn, &b);
    s3x_executor_post(ex, &b.task);
    pthread_mutex_lock(&b.lock);
    while (!b.started) {
        pthread_cond_wait(&b.cond, &b.lock);
    }
    pthread_mutex_unlock(&b.lock);
    /* The loop is busy in the blocker: these wait in the queue. */
    struct s_task_ctx queued[10];
    memset(queued, 0, sizeof(queued));
    for (int i = 0; i < 10; ++i) {
        queued[i].engine = engine;
        s3x_task_init(&queued[i].task, s_task_fn, &queued[i]);
        s3x_executor_post(ex, &queued[i].task);
    }
    struct s_destroyer d = {.engine = engine};
    assert_int_equal(pthread_create(&d.thread, NULL, s_destroy_main, &d), 0);
    /* Probe until destroy has marked the engine stopping: a post then runs inline at once. */
    static struct s_task_ctx probes[5000];
    memset(probes, 0, sizeof(probes));
    int n = 0;
    for (; n < 5000; ++n) {
        probes[n].engine = engine;
        s3x_task_init(&probes[n].task, s_task_fn, &probes[n]);
        s3x_executor_post(ex, &probes[n].task);
        if (atomic_load(&probes[n].shutdown_runs) == 1) {
            break;
        }
        t_sleep_ms(1);
    }
    assert_true(n < 5000);
    struct s_task_ctx late = {.engine = engine};
    s3x_task_init(&late.task, s_task_fn, &late);
    s3x_executor_post(ex, &late.task);
    assert_int_equal(atomic_load(&late.shutdown_runs), 1); /* inline, before post returned */
    pthread_mutex_lock(&b.lock);
    b.release = true;
    pthread_cond_broadcast(&b.cond);
    pthread_mutex_unlock(&b.lock);
    pthread_join(d.thread, NULL);
    /* Queued before destroy began, run at shutdown: once each, with its status. */
    for (int i = 0; i < 10; ++i) {
        assert_int_equal(atomic_load(&queued[i].runs), 0);
        assert_int_equal(atomic_load(&queued[i].shutdown_runs), 1);
    }
    for (int i = 0; i <= n; ++i) {
        assert_int_equal(atomic_load(&probes[i].runs), 0);
        assert_int_equal(atomic_load(&probes[i].shutdown_runs), 1);
    }
    pthread_cond_destroy(&b.cond);
    pthread_mutex_destroy(&b.lock);
}

/* --- errors ------------------------------------------------------------------------------------ */

static void test_invalid_arguments(void **state) {
    struct t_env env;
    t_env_start(&env, state, NULL);
    struct s3x_allocator *a = env.allocator;
    struct s3x_http_request *r = NULL;
    struct s3x_http_request_options o = {.method = "GET", .url = "http://127.0.0.1:1/"};
    assert_int_equal(s3x__http_request_new(NULL, &o, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__http_request_new(a, NULL, &r), S3X_ERR_INVALID_ARGUMENT);
    struct s3x_http_request_options bad = o;
    bad.method = "get";
    assert_int_equal(s3x__http_request_new(a, &bad, &r), S3X_ERR_INVALID_ARGUMENT);
    bad = o;
    bad.url = "http://x/a b";
    assert_int_equal(s3x__http_request_new(a, &bad, &r), S3X_ERR_INVALID_ARGUMENT);
    bad = o;
    bad.body.kind = S3X_HTTP_BODY_STREAM;
    assert_int_equal(s3x__http_request_new(a, &bad, &r), S3X_ERR_INVALID_ARGUMENT);
    bad = o;
    bad.sink.kind = S3X_HTTP_SINK_STREAM;
    assert_int_equal(s3x__http_request_new(a, &bad, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_null(r);
    assert_int_equal(s3x__http_request_new(a, &o, &r), 0);
    assert_int_equal(s3x__http_request_set_header(r, "Bad Name", "x"), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__http_request_set_header(r, "X-Ok", "a\r\nInjected: 1"), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__http_request_set_header(r, "", "x"), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__http_request_set_url(r, "http://x/\n"), S3X_ERR_INVALID_ARGUMENT);
    assert_null(s3x__http_request_result(r));
    s3x__http_request_resume(r); /* not submitted: no effect */
    assert_int_equal(s3x__http_engine_submit(NULL, r), S3X_ERR_INVALID_ARGUMENT);
    /* submit twice */
    struct t_req t = {0};
    char url[128];
    struct s3x_http_request_options to;
    t_req_options(&t, &to, "GET", t_url(&env, "/data/10", url, sizeof(url)));
    t_req_new(&t, &env, &to);
    t_req_submit(&t);
    assert_int_equal(s3x__http_engine_submit(env.engine, t.request), S3X_ERR_INVALID_STATE);
    t_done_wait(&env.done, 1);
    assert_int_equal(t.error, 0);
    /* after destroy */
    t_env_destroy_engine(&env);
    assert_int_equal(atomic_load(&t.completions), 1);
    assert_null(s3x__http_request_release(NULL));
    assert_int_equal(s3x__http_engine_destroy(NULL), 0);
    assert_int_equal(s3x__http_engine_new(NULL, NULL, &env.engine), S3X_ERR_INVALID_ARGUMENT);
    s3x__http_request_release(r);
    t_req_release(&t);
    t_env_stop(&env);
}

static void test_submit_after_shutdown(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_http_engine *engine = NULL;
    assert_int_equal(s3x__http_engine_new(a, NULL, &engine), 0);
    struct s3x_http_request *r = NULL;
    struct s3x_http_request_options o = {.method = "GET", .url = "http://127.0.0.1:1/"};
    assert_int_equal(s3x__http_request_new(a, &o, &r), 0);
    /* A request keeps the engine's memory alive, not its thread. */
    assert_int_equal(s3x__http_engine_submit(engine, r), 0);
    s3x__http_request_cancel(r);
    assert_int_equal(s3x__http_engine_destroy(engine), 0);
    const struct s3x_http_result *res = s3x__http_request_result(r);
    assert_non_null(res);
    assert_int_equal(res->error, S3X_ERR_CANCELED);
    s3x__http_request_cancel(r); /* after completion and shutdown: harmless */
    s3x__http_request_resume(r);
    s3x__http_request_release(r);
}

/* Memory sink bounds and the bounded error body. */
static void test_memory_bounds(void **state) {
    struct t_env env;
    struct s3x_http_engine_options eo = {.error_body_max_bytes = 100};
    t_env_start(&env, state, &eo);
    char url[128];
    struct t_req big = {0};
    struct s3x_http_request_options o;
    t_req_options(&big, &o, "GET", t_url(&env, "/data/5000", url, sizeof(url)));
    o.sink.max_bytes = 4999;
    t_req_new(&big, &env, &o);
    t_req_submit(&big);
    struct t_req chunked = {0};
    t_req_options(&chunked, &o, "GET", t_url(&env, "/data/5000", url, sizeof(url)));
    o.sink.max_bytes = 4999;
    chunked.fault = "chunked; chunk=1000";
    t_req_new(&chunked, &env, &o);
    t_req_submit(&chunked);
    struct t_req denied = {0};
    t_req_options(&denied, &o, "GET", t_url(&env, "/data/5000", url, sizeof(url)));
    denied.fault = "denied";
    t_req_new(&denied, &env, &o);
    t_req_submit(&denied);
    struct t_req head = {0};
    t_req_options(&head, &o, "HEAD", t_url(&env, "/data/50000000", url, sizeof(url)));
    o.sink.max_bytes = 10;
    t_req_new(&head, &env, &o);
    t_req_submit(&head);
    t_done_wait(&env.done, 4);
    assert_int_equal(big.error, S3X_ERR_OVERFLOW);       /* known from Content-Length */
    assert_int_equal(big.attempts, 1);
    assert_int_equal(chunked.error, S3X_ERR_OVERFLOW);   /* found while receiving */
    assert_int_equal(chunked.attempts, 1);
    assert_int_equal(denied.error, S3X_ERR_HTTP_STATUS);
    assert_int_equal(denied.status, 403);
    assert_int_equal(strlen(denied.error_body), 100);
    assert_non_null(strstr(denied.error_body, "<Error><Code>AccessDenied"));
    const struct s3x_http_result *res = s3x__http_request_result(denied.request);
    assert_true(res->error_body_truncated);
    size_t len = 1;
    s3x__http_request_response_body(denied.request, &len);
    assert_int_equal(len, 0); /* never into the sink */
    assert_int_equal(head.error, 0); /* HEAD's Content-Length describes no body */
    assert_string_equal(s3x__http_request_response_header(head.request, "content-length"), "50000000");
    t_req_release(&big);
    t_req_release(&chunked);
    t_req_release(&denied);
    t_req_release(&head);
    t_env_stop(&env);
}

/* --- fail-the-Nth ----------------------------------------------------------------------------- */

static int s_engine_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_http_engine *engine = NULL;
    struct s3x_http_engine_options o = {.ca_file = "/nonexistent/ca.pem", .proxy = ""};
    int rc = s3x__http_engine_new(a, &o, &engine);
    if (rc != 0) {
        assert_null(engine);
        return rc;
    }
    assert_int_equal(s3x__http_engine_destroy(engine), 0);
    return 0;
}

static void test_fail_nth_engine_new(void **state) {
    uint64_t sites = s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_engine_block, NULL, 0);
    print_message("engine_new: %llu allocation sites\n", (unsigned long long)sites);
    assert_true(sites >= 3);
}

struct s_submit_ctx {
    const char *url;
    struct t_done done;
};

static void s_sweep_complete(struct s3x_http_request *r, const struct s3x_http_result *res, void *user_data) {
    (void)r;
    (void)res;
    t_done_add(user_data);
}

static int s_submit_block(struct s3x_allocator *a, void *ctx) {
    struct s_submit_ctx *c = ctx;
    struct s3x_http_engine *engine = NULL;
    struct s3x_http_engine_options eo = {.proxy = ""};
    int rc = s3x__http_engine_new(a, &eo, &engine);
    if (rc != 0) {
        return rc;
    }
    struct s3x_http_request *r = NULL;
    struct s3x_http_request_options o = {.method = "GET", .url = c->url, .on_complete = s_sweep_complete,
        .user_data = &c->done};
    rc = s3x__http_request_new(a, &o, &r);
    if (rc == 0) {
        rc = s3x__http_request_set_header(r, "x-amz-date", "20250101T000000Z");
    }
    if (rc == 0) {
        rc = s3x__http_request_set_header(r, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    }
    if (rc == 0) {
        int before = c->done.count;
        rc = s3x__http_engine_submit(engine, r);
        if (rc == 0) {
            t_done_wait(&c->done, before + 1);
            const struct s3x_http_result *res = s3x__http_request_result(r);
            rc = res->error;
            if (rc == 0) {
                size_t len = 0;
                s3x__http_request_response_body(r, &len);
                assert_int_equal(len, 3000);
            }
        }
    }
    assert_int_equal(s3x__http_engine_destroy(engine), 0);
    s3x__http_request_release(r);
    return rc;
}

static void test_fail_nth_submit(void **state) {
    struct s3x_fault_server server;
    assert_int_equal(s3x_fault_server_start(&server), 0);
    char url[128];
    snprintf(url, sizeof(url), "%s/data/3000", server.base_url);
    struct s_submit_ctx c = {.url = url};
    t_done_init(&c.done);
    uint64_t sites = s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_submit_block, &c, 0);
    print_message("engine + request + submit: %llu allocation sites\n", (unsigned long long)sites);
    assert_true(sites >= 8);
    t_done_clean_up(&c.done);
    s3x_fault_server_stop(&server);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_get_memory_sink),
        S3X_TEST(test_methods_and_headers),
        S3X_TEST(test_chunked_both_ways),
        S3X_TEST(test_64_concurrent),
        S3X_TEST(test_keepalive_reuse),
        S3X_TEST(test_per_host_limit),
        S3X_TEST(test_tls),
        S3X_TEST(test_executor),
        S3X_TEST(test_executor_shutdown),
        S3X_TEST(test_invalid_arguments),
        S3X_TEST(test_submit_after_shutdown),
        S3X_TEST(test_memory_bounds),
        S3X_TEST(test_fail_nth_engine_new),
        S3X_TEST(test_fail_nth_submit),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine", tests);
}
