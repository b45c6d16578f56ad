/* An HTTP request of the transfer engine: what to send, where the answer goes, and the hooks the
 * layer above (S3) uses to sign, classify and consume it. The engine knows nothing of S3 or of
 * signing; everything specific happens in the hooks.
 *
 * Life of a request:
 *   s3x__http_request_new()          any thread; one reference
 *   s3x__http_request_set_header()   before submit, or from a hook on the engine thread
 *   s3x__http_engine_submit()        any thread (engine.h); on success on_complete fires exactly once
 *     per attempt: [on_retry][rewind] prepare -> (connection) -> on_headers -> body -> classify
 *   on_complete(result)              engine thread, once
 *   s3x__http_request_release()      any thread; the engine holds its own reference while it works
 *
 * Threads. Every hook runs on the engine's event thread. A hook may call any function of this
 * header on the request it was given (including cancel and release of the caller's own
 * reference: the engine holds a reference across every hook). Hooks must not block.
 * s3x__http_request_resume() and s3x__http_request_cancel() may be called from any thread.
 */
#ifndef S3XFER_SRC_HTTP_REQUEST_H
#define S3XFER_SRC_HTTP_REQUEST_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3x_http_request;

/* Returned by a body hook (read or write) to pause that direction. Nothing was consumed or
 * produced; the hook is called again with the same data (write) or a fresh buffer (read) after
 * s3x__http_request_resume(). Resume may be called from any thread, even from inside the hook
 * before it returns the pause. */
#define S3X_HTTP_PAUSE (-1)

/* Content length of a streamed body that is not known in advance: sent with chunked encoding. */
#define S3X_HTTP_LENGTH_UNKNOWN UINT64_MAX

/* Default and largest sizes. */
#define S3X_HTTP_MEMORY_SINK_DEFAULT_MAX ((size_t)16 * 1024 * 1024) /* ListObjectsV2 pages are ~0.3 MiB */

/* What one attempt ended with; given to the classify hook. */
struct s3x_http_attempt {
    uint32_t attempt;     /* 1-based */
    int error;            /* 0, or the S3X_ERR_* the engine found (curl failure, status, stall, hook) */
    int http_status;      /* 0 when no response line was received */
    int curl_code;        /* raw CURLcode, 0 = CURLE_OK */
    const uint8_t *error_body; /* body of a non-2xx response (bounded), else NULL */
    size_t error_body_len;
};

/* The outcome of a request, given to on_complete and kept by the request afterwards. */
struct s3x_http_result {
    int error;                   /* 0 or S3X_ERR_*; S3X_ERR_CANCELED after cancel or engine shutdown */
    int http_status;             /* of the last attempt; 0 if none got a response */
    int curl_code;               /* raw CURLcode of the last attempt (kept for the user) */
    const char *curl_message;    /* curl's message for it, "" when none; never NULL */
    uint32_t attempts;           /* attempts started (0 if canceled before the first) */
    uint64_t bytes_sent;         /* request body bytes of the last attempt */
    uint64_t bytes_received;     /* response body bytes of the last attempt (sink or error body) */
    uint64_t total_bytes_sent;   /* over every attempt */
    uint64_t total_bytes_received;
    const uint8_t *error_body;   /* body of a non-2xx last response, bounded; NULL if none */
    size_t error_body_len;
    bool error_body_truncated;   /* the server sent more than the engine's error body limit */
};

/* --- hooks (all on the engine thread) --------------------------------------------------------- */

/* Before every attempt (attempt is 1-based), after the body was rewound. Sets or replaces headers
 * (s3x__http_request_set_header) and may change the URL: the S3 layer signs here with a fresh date.
 * A non-zero return fails the request with that error (not retried). */
typedef int(s3x_http_prepare_fn)(struct s3x_http_request *request, uint32_t attempt, void *user_data);

/* Once per attempt, when the final status line and headers are known and before the first body
 * byte reaches the sink (also for non-2xx answers and bodiless ones). Response headers can be read
 * with s3x__http_request_response_header. A non-zero return aborts the attempt with that error. */
typedef int(s3x_http_on_headers_fn)(struct s3x_http_request *request, int http_status, void *user_data);

/* Streamed request body. Writes up to `capacity` bytes into `buffer` and sets *out_len; returns 0
 * (with *out_len = 0 at the end of the body), S3X_HTTP_PAUSE, or an S3X_ERR_* to abort. The engine
 * never asks for more than content_length bytes in total. */
