/* Shared helpers of the direct-receive tests; the contract is in test_engine_direct_util.h. The
 * GET's hooks record what each attempt looked like to classify (error and status of the first
 * T_ATTEMPTS_KEPT attempts, attempt 1's error body) and whether any ran off the engine thread.
 * Example: a GET retried once after a 503 leaves attempt_status {503, 200}, prepares 2,
 * classify_calls 2, and first_error_body holding the 503's XML (up to 255 bytes).
 */
#include "test_engine_direct_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct s3x_http_engine_options t_fast = {.retry_base_delay_ms = 1, .retry_max_delay_ms = 5};

static void s_buf_init(struct t_buf *b, size_t capacity, size_t misalign) {
    size_t total = capacity + misalign + 2 * T_GUARD_BYTES;
    assert_int_equal(posix_memalign((void **)&b->alloc, 64, total), 0);
    memset(b->alloc, T_GUARD, total);
    b->data = b->alloc + T_GUARD_BYTES + misalign;
    b->capacity = capacity;
}

void t_buf_check(const struct t_buf *b, uint64_t base, uint64_t len) {
    assert_true(len <= b->capacity);
    for (size_t i = 0; i < len; ++i) {
        if (b->data[i] != s3x_fault_pattern_byte(base + i)) {
            fail_msg("byte %zu of %llu differs", i, (unsigned long long)len);
        }
    }
    for (size_t i = (size_t)len; i < b->capacity; ++i) {
        if (b->data[i] != T_GUARD) {
            fail_msg("byte %zu past the %llu-byte body was written", i, (unsigned long long)len);
        }
    }
    for (size_t i = 0; i < T_GUARD_BYTES; ++i) {
        if (b->data[-1 - (ptrdiff_t)i] != T_GUARD || b->data[b->capacity + i] != T_GUARD) {
            fail_msg("guard byte %zu overwritten", i);
        }
    }
}

static void s_hook_thread(struct t_get *g) {
    if (!s3x__http_engine_is_current(g->t.env->engine)) {
        atomic_store(&g->t.off_thread, true);
    }
}

static int s_get_headers(struct s3x_http_request *r, int status, void *user_data) {
    struct t_get *g = user_data;
    s_hook_thread(g);
    atomic_fetch_add(&g->t.headers_calls, 1);
    g->headers_status = status;
    if (g->cancel_in_headers) {
        s3x__http_request_cancel(r);
    }
    if (g->signal != NULL) {
        t_done_add(g->signal);
    }
    return g->headers_error;
}

static int s_get_prepare(struct s3x_http_request *r, uint32_t attempt, void *user_data) {
    struct t_get *g = user_data;
    s_hook_thread(g);
    atomic_fetch_add(&g->t.prepares, 1);
    return attempt >= 2 ? s3x__http_request_set_url(r, g->retry_url) : 0;
}

static int s_get_classify(struct s3x_http_request *r, const struct s3x_http_attempt *a, bool *retry,
    void *user_data) {
    struct t_get *g = user_data;
    (void)r;
    s_hook_thread(g);
    int n = atomic_fetch_add(&g->t.classify_calls, 1);
    if (n < T_ATTEMPTS_KEPT) {
        g->attempt_error[n] = a->error;
        g->attempt_status[n] = a->http_status;
    }
    if (a->attempt == 1 && a->error_body != NULL) {
        size_t len = T_MIN(a->error_body_len, sizeof(g->first_error_body) - 1);
        memcpy(g->first_error_body, a->error_body, len);
        g->first_error_body[len] = '\0';
    }
    return s3x__http_classify_default(a, retry);
}

void t_get_new(struct t_env *env, struct t_get *g, const char *url, size_t capacity, size_t misalign,
    const char *fault, const char *id) {
    struct s3x_http_request_options o;
    t_req_options(&g->t, &o, "GET", url);
    s_buf_init(&g->buf, capacity, misalign);
    o.on_headers = s_get_headers;
    o.classify = s_get_classify;
    o.prepare = g->retry_url != NULL ? s_get_prepare : o.prepare;
    o.sink.kind = S3X_HTTP_SINK_BUFFER;
    o.sink.buffer = capacity == 0 && misalign == 0 ? NULL : g->buf.data;
    o.sink.capacity = capacity;
    o.sink.on_retry = t_sink_on_retry;
    o.max_attempts = g->max_attempts;
    o.timeout_ms = g->timeout_ms;
    g->t.fault = fault;
    g->t.fault_id = id;
    t_req_new(&g->t, env, &o);
    if (g->header_name != NULL) {
        assert_int_equal(s3x__http_request_set_header(g->t.request, g->header_name, g->header_value), 0);
    }
}

