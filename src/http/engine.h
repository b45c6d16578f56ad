/* The transfer engine: one event thread that owns a libcurl multi handle and every easy handle,
 * runs HTTP requests (request.h) with retries, and runs tasks posted to its executor.
 *
 *   struct s3x_http_engine *engine = NULL;
 *   struct s3x_http_engine_options opt = {.max_connections = 32};   // zero = defaults
 *   s3x__http_engine_new(allocator, &opt, &engine);
 *   s3x__http_engine_submit(engine, request);   // on_complete fires later on the engine thread
 *   s3x__http_engine_destroy(engine);           // in-flight requests complete with CANCELED
 *
 * Threads: submit, resume, cancel, executor posts and stats are callable from any thread. Every
 * request hook and every executor task runs on the engine thread.
 */
#ifndef S3XFER_SRC_HTTP_ENGINE_H
#define S3XFER_SRC_HTTP_ENGINE_H

#include "request.h"

#include <s3xfer/allocator.h>
#include <s3xfer/future.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3x_http_engine;

/* Zero means "the default" for every field. */
struct s3x_http_engine_options {
    uint32_t max_connections;          /* total open connections and running transfers; default 64 */
    uint32_t max_connections_per_host; /* default: max_connections */
    uint32_t connect_timeout_ms;       /* per attempt; default 10 000 */
    uint32_t request_timeout_ms;       /* whole attempt, paused time included; default none */
    uint64_t stall_min_bytes;          /* a running transfer moving fewer bytes than this ... */
    uint32_t stall_window_ms;          /* ... in this window is aborted (HTTP_STALL); 1 B / 30 s */
    bool stall_detection_disable;
    uint32_t max_attempts;             /* default 5 (1 = never retry) */
    uint32_t retry_base_delay_ms;      /* backoff base; default 100 */
    uint32_t retry_max_delay_ms;       /* backoff cap; default 20 000 */
    size_t error_body_max_bytes;       /* kept of a non-2xx body; default 64 KiB */
    bool tls_verify_disable;           /* tests and self-signed endpoints only; default verify */
    const char *ca_file;               /* extra CA bundle (PEM); copied; NULL = system store */
    const char *ca_path;               /* CA directory; copied */
    const char *proxy;                 /* NULL = libcurl's environment variables; "" = none */
    /* libcurl's receive / upload buffer of each easy handle (the most one recv() / send() moves);
     * default 3 MiB / max_connections within 64 .. 512 KiB (16 connections: 192 KiB) */
    uint32_t recv_buffer_bytes;
    uint32_t send_buffer_bytes;
    /* Direct connections (direct.c): a GET into a buffer sink, and a PUT/POST of a memory body,
     * over http(s) with no proxy run on a connection the engine drives itself, receiving the body
     * straight into the buffer / sending it straight from memory (no copy through libcurl's
     * buffers). Set to run every request through libcurl's transfer. */
    bool direct_receive_disable;
    /* Called on the event thread once the engine has held no request (queued, running or waiting
     * to retry) and run no task for idle_ms (default 5000): once per idle period. NULL: never. */
    void (*on_idle)(void *user_data);
    void *on_idle_user_data;
    uint32_t idle_ms;
};

/* Counters since creation; each is exact once the engine is idle. */
struct s3x_http_engine_stats {
    uint64_t requests_submitted;
    uint64_t requests_completed;
    uint64_t attempts;            /* attempts started */
    uint64_t retries;             /* attempts started after a failed one */
    uint64_t stalls;              /* attempts aborted by stall detection */
    uint64_t connections_opened;  /* new connections (CURLINFO_NUM_CONNECTS summed) */
    uint64_t handles_created;     /* easy handles ever created (<= max_connections) */
    uint64_t tasks_run;           /* executor tasks run with status 0 */
    uint64_t direct_attempts;     /* attempts run on direct connections (direct.c) */
    uint64_t direct_reconnects;   /* idle direct connections the server had closed (seen before
                                   * reuse, or failing before any answer byte): replaced unseen */
};

/* Starts the event thread. Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM, S3X_ERR_SYS (thread or
 * curl initialisation). */
int s3x__http_engine_new(struct s3x_allocator *allocator, const struct s3x_http_engine_options *options,
    struct s3x_http_engine **out);

/* Stops the engine: every request still held (running, queued, waiting for a retry timer, or just
 * submitted) completes with S3X_ERR_CANCELED, tasks still queued run with
 * S3X_ERR_EXECUTOR_SHUTDOWN, the thread is joined and the curl handles freed. Tasks posted and
 * requests submitted from then on run inline with S3X_ERR_EXECUTOR_SHUTDOWN / fail with
 * S3X_ERR_HTTP_ENGINE_SHUTDOWN. Then drops the creator's reference (memory goes when the last
 * request submitted to it is released). NULL allowed. Must not be called on the engine thread:
 * there it returns S3X_ERR_INVALID_STATE and does nothing; otherwise 0. */
int s3x__http_engine_destroy(struct s3x_http_engine *engine);

/* Hands a request to the engine (the engine takes its own reference). Returns 0 and on_complete
 * will fire exactly once; or S3X_ERR_INVALID_ARGUMENT, S3X_ERR_INVALID_STATE (already submitted),
 * S3X_ERR_HTTP_ENGINE_SHUTDOWN, and on_complete never fires. Never allocates. */
int s3x__http_engine_submit(struct s3x_http_engine *engine, struct s3x_http_request *request);

/* The executor whose tasks run on the engine thread (futures' callbacks, state machines). Posting
 * never allocates and wakes the thread. Valid until s3x__http_engine_destroy returns. */
struct s3x_executor *s3x__http_engine_executor(struct s3x_http_engine *engine);

/* Whether the calling thread is the engine's event thread. */
bool s3x__http_engine_is_current(const struct s3x_http_engine *engine);

void s3x__http_engine_stats(const struct s3x_http_engine *engine, struct s3x_http_engine_stats *out);

#endif
