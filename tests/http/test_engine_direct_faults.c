/* Engine tests: the direct receive path (src/http/direct.c) when things go wrong. Faults from the
 * fault server (resets, short and stalled bodies, 503s), the total timeout and the stall window,
 * overflow and on_headers errors, cancel (from on_headers and from another thread), kept
 * connections the server closed (t_mini: idle, or after reading the next request), a URL changed
 * between attempts, TLS, and the engine destroyed mid-transfer. Bodies, framing and the request
 * head are in test_engine_direct.c; direct and curl connections sharing max_connections in
 * test_engine_direct_mixed.c.
 *
 * A failed attempt is seen by classify and retried; a reused connection that turns out closed
 * (found so by the idle peek, or failing before any answer byte) is replaced unseen and counted in
 * stats.direct_reconnects. Example: "reset; times=2" on a kept connection: the reset on it is
 * replaced unseen (1 reconnect), the reset on the fresh replacement is attempt 1's error, attempt 2
 * succeeds: 2 attempts, 3 requests at the server, 1 reconnect.
 */
#include "test_engine_direct_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================================================
 * 4. Faults: each failed attempt's error as classify saw it, the retry, the exact final bytes.
 */
static void test_direct_faults_retried(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.stall_window_ms = 300;
    eo.stall_min_bytes = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    /* alone, on the first (fresh) connection: a reset there is a failed attempt, not a reconnect */
    struct t_get reset = {0};
    t_get_submit(&env, &reset, "/data/5000", 5000, "reset; times=1", "reset");
    t_done_wait(&env.done, 1);
    t_expect_ok(&reset, 200, 0, 5000, 2);
    assert_int_equal(reset.attempt_error[0], S3X_ERR_HTTP_RECV);
    assert_int_equal(reset.attempt_status[0], 0);
    assert_int_equal(atomic_load(&reset.t.headers_calls), 1);
    assert_int_equal(t_counter(&env, "reset"), 2);
    struct t_get shortb = {0}, mid = {0}, stall1 = {0}, stallf = {0}, slow1 = {0}, slowf = {0}, nf = {0}, range = {0};
    t_get_submit(&env, &shortb, "/data/200000", 200000, "short-body; times=1", "short");
    t_get_submit(&env, &mid, "/data/300000", 300000, "reset-mid-body; times=1; after=100000", "mid");
    t_get_submit(&env, &stall1, "/data/100000", 100000, "stall; times=1; after=1000", "stall1");
    stallf.max_attempts = 2;
    t_get_submit(&env, &stallf, "/data/100000", 100000, "stall; after=1000", "stallf");
    t_get_submit(&env, &slow1, "/data/1000", 1000, "slowdown; times=1", "slow1");
    slowf.max_attempts = 2;
    t_get_submit(&env, &slowf, "/data/1000", 1000, "slowdown", "slowf");
    t_get_submit(&env, &nf, "/data/1000", 1000, "not-found", "nf");
    range.header_name = "Range";
    range.header_value = "bytes=5000-";
    t_get_submit(&env, &range, "/data/1000", 1000, NULL, NULL);
    t_done_wait(&env.done, 9);
    struct t_get *retried[] = {&shortb, &mid, &stall1};
    static const uint32_t sizes[] = {200000, 300000, 100000};
    for (size_t i = 0; i < T_ARRAY_LEN(retried); ++i) {
        t_expect_ok(retried[i], 200, 0, sizes[i], 2);
        assert_int_equal(retried[i]->attempt_error[0], i < 2 ? S3X_ERR_HTTP_RECV : S3X_ERR_HTTP_STALL);
        assert_int_equal(retried[i]->attempt_status[0], 200);
        assert_int_equal(atomic_load(&retried[i]->t.headers_calls), 2);
    }
    assert_int_equal(t_counter(&env, "short"), 2);
    assert_int_equal(t_counter(&env, "mid"), 2);
    /* stalled twice after 1000 bytes: those bytes are in the buffer, nothing after them */
    t_expect_error(&stallf, S3X_ERR_HTTP_STALL, 200, 2);
    assert_non_null(strstr(stallf.t.curl_message, "stalled"));
    assert_int_equal(stallf.t.bytes_received, 1000);
    t_buf_check(&stallf.buf, 0, 1000);
    /* a 503, then the body; the 503's XML reached classify, never the buffer */
    t_expect_ok(&slow1, 200, 0, 1000, 2);
    assert_int_equal(slow1.attempt_status[0], 503);
    assert_int_equal(slow1.attempt_error[0], S3X_ERR_HTTP_STATUS);
    assert_non_null(strstr(slow1.first_error_body, "<Code>SlowDown</Code>"));
    struct t_get *errors[] = {&slowf, &nf, &range};
    static const int statuses[] = {503, 404, 416};
    static const uint32_t attempts[] = {2, 1, 1};
    static const char *codes[] = {"<Code>SlowDown</Code>", "<Code>NoSuchKey</Code>", "<Code>InvalidRange</Code>"};
    for (size_t i = 0; i < T_ARRAY_LEN(errors); ++i) {
        struct t_get *g = errors[i];
        t_expect_error(g, S3X_ERR_HTTP_STATUS, statuses[i], attempts[i]);
        assert_non_null(strstr(g->t.error_body, codes[i]));
        const struct s3x_http_result *res = s3x__http_request_result(g->t.request);
        const char *length = s3x__http_request_response_header(g->t.request, "Content-Length");
        assert_non_null(length);
        assert_int_equal(res->error_body_len, strtoull(length, NULL, 10));
        assert_int_equal(res->bytes_received, res->error_body_len);
        assert_false(res->error_body_truncated);
        t_buf_check(&g->buf, 0, 0); /* the buffer never saw it */
    }
    assert_int_equal(t_counter(&env, "slowf"), 2);
    assert_int_equal(t_counter(&env, "nf"), 1);
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.attempts, 2 + 2 + 2 + 2 + 2 + 2 + 2 + 1 + 1);
    assert_int_equal(st.direct_attempts, st.attempts);
    assert_int_equal(st.stalls, 1 + 2);
    t_env_stop(&env);
    struct t_get *all[] = {&reset, &shortb, &mid, &stall1, &stallf, &slow1, &slowf, &nf, &range};
    for (size_t i = 0; i < T_ARRAY_LEN(all); ++i) {
        t_get_release(all[i]);
    }
}