typedef int(s3x_http_read_fn)(struct s3x_http_request *request, uint8_t *buffer, size_t capacity,
    size_t *out_len, void *user_data);

/* Restart the streamed body at its first byte (for a retry, or when curl re-sends on a fresh
 * connection). Returns 0 or an S3X_ERR_*. Without it, a request whose body was partly read is not
 * retried. */
typedef int(s3x_http_rewind_fn)(struct s3x_http_request *request, void *user_data);

/* Streamed response body (2xx answers only). Consumes all `len` bytes and returns 0, or returns
 * S3X_HTTP_PAUSE having consumed nothing (the same bytes come again after resume, possibly from
 * inside the engine's resume handling), or an S3X_ERR_* to abort the attempt. A paused hook may be
 * called again before the application resumed (a resume meant for an earlier pause): it returns
 * S3X_HTTP_PAUSE again if it is still not ready. The same holds for the read hook. */
typedef int(s3x_http_write_fn)(struct s3x_http_request *request, const uint8_t *data, size_t len, void *user_data);

/* The response body restarts from its first byte: attempt `next_attempt` (>= 2) is about to start. A
 * GET part buffer rewinds to offset 0 here. */
typedef void(s3x_http_on_retry_fn)(struct s3x_http_request *request, uint32_t next_attempt, void *user_data);

/* After every attempt that was not canceled: returns the error to report for it (0 = success) and
 * sets *out_retry. s3x__http_classify_default() is the default and can be called from here (for a
 * 200 carrying an S3 <Error> body, say). A retry happens only if attempts remain and the body can be
 * rewound. */
typedef int(s3x_http_classify_fn)(struct s3x_http_request *request, const struct s3x_http_attempt *attempt,
    bool *out_retry, void *user_data);

/* Exactly once per successfully submitted request. `result` stays valid until the request is
 * released (s3x__http_request_result returns it too). */
typedef void(s3x_http_on_complete_fn)(struct s3x_http_request *request, const struct s3x_http_result *result,
    void *user_data);

/* --- options ------------------------------------------------------------------------------- */

enum s3x_http_body_kind {
    S3X_HTTP_BODY_NONE = 0, /* no body (PUT/POST still send Content-Length: 0) */
    S3X_HTTP_BODY_MEMORY,   /* data/len, borrowed: must stay valid until on_complete */
    S3X_HTTP_BODY_STREAM,   /* read (+ rewind), content_length bytes or S3X_HTTP_LENGTH_UNKNOWN */
};

struct s3x_http_body {
    enum s3x_http_body_kind kind;
    const uint8_t *data;
    size_t len;
    uint64_t content_length;
    s3x_http_read_fn *read;
    s3x_http_rewind_fn *rewind;
};

enum s3x_http_sink_kind {
    S3X_HTTP_SINK_MEMORY = 0, /* growable buffer up to max_bytes; read with response_body() */
    S3X_HTTP_SINK_STREAM,     /* write (+ on_retry) */
    S3X_HTTP_SINK_BUFFER,     /* a fixed buffer the caller owns (a part buffer): buffer/capacity */
};

/* BUFFER: the engine puts a 2xx body into `buffer` from offset 0, every attempt from offset 0
 * again (on_retry, if set, is still called); the bytes received are result.bytes_received. A body
 * longer than `capacity` (or a Content-Length above it, checked after on_headers, whose own error
 * wins) fails the attempt with S3X_ERR_OVERFLOW, not retried by default. The buffer is borrowed
 * until on_complete. The engine owns the receive, so it can make it cheap: a GET without a body
 * over http(s) and no proxy is received straight into the buffer on a connection the engine
 * drives itself (direct.c: no copy at all); otherwise libcurl's chunks are copied, into a buffer
 * of S3X_HTTP_BUFFER_SINK_STREAMING_MIN bytes or more with non-temporal stores (x86-64), which skip
 * reading the destination's cache lines and keep curl's receive buffer in the cache; a smaller
 * buffer (read back soon, likely still cached) gets memcpy. Example: an 8 MiB part buffer and a
 * ranged GET: ~20 reads of ~400 KiB land at buffer + received; after the last one
 * result.bytes_received == 8 MiB. */
#define S3X_HTTP_BUFFER_SINK_STREAMING_MIN ((size_t)2 * 1024 * 1024)

