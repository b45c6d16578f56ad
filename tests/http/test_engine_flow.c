/* Engine tests: backpressure. Downloads whose sink pauses and uploads whose source pauses, resumed
 * from another thread (and from inside the hook); pauses longer than the stall window; cancel while
 * paused; hooks that fail, cancel or release. Byte-exact data, exact callback counts. Then the
 * idle callback: once per quiet period, never while a request is held. */
#include "test_engine_util.h"

#include <s3xfer/error.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* A request whose body hooks pause; a resumer thread resumes it after each pause. */
struct s_flow {
    struct t_req t; /* first: the hooks' user_data is the t_req */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int pending;       /* pauses not yet answered by the resumer */
    bool stop;
    bool cancel_instead; /* the resumer cancels instead of resuming */
    unsigned delay_ms;   /* the resumer waits this long before resuming */
    pthread_t resumer;
    /* hook state (engine thread) */
    int pause_every;     /* pause before every Nth chunk/read */
    int repause_every;   /* of the pauses, every Nth also pauses the re-delivered chunk */
    bool pause_last;     /* pause on the chunk that completes the body */
    bool self_resume;    /* the hook resumes the request itself before returning the pause */
    int64_t pause_once_at; /* pause once when the offset first passes this (>= 0) */
    int calls, pauses, repauses;
    bool redelivery;     /* the last return was a pause: this call re-delivers */
    uint64_t size;       /* expected body size */
    /* upload source */
    uint64_t produced;
    int reads;
};

static void *s_resumer_main(void *arg) {
    struct s_flow *f = arg;
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (f->pending == 0 && !f->stop) {
            pthread_cond_wait(&f->cond, &f->lock);
        }
        if (f->pending == 0 && f->stop) {
            break;
        }
        f->pending--;
        pthread_mutex_unlock(&f->lock);
        if (f->delay_ms > 0) {
            t_sleep_ms(f->delay_ms);
        }
        if (f->cancel_instead) {
            s3x__http_request_cancel(f->t.request);
        } else {
            s3x__http_request_resume(f->t.request);
        }
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

static void s_flow_init(struct s_flow *f) {
    memset(f, 0, sizeof(*f));
    f->pause_once_at = -1;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
}

static void s_flow_start_resumer(struct s_flow *f) {
    assert_int_equal(pthread_create(&f->resumer, NULL, s_resumer_main, f), 0);
}

static void s_flow_finish(struct s_flow *f) {
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->resumer, NULL);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
}

/* Called by a hook on the engine thread when it is about to return S3X_HTTP_PAUSE. */
static int s_flow_pause(struct s_flow *f, struct s3x_http_request *r) {
    f->pauses++;
    f->redelivery = true;
    if (f->self_resume) {
        s3x__http_request_resume(r); /* allowed even before the pause is returned */
    } else {
        pthread_mutex_lock(&f->lock);
        f->pending++;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);
    }
    return S3X_HTTP_PAUSE;
}

static int s_flow_write(struct s3x_http_request *r, const uint8_t *data, size_t len, void *user_data) {
    struct s_flow *f = user_data;
    bool redelivery = f->redelivery;
    f->redelivery = false;
    f->calls++;
    if (redelivery && f->repause_every > 0 && f->pauses % f->repause_every == 0 && f->repauses < f->pauses / 2) {
        f->repauses++; /* pause again, from inside curl_easy_pause(CONT) */
        return s_flow_pause(f, r);
    }
    if (!redelivery) {
        if (f->pause_every > 0 && f->calls % f->pause_every == 0) {
            return s_flow_pause(f, r);
        }
        if (f->pause_last && f->t.offset + len == f->size) {
            return s_flow_pause(f, r);
        }
        if (f->pause_once_at >= 0 && f->t.offset + len > (uint64_t)f->pause_once_at) {
            f->pause_once_at = -1;
            return s_flow_pause(f, r);
        }
    }
    return t_sink_pattern(r, data, len, &f->t);
}

static bool s_tls; /* the next s_download/s_upload runs over HTTPS */

