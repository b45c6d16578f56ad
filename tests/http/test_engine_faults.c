/* Engine tests: retries, stalls, timeouts, cancel and shutdown against a misbehaving server; and
 * the retry policy's pure functions. Exact attempt and callback counts, no leaks. */
#include "test_engine_util.h"

#include "http/retry.h"

#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <curl/curl.h>

#include <stdio.h>
#include <string.h>

/* Fast retries: tests need the behaviour, not the waiting. */
static const struct s3x_http_engine_options s_fast = {.retry_base_delay_ms = 1, .retry_max_delay_ms = 5};

static void s_get(struct t_env *env, struct t_req *t, const char *path, const char *fault, const char *id,
    bool stream) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(t, &o, "GET", t_url(env, path, url, sizeof(url)));
    if (stream) {
        o.sink.kind = S3X_HTTP_SINK_STREAM;
        o.sink.write = t_sink_pattern;
        o.sink.on_retry = t_sink_on_retry;
    }
    t->fault = fault;
    t->fault_id = id;
    t_req_new(t, env, &o);
    t_req_submit(t);
}

static long s_counter(struct t_env *env, const char *id) {
    char name[96];
    snprintf(name, sizeof(name), "counter/%s", id);
    return s3x_fault_server_stat(&env->server, name);
}

static void test_retry_503_then_success(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    struct t_req t = {0};
    s_get(&env, &t, "/data/70000", "slowdown; times=2", "r503", false);
    t_done_wait(&env.done, 1);
    assert_int_equal(t.error, 0);
    assert_int_equal(t.status, 200);
    assert_int_equal(t.attempts, 3);
    assert_int_equal(atomic_load(&t.prepares), 3);
    assert_int_equal(atomic_load(&t.classify_calls), 3);
    assert_int_equal(atomic_load(&t.headers_calls), 3);
    assert_int_equal(s_counter(&env, "r503"), 3);
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(t.request, &len);
    assert_int_equal(len, 70000); /* the 503 bodies never reached the sink */
    assert_int_equal(body[69999], s3x_fault_pattern_byte(69999));
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.attempts, 3);
    assert_int_equal(st.retries, 2);
    t_env_stop(&env);
    assert_int_equal(atomic_load(&t.completions), 1);
    assert_false(atomic_load(&t.off_thread));
    t_req_release(&t);
}

static void test_retry_resets_and_short_bodies(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    struct t_req before = {0}, mid = {0}, shortb = {0};
    s_get(&env, &before, "/data/5000", "reset; times=1", "before", false);
    s_get(&env, &mid, "/data/3000000", "reset-mid-body; times=2; after=1000000", "mid", true);
    s_get(&env, &shortb, "/data/200000", "short-body; times=1", "short", false);
    t_done_wait(&env.done, 3);
    assert_int_equal(before.error, 0);
    assert_int_equal(before.attempts, 2);
    assert_int_equal(s_counter(&env, "before"), 2);
    /* the stream sink restarted at 0 for each retry and got the exact body in the end */
    assert_int_equal(mid.error, 0);
    assert_int_equal(mid.attempts, 3);
    assert_int_equal(atomic_load(&mid.retries_seen), 2);
    assert_false(mid.mismatch);
    assert_int_equal(mid.offset, 3000000);
    assert_int_equal(mid.bytes_received, 3000000);
    assert_int_equal(shortb.error, 0);
    assert_int_equal(shortb.attempts, 2);
    size_t len = 0;
    s3x__http_request_response_body(shortb.request, &len);
    assert_int_equal(len, 200000);
    t_env_stop(&env);
    t_req_release(&before);
    t_req_release(&mid);
    t_req_release(&shortb);
}