struct s3x_http_sink {
    enum s3x_http_sink_kind kind;
    size_t max_bytes; /* MEMORY: a larger body fails with S3X_ERR_OVERFLOW; 0 = the default above */
    s3x_http_write_fn *write;
    s3x_http_on_retry_fn *on_retry; /* STREAM and BUFFER */
    uint8_t *buffer;  /* BUFFER: where the body goes; may be NULL only when capacity is 0 */
    size_t capacity;  /* BUFFER: its size in bytes */
};

struct s3x_http_request_options {
    const char *method; /* "GET", "PUT", "HEAD", "POST", "DELETE", ...; copied */
    const char *url;    /* absolute http(s) URL, sent as is (no path normalisation); copied */
    struct s3x_http_body body;
    struct s3x_http_sink sink;
    s3x_http_prepare_fn *prepare;         /* optional */
    s3x_http_on_headers_fn *on_headers;   /* optional */
    s3x_http_classify_fn *classify;       /* optional: s3x__http_classify_default */
    s3x_http_on_complete_fn *on_complete; /* optional but usual */
    void *user_data;                      /* passed to every hook */
    uint32_t max_attempts;                /* 0 = the engine's */
    uint32_t connect_timeout_ms;          /* 0 = the engine's */
    uint32_t timeout_ms;                  /* whole attempt, paused time included; 0 = the engine's */
};

/* Returns 0, S3X_ERR_INVALID_ARGUMENT (missing method/url, a body kind without its data or read
 * hook, a stream sink without write), S3X_ERR_OOM. */
int s3x__http_request_new(struct s3x_allocator *allocator, const struct s3x_http_request_options *options,
    struct s3x_http_request **out);
struct s3x_http_request *s3x__http_request_acquire(struct s3x_http_request *request);
/* Drops one reference; returns NULL; NULL allowed. */
struct s3x_http_request *s3x__http_request_release(struct s3x_http_request *request);

/* --- request line and headers: before submit, or from a hook on the engine thread ----------- */

/* Sets a header, replacing any of the same name (case-insensitive); value NULL removes it. Names
 * must be tokens; values must not contain CR or LF. Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM. */
int s3x__http_request_set_header(struct s3x_http_request *request, const char *name, const char *value);
/* NULL when absent. */
const char *s3x__http_request_header(const struct s3x_http_request *request, const char *name);
size_t s3x__http_request_header_count(const struct s3x_http_request *request);
/* Header number i in insertion order; returns false past the end. */
bool s3x__http_request_header_at(const struct s3x_http_request *request, size_t i, const char **out_name,
    const char **out_value);
int s3x__http_request_set_url(struct s3x_http_request *request, const char *url);
const char *s3x__http_request_url(const struct s3x_http_request *request);
const char *s3x__http_request_method(const struct s3x_http_request *request);
void *s3x__http_request_user_data(const struct s3x_http_request *request);

/* --- the response: from on_headers on (engine thread), or after on_complete (any thread) ------ */

int s3x__http_request_status(const struct s3x_http_request *request);
/* Case-insensitive; the first of repeated headers; value trimmed; NULL when absent. */
const char *s3x__http_request_response_header(const struct s3x_http_request *request, const char *name);
size_t s3x__http_request_response_header_count(const struct s3x_http_request *request);
bool s3x__http_request_response_header_at(const struct s3x_http_request *request, size_t i, const char **out_name,
    const char **out_value);
/* The body gathered by a MEMORY sink (2xx answers); *out_len 0 and a non-NULL pointer when empty. */
const uint8_t *s3x__http_request_response_body(const struct s3x_http_request *request, size_t *out_len);
/* The result once on_complete has started; NULL before. */
const struct s3x_http_result *s3x__http_request_result(const struct s3x_http_request *request);

/* --- control, any thread -------------------------------------------------------------------- */

/* Un-pauses a direction paused by a body hook. No effect on a request that is not paused,
 * finished or not submitted. */
void s3x__http_request_resume(struct s3x_http_request *request);
/* Cancels: a submitted request completes with S3X_ERR_CANCELED unless it already completed; a
 * request not yet submitted completes with S3X_ERR_CANCELED as soon as it is. Idempotent. */
void s3x__http_request_cancel(struct s3x_http_request *request);

/* Default classification: success for 2xx; retry connection, DNS, send/receive, stall, timeout and
 * transient TLS failures, and statuses 408, 429, 500, 502, 503, 504; never other 4xx or errors
 * raised by hooks. */
int s3x__http_classify_default(const struct s3x_http_attempt *attempt, bool *out_retry);

#endif