/* A minimum rate: 10 B / 50 ms is 80 B in a 400 ms window (< 2000: a stall), 2000 B / 20 ms is
 * 40 000 (fine). Headers count as moved bytes, as on curl's path. */
static void test_direct_stall_rate(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.stall_window_ms = 400;
    eo.stall_min_bytes = 2000;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_get slow = {.max_attempts = 1}, fast = {.max_attempts = 1};
    t_get_submit(&env, &slow, "/data/100000", 100000, "drip; chunk=10; interval_ms=50", NULL);
    t_get_submit(&env, &fast, "/data/100000", 100000, "drip; chunk=2000; interval_ms=20", NULL);
    t_done_wait(&env.done, 2);
    t_expect_error(&slow, S3X_ERR_HTTP_STALL, 200, 1);
    assert_true(slow.t.bytes_received < 2000);
    t_buf_check(&slow.buf, 0, slow.t.bytes_received);
    t_expect_ok(&fast, 200, 0, 100000, 1);
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, 2);
    assert_int_equal(st.stalls, 1);
    t_env_stop(&env);
    t_get_release(&slow);
    t_get_release(&fast);
}

/* The total time limit, before the answer and inside the body; a bounded error body. */
static void test_direct_timeouts(void **state) {
    struct t_env env;
    t_env_start(&env, state, &t_fast);
    struct t_get before = {.max_attempts = 2, .timeout_ms = 300}, inside = {.max_attempts = 2, .timeout_ms = 300};
    t_get_submit(&env, &before, "/data/10", 10, "delay; ms=2000", NULL);
    t_get_submit(&env, &inside, "/data/100000", 100000, "stall; after=1000", NULL);
    t_done_wait(&env.done, 2);
    t_expect_error(&before, S3X_ERR_HTTP_TIMEOUT, 0, 2);
    assert_int_equal(atomic_load(&before.t.headers_calls), 0);
    assert_int_equal(before.attempt_error[0], S3X_ERR_HTTP_TIMEOUT);
    t_buf_check(&before.buf, 0, 0);
    t_expect_error(&inside, S3X_ERR_HTTP_TIMEOUT, 200, 2);
    assert_int_equal(atomic_load(&inside.t.headers_calls), 2);
    assert_int_equal(inside.t.bytes_received, 1000);
    t_buf_check(&inside.buf, 0, 1000);
    /* nothing listening: curl's connect error, retried; no answer */
    struct t_get refused = {.max_attempts = 3};
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/data/10", t_unused_port());
    t_get_new(&env, &refused, url, 10, 0, NULL, NULL);
    t_req_submit(&refused.t);
    t_done_wait(&env.done, 3);
    t_expect_error(&refused, S3X_ERR_HTTP_CONNECT, 0, 3);
    assert_int_equal(refused.t.curl_code, 7); /* CURLE_COULDNT_CONNECT */
    assert_int_equal(atomic_load(&refused.t.headers_calls), 0);
    t_buf_check(&refused.buf, 0, 0);
    t_get_release(&refused);
    assert_int_equal(t_stats(&env).direct_attempts, 4 + 3);
    /* an error body longer than the engine keeps: cut, flagged, every byte still counted */
    struct s3x_http_engine_options small = t_fast;
    small.error_body_max_bytes = 100;
    struct t_env second;
    t_env_second(&env, &second, &small);
    struct t_get nf = {0};
    t_get_submit(&second, &nf, "/data/1000", 1000, "not-found", NULL);
    t_done_wait(&second.done, 1);
    t_expect_error(&nf, S3X_ERR_HTTP_STATUS, 404, 1);
    const struct s3x_http_result *res = s3x__http_request_result(nf.t.request);
    assert_int_equal(res->error_body_len, 100);
    assert_true(res->error_body_truncated);
    assert_memory_equal(res->error_body, "<?xml", 5);
    const char *length = s3x__http_request_response_header(nf.t.request, "Content-Length");
    assert_int_equal(res->bytes_received, strtoull(length, NULL, 10));
    t_buf_check(&nf.buf, 0, 0);
    assert_int_equal(t_stats(&second).direct_attempts, 1);
    t_env_second_stop(&second);
    t_env_stop(&env);
    t_get_release(&before);
    t_get_release(&inside);
    t_get_release(&nf);
}