static void test_retry_budget_exhausted(void **state) {
    struct s3x_http_engine_options eo = s_fast;
    eo.max_attempts = 3;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_req internal = {0}, reset = {0}, truncated = {0};
    s_get(&env, &internal, "/data/10", "internal", "i", false);
    s_get(&env, &reset, "/data/10", "reset", "r", false);
    s_get(&env, &truncated, "/data/100000", "short-body", "s", true);
    t_done_wait(&env.done, 3);
    assert_int_equal(internal.error, S3X_ERR_HTTP_STATUS);
    assert_int_equal(internal.status, 500);
    assert_int_equal(internal.attempts, 3);
    assert_non_null(strstr(internal.error_body, "<Code>InternalError</Code>"));
    assert_int_equal(s_counter(&env, "i"), 3);
    assert_int_equal(reset.error, S3X_ERR_HTTP_RECV);
    assert_int_equal(reset.attempts, 3);
    assert_true(reset.curl_code == CURLE_RECV_ERROR || reset.curl_code == CURLE_GOT_NOTHING);
    assert_true(reset.curl_message[0] != '\0');
    /* curl itself re-sends once on a fresh connection when a reused one dies before any answer
     * (its dead-connection check), so the server may see up to two requests per attempt */
    long seen = s_counter(&env, "r");
    assert_true(seen >= 3 && seen <= 6);
    assert_int_equal(truncated.error, S3X_ERR_HTTP_RECV);
    assert_int_equal(truncated.curl_code, CURLE_PARTIAL_FILE);
    assert_int_equal(truncated.attempts, 3);
    assert_int_equal(atomic_load(&truncated.retries_seen), 2);
    t_env_stop(&env);
    t_req_release(&internal);
    t_req_release(&reset);
    t_req_release(&truncated);
}

static void test_no_retry_on_4xx(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    struct t_req denied = {0}, missing = {0}, teapot = {0};
    s_get(&env, &denied, "/data/10", "denied", "d", false);
    s_get(&env, &missing, "/nothing-here", NULL, "m", false);
    s_get(&env, &teapot, "/data/10", "status; code=418", "t", false);
    t_done_wait(&env.done, 3);
    assert_int_equal(denied.error, S3X_ERR_HTTP_STATUS);
    assert_int_equal(denied.status, 403);
    assert_int_equal(denied.attempts, 1);
    assert_non_null(strstr(denied.error_body, "<Code>AccessDenied</Code>"));
    assert_int_equal(s_counter(&env, "d"), 1);
    assert_int_equal(missing.status, 404);
    assert_int_equal(missing.attempts, 1);
    assert_int_equal(teapot.status, 418);
    assert_int_equal(teapot.attempts, 1);
    t_env_stop(&env);
    t_req_release(&denied);
    t_req_release(&missing);
    t_req_release(&teapot);
}

/* The S3 layer's case: a 200 whose body is an <Error> is retried when classify says so. */
static int s_classify_error200(struct s3x_http_request *r, const struct s3x_http_attempt *a, bool *retry,
    void *user_data) {
    struct t_req *t = user_data;
    atomic_fetch_add(&t->classify_calls, 1);
    if (a->error == 0 && a->http_status == 200) {
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(r, &len);
        if (len >= 7 && memmem(body, len, "<Error>", 7) != NULL) {
            *retry = true;
            return S3X_ERR_S3_INTERNAL_ERROR;
        }
    }
    return s3x__http_classify_default(a, retry);
}

static void test_classify_200_error(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    char url[128];
    for (int times = 1; times <= 9; times += 8) {
        struct t_req t = {0};
        struct s3x_http_request_options o;
        t_req_options(&t, &o, "POST", t_url(&env, "/echo/complete", url, sizeof(url)));
        o.classify = s_classify_error200;
        o.body.kind = S3X_HTTP_BODY_MEMORY;
        o.body.data = (const uint8_t *)"<CompleteMultipartUpload/>";
        o.body.len = 26;
        char fault[64];
        snprintf(fault, sizeof(fault), "error200; times=%d", times);
        t.fault = fault;
        t.fault_id = times == 1 ? "c1" : "c9";
        t_req_new(&t, &env, &o);
        t_req_submit(&t);
        t_done_wait(&env.done, times == 1 ? 1 : 2);
        if (times == 1) {
            assert_int_equal(t.error, 0);
            assert_int_equal(t.attempts, 2);
            size_t len = 0;
            const uint8_t *body = s3x__http_request_response_body(t.request, &len);
            assert_int_equal(len, 26); /* the echo of attempt 2 only */
            assert_memory_equal(body, "<CompleteMultipartUpload/>", 26);
        } else {
            assert_int_equal(t.error, S3X_ERR_S3_INTERNAL_ERROR);
            assert_int_equal(t.attempts, 5); /* the default budget */
        }
        assert_int_equal(atomic_load(&t.classify_calls), (int)t.attempts);
        t_req_release(&t);
    }
    t_env_stop(&env);
}

/* --- stalls and timeouts ------------------------------------------------------------------------ */