static void s_download(void **state, struct s_flow *f, struct t_env *env, uint64_t size,
    const struct s3x_http_engine_options *eo) {
    if (s_tls) {
        t_env_start_tls(env, state, eo);
    } else {
        t_env_start(env, state, eo);
    }
    char url[128], path[64];
    snprintf(path, sizeof(path), "/data/%llu", (unsigned long long)size);
    struct s3x_http_request_options o;
    t_req_options(&f->t, &o, "GET", t_url(env, path, url, sizeof(url)));
    o.sink.kind = S3X_HTTP_SINK_STREAM;
    o.sink.write = s_flow_write;
    o.sink.on_retry = t_sink_on_retry;
    f->size = size;
    t_req_new(&f->t, env, &o);
    s_flow_start_resumer(f);
    t_req_submit(&f->t);
    t_done_wait(&env->done, 1);
}

static void s_check_download_ok(struct s_flow *f, uint64_t size) {
    assert_int_equal(f->t.error, 0);
    assert_int_equal(f->t.attempts, 1);
    assert_false(f->t.mismatch);
    assert_int_equal(f->t.offset, size);
    assert_int_equal(f->t.bytes_received, size);
    assert_false(atomic_load(&f->t.off_thread));
}

static void test_download_backpressure(void **state) {
    struct s_flow f;
    s_flow_init(&f);
    f.pause_every = 3;
    f.repause_every = 4;
    struct t_env env;
    s_download(state, &f, &env, 8u << 20, NULL);
    s_check_download_ok(&f, 8u << 20);
    print_message("8 MiB: %d write calls, %d pauses (%d again on re-delivery)\n", f.calls, f.pauses, f.repauses);
    assert_true(f.pauses >= 20);
    assert_true(f.repauses >= 2);
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.stalls, 0);
    t_env_stop(&env);
    assert_int_equal(atomic_load(&f.t.completions), 1);
    s_flow_finish(&f);
    t_req_release(&f.t);
}

/* Over TLS, where decrypted data can wait inside OpenSSL while the transfer is paused (curl
 * issue #4966): every pause still resumes. */
static void test_download_backpressure_tls(void **state) {
    struct s_flow f;
    s_flow_init(&f);
    f.pause_every = 2;
    f.repause_every = 3;
    s_tls = true;
    struct t_env env;
    s_download(state, &f, &env, 4u << 20, NULL);
    s_tls = false;
    s_check_download_ok(&f, 4u << 20);
    assert_true(f.pauses >= 20);
    t_env_stop(&env);
    assert_int_equal(atomic_load(&f.t.completions), 1);
    s_flow_finish(&f);
    t_req_release(&f.t);
}

/* The held chunk is the body's last: the transfer must not finish before it is delivered. */
static void test_pause_on_last_chunk(void **state) {
    static const uint64_t sizes[] = {1, 1000, 300000};
    for (size_t i = 0; i < T_ARRAY_LEN(sizes); ++i) {
        struct s_flow f;
        s_flow_init(&f);
        f.pause_last = true;
        f.delay_ms = 100;
        struct t_env env;
        s_download(state, &f, &env, sizes[i], NULL);
        s_check_download_ok(&f, sizes[i]);
        assert_int_equal(f.pauses, 1);
        t_env_stop(&env);
        assert_int_equal(atomic_load(&f.t.completions), 1);
        s_flow_finish(&f);
        t_req_release(&f.t);
    }
}

/* Resumed from inside the hook, before the pause was even returned. */
static void test_self_resume(void **state) {
    struct s_flow f;
    s_flow_init(&f);
    f.pause_every = 2;
    f.self_resume = true;
    struct t_env env;
    s_download(state, &f, &env, 2u << 20, NULL);
    s_check_download_ok(&f, 2u << 20);
    assert_true(f.pauses >= 10);
    t_env_stop(&env);
    s_flow_finish(&f);
    t_req_release(&f.t);
}

/* A pause of 3.5 stall windows is not a stall. */
static void test_pause_is_not_a_stall(void **state) {
    struct s_flow f;
    s_flow_init(&f);
    f.pause_once_at = 100000;
    f.delay_ms = 700;
    struct s3x_http_engine_options eo = {.stall_window_ms = 200, .stall_min_bytes = 1};
    struct t_env env;
    s_download(state, &f, &env, 1u << 20, &eo);
    s_check_download_ok(&f, 1u << 20);
    assert_int_equal(f.pauses, 1);
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.stalls, 0);
    t_env_stop(&env);
    s_flow_finish(&f);
    t_req_release(&f.t);
}

