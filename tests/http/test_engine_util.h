/* Shared helpers of the engine tests: a fault server + engine per test, a request context that
 * records every hook call, completion waiting, a resumer thread for pause/resume tests. */
#ifndef S3XFER_TESTS_HTTP_ENGINE_UTIL_H
#define S3XFER_TESTS_HTTP_ENGINE_UTIL_H

#include "harness.h"

#include "fault_server.h"
#include "http/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define T_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Counts completions across requests; waiters block until a number is reached. */
struct t_done {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int count;
};
void t_done_init(struct t_done *d);
void t_done_clean_up(struct t_done *d);
void t_done_add(struct t_done *d);
/* Waits until count >= n; fails the test after 30 s. */
void t_done_wait(struct t_done *d, int n);

struct t_env {
    struct s3x_allocator *allocator;
    struct s3x_fault_server server;
    struct s3x_http_engine *engine;
    struct t_done done;
};
/* Starts the fault server and an engine (proxy "" and the given options); fails the test on error. */
void t_env_start(struct t_env *env, void **state, const struct s3x_http_engine_options *options);
/* The same over HTTPS; the engine trusts the server's certificate unless options say otherwise. */
void t_env_start_tls(struct t_env *env, void **state, const struct s3x_http_engine_options *options);
/* Destroys the engine (if not yet) and stops the server. */
void t_env_stop(struct t_env *env);
void t_env_destroy_engine(struct t_env *env);
/* "<base>/<path>" into buf. */
const char *t_url(const struct t_env *env, const char *path, char *buf, size_t size);

/* A request and everything its hooks saw. */
struct t_req {
    struct t_env *env;
    struct s3x_http_request *request;
    atomic_int completions;
    atomic_int prepares;
    atomic_int headers_calls;
    atomic_int retries_seen; /* on_retry calls */
    atomic_int classify_calls;
    atomic_bool off_thread;  /* a hook ran off the engine thread */
    /* result copy */
    int error, status, curl_code;
    uint32_t attempts;
    uint64_t bytes_sent, bytes_received;
    char error_body[512];
    char curl_message[256];
    /* response body check for stream sinks: bytes must equal the pattern from pattern_base */
    uint64_t pattern_base;
    uint64_t offset;
    bool mismatch;
    size_t largest_chunk; /* the longest single write-callback call */
    /* optional extra headers for the request */
    const char *fault;    /* x-fault */
    const char *fault_id; /* x-fault-id */
    bool release_in_complete; /* on_complete drops the test's reference (as the S3 layer does) */
};

/* Fills options with the t_req hooks (prepare, on_headers, classify-counting, on_complete) and a
 * memory sink; callers adjust body/sink before t_req_new. */
void t_req_options(struct t_req *t, struct s3x_http_request_options *o, const char *method, const char *url);
/* Creates the request (and sets x-fault headers); fails the test on error. */
void t_req_new(struct t_req *t, struct t_env *env, const struct s3x_http_request_options *o);
void t_req_submit(struct t_req *t);
void t_req_release(struct t_req *t);

/* A stream sink that checks the pattern (t->pattern_base + offset); restarts on retry. */
int t_sink_pattern(struct s3x_http_request *r, const uint8_t *data, size_t len, void *user_data);
void t_sink_on_retry(struct s3x_http_request *r, uint32_t next_attempt, void *user_data);

/* A free port on 127.0.0.1 with nothing listening (bound then closed). */
unsigned t_unused_port(void);

/* sha256 of the pattern bytes [0, len) as lowercase hex (65 bytes with NUL). */
void t_pattern_sha256(uint64_t len, char out[65]);
void t_sha256_hex(const uint8_t *data, size_t len, char out[65]);

void t_sleep_ms(unsigned ms);

#endif