static void test_stall_detected_and_retried(void **state) {
    struct s3x_http_engine_options eo = s_fast;
    eo.max_attempts = 3;
    eo.stall_window_ms = 300;
    eo.stall_min_bytes = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_req forever = {0}, once = {0}, late = {0};
    s_get(&env, &forever, "/data/100000", "stall", "forever", false);
    s_get(&env, &once, "/data/3000000", "stall; times=1; after=20000", "once", true);
    s_get(&env, &late, "/data/100000", "delay; ms=1500", "late", false); /* no first byte in time */
    t_done_wait(&env.done, 3);
    assert_int_equal(forever.error, S3X_ERR_HTTP_STALL);
    assert_int_equal(forever.attempts, 3);
    assert_int_equal(forever.status, 200); /* the headers came, then nothing */
    assert_non_null(strstr(forever.curl_message, "stalled"));
    assert_int_equal(s_counter(&env, "forever"), 3);
    assert_int_equal(once.error, 0);
    assert_int_equal(once.attempts, 2);
    assert_false(once.mismatch);
    assert_int_equal(once.offset, 3000000);
    assert_int_equal(late.error, S3X_ERR_HTTP_STALL);
    assert_int_equal(late.attempts, 3);
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.stalls, 3 + 1 + 3);
    t_env_stop(&env);
    t_req_release(&forever);
    t_req_release(&once);
    t_req_release(&late);
}

static void test_stall_minimum_rate(void **state) {
    struct s3x_http_engine_options eo = s_fast;
    eo.max_attempts = 1;
    eo.stall_window_ms = 400;
    eo.stall_min_bytes = 2000;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_req slow = {0}, fast = {0};
    /* 10 B / 50 ms = 80 B per window < 2000: a stall; 2000 B / 20 ms = 40 000 B per window: fine */
    s_get(&env, &slow, "/data/100000", "drip; chunk=10; interval_ms=50", "slow", false);
    s_get(&env, &fast, "/data/100000", "drip; chunk=2000; interval_ms=20", "fast", true);
    t_done_wait(&env.done, 2);
    assert_int_equal(slow.error, S3X_ERR_HTTP_STALL);
    assert_int_equal(slow.attempts, 1);
    assert_int_equal(fast.error, 0);
    assert_false(fast.mismatch);
    assert_int_equal(fast.offset, 100000);
    t_env_stop(&env);
    t_req_release(&slow);
    t_req_release(&fast);
}

struct s_src {
    struct t_req t;
    uint64_t size, produced;
    atomic_int rewinds;
};

static int s_src_read(struct s3x_http_request *r, uint8_t *buf, size_t cap, size_t *out, void *user_data) {
    struct s_src *s = user_data;
    (void)r;
    size_t n = s->size - s->produced < cap ? (size_t)(s->size - s->produced) : cap;
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_fault_pattern_byte(s->produced + i);
    }
    s->produced += n;
    *out = n;
    return 0;
}

static int s_src_rewind(struct s3x_http_request *r, void *user_data) {
    struct s_src *s = user_data;
    (void)r;
    s->produced = 0;
    atomic_fetch_add(&s->rewinds, 1);
    return 0;
}

static void s_put(struct t_env *env, struct s_src *s, uint64_t size, bool rewind, const char *fault, const char *id) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(&s->t, &o, "PUT", t_url(env, "/sink/obj", url, sizeof(url)));
    o.body.kind = S3X_HTTP_BODY_STREAM;
    o.body.content_length = size;
    o.body.read = s_src_read;
    o.body.rewind = rewind ? s_src_rewind : NULL;
    s->size = size;
    s->t.fault = fault;
    s->t.fault_id = id;
    t_req_new(&s->t, env, &o);
    t_req_submit(&s->t);
}

static void test_upload_retry_rewinds(void **state) {
    struct s3x_http_engine_options eo = s_fast;
    eo.stall_window_ms = 300;
    eo.max_attempts = 2;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct s_src good = {0}, norewind = {0}, stalled = {0};
    s_put(&env, &good, 1000000, true, "reset-upload; after=300000; times=1", "good");
    s_put(&env, &norewind, 1000000, false, "reset-upload; after=300000; times=1", "norewind");
    s_put(&env, &stalled, 256u << 20, true, "stall-upload; after=65536", "stalled");
    t_done_wait(&env.done, 3);
    assert_int_equal(good.t.error, 0);
    assert_int_equal(good.t.attempts, 2);
    assert_int_equal(atomic_load(&good.rewinds), 1);
    char want[65];
    t_pattern_sha256(1000000, want);
    assert_string_equal(s3x__http_request_response_header(good.t.request, "x-sink-sha256"), want);
    /* a body that cannot rewind is not sent twice */
    assert_true(norewind.t.error == S3X_ERR_HTTP_SEND || norewind.t.error == S3X_ERR_HTTP_RECV);
    assert_int_equal(norewind.t.attempts, 1);
    assert_int_equal(atomic_load(&norewind.rewinds), 0);
    /* the server stopped reading: the upload stalls, is retried once (rewound), stalls again */
    assert_int_equal(stalled.t.error, S3X_ERR_HTTP_STALL);
    assert_int_equal(stalled.t.attempts, 2);
    assert_int_equal(atomic_load(&stalled.rewinds), 1);
    assert_true(stalled.t.bytes_sent < (256u << 20));
    t_env_stop(&env);
    t_req_release(&good.t);
    t_req_release(&norewind.t);
    t_req_release(&stalled.t);
}

