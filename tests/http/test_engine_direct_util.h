/* Shared helpers of the direct-receive tests (test_engine_direct.c, test_engine_direct_faults.c):
 * a GET into a buffer sink with guard bytes around the buffer and hooks that record every attempt,
 * the checks every test makes of it, and a second engine on a running fault server.
 *
 * Invariants the checks hold a GET to: the buffer's first bytes_received bytes are the fault
 * server's pattern, every other byte and the T_GUARD_BYTES on each side still T_GUARD; hooks run
 * on the engine thread (t_req.off_thread stays false); on_complete runs once.
 * Example: t_get_submit(env, &g, "/data/1000", 4096, NULL, NULL), then t_expect_ok(&g, 200, 0,
 * 1000, 1) checks bytes 0..999 against the pattern and bytes 1000..4095 plus 2 x 64 guards 0xEE.
 */
#ifndef S3XFER_TESTS_HTTP_ENGINE_DIRECT_UTIL_H
#define S3XFER_TESTS_HTTP_ENGINE_DIRECT_UTIL_H

#include "test_engine_util.h"
#include "test_mini_server.h"

#include <s3xfer/error.h>

#include <stdint.h>

#define T_GUARD 0xEE
#define T_GUARD_BYTES 64
#define T_MIB ((size_t)1 << 20)
#define T_ATTEMPTS_KEPT 8
#define T_MIN(a, b) ((a) < (b) ? (a) : (b))

/* Retries 1-5 ms apart: the tests wait for outcomes, never for backoff. */
extern const struct s3x_http_engine_options t_fast;

/* A buffer with T_GUARD_BYTES of T_GUARD on both sides. */
struct t_buf {
    uint8_t *alloc;
    uint8_t *data;
    size_t capacity;
};

/* The first `len` bytes are the pattern from offset `base`; the rest and the guards untouched. */
void t_buf_check(const struct t_buf *b, uint64_t base, uint64_t len);

/* t comes first: test_engine_util's hooks take the request's user_data as a struct t_req. */
struct t_get {
    struct t_req t;
    struct t_buf buf;
    /* set before t_get_new */
    struct t_done *signal;   /* bumped by on_headers */
    int headers_error;       /* on_headers returns it */
    bool cancel_in_headers;  /* on_headers cancels its own request */
    uint32_t max_attempts, timeout_ms;
    const char *header_name, *header_value; /* one more request header */
    const char *retry_url;   /* prepare moves attempts 2.. here */
    /* seen by the hooks */
    int headers_status;
    int attempt_error[T_ATTEMPTS_KEPT];
    int attempt_status[T_ATTEMPTS_KEPT];
    char first_error_body[256]; /* attempt 1's error body */
};

/* Creates (does not submit) a GET of `url` into a new buffer of `capacity` bytes, `misalign`
 * bytes past a 64-byte boundary; a 0-byte exact buffer is passed as NULL. */
void t_get_new(struct t_env *env, struct t_get *g, const char *url, size_t capacity, size_t misalign,
    const char *fault, const char *id);
/* t_get_new of env's "<base><path>", then submitted. */
void t_get_submit(struct t_env *env, struct t_get *g, const char *path, size_t capacity, const char *fault,
    const char *id);
/* One GET of /<size> from the mini server as `mode` ("" for none), submitted and waited for:
 * env->done reaches ++*done. */
void t_get_mini(struct t_env *env, struct t_mini *m, struct t_get *g, const char *mode, size_t size,
    size_t capacity, int *done);
void t_get_release(struct t_get *g);

/* A successful GET: `len` pattern bytes from `base` in the buffer, nothing else touched. */
void t_expect_ok(struct t_get *g, int status, uint64_t base, uint64_t len, uint32_t attempts);
/* A failed GET: `error` after `attempts`; nothing of a 2xx body beyond bytes_received written. */
void t_expect_error(struct t_get *g, int error, int status, uint32_t attempts);

struct s3x_http_engine_stats t_stats(const struct t_env *env);
/* The fault server's count of requests with this x-fault-id. */
long t_counter(const struct t_env *env, const char *id);
/* Waits until the fault server counted `want` requests with this id (the attempt is running). */
void t_wait_counter(const struct t_env *env, const char *id, long want);

/* Another engine on env's fault server with its own completions (no CA filled in: TLS callers
 * pass theirs). Stopped by t_env_second_stop, which leaves the server running. */
void t_env_second(const struct t_env *env, struct t_env *second, const struct s3x_http_engine_options *o);
void t_env_second_stop(struct t_env *second);
/* An engine and no fault server (for t_mini); t_env_stop ends it. */
void t_env_bare(struct t_env *env, void **state, const struct s3x_http_engine_options *o);

#endif
