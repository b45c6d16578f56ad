/* Shared helpers of the engine tests (see test_engine_util.h). */
#include "test_engine_util.h"

#include <s3xfer/error.h>

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void t_sleep_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

void t_done_init(struct t_done *d) {
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    d->count = 0;
}

void t_done_clean_up(struct t_done *d) {
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
}

void t_done_add(struct t_done *d) {
    pthread_mutex_lock(&d->lock);
    d->count++;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void t_done_wait(struct t_done *d, int n) {
    uint64_t deadline = s3x_test_now_ms() + 30000;
    pthread_mutex_lock(&d->lock);
    while (d->count < n) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec += 1;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
        if (s3x_test_now_ms() > deadline) {
            int got = d->count;
            pthread_mutex_unlock(&d->lock);
            fail_msg("timed out waiting for %d completions (got %d)", n, got);
        }
    }
    pthread_mutex_unlock(&d->lock);
}

static void s_env_start(struct t_env *env, void **state, const struct s3x_http_engine_options *options, bool tls) {
    memset(env, 0, sizeof(*env));
    env->allocator = s3x_test_allocator(state);
    t_done_init(&env->done);
    assert_int_equal(tls ? s3x_fault_server_start_tls(&env->server) : s3x_fault_server_start(&env->server), 0);
    struct s3x_http_engine_options o = {0};
    if (options != NULL) {
        o = *options;
    }
    if (tls && o.ca_file == NULL && !o.tls_verify_disable) {
        o.ca_file = s3x_fault_server_ca_file();
    }
    if (o.proxy == NULL) {
        o.proxy = ""; /* never a proxy from the environment for 127.0.0.1 */
    }
    int rc = s3x__http_engine_new(env->allocator, &o, &env->engine);
    if (rc != 0) {
        s3x_fault_server_stop(&env->server);
        fail_msg("engine_new: %s", s3x_error_name(rc));
    }
}

void t_env_start(struct t_env *env, void **state, const struct s3x_http_engine_options *options) {
    s_env_start(env, state, options, false);
}

void t_env_start_tls(struct t_env *env, void **state, const struct s3x_http_engine_options *options) {
    s_env_start(env, state, options, true);
}

void t_env_destroy_engine(struct t_env *env) {
    if (env->engine != NULL) {
        assert_int_equal(s3x__http_engine_destroy(env->engine), 0);
        env->engine = NULL;
    }
}

void t_env_stop(struct t_env *env) {
    t_env_destroy_engine(env);
    s3x_fault_server_stop(&env->server);
    t_done_clean_up(&env->done);
}

const char *t_url(const struct t_env *env, const char *path, char *buf, size_t size) {
    snprintf(buf, size, "%s%s", env->server.base_url, path);
    return buf;
}

/* --- request hooks ---------------------------------------------------------------------------- */

static void s_check_thread(struct t_req *t) {
    if (!s3x__http_engine_is_current(t->env->engine)) {
        atomic_store(&t->off_thread, true);
    }
}

static int s_prepare(struct s3x_http_request *r, uint32_t attempt, void *user_data) {
    struct t_req *t = user_data;
    (void)r;
    s_check_thread(t);
    int n = atomic_fetch_add(&t->prepares, 1) + 1;
    if ((uint32_t)n != attempt) {
        atomic_store(&t->off_thread, true); /* attempts must be numbered 1, 2, 3 ... */
    }
    return 0;
}

static int s_on_headers(struct s3x_http_request *r, int status, void *user_data) {
    struct t_req *t = user_data;
    (void)r;
    (void)status;
    s_check_thread(t);
    atomic_fetch_add(&t->headers_calls, 1);
    return 0;
}

static int s_classify(struct s3x_http_request *r, const struct s3x_http_attempt *a, bool *retry, void *user_data) {
    struct t_req *t = user_data;
    (void)r;
    s_check_thread(t);
    atomic_fetch_add(&t->classify_calls, 1);
    return s3x__http_classify_default(a, retry);
}