static void test_cancel_while_paused(void **state) {
    struct s_flow f;
    s_flow_init(&f);
    f.pause_once_at = 50000;
    f.cancel_instead = true;
    f.delay_ms = 50;
    struct t_env env;
    s_download(state, &f, &env, 4u << 20, NULL);
    assert_int_equal(f.t.error, S3X_ERR_CANCELED);
    assert_int_equal(f.t.attempts, 1);
    assert_int_equal(f.pauses, 1);
    assert_true(f.t.offset < (4u << 20));
    t_env_stop(&env);
    assert_int_equal(atomic_load(&f.t.completions), 1);
    s_flow_finish(&f);
    t_req_release(&f.t);
}

/* --- uploads --------------------------------------------------------------------------------- */

static int s_flow_read(struct s3x_http_request *r, uint8_t *buf, size_t cap, size_t *out, void *user_data) {
    struct s_flow *f = user_data;
    bool redelivery = f->redelivery;
    f->redelivery = false;
    f->reads++;
    if (!redelivery && f->pause_every > 0 && f->reads % f->pause_every == 0) {
        return s_flow_pause(f, r);
    }
    if (!redelivery && f->pause_once_at >= 0 && f->produced >= (uint64_t)f->pause_once_at) {
        f->pause_once_at = -1;
        return s_flow_pause(f, r);
    }
    size_t n = f->size - f->produced < cap ? (size_t)(f->size - f->produced) : cap;
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_fault_pattern_byte(f->produced + i);
    }
    f->produced += n;
    *out = n;
    return 0;
}

static int s_flow_rewind(struct s3x_http_request *r, void *user_data) {
    struct s_flow *f = user_data;
    (void)r;
    f->produced = 0;
    return 0;
}

static void s_upload(void **state, struct s_flow *f, struct t_env *env, uint64_t size, bool known_length,
    const struct s3x_http_engine_options *eo) {
    t_env_start(env, state, eo);
    char url[128];
    struct s3x_http_request_options o;
    t_req_options(&f->t, &o, "PUT", t_url(env, "/sink/upload", url, sizeof(url)));
    o.body.kind = S3X_HTTP_BODY_STREAM;
    o.body.content_length = known_length ? size : S3X_HTTP_LENGTH_UNKNOWN;
    o.body.read = s_flow_read;
    o.body.rewind = s_flow_rewind;
    f->size = size;
    t_req_new(&f->t, env, &o);
    s_flow_start_resumer(f);
    t_req_submit(&f->t);
    t_done_wait(&env->done, 1);
}

static void s_check_upload_ok(struct s_flow *f, uint64_t size) {
    assert_int_equal(f->t.error, 0);
    assert_int_equal(f->t.attempts, 1);
    assert_int_equal(f->t.bytes_sent, size);
    char want[65], bytes[32];
    t_pattern_sha256(size, want);
    snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)size);
    assert_string_equal(s3x__http_request_response_header(f->t.request, "x-sink-sha256"), want);
    assert_string_equal(s3x__http_request_response_header(f->t.request, "x-sink-bytes"), bytes);
    assert_false(atomic_load(&f->t.off_thread));
}

static void test_upload_backpressure(void **state) {
    for (int known = 0; known < 2; ++known) {
        struct s_flow f;
        s_flow_init(&f);
        f.pause_every = 3;
        struct t_env env;
        s_upload(state, &f, &env, 3u << 20, known != 0, NULL);
        s_check_upload_ok(&f, 3u << 20);
        print_message("3 MiB upload (%s length): %d reads, %d pauses\n", known ? "known" : "unknown", f.reads,
            f.pauses);
        assert_true(f.pauses >= 5);
        t_env_stop(&env);
        assert_int_equal(atomic_load(&f.t.completions), 1);
        s_flow_finish(&f);
        t_req_release(&f.t);
    }
}