/* ================================================================================================
 * 5. Overflow and on_headers: the attempt fails with that error, is not retried, and its
 * connection (body unread) is not used again; the next GET gets a fresh one and succeeds.
 */
static void test_direct_overflow_and_hooks(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    int done = 0;
    struct t_get over = {0}, hook = {0}, hookover = {0}, hook404 = {0}, hookchunked = {0}, after = {0};
    t_get_submit(&env, &over, "/data/100000", 99999, NULL, "over");
    t_done_wait(&env.done, ++done);
    t_expect_error(&over, S3X_ERR_OVERFLOW, 200, 1);
    assert_int_equal(over.t.bytes_received, 0); /* refused from its Content-Length */
    assert_int_equal(atomic_load(&over.t.headers_calls), 1);
    t_buf_check(&over.buf, 0, 0);
    hook.headers_error = S3X_ERR_PERMISSION;
    t_get_submit(&env, &hook, "/data/100000", 100000, NULL, "hook");
    t_done_wait(&env.done, ++done);
    t_expect_error(&hook, S3X_ERR_PERMISSION, 200, 1);
    assert_int_equal(hook.attempt_error[0], S3X_ERR_PERMISSION);
    assert_int_equal(hook.t.bytes_received, 0);
    t_buf_check(&hook.buf, 0, 0);
    hookover.headers_error = S3X_ERR_IO; /* the hook's error wins over the buffer's */
    t_get_submit(&env, &hookover, "/data/100000", 99999, NULL, "hookover");
    t_done_wait(&env.done, ++done);
    t_expect_error(&hookover, S3X_ERR_IO, 200, 1);
    t_buf_check(&hookover.buf, 0, 0);
    hook404.headers_error = S3X_ERR_PERMISSION; /* and over the status */
    t_get_submit(&env, &hook404, "/data/100", 100, "not-found", "hook404");
    t_done_wait(&env.done, ++done);
    t_expect_error(&hook404, S3X_ERR_PERMISSION, 404, 1);
    hookchunked.headers_error = S3X_ERR_IO;
    t_get_submit(&env, &hookchunked, "/data/100000", 100000, "chunked; chunk=1000", "hookchunked");
    t_done_wait(&env.done, ++done);
    t_expect_error(&hookchunked, S3X_ERR_IO, 200, 1);
    t_buf_check(&hookchunked.buf, 0, 0);
    t_get_submit(&env, &after, "/data/100000", 100000, NULL, "after");
    t_done_wait(&env.done, ++done);
    t_expect_ok(&after, 200, 0, 100000, 1);
    const char *ids[] = {"over", "hook", "hookover", "hook404", "hookchunked", "after"};
    for (size_t i = 0; i < T_ARRAY_LEN(ids); ++i) {
        assert_int_equal(t_counter(&env, ids[i]), 1); /* none retried */
    }
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, 6);
    assert_int_equal(st.connections_opened, 6); /* no connection with an unread body reused */
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 6);
    t_env_stop(&env);
    struct t_get *all[] = {&over, &hook, &hookover, &hook404, &hookchunked, &after};
    for (size_t i = 0; i < T_ARRAY_LEN(all); ++i) {
        assert_int_equal(atomic_load(&all[i]->t.completions), 1);
        t_get_release(all[i]);
    }
}