/* Hooks that fail: prepare (first attempt, or a retry), rewind, a source that ends early or fails. */
struct s_hooky {
    struct s_src src;
    uint32_t fail_prepare_at; /* attempt number, 0 = never */
    int rewind_error;
    uint64_t source_stops_at; /* the source reports EOF here (0 = never) */
    int source_error;         /* returned once the source passes 1000 bytes */
};

static int s_hooky_prepare(struct s3x_http_request *r, uint32_t attempt, void *user_data) {
    struct s_hooky *h = user_data;
    (void)r;
    atomic_fetch_add(&h->src.t.prepares, 1);
    return attempt == h->fail_prepare_at ? S3X_ERR_CREDENTIALS_NOT_FOUND : 0;
}

static int s_hooky_rewind(struct s3x_http_request *r, void *user_data) {
    struct s_hooky *h = user_data;
    (void)r;
    atomic_fetch_add(&h->src.rewinds, 1);
    return h->rewind_error;
}

static int s_hooky_read(struct s3x_http_request *r, uint8_t *buf, size_t cap, size_t *out, void *user_data) {
    struct s_hooky *h = user_data;
    if (h->source_error != 0 && h->src.produced > 1000) {
        return h->source_error;
    }
    if (h->source_stops_at != 0 && h->src.produced >= h->source_stops_at) {
        *out = 0;
        return 0;
    }
    if (h->source_stops_at != 0 && h->source_stops_at - h->src.produced < cap) {
        cap = (size_t)(h->source_stops_at - h->src.produced);
    }
    return s_src_read(r, buf, cap, out, &h->src);
}

static void s_hooky_put(struct t_env *env, struct s_hooky *h, const char *fault, const char *id) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(&h->src.t, &o, "PUT", t_url(env, "/sink/hooky", url, sizeof(url)));
    o.prepare = s_hooky_prepare;
    o.body.kind = S3X_HTTP_BODY_STREAM;
    o.body.content_length = 100000;
    o.body.read = s_hooky_read;
    o.body.rewind = s_hooky_rewind;
    h->src.size = 100000;
    h->src.t.fault = fault;
    h->src.t.fault_id = id;
    t_req_new(&h->src.t, env, &o);
    t_req_submit(&h->src.t);
}

static void test_hook_errors(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    struct s_hooky first = {.fail_prepare_at = 1}, second = {.fail_prepare_at = 2};
    struct s_hooky rewind = {.rewind_error = S3X_ERR_IO}, early = {.source_stops_at = 40000};
    struct s_hooky broken = {.source_error = S3X_ERR_PERMISSION};
    s_hooky_put(&env, &first, NULL, "first");
    s_hooky_put(&env, &second, "slowdown; times=1", "second");
    s_hooky_put(&env, &rewind, "slowdown; times=1", "rewind");
    s_hooky_put(&env, &early, NULL, "early");
    s_hooky_put(&env, &broken, NULL, "broken");
    t_done_wait(&env.done, 5);
    assert_int_equal(first.src.t.error, S3X_ERR_CREDENTIALS_NOT_FOUND);
    assert_int_equal(first.src.t.attempts, 0);
    assert_int_equal(s_counter(&env, "first"), 0); /* nothing was sent */
    assert_int_equal(second.src.t.error, S3X_ERR_CREDENTIALS_NOT_FOUND);
    assert_int_equal(second.src.t.attempts, 1);
    assert_int_equal(atomic_load(&second.src.t.prepares), 2);
    assert_int_equal(rewind.src.t.error, S3X_ERR_IO);
    assert_int_equal(rewind.src.t.attempts, 1);
    assert_int_equal(atomic_load(&rewind.src.rewinds), 1);
    assert_non_null(strstr(rewind.src.t.curl_message, "rewind"));
    assert_int_equal(early.src.t.error, S3X_ERR_IO); /* 40 000 of 100 000 bytes: never sent short */
    assert_int_equal(early.src.t.attempts, 1);
    assert_non_null(strstr(early.src.t.curl_message, "ended after 40000 of 100000"));
    assert_int_equal(broken.src.t.error, S3X_ERR_PERMISSION);
    assert_int_equal(broken.src.t.attempts, 1);
    t_env_stop(&env);
    t_req_release(&first.src.t);
    t_req_release(&second.src.t);
    t_req_release(&rewind.src.t);
    t_req_release(&early.src.t);
    t_req_release(&broken.src.t);
}