static void test_upload_pause_is_not_a_stall(void **state) {
    struct s_flow f;
    s_flow_init(&f);
    f.pause_once_at = 200000;
    f.delay_ms = 700;
    struct s3x_http_engine_options eo = {.stall_window_ms = 200, .stall_min_bytes = 1};
    struct t_env env;
    s_upload(state, &f, &env, 1u << 20, true, &eo);
    s_check_upload_ok(&f, 1u << 20);
    assert_int_equal(f.pauses, 1);
    struct s3x_http_engine_stats st;
    s3x__http_engine_stats(env.engine, &st);
    assert_int_equal(st.stalls, 0);
    t_env_stop(&env);
    s_flow_finish(&f);
    t_req_release(&f.t);
}

/* --- hooks that fail, cancel, release ------------------------------------------------------- */

static int s_failing_write(struct s3x_http_request *r, const uint8_t *data, size_t len, void *user_data) {
    struct t_req *t = user_data;
    if (t->offset > 100000) {
        return S3X_ERR_DISK_FULL;
    }
    return t_sink_pattern(r, data, len, t);
}

static int s_changed_headers(struct s3x_http_request *r, int status, void *user_data) {
    (void)user_data;
    (void)status;
    const char *etag = s3x__http_request_response_header(r, "ETag");
    return etag != NULL && strcmp(etag, "\"expected\"") != 0 ? S3X_ERR_TRANSFER_OBJECT_CHANGED : 0;
}

static int s_never_write(struct s3x_http_request *r, const uint8_t *data, size_t len, void *user_data) {
    (void)r;
    (void)data;
    (void)len;
    (void)user_data;
    return S3X_ERR_UNKNOWN;
}

static int s_cancel_in_headers(struct s3x_http_request *r, int status, void *user_data) {
    (void)status;
    (void)user_data;
    s3x__http_request_cancel(r);
    return 0;
}

struct s_releaser {
    struct t_done *done;
    atomic_int calls;
    atomic_int status;
};

static void s_release_in_complete(struct s3x_http_request *r, const struct s3x_http_result *res, void *user_data) {
    struct s_releaser *rel = user_data;
    atomic_store(&rel->status, res->http_status);
    s3x__http_request_release(r); /* the creator's last reference, from its own callback */
    atomic_fetch_add(&rel->calls, 1);
    t_done_add(rel->done);
}

static void test_hooks_fail_cancel_release(void **state) {
    struct t_env env;
    t_env_start(&env, state, NULL);
    char url[128];
    struct s3x_http_request_options o;
    struct t_req sink_fail = {0};
    t_req_options(&sink_fail, &o, "GET", t_url(&env, "/data/2000000", url, sizeof(url)));
    o.sink.kind = S3X_HTTP_SINK_STREAM;
    o.sink.write = s_failing_write;
    t_req_new(&sink_fail, &env, &o);
    t_req_submit(&sink_fail);

    struct t_req changed = {0};
    t_req_options(&changed, &o, "GET", t_url(&env, "/data/2000000", url, sizeof(url)));
    o.sink.kind = S3X_HTTP_SINK_STREAM;
    o.sink.write = s_never_write;
    o.on_headers = s_changed_headers;
    t_req_new(&changed, &env, &o);
    t_req_submit(&changed);

    struct t_req canceled = {0};
    t_req_options(&canceled, &o, "GET", t_url(&env, "/data/2000000", url, sizeof(url)));
    o.sink.kind = S3X_HTTP_SINK_STREAM;
    o.sink.write = s_never_write;
    o.on_headers = s_cancel_in_headers;
    t_req_new(&canceled, &env, &o);
    t_req_submit(&canceled);
    t_done_wait(&env.done, 3);

    assert_int_equal(sink_fail.error, S3X_ERR_DISK_FULL);
    assert_int_equal(sink_fail.attempts, 1);
    assert_int_equal(atomic_load(&sink_fail.classify_calls), 1);
    assert_int_equal(changed.error, S3X_ERR_TRANSFER_OBJECT_CHANGED);
    assert_int_equal(changed.attempts, 1);
    assert_int_equal(changed.status, 200);
    assert_int_equal(canceled.error, S3X_ERR_CANCELED);
    assert_int_equal(canceled.attempts, 1);
    assert_int_equal(atomic_load(&canceled.classify_calls), 0);

    struct s_releaser rel = {.done = &env.done};
    struct s3x_http_request *r = NULL;
    struct s3x_http_request_options ro = {.method = "GET", .url = t_url(&env, "/data/10", url, sizeof(url)),
        .on_complete = s_release_in_complete, .user_data = &rel};
    assert_int_equal(s3x__http_request_new(env.allocator, &ro, &r), 0);
    assert_int_equal(s3x__http_engine_submit(env.engine, r), 0);
    t_done_wait(&env.done, 4);
    t_env_stop(&env);
    assert_int_equal(atomic_load(&rel.calls), 1);
    assert_int_equal(atomic_load(&rel.status), 200);
    assert_int_equal(atomic_load(&sink_fail.completions), 1);
    assert_int_equal(atomic_load(&changed.completions), 1);
    assert_int_equal(atomic_load(&canceled.completions), 1);
    t_req_release(&sink_fail);
    t_req_release(&changed);
    t_req_release(&canceled);
}