/* on_headers cancels its own request: on_complete once with CANCELED, classify never, and, as on
 * curl's path (whose body callback checks the cancel before every chunk), no body byte taken after
 * it; so its connection, body unread, is not used again. Everything is checked once the engine and
 * the server are stopped: a failure leaves no thread running on freed memory. */
static void test_direct_cancel_in_on_headers(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_get cancel = {.cancel_in_headers = true}, after = {0};
    t_get_submit(&env, &cancel, "/data/1048583", T_MIB + 7, NULL, NULL);
    t_done_wait(&env.done, 1);
    t_get_submit(&env, &after, "/data/1000", 1000, NULL, NULL);
    t_done_wait(&env.done, 2);
    struct s3x_http_engine_stats st = t_stats(&env);
    long server_connections = s3x_fault_server_stat(&env.server, "connections");
    t_env_stop(&env);
    int error = cancel.t.error, completions = atomic_load(&cancel.t.completions);
    int classified = atomic_load(&cancel.t.classify_calls), headers = atomic_load(&cancel.t.headers_calls);
    uint32_t attempts = cancel.t.attempts;
    uint64_t received = cancel.t.bytes_received;
    bool untouched = true;
    for (size_t i = 0; i < cancel.buf.capacity; ++i) {
        untouched = untouched && cancel.buf.data[i] == T_GUARD;
    }
    int after_error = after.t.error;
    uint64_t after_received = after.t.bytes_received;
    t_get_release(&cancel);
    t_get_release(&after);
    assert_int_equal(error, S3X_ERR_CANCELED);
    assert_int_equal(completions, 1);
    assert_int_equal(attempts, 1);
    assert_int_equal(headers, 1);
    assert_int_equal(classified, 0);
    assert_int_equal(after_error, 0);
    assert_int_equal(after_received, 1000);
    assert_int_equal(st.direct_attempts, 2);
    if (received != 0 || !untouched) {
        fail_msg("canceled in on_headers, then %llu body bytes were received (buffer %s)",
            (unsigned long long)received, untouched ? "untouched" : "written");
    }
    assert_int_equal(st.connections_opened, 2);
    assert_int_equal(server_connections, 2);
}

/* ================================================================================================
 * 6. Cancel from this thread: in a dripping body, in a stalled one, before the answer, before
 * submit; on_complete once with CANCELED, classify never; the engine goes on.
 */