static void s_on_complete(struct s3x_http_request *r, const struct s3x_http_result *res, void *user_data) {
    struct t_req *t = user_data;
    (void)r;
    s_check_thread(t);
    t->error = res->error;
    t->status = res->http_status;
    t->curl_code = res->curl_code;
    t->attempts = res->attempts;
    t->bytes_sent = res->bytes_sent;
    t->bytes_received = res->bytes_received;
    snprintf(t->curl_message, sizeof(t->curl_message), "%s", res->curl_message);
    size_t n = res->error_body_len < sizeof(t->error_body) - 1 ? res->error_body_len : sizeof(t->error_body) - 1;
    if (n > 0) {
        memcpy(t->error_body, res->error_body, n);
    }
    t->error_body[n] = '\0';
    atomic_fetch_add(&t->completions, 1);
    if (t->release_in_complete) { /* the request may be freed when the engine lets go of it */
        t->request = s3x__http_request_release(t->request);
    }
    t_done_add(&t->env->done);
}

int t_sink_pattern(struct s3x_http_request *r, const uint8_t *data, size_t len, void *user_data) {
    struct t_req *t = user_data;
    (void)r;
    s_check_thread(t);
    for (size_t i = 0; i < len; ++i) {
        if (data[i] != s3x_fault_pattern_byte(t->pattern_base + t->offset + i)) {
            t->mismatch = true;
            break;
        }
    }
    t->offset += len;
    t->largest_chunk = len > t->largest_chunk ? len : t->largest_chunk;
    return 0;
}

void t_sink_on_retry(struct s3x_http_request *r, uint32_t next_attempt, void *user_data) {
    struct t_req *t = user_data;
    (void)r;
    (void)next_attempt;
    s_check_thread(t);
    atomic_fetch_add(&t->retries_seen, 1);
    t->offset = 0;
}

void t_req_options(struct t_req *t, struct s3x_http_request_options *o, const char *method, const char *url) {
    memset(o, 0, sizeof(*o));
    o->method = method;
    o->url = url;
    o->prepare = s_prepare;
    o->on_headers = s_on_headers;
    o->classify = s_classify;
    o->on_complete = s_on_complete;
    o->user_data = t;
}

void t_req_new(struct t_req *t, struct t_env *env, const struct s3x_http_request_options *o) {
    t->env = env;
    assert_int_equal(s3x__http_request_new(env->allocator, o, &t->request), 0);
    if (t->fault != NULL) {
        assert_int_equal(s3x__http_request_set_header(t->request, "x-fault", t->fault), 0);
    }
    if (t->fault_id != NULL) {
        assert_int_equal(s3x__http_request_set_header(t->request, "x-fault-id", t->fault_id), 0);
    }
}

void t_req_submit(struct t_req *t) {
    assert_int_equal(s3x__http_engine_submit(t->env->engine, t->request), 0);
}

void t_req_release(struct t_req *t) {
    t->request = s3x__http_request_release(t->request);
}

unsigned t_unused_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void s_hex(const unsigned char *md, char out[65]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

void t_sha256_hex(const uint8_t *data, size_t len, char out[65]) {
    unsigned char md[32];
    unsigned int md_len = 0;
    assert_int_equal(EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL), 1);
    s_hex(md, out);
}

void t_pattern_sha256(uint64_t len, char out[65]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
    uint8_t buf[4096];
    for (uint64_t off = 0; off < len;) {
        size_t n = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
        for (size_t i = 0; i < n; ++i) {
            buf[i] = s3x_fault_pattern_byte(off + i);
        }
        EVP_DigestUpdate(ctx, buf, n);
        off += n;
    }
    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_DigestFinal_ex(ctx, md, &md_len);
    EVP_MD_CTX_free(ctx);
    s_hex(md, out);
}