static void test_connect_and_timeouts(void **state) {
    struct s3x_http_engine_options eo = s_fast;
    eo.max_attempts = 3;
    struct t_env env;
    t_env_start(&env, state, &eo);
    char url[128];
    struct t_req refused = {0}, slow = {0}, bad = {0};
    struct s3x_http_request_options o;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", t_unused_port());
    t_req_options(&refused, &o, "GET", url);
    t_req_new(&refused, &env, &o);
    t_req_submit(&refused);
    t_req_options(&slow, &o, "GET", t_url(&env, "/data/10", url, sizeof(url)));
    o.timeout_ms = 300;
    o.max_attempts = 2;
    slow.fault = "delay; ms=2000";
    t_req_new(&slow, &env, &o);
    t_req_submit(&slow);
    t_req_options(&bad, &o, "GET", "nosuchscheme://127.0.0.1/x");
    t_req_new(&bad, &env, &o);
    t_req_submit(&bad);
    t_done_wait(&env.done, 3);
    assert_int_equal(refused.error, S3X_ERR_HTTP_CONNECT);
    assert_int_equal(refused.curl_code, CURLE_COULDNT_CONNECT);
    assert_int_equal(refused.attempts, 3);
    assert_int_equal(atomic_load(&refused.headers_calls), 0);
    assert_int_equal(slow.error, S3X_ERR_HTTP_TIMEOUT);
    assert_int_equal(slow.curl_code, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(slow.attempts, 2);
    assert_int_equal(bad.error, S3X_ERR_HTTP_BAD_URL);
    assert_int_equal(bad.attempts, 1);
    t_env_stop(&env);
    t_req_release(&refused);
    t_req_release(&slow);
    t_req_release(&bad);
}

/* --- cancel ------------------------------------------------------------------------------------ */

struct s_signal_req {
    struct t_req t;
    struct t_done *signal; /* bumped by on_headers / classify */
};

static int s_signal_headers(struct s3x_http_request *r, int status, void *user_data) {
    struct s_signal_req *s = user_data;
    (void)r;
    (void)status;
    atomic_fetch_add(&s->t.headers_calls, 1);
    t_done_add(s->signal);
    return 0;
}

static int s_signal_classify(struct s3x_http_request *r, const struct s3x_http_attempt *a, bool *retry,
    void *user_data) {
    struct s_signal_req *s = user_data;
    (void)r;
    atomic_fetch_add(&s->t.classify_calls, 1);
    int rc = s3x__http_classify_default(a, retry);
    t_done_add(s->signal);
    return rc;
}

static void s_signal_get(struct t_env *env, struct s_signal_req *s, struct t_done *signal, const char *path,
    const char *fault, bool on_classify) {
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(&s->t, &o, "GET", t_url(env, path, url, sizeof(url)));
    if (on_classify) {
        o.classify = s_signal_classify;
    } else {
        o.on_headers = s_signal_headers;
    }
    s->signal = signal;
    s->t.fault = fault;
    t_req_new(&s->t, env, &o);
    t_req_submit(&s->t);
}

static void test_cancel(void **state) {
    struct s3x_http_engine_options eo = {.max_connections = 1, .retry_base_delay_ms = 600000,
        .retry_max_delay_ms = 600000};
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_done signal;
    t_done_init(&signal);
    /* 1: in flight (headers received, body stalled), canceled from this thread */
    struct s_signal_req flying = {0};
    s_signal_get(&env, &flying, &signal, "/data/100000", "stall", false);
    /* 2: queued behind it (one connection) */
    struct s_signal_req queued = {0};
    s_signal_get(&env, &queued, &signal, "/data/10", NULL, false);
    t_done_wait(&signal, 1);
    s3x__http_request_cancel(queued.t.request);
    s3x__http_request_cancel(flying.t.request);
    s3x__http_request_cancel(flying.t.request); /* idempotent */
    t_done_wait(&env.done, 2);
    assert_int_equal(flying.t.error, S3X_ERR_CANCELED);
    assert_int_equal(flying.t.attempts, 1);
    assert_int_equal(queued.t.error, S3X_ERR_CANCELED);
    assert_int_equal(queued.t.attempts, 0);
    assert_int_equal(atomic_load(&queued.t.prepares), 0);
    /* 3: waiting for its retry timer (up to 10 minutes) */
    struct s_signal_req backoff = {0};
    s_signal_get(&env, &backoff, &signal, "/data/10", "slowdown", true);
    t_done_wait(&signal, 2);
    s3x__http_request_cancel(backoff.t.request);
    t_done_wait(&env.done, 3);
    assert_int_equal(backoff.t.error, S3X_ERR_CANCELED);
    assert_int_equal(backoff.t.attempts, 1);
    assert_int_equal(backoff.t.status, 503);
    /* 4: canceled before it was submitted */
    struct t_req early = {0};
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(&early, &o, "GET", t_url(&env, "/data/10", url, sizeof(url)));
    t_req_new(&early, &env, &o);
    s3x__http_request_cancel(early.request);
    t_req_submit(&early);
    t_done_wait(&env.done, 4);
    assert_int_equal(early.error, S3X_ERR_CANCELED);
    assert_int_equal(early.attempts, 0);
    t_env_stop(&env);
    assert_int_equal(atomic_load(&flying.t.completions), 1);
    assert_int_equal(atomic_load(&queued.t.completions), 1);
    assert_int_equal(atomic_load(&backoff.t.completions), 1);
    assert_int_equal(atomic_load(&early.completions), 1);
    assert_int_equal(env.done.count, 4);
    t_done_clean_up(&signal);
    t_req_release(&flying.t);
    t_req_release(&queued.t);
    t_req_release(&backoff.t);
    t_req_release(&early);
}

/* --- shutdown ----------------------------------------------------------------------------------- */

#define S_IN_FLIGHT 20
#define S_BACKING_OFF 3
#define S_QUEUED 5

static void test_shutdown_with_requests_in_flight(void **state) {
    struct s3x_http_engine_options eo = {.max_connections = S_IN_FLIGHT, .retry_base_delay_ms = 600000,
        .retry_max_delay_ms = 600000};
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_done signal;
    t_done_init(&signal);
    static struct s_signal_req reqs[S_IN_FLIGHT + S_BACKING_OFF + S_QUEUED];
    memset(reqs, 0, sizeof(reqs));
    /* first in the queue: they answer 503, free their slot and wait for a 10-minute timer */
    for (int i = S_IN_FLIGHT; i < S_IN_FLIGHT + S_BACKING_OFF; ++i) {
        s_signal_get(&env, &reqs[i], &signal, "/data/10", "slowdown", true);
    }
    for (int i = 0; i < S_IN_FLIGHT; ++i) {
        s_signal_get(&env, &reqs[i], &signal, "/data/1000000", "stall; after=5000", false);
    }
    t_done_wait(&signal, S_IN_FLIGHT + S_BACKING_OFF); /* all connected, all headers in */
    /* every connection is busy now: these wait in the engine's queue */
    for (int i = S_IN_FLIGHT + S_BACKING_OFF; i < S_IN_FLIGHT + S_BACKING_OFF + S_QUEUED; ++i) {
        s_signal_get(&env, &reqs[i], &signal, "/data/1000000", "stall", false);
    }
    t_env_destroy_engine(&env);
    int total = S_IN_FLIGHT + S_BACKING_OFF + S_QUEUED;
    assert_int_equal(env.done.count, total);
    for (int i = 0; i < total; ++i) {
        struct t_req *t = &reqs[i].t;
        assert_int_equal(atomic_load(&t->completions), 1);
        assert_int_equal(t->error, S3X_ERR_CANCELED);
        assert_false(atomic_load(&t->off_thread));
        assert_int_equal(t->attempts, i < S_IN_FLIGHT + S_BACKING_OFF ? 1 : 0);
        t_req_release(t);
    }
    t_env_stop(&env);
    t_done_clean_up(&signal);
}

/* --- logging never shows secrets -------------------------------------------------------------- */

static pthread_mutex_t s_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_log_text[16384];
static size_t s_log_len;

static void s_log_sink(enum s3x_log_level level, const char *subsystem, const char *message, void *user_data) {
    (void)level;
    (void)user_data;
    pthread_mutex_lock(&s_log_lock);
    int n = snprintf(s_log_text + s_log_len, sizeof(s_log_text) - s_log_len, "%s: %s\n", subsystem, message);
    if (n > 0 && (size_t)n < sizeof(s_log_text) - s_log_len) {
        s_log_len += (size_t)n;
    }
    pthread_mutex_unlock(&s_log_lock);
}

static void test_logs_keep_secrets(void **state) {
    struct t_env env;
    t_env_start(&env, state, &s_fast);
    s3x_log_set_sink(s_log_sink, NULL, S3X_LOG_TRACE);
    char url[256];
    snprintf(url, sizeof(url), "http://AKIDUSER:SeCrEtPw@127.0.0.1:%u/data/10?X-Amz-Signature=SiGnAtUrE&x=1",
        env.server.port);
    struct t_req t = {0};
    struct s3x_http_request_options o;
    t_req_options(&t, &o, "GET", url);
    t.fault = "slowdown; times=1";
    t.fault_id = "log";
    t_req_new(&t, &env, &o);
    assert_int_equal(s3x__http_request_set_header(t.request, "Authorization", "AWS4-HMAC-SHA256 Signature=HdRsIg"), 0);
    assert_int_equal(s3x__http_request_set_header(t.request, "x-amz-security-token", "ToKeNvAlUe"), 0);
    t_req_submit(&t);
    t_done_wait(&env.done, 1);
    t_env_destroy_engine(&env);
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    assert_int_equal(t.error, 0);
    assert_int_equal(t.attempts, 2);
    pthread_mutex_lock(&s_log_lock);
    s_log_text[s_log_len] = '\0';
    pthread_mutex_unlock(&s_log_lock);
    assert_non_null(strstr(s_log_text, "GET 127.0.0.1:")); /* it did log the request, and the retry */
    assert_non_null(strstr(s_log_text, "/data/10 attempt 2"));
    static const char *secrets[] = {"SeCrEtPw", "AKIDUSER", "SiGnAtUrE", "HdRsIg", "ToKeNvAlUe", "x=1"};
    for (size_t i = 0; i < T_ARRAY_LEN(secrets); ++i) {
        if (strstr(s_log_text, secrets[i]) != NULL) {
            fail_msg("the log shows %s:\n%s", secrets[i], s_log_text);
        }
    }
    t_req_release(&t);
    t_env_stop(&env);
}

/* --- the retry policy's pure functions --------------------------------------------------------- */

static void test_backoff_bounds(void **state) {
    (void)state;
    struct s3x_retry_policy p = {.max_attempts = 5, .base_delay_ms = 100, .max_delay_ms = 20000};
    uint64_t rng = s3x__retry_rng_seed(42);
    for (uint32_t failures = 1; failures <= 40; ++failures) {
        uint64_t ceiling = 100;
        for (uint32_t i = 1; i < failures && ceiling < 20000; ++i) {
            ceiling *= 2;
        }
        ceiling = ceiling > 20000 ? 20000 : ceiling;
        uint64_t max_seen = 0, min_seen = UINT64_MAX;
        for (int k = 0; k < 2000; ++k) {
            uint64_t d = s3x__retry_delay_ms(&p, failures, &rng);
            assert_true(d <= ceiling);
            max_seen = d > max_seen ? d : max_seen;
            min_seen = d < min_seen ? d : min_seen;
        }
        /* full jitter: the whole range [0, ceiling] is used */
        assert_true(max_seen >= ceiling * 9 / 10);
        assert_true(min_seen <= ceiling / 10);
    }
    uint64_t zero = 0;
    assert_true(s3x__retry_delay_ms(&p, 1, &zero) <= 100); /* a zero state is repaired */
    assert_true(zero != 0);
}

static void test_classification(void **state) {
    (void)state;
    static const struct {
        int error, status, curl;
        int want_error;
        bool want_retry;
    } cases[] = {
        {0, 200, 0, 0, false},
        {S3X_ERR_HTTP_STATUS, 500, 0, S3X_ERR_HTTP_STATUS, true},
        {S3X_ERR_HTTP_STATUS, 502, 0, S3X_ERR_HTTP_STATUS, true},
        {S3X_ERR_HTTP_STATUS, 503, 0, S3X_ERR_HTTP_STATUS, true},
        {S3X_ERR_HTTP_STATUS, 504, 0, S3X_ERR_HTTP_STATUS, true},
        {S3X_ERR_HTTP_STATUS, 429, 0, S3X_ERR_HTTP_STATUS, true},
        {S3X_ERR_HTTP_STATUS, 403, 0, S3X_ERR_HTTP_STATUS, false},
        {S3X_ERR_HTTP_STATUS, 404, 0, S3X_ERR_HTTP_STATUS, false},
        {S3X_ERR_HTTP_STATUS, 400, 0, S3X_ERR_HTTP_STATUS, false},
        {S3X_ERR_HTTP_STATUS, 501, 0, S3X_ERR_HTTP_STATUS, false},
        {S3X_ERR_HTTP_STALL, 200, 0, S3X_ERR_HTTP_STALL, true},
        {S3X_ERR_HTTP_CONNECT, 0, CURLE_COULDNT_CONNECT, S3X_ERR_HTTP_CONNECT, true},
        {S3X_ERR_HTTP_CONNECT, 0, CURLE_OPERATION_TIMEDOUT, S3X_ERR_HTTP_CONNECT, true},
        {S3X_ERR_HTTP_TIMEOUT, 0, CURLE_OPERATION_TIMEDOUT, S3X_ERR_HTTP_TIMEOUT, true},
        {S3X_ERR_HTTP_RECV, 0, CURLE_RECV_ERROR, S3X_ERR_HTTP_RECV, true},
        {S3X_ERR_HTTP_TLS, 0, CURLE_SSL_CONNECT_ERROR, S3X_ERR_HTTP_TLS, true},
        {S3X_ERR_HTTP_TLS, 0, CURLE_PEER_FAILED_VERIFICATION, S3X_ERR_HTTP_TLS, false},
        {S3X_ERR_HTTP_RECV, 0, CURLE_WRITE_ERROR, S3X_ERR_HTTP_RECV, false}, /* raised by a hook */
        {S3X_ERR_DISK_FULL, 200, CURLE_WRITE_ERROR, S3X_ERR_DISK_FULL, false},
        {S3X_ERR_OOM, 0, 0, S3X_ERR_OOM, false},
    };
    for (size_t i = 0; i < T_ARRAY_LEN(cases); ++i) {
        struct s3x_http_attempt a = {.attempt = 1, .error = cases[i].error, .http_status = cases[i].status,
            .curl_code = cases[i].curl};
        bool retry = !cases[i].want_retry;
        int e = s3x__http_classify_default(&a, &retry);
        if (e != cases[i].want_error || retry != cases[i].want_retry) {
            fail_msg("case %zu: got %s/%d", i, s3x_error_name(e), (int)retry);
        }
    }
    bool r = false;
    assert_int_equal(s3x__http_error_from_curl(CURLE_COULDNT_RESOLVE_HOST, false, &r), S3X_ERR_HTTP_RESOLVE);
    assert_true(r);
    assert_int_equal(s3x__http_error_from_curl(CURLE_OPERATION_TIMEDOUT, false, &r), S3X_ERR_HTTP_CONNECT);
    assert_int_equal(s3x__http_error_from_curl(CURLE_OPERATION_TIMEDOUT, true, &r), S3X_ERR_HTTP_TIMEOUT);
    assert_int_equal(s3x__http_error_from_curl(CURLE_URL_MALFORMAT, true, &r), S3X_ERR_HTTP_BAD_URL);
    assert_false(r);
    assert_int_equal(s3x__http_error_from_curl(9999, true, &r), S3X_ERR_HTTP_PROTOCOL);
    assert_false(r);
    assert_int_equal(s3x__http_error_from_curl(CURLE_OK, true, &r), 0);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_retry_503_then_success),
        S3X_TEST(test_retry_resets_and_short_bodies),
        S3X_TEST(test_retry_budget_exhausted),
        S3X_TEST(test_no_retry_on_4xx),
        S3X_TEST(test_classify_200_error),
        S3X_TEST(test_stall_detected_and_retried),
        S3X_TEST(test_stall_minimum_rate),
        S3X_TEST(test_upload_retry_rewinds),
        S3X_TEST(test_hook_errors),
        S3X_TEST(test_connect_and_timeouts),
        S3X_TEST(test_cancel),
        S3X_TEST(test_shutdown_with_requests_in_flight),
        S3X_TEST(test_logs_keep_secrets),
        S3X_TEST(test_backoff_bounds),
        S3X_TEST(test_classification),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_faults", tests);
}