static void test_direct_cancel(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 2;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_done signal;
    t_done_init(&signal);
    struct t_get drip = {.signal = &signal}, stall = {.signal = &signal}, early = {0}, unsent = {0}, after = {0};
    t_get_submit(&env, &drip, "/data/100000", 100000, "drip; chunk=64; interval_ms=10", "drip");
    t_get_submit(&env, &stall, "/data/100000", 100000, "stall; after=5000", "stall");
    t_done_wait(&signal, 2);
    t_sleep_ms(100); /* the drip's body is flowing */
    s3x__http_request_cancel(drip.t.request);
    s3x__http_request_cancel(stall.t.request);
    s3x__http_request_cancel(stall.t.request); /* idempotent */
    t_done_wait(&env.done, 2);
    t_get_submit(&env, &early, "/data/10", 10, "delay; ms=3000", "early");
    t_wait_counter(&env, "early", 1);
    s3x__http_request_cancel(early.t.request);
    t_done_wait(&env.done, 3);
    char url[160];
    t_get_new(&env, &unsent, t_url(&env, "/data/10", url, sizeof(url)), 10, 0, NULL, NULL);
    s3x__http_request_cancel(unsent.t.request);
    t_req_submit(&unsent.t);
    t_done_wait(&env.done, 4);
    t_get_submit(&env, &after, "/data/50000", 50000, NULL, NULL);
    t_done_wait(&env.done, 5);
    t_expect_ok(&after, 200, 0, 50000, 1);
    struct t_get *canceled[] = {&drip, &stall, &early};
    for (size_t i = 0; i < T_ARRAY_LEN(canceled); ++i) {
        struct t_get *g = canceled[i];
        assert_int_equal(g->t.error, S3X_ERR_CANCELED);
        assert_int_equal(g->t.attempts, 1);
        assert_int_equal(atomic_load(&g->t.classify_calls), 0);
        assert_int_equal(atomic_load(&g->t.headers_calls), i < 2 ? 1 : 0);
        t_buf_check(&g->buf, 0, g->t.bytes_received); /* what was counted is what was written */
    }
    assert_true(drip.t.bytes_received < 100000);
    assert_true(stall.t.bytes_received <= 5000);
    assert_int_equal(unsent.t.error, S3X_ERR_CANCELED);
    assert_int_equal(unsent.t.attempts, 0);
    assert_int_equal(atomic_load(&unsent.t.prepares), 0);
    assert_int_equal(t_stats(&env).direct_attempts, 4);
    t_env_stop(&env);
    struct t_get *all[] = {&drip, &stall, &early, &unsent, &after};
    for (size_t i = 0; i < T_ARRAY_LEN(all); ++i) {
        assert_int_equal(atomic_load(&all[i]->t.completions), 1);
        t_get_release(all[i]);
    }
    assert_int_equal(env.done.count, 5);
    t_done_clean_up(&signal);
}

/* ================================================================================================
 * 7. Kept connections the server closed: while idle (FIN before the next request), after reading
 * the next request (FIN or RST, no answer byte): replaced unseen, one attempt, one direct_reconnect
 * (the idle one whether the zero-timeout peek finds it closed or, the FIN late, the request meets the
 * close). An answer cut after its first bytes is not replaced unseen: it is a failed attempt.
 */
static void s_idle_script(void **state, bool direct) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    eo.direct_receive_disable = !direct;
    struct t_env env;
    t_env_bare(&env, state, &eo);
    struct t_mini m;
    t_mini_start(&m);
    static const struct {
        const char *mode;
        size_t size;
        int connections; /* accepted after it */
        int reconnects;  /* direct_reconnects it adds */
    } steps[] = {
        {"", 1000, 1, 0},
        {"close-after", 2000, 1, 0}, /* answered, then closed without a word */
        {"", 3000, 2, 1},            /* the kept connection is closed: the peek finds it, replaced unseen */
        {"drop", 4000, 3, 1},        /* on connection 2: read, closed unanswered; connection 3 answers */
        {"rst", 5000, 4, 1},         /* the same with a reset */
    };
    int done = 0;
    uint64_t reconnects = 0;
    for (size_t i = 0; i < T_ARRAY_LEN(steps); ++i) {
        struct t_get g = {0};
        t_get_mini(&env, &m, &g, steps[i].mode, steps[i].size, steps[i].size, &done);
        t_expect_ok(&g, 200, 0, steps[i].size, 1);
        t_get_release(&g);
        assert_int_equal(atomic_load(&m.accepted), steps[i].connections);
        struct s3x_http_engine_stats st = t_stats(&env);
        assert_int_equal(st.direct_attempts, direct ? i + 1 : 0);
        uint64_t added = st.direct_reconnects - reconnects;
        reconnects = st.direct_reconnects;
        if (!direct) {
            assert_int_equal(added, 0);
        } else if (added != (uint64_t)steps[i].reconnects) {
            fail_msg("step %zu (%s): %llu reconnects, expected %d", i, steps[i].mode, (unsigned long long)added,
                steps[i].reconnects);
        }
        if (i == 1) {
            t_sleep_ms(100); /* the server's FIN has arrived: the client holds a closed connection */
        }
    }
    assert_int_equal(t_stats(&env).connections_opened, 4);
    t_env_stop(&env);
    t_mini_stop(&m);
    assert_int_equal(atomic_load(&m.requests), 7);
}