void t_get_submit(struct t_env *env, struct t_get *g, const char *path, size_t capacity, const char *fault,
    const char *id) {
    char url[160];
    t_get_new(env, g, t_url(env, path, url, sizeof(url)), capacity, 0, fault, id);
    t_req_submit(&g->t);
}

void t_get_release(struct t_get *g) {
    t_req_release(&g->t);
    free(g->buf.alloc);
    g->buf.alloc = NULL;
}

void t_expect_ok(struct t_get *g, int status, uint64_t base, uint64_t len, uint32_t attempts) {
    struct t_req *t = &g->t;
    if (t->error != 0) {
        fail_msg("%s (status %d, %u attempts): %s", s3x_error_name(t->error), t->status, t->attempts,
            t->curl_message);
    }
    assert_int_equal(t->status, status);
    assert_int_equal(t->attempts, attempts);
    assert_int_equal(t->bytes_received, len);
    assert_int_equal(atomic_load(&t->completions), 1);
    assert_int_equal(atomic_load(&t->prepares), attempts);
    assert_int_equal(atomic_load(&t->classify_calls), attempts);
    assert_int_equal(atomic_load(&t->retries_seen), attempts - 1);
    assert_false(atomic_load(&t->off_thread));
    assert_null(s3x__http_request_result(t->request)->error_body);
    t_buf_check(&g->buf, base, len);
}

void t_expect_error(struct t_get *g, int error, int status, uint32_t attempts) {
    struct t_req *t = &g->t;
    if (t->error != error) {
        fail_msg("%s instead of %s (status %d, %u attempts): %s", s3x_error_name(t->error), s3x_error_name(error),
            t->status, t->attempts, t->curl_message);
    }
    if (t->status != status || t->attempts != attempts) {
        fail_msg("%s: status %d after %u attempts, expected %d after %u: %s", s3x_error_name(error), t->status,
            t->attempts, status, attempts, t->curl_message);
    }
    assert_int_equal(atomic_load(&t->completions), 1);
    assert_false(atomic_load(&t->off_thread));
    if (error != S3X_ERR_HTTP_STATUS) {
        assert_true(t->curl_message[0] != '\0'); /* what went wrong, in words */
    }
}

struct s3x_http_engine_stats t_stats(const struct t_env *env) {
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env->engine, &st);
    return st;
}

long t_counter(const struct t_env *env, const char *id) {
    char name[96];
    snprintf(name, sizeof(name), "counter/%s", id);
    return s3x_fault_server_stat(&env->server, name);
}

void t_env_second(const struct t_env *env, struct t_env *second, const struct s3x_http_engine_options *o) {
    memset(second, 0, sizeof(*second));
    second->allocator = env->allocator;
    second->server = env->server;
    t_done_init(&second->done);
    struct s3x_http_engine_options opt = *o;
    opt.proxy = opt.proxy != NULL ? opt.proxy : "";
    assert_int_equal(s3x__http_engine_new(env->allocator, &opt, &second->engine), 0);
}

void t_env_second_stop(struct t_env *second) {
    t_env_destroy_engine(second);
    t_done_clean_up(&second->done);
}

void t_env_bare(struct t_env *env, void **state, const struct s3x_http_engine_options *o) {
    memset(env, 0, sizeof(*env));
    env->allocator = s3x_test_allocator(state);
    t_done_init(&env->done);
    struct s3x_http_engine_options opt = *o;
    opt.proxy = "";
    assert_int_equal(s3x__http_engine_new(env->allocator, &opt, &env->engine), 0);
}

void t_wait_counter(const struct t_env *env, const char *id, long want) {
    uint64_t deadline = s3x_test_now_ms() + 20000;
    while (t_counter(env, id) < want) {
        if (s3x_test_now_ms() > deadline) {
            fail_msg("the server never saw request %s", id);
        }
        t_sleep_ms(10);
    }
}

void t_get_mini(struct t_env *env, struct t_mini *m, struct t_get *g, const char *mode, size_t size,
    size_t capacity, int *done) {
    char url[128];
    snprintf(url, sizeof(url), "%s/%zu", m->base_url, size);
    t_get_new(env, g, url, capacity, 0, mode[0] != '\0' ? mode : NULL, NULL);
    t_req_submit(&g->t);
    t_done_wait(&env->done, ++*done);
}