/* --- on_idle ------------------------------------------------------------------------------------ */

struct s_idle {
    struct s3x_http_engine *engine;
    atomic_int calls;
    atomic_bool off_thread;
};

static void s_on_idle(void *user_data) {
    struct s_idle *c = user_data;
    if (!s3x__http_engine_is_current(c->engine)) {
        atomic_store(&c->off_thread, true);
    }
    atomic_fetch_add(&c->calls, 1);
}

static void s_idle_task(struct s3x_task *task, int status) {
    (void)task;
    assert_int_equal(status, 0);
}

/* Waits up to 10 s for `want` calls, then 4 idle periods more: no further call. */
static void s_idle_wait(struct s_idle *c, int want) {
    for (int i = 0; i < 1000 && atomic_load(&c->calls) < want; ++i) {
        t_sleep_ms(10);
    }
    t_sleep_ms(400);
    assert_int_equal(atomic_load(&c->calls), want);
}

/* idle_ms 100: nothing before any work; once after a request; once after a task; none while a
 * request is held far longer than the period (the server answers after 700 ms), once after it. */
static void test_on_idle(void **state) {
    struct s_idle c = {0};
    struct s3x_http_engine_options eo = {.on_idle = s_on_idle, .on_idle_user_data = &c, .idle_ms = 100};
    struct t_env env;
    t_env_start(&env, state, &eo);
    c.engine = env.engine;
    s_idle_wait(&c, 0);
    char url[128];
    struct t_req t[2];
    memset(t, 0, sizeof(t));
    struct s3x_http_request_options o;
    t_req_options(&t[0], &o, "GET", t_url(&env, "/data/1000", url, sizeof(url)));
    t_req_new(&t[0], &env, &o);
    t_req_submit(&t[0]);
    t_done_wait(&env.done, 1);
    s_idle_wait(&c, 1);
    struct s3x_task task = {.fn = s_idle_task};
    s3x_executor_post(s3x__http_engine_executor(env.engine), &task);
    s_idle_wait(&c, 2);
    t_req_options(&t[1], &o, "GET", t_url(&env, "/data/1000", url, sizeof(url)));
    t[1].fault = "delay; ms=700";
    t_req_new(&t[1], &env, &o);
    t_req_submit(&t[1]);
    t_sleep_ms(500);
    assert_int_equal(atomic_load(&c.calls), 2);
    t_done_wait(&env.done, 2);
    s_idle_wait(&c, 3);
    assert_int_equal(t[1].error, 0);
    assert_int_equal(t[1].status, 200);
    assert_false(atomic_load(&c.off_thread));
    t_env_stop(&env);
    assert_int_equal(atomic_load(&c.calls), 3);
    t_req_release(&t[0]);
    t_req_release(&t[1]);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_download_backpressure),
        S3X_TEST(test_download_backpressure_tls),
        S3X_TEST(test_pause_on_last_chunk),
        S3X_TEST(test_self_resume),
        S3X_TEST(test_pause_is_not_a_stall),
        S3X_TEST(test_cancel_while_paused),
        S3X_TEST(test_upload_backpressure),
        S3X_TEST(test_upload_pause_is_not_a_stall),
        S3X_TEST(test_hooks_fail_cancel_release),
        S3X_TEST(test_on_idle),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_flow", tests);
}