/* The fault server's reset on a kept connection: replaced unseen once; a reset on the replacement
 * (a fresh connection) is a failed attempt; an answer reset mid-body is never replaced unseen. */
static void s_reused_resets(struct t_env *env, bool direct) {
    long connections = s3x_fault_server_stat(&env->server, "connections");
    static const struct {
        const char *path, *fault, *id;
        size_t size;
        uint32_t attempts;
        long seen; /* requests the server counted for the id */
        uint64_t reconnects;
    } steps[] = {
        {"/data/1000", NULL, NULL, 1000, 1, 0, 0},
        {"/data/5000", "reset; times=1", "rr1", 5000, 1, 2, 1},
        {"/data/5000", "reset; times=2", "rr2", 5000, 2, 3, 1},
        {"/data/300000", "reset-mid-body; times=1; after=1000", "rr3", 300000, 2, 2, 0},
    };
    int done = 0;
    uint64_t reconnects = t_stats(env).direct_reconnects, attempts = t_stats(env).attempts;
    for (size_t i = 0; i < T_ARRAY_LEN(steps); ++i) {
        struct t_get g = {0};
        char id[32];
        snprintf(id, sizeof(id), "%s-%s", direct ? "direct" : "curl", steps[i].id != NULL ? steps[i].id : "none");
        t_get_submit(env, &g, steps[i].path, steps[i].size, steps[i].fault, steps[i].id != NULL ? id : NULL);
        t_done_wait(&env->done, ++done);
        t_expect_ok(&g, 200, 0, steps[i].size, steps[i].attempts);
        if (steps[i].id != NULL) {
            assert_int_equal(t_counter(env, id), steps[i].seen);
        }
        t_get_release(&g);
        struct s3x_http_engine_stats st = t_stats(env);
        assert_int_equal(st.direct_reconnects - reconnects, direct ? steps[i].reconnects : 0);
        reconnects = st.direct_reconnects;
        attempts += steps[i].attempts;
        assert_int_equal(st.attempts, attempts);
        assert_int_equal(st.direct_attempts, direct ? attempts : 0);
    }
    /* 1: c1; 2: reset on c1, c2; 3: reset on c2, reset on c3, c4; 4: cut on c4, c5 */
    assert_int_equal(s3x_fault_server_stat(&env->server, "connections") - connections, 5);
}

static void test_direct_idle_closed(void **state) {
    s_idle_script(state, true);
    s_idle_script(state, false);
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    struct t_env env;
    t_env_start(&env, state, &eo);
    s_reused_resets(&env, true);
    struct t_env curl_path;
    eo.direct_receive_disable = true;
    t_env_second(&env, &curl_path, &eo);
    s_reused_resets(&curl_path, false);
    t_env_second_stop(&curl_path);
    t_env_stop(&env);
}

/* The URL changed between attempts (the S3 layer re-signs in prepare): attempt 2 goes to the other
 * server; the first server's kept connection is still used for it afterwards. */
static void s_url_change(struct t_env *env, struct t_mini *m, bool direct) {
    char url[128];
    snprintf(url, sizeof(url), "%s/1000", m->base_url);
    int accepted = atomic_load(&m->accepted);
    long connections = s3x_fault_server_stat(&env->server, "connections");
    struct t_get moved = {.retry_url = url}, back = {0};
    t_get_submit(env, &moved, "/data/1000", 1000, "slowdown", NULL);
    t_done_wait(&env->done, 1);
    t_expect_ok(&moved, 200, 0, 1000, 2);
    assert_int_equal(moved.attempt_status[0], 503);
    assert_int_equal(atomic_load(&m->accepted), accepted + 1);
    t_get_submit(env, &back, "/data/2000", 2000, NULL, NULL);
    t_done_wait(&env->done, 2);
    t_expect_ok(&back, 200, 0, 2000, 1);
    assert_int_equal(s3x_fault_server_stat(&env->server, "connections") - connections, 1);
    assert_int_equal(t_stats(env).direct_attempts, direct ? 3 : 0);
    t_get_release(&moved);
    t_get_release(&back);
}

static void test_direct_url_change(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 2;
    struct t_env env, curl_path;
    t_env_start(&env, state, &eo);
    struct t_mini m;
    t_mini_start(&m);
    s_url_change(&env, &m, true);
    eo.direct_receive_disable = true;
    t_env_second(&env, &curl_path, &eo);
    s_url_change(&curl_path, &m, false);
    t_env_second_stop(&curl_path);
    t_env_stop(&env);
    t_mini_stop(&m);
    assert_int_equal(atomic_load(&m.requests), 2);
}

/* ================================================================================================
 * 8. HTTPS: an 8 MiB part and GETs of every kind on one TLS connection; a certificate the engine
 * does not trust fails the attempt (not retried) on both paths.
 */
static void test_direct_https(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 1;
    struct t_env env;
    t_env_start_tls(&env, state, &eo);
    static const size_t sizes[] = {8 * T_MIB, 0, 1, 16385, 200000, T_MIB + 7};
    char path[64];
    int done = 0;
    for (size_t i = 0; i < T_ARRAY_LEN(sizes); ++i) {
        struct t_get g = {0};
        snprintf(path, sizeof(path), "/data/%zu", sizes[i]);
        t_get_submit(&env, &g, path, sizes[i], NULL, NULL);
        t_done_wait(&env.done, ++done);
        t_expect_ok(&g, 200, 0, sizes[i], 1);
        t_get_release(&g);
    }
    struct t_get chunked = {0}, shortb = {0}, nf = {0};
    t_get_submit(&env, &chunked, "/data/100000", 100000, "chunked; chunk=1000", NULL);
    t_done_wait(&env.done, ++done);
    t_expect_ok(&chunked, 200, 0, 100000, 1);
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.direct_attempts, T_ARRAY_LEN(sizes) + 1);
    assert_int_equal(st.connections_opened, 1);
    assert_int_equal(s3x_fault_server_stat(&env.server, "connections"), 1);
    t_get_submit(&env, &shortb, "/data/200000", 200000, "short-body; times=1", "tls-short");
    t_done_wait(&env.done, ++done);
    t_expect_ok(&shortb, 200, 0, 200000, 2);
    assert_int_equal(shortb.attempt_error[0], S3X_ERR_HTTP_RECV);
    t_get_submit(&env, &nf, "/data/1000", 1000, "not-found", NULL);
    t_done_wait(&env.done, ++done);
    t_expect_error(&nf, S3X_ERR_HTTP_STATUS, 404, 1);
    assert_non_null(strstr(nf.t.error_body, "<Code>NoSuchKey</Code>"));
    t_buf_check(&nf.buf, 0, 0);
    /* the kept TLS connection reset before any answer byte: replaced unseen; one cut mid-body: retried */
    struct t_get reused = {0}, mid = {0};
    t_get_submit(&env, &reused, "/data/5000", 5000, "reset; times=1", "tls-reset");
    t_done_wait(&env.done, ++done);
    t_expect_ok(&reused, 200, 0, 5000, 1);
    assert_int_equal(t_counter(&env, "tls-reset"), 2);
    assert_int_equal(t_stats(&env).direct_reconnects, 1);
    t_get_submit(&env, &mid, "/data/3000000", 3000000, "reset-mid-body; times=1; after=1000000", "tls-mid");
    t_done_wait(&env.done, ++done);
    t_expect_ok(&mid, 200, 0, 3000000, 2);
    assert_int_equal(mid.attempt_error[0], S3X_ERR_HTTP_RECV);
    assert_int_equal(t_stats(&env).direct_reconnects, 1);
    assert_int_equal(t_stats(&env).direct_attempts, T_ARRAY_LEN(sizes) + 1 + 2 + 1 + 1 + 2);
    t_get_release(&reused);
    t_get_release(&mid);
    /* the system store does not know the test CA; verification off accepts it */
    for (int mode = 0; mode < 3; ++mode) {
        struct s3x_http_engine_options other = t_fast;
        other.direct_receive_disable = mode == 1;
        other.tls_verify_disable = mode == 2;
        struct t_env second;
        t_env_second(&env, &second, &other);
        struct t_get g = {0};
        t_get_submit(&second, &g, "/data/70000", 70000, NULL, NULL);
        t_done_wait(&second.done, 1);
        if (mode == 2) {
            t_expect_ok(&g, 200, 0, 70000, 1);
        } else {
            t_expect_error(&g, S3X_ERR_HTTP_TLS, 0, 1);
            assert_int_equal(atomic_load(&g.t.headers_calls), 0);
            t_buf_check(&g.buf, 0, 0);
        }
        assert_int_equal(t_stats(&second).direct_attempts, mode == 1 ? 0 : 1);
        t_env_second_stop(&second);
        t_get_release(&g);
    }
    t_env_stop(&env); /* with an idle TLS connection */
    t_get_release(&chunked);
    t_get_release(&shortb);
    t_get_release(&nf);
}

/* ================================================================================================
 * 11. The engine destroyed holding idle direct connections and three direct GETs in flight (a
 * stalled body, a dripping one, one waiting for its answer): each completes once, CANCELED.
 */
static void test_direct_destroy(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 5;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_get idle[2];
    memset(idle, 0, sizeof(idle));
    for (int i = 0; i < 2; ++i) {
        t_get_submit(&env, &idle[i], "/data/100000", 100000, NULL, NULL);
    }
    t_done_wait(&env.done, 2);
    for (int i = 0; i < 2; ++i) {
        t_expect_ok(&idle[i], 200, 0, 100000, 1);
    }
    struct t_done signal;
    t_done_init(&signal);
    struct t_get stall = {.signal = &signal}, drip = {.signal = &signal}, late = {0};
    t_get_submit(&env, &stall, "/data/1000000", 1000000, "stall; after=3000", NULL);
    t_get_submit(&env, &drip, "/data/100000", 100000, "drip; chunk=16; interval_ms=20", NULL);
    t_get_submit(&env, &late, "/data/10", 10, "delay; ms=5000", "late");
    t_done_wait(&signal, 2);
    t_wait_counter(&env, "late", 1);
    assert_int_equal(t_stats(&env).direct_attempts, 5);
    t_env_destroy_engine(&env);
    assert_int_equal(env.done.count, 5);
    struct t_get *flying[] = {&stall, &drip, &late};
    for (size_t i = 0; i < T_ARRAY_LEN(flying); ++i) {
        struct t_get *g = flying[i];
        assert_int_equal(atomic_load(&g->t.completions), 1);
        assert_int_equal(g->t.error, S3X_ERR_CANCELED);
        assert_int_equal(g->t.attempts, 1);
        assert_int_equal(atomic_load(&g->t.classify_calls), 0);
        assert_false(atomic_load(&g->t.off_thread));
        t_buf_check(&g->buf, 0, g->t.bytes_received);
    }
    t_env_stop(&env);
    t_done_clean_up(&signal);
    for (size_t i = 0; i < T_ARRAY_LEN(flying); ++i) {
        t_get_release(flying[i]);
    }
    t_get_release(&idle[0]);
    t_get_release(&idle[1]);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_direct_faults_retried),
        S3X_TEST(test_direct_stall_rate),
        S3X_TEST(test_direct_timeouts),
        S3X_TEST(test_direct_overflow_and_hooks),
        S3X_TEST(test_direct_cancel_in_on_headers),
        S3X_TEST(test_direct_cancel),
        S3X_TEST(test_direct_idle_closed),
        S3X_TEST(test_direct_url_change),
        S3X_TEST(test_direct_https),
        S3X_TEST(test_direct_destroy),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_direct_faults", tests);
}
