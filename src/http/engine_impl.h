/* Private layout of the transfer engine and its requests, shared by engine.c (thread, queues,
 * timers, executor), attempt.c (curl easy handles, callbacks, one attempt's life) and request.c
 * (the request object, headers, response storage). Nothing outside src/http/ includes this. */
#ifndef S3XFER_SRC_HTTP_ENGINE_IMPL_H
#define S3XFER_SRC_HTTP_ENGINE_IMPL_H

#include "engine.h"
#include "request.h"
#include "retry.h"

#include "../common/common.h"

#include <pthread.h>
#include <stdatomic.h>

#define S3X_HTTP_SUBSYSTEM "http"
/* curl's CURL_ERROR_SIZE, without including curl.h here */
#define S3X_HTTP_ERRBUF_SIZE 256

/* A growable byte buffer owned by a request (response headers, memory sink, error body). */
struct s3x_http_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};
/* Appends; returns 0 or S3X_ERR_OOM / S3X_ERR_OVERFLOW (len would pass `max`). */
int s3x__http_buf_append(struct s3x_allocator *allocator, struct s3x_http_buf *buf, const void *data, size_t len,
    size_t max);
/* Makes room for `cap` bytes in total (never shrinks). */
int s3x__http_buf_reserve(struct s3x_allocator *allocator, struct s3x_http_buf *buf, size_t cap, size_t max);
void s3x__http_buf_clean_up(struct s3x_allocator *allocator, struct s3x_http_buf *buf);

enum s3x_http_req_state {
    S3X_HTTP_REQ_NEW = 0, /* created; also while its SUBMIT mail waits in the inbox */
    S3X_HTTP_REQ_QUEUED,  /* in engine->loop.queue, waiting for a transfer slot */
    S3X_HTTP_REQ_ACTIVE,  /* its easy handle is in the multi handle */
    S3X_HTTP_REQ_BACKOFF, /* waiting for its retry timer */
    S3X_HTTP_REQ_DONE,    /* on_complete has been called (or is running) */
};

/* Mail bits: operations other threads post to the engine thread about one request. */
#define S3X_HTTP_MAIL_SUBMIT 1u
#define S3X_HTTP_MAIL_CANCEL 2u
#define S3X_HTTP_MAIL_RESUME 4u

struct s3x_http_header_entry {
    char *name; /* one allocation "name\0value\0"; value points into it */
    char *value;
};

/* A doubly linked intrusive list node; a request sits in up to three lists at once. */
struct s3x_http_link {
    struct s3x_http_request *prev;
    struct s3x_http_request *next;
};
struct s3x_http_list {
    struct s3x_http_request *head;
    struct s3x_http_request *tail;
    size_t count;
};

/* --- direct connections (direct.c) -------------------------------------------------------- */

/* Staging of a direct connection: response headers, chunk framing and non-2xx bodies pass through
 * it; a 2xx body with a known end goes straight into the sink's buffer. */
#define S3X_HTTP_DIRECT_STAGING ((size_t)16 * 1024)

enum s3x_http_direct_phase {
    S3X_HTTP_DIRECT_OFF = 0,    /* the attempt runs on a libcurl transfer */
    S3X_HTTP_DIRECT_CONNECTING, /* the connection's CONNECT_ONLY transfer runs in the multi handle */
    S3X_HTTP_DIRECT_SENDING,    /* writing the request head */
    S3X_HTTP_DIRECT_HEAD,       /* reading the status line and headers */
    S3X_HTTP_DIRECT_BODY,       /* reading the body */
};

enum s3x_http_direct_framing {
    S3X_HTTP_FRAME_NONE = 0, /* no body (204, 304) */
    S3X_HTTP_FRAME_LENGTH,   /* Content-Length */
    S3X_HTTP_FRAME_CHUNKED,  /* Transfer-Encoding: chunked */
    S3X_HTTP_FRAME_CLOSE,    /* until the server closes */
};

/* A connection the engine drives itself: a CONNECT_ONLY easy handle that stays in the multi handle
 * for the connection's life (curl closes the connection when it is removed). */
struct s3x_http_conn {
    void *easy;                       /* CURL * */
    int fd;                           /* its socket (poll only: bytes move through curl) */
    char *origin;                     /* "http://127.0.0.1:9000": what it can serve */
    struct s3x_http_request *request; /* the request on it; NULL when idle or closed */
    struct s3x_http_conn *next;       /* idle list or graveyard */
    uint32_t busy_index;              /* in engine->loop.busy while a request is on it */
    uint32_t served;                  /* complete answers read on it */
    uint64_t idle_since_ns;
    bool ready;                       /* read budget ran out: serviced again without a poll */
    bool tls;                         /* https: sends are cut to S_TLS_SEND_MAX (direct.c) */
    struct s3x_http_buf out;          /* the request head being written (kept for the next) */
    size_t out_sent;
    struct s3x_http_buf in;           /* staging: S3X_HTTP_DIRECT_STAGING bytes, more for a long line */
    size_t in_pos, in_len;            /* unprocessed staging bytes: in.data[in_pos, in_len) */
};

/* One attempt's direct state (phase OFF for curl attempts). */
struct s3x_http_direct {
    enum s3x_http_direct_phase phase;
    enum s3x_http_direct_framing framing;
    uint8_t chunk_state;    /* CHUNKED: direct_answer.c's S_CHUNK_* */
    bool http11;            /* the answer is HTTP/1.1 */
    bool keep_alive;        /* no "Connection: close" */
    bool got_bytes;         /* answer bytes arrived this attempt (else a dead reused connection) */
    bool reconnected;       /* this attempt already replaced a dead reused connection */
    bool reusable;          /* set when the answer ended cleanly: the connection goes idle */
    bool send_failed;       /* sending failed: the answer (if any) is read, else SEND_ERROR */
    bool body_incomplete;   /* the answer came before the whole request went: not reused */
    bool has_length;
    uint64_t length;        /* Content-Length as received */
    uint64_t body_left;     /* LENGTH: bytes still to come; CHUNKED: of the current chunk */
    uint64_t header_bytes;  /* of this answer (bounded) */
    uint64_t deadline_ns;   /* the attempt's total time limit; 0 = none */
    struct s3x_http_conn *conn;
};

/*
 * Invariants (engine thread, between loop steps):
 *   state == ACTIVE  <=>  easy != NULL  <=>  counted in engine->loop.active
 *   state in {QUEUED, ACTIVE, BACKOFF}  <=>  in engine->loop.all  (engine holds a reference)
 *   state == QUEUED  <=>  in engine->loop.queue
 *   timer armed  =>  (state == BACKOFF) or (state == ACTIVE and connected and not paused)
 *   attempt_sent <= content length of the body;  moved >= stall_mark
 */
struct s3x_http_request {
    /* immutable after new */
    struct s3x_allocator *allocator;
    struct s3x_ref_count refs;
    char *method;
    struct s3x_http_body body;
    struct s3x_http_sink sink;
    s3x_http_prepare_fn *prepare;
    s3x_http_on_headers_fn *on_headers;
    s3x_http_classify_fn *classify;
    s3x_http_on_complete_fn *on_complete;
    void *user_data;
    uint32_t max_attempts, connect_timeout_ms, timeout_ms; /* 0 = engine's */

    /* cross-thread */
    _Atomic(struct s3x_http_engine *) engine; /* set once by a successful submit */
    atomic_bool submitted;
    atomic_bool cancel_requested; /* read by the body callbacks to stop at once */

    struct {            /* guarded by engine->lock */
        unsigned bits;  /* S3X_HTTP_MAIL_* waiting */
        bool queued;    /* in the engine inbox (holding one reference) */
        struct s3x_http_request *next;
    } mail;

    /* loop: the creating thread before submit, the engine thread after */
    char *url;
    struct s3x_http_header_entry *headers;
    size_t header_count, header_cap;
    enum s3x_http_req_state state;
    unsigned mail_taken; /* bits taken from the inbox, being processed */
    struct s3x_http_request *taken_next; /* chain of mail taken in one drain */
    struct s3x_http_link all_link, queue_link, timer_link;
    bool timer_armed;
    uint64_t deadline_ns;

    void *easy;  /* CURL * while ACTIVE */
    void *slist; /* struct curl_slist * of this attempt */
    uint32_t attempt; /* attempts started */
    bool connected;    /* curl's PREREQ callback ran: request about to be sent */
    bool recv_paused, send_paused;
    bool headers_done; /* final status line and headers seen, on_headers called */
    bool status_ok;    /* 2xx: the body goes to the sink, else to error_body */
    bool is_head;      /* HEAD: Content-Length describes no body */
    bool source_touched; /* the body source was read this attempt (a retry must rewind it) */
    int local_error;   /* why our callback aborted the attempt (hook error, OOM, overflow) */
    int last_curl_code;
    int status;
    uint64_t attempt_sent;       /* body bytes handed to curl this attempt */
    uint64_t attempt_received;   /* body bytes received this attempt */
    uint64_t total_sent, total_received;
    uint64_t moved;              /* bytes moved either way this attempt (stall detection) */
    uint64_t stall_mark;         /* `moved` at the start of the current stall window */
    struct s3x_http_buf resp_headers; /* "name\0value\0" pairs */
    size_t resp_header_count;
    struct s3x_http_buf body_mem;     /* MEMORY sink */
    struct s3x_http_buf error_body;
    bool error_body_truncated;
    char errbuf[S3X_HTTP_ERRBUF_SIZE];   /* curl's CURLOPT_ERRORBUFFER, then the result's message */
    char local_msg[S3X_HTTP_ERRBUF_SIZE]; /* our message for local_error / a forced error */
    bool has_result;
    struct s3x_http_result result;
    struct s3x_http_direct direct;
};

struct s3x_http_engine {
    /* immutable after new */
    struct s3x_allocator *allocator;
    struct s3x_ref_count refs; /* the creator's + one per request ever submitted and not released */
    struct s3x_executor executor;
    uint32_t max_active;
    uint32_t max_per_host;
    uint32_t connect_timeout_ms, request_timeout_ms;
    uint64_t stall_min_bytes;
    uint64_t stall_window_ns; /* 0 = disabled */
    struct s3x_retry_policy retry;
    size_t error_body_max;
    long recv_buffer_bytes, send_buffer_bytes; /* CURLOPT_(UPLOAD_)BUFFERSIZE of every handle */
    bool tls_verify;
    char *ca_file, *ca_path, *proxy;
    bool direct_disable;
    void (*on_idle)(void *user_data);
    void *on_idle_user_data;
    uint64_t idle_ns;
    bool env_proxy_http, env_proxy_https; /* proxy variables were set when the engine started */
    pthread_t thread;
    void *multi; /* CURLM *, used by the engine thread (and curl_multi_wakeup under lock) */
    void *share; /* CURLSH * of TLS sessions for direct connections (engine thread); NULL if none */

    pthread_mutex_t lock;
    atomic_bool inbox_flag; /* raised under lock after each post (and at stop); the loop lowers it */
    struct { /* guarded by lock */
        struct s3x_task *task_head, *task_tail;
        struct s3x_http_request *mail_head, *mail_tail;
        bool wake_pending; /* a wakeup was sent and the loop has not drained since */
        bool stopping;
    } synced;

    struct { /* the engine thread only */
        struct s3x_http_list all;
        struct s3x_http_list queue;
        struct s3x_http_list timers; /* ascending deadline_ns */
        uint32_t active;
        void **free_handles; /* CURL *, capacity max_active */
        uint32_t free_count;
        uint64_t rng;
        /* direct.c */
        struct s3x_http_conn *idle;       /* idle direct connections, most recently used first */
        uint32_t idle_count;
        struct s3x_http_conn *graveyard;  /* closed; freed before the next poll set is built */
        struct s3x_http_conn **busy;      /* capacity max_active */
        uint32_t busy_count;
        void *waitfds;                    /* struct curl_waitfd[max_active]: the last poll set */
        struct s3x_http_conn **wait_conns; /* whose socket each waitfd is */
        uint32_t wait_count;
        bool direct_ready;                /* some busy connection has `ready` set */
        uint64_t idle_swept_ns;           /* last age sweep of the idle list */
        /* on_idle: the engine has been idle since (0 = busy), and on_idle ran for that period */
        uint64_t quiet_since_ns;
        bool quiet_reported;
    } loop;

    struct { /* written by the engine thread (submitted: any), read by anyone */
        _Atomic uint64_t submitted, completed, attempts, retries, stalls, connections, handles, tasks;
        _Atomic uint64_t direct_attempts, direct_reconnects;
    } stats;
};

/* --- engine.c, for attempt.c and request.c ------------------------------------------------ */
void s3x__http_timer_arm(struct s3x_http_engine *engine, struct s3x_http_request *request, uint64_t deadline_ns);
void s3x__http_timer_disarm(struct s3x_http_engine *engine, struct s3x_http_request *request);
/* Finishes the request: DONE, result filled, on_complete called, the engine's reference dropped. */
void s3x__http_request_complete(struct s3x_http_engine *engine, struct s3x_http_request *request, int error);
/* After a failed attempt that will be retried: waits delay_ms, then queues the request again. */
void s3x__http_request_backoff(struct s3x_http_engine *engine, struct s3x_http_request *request, uint64_t delay_ms);
/* Posts mail bits for the request to the engine thread. */
void s3x__http_engine_mail(struct s3x_http_engine *engine, struct s3x_http_request *request, unsigned bits);
void s3x__http_engine_unref(struct s3x_http_engine *engine);

/* --- attempt.c ---------------------------------------------------------------------------- */
/* QUEUED -> ACTIVE: rewinds, prepares and starts the next attempt; completes the request if it
 * cannot start. */
void s3x__http_attempt_start(struct s3x_http_engine *engine, struct s3x_http_request *request);
/* curl finished the transfer (curl_code) or the engine ends it (forced_error != 0: stall, cancel).
 * Leaves the request DONE, in BACKOFF, or (never) ACTIVE. Must not run inside a curl callback. */
void s3x__http_attempt_finish(struct s3x_http_engine *engine, struct s3x_http_request *request, int curl_code,
    int forced_error);
/* Un-pauses a paused ACTIVE request (curl may deliver held data from inside). */
void s3x__http_attempt_resume(struct s3x_http_engine *engine, struct s3x_http_request *request);
/* The stall timer of an ACTIVE request fired. */
void s3x__http_attempt_stall_check(struct s3x_http_engine *engine, struct s3x_http_request *request);
void s3x__http_handles_clean_up(struct s3x_http_engine *engine);
/* For direct.c: the final status and headers are known (content_length -1 when none); sizes the
 * sinks, calls on_headers, checks a buffer sink. Returns 0 or the error (local_error set). */
int s3x__http_attempt_headers_done(struct s3x_http_request *request, int status, int64_t content_length);
/* For direct.c: body bytes of the answer (sink for a 2xx, error body otherwise). Returns 0 or the
 * error (local_error set). Never pauses: direct attempts have buffer sinks. */
int s3x__http_attempt_body(struct s3x_http_request *request, const uint8_t *data, size_t len);
/* Starts a stall window (and arms the attempt's deadline, for direct attempts). */
void s3x__http_attempt_window_start(struct s3x_http_engine *engine, struct s3x_http_request *request);

/* --- direct.c ----------------------------------------------------------------------------- */
/* Allocates the loop's direct tables. Returns 0 or S3X_ERR_OOM. */
int s3x__http_direct_init(struct s3x_http_engine *engine);
/* Frees the tables; every connection must be closed (s3x__http_direct_close_all). */
void s3x__http_direct_clean_up(struct s3x_http_engine *engine);
/* Whether this attempt (prepared: final URL and headers) can run on a direct connection. */
bool s3x__http_direct_eligible(const struct s3x_http_engine *engine, const struct s3x_http_request *request);
/* Closes idle connections until one more connection fits the limits. */
void s3x__http_direct_make_room(struct s3x_http_engine *engine);
/* Starts the attempt on an idle connection to its origin or on a new one. Returns 0 or an error
 * (nothing started). */
int s3x__http_direct_start(struct s3x_http_engine *engine, struct s3x_http_request *request);
/* A connection's CONNECT_ONLY transfer ended (curl_code). Returns false if `easy` is not the
 * connecting handle of this request. */
bool s3x__http_direct_connected(struct s3x_http_engine *engine, struct s3x_http_request *request, void *easy,
    int curl_code);
/* The attempt ends: its connection goes idle (a clean answer) or is closed. */
void s3x__http_direct_detach(struct s3x_http_engine *engine, struct s3x_http_request *request);
/* After a poll: services the connections that became ready. */
void s3x__http_direct_service(struct s3x_http_engine *engine);
/* Frees closed connections and fills the poll set; returns its size (the waitfds table). */
uint32_t s3x__http_direct_poll_set(struct s3x_http_engine *engine);
/* Closes every connection (shutdown: no request is on any). */
void s3x__http_direct_close_all(struct s3x_http_engine *engine);
/* The attempt's connection failed (curl_code) or the server closed it (0): replaces a kept
 * connection that failed before any answer byte (returns 0: the request is connecting again), else
 * ends the attempt (returns -1; the request may be gone). */
int s3x__http_direct_lost(struct s3x_http_engine *engine, struct s3x_http_request *request, int curl_code);

/* --- direct_answer.c (reading an answer; each ends the attempt where it says so) ------------ */
/* Ends the attempt with a curl code and, if the result has none yet, a message. */
void s3x__http_direct_end(struct s3x_http_engine *engine, struct s3x_http_request *request, int curl_code,
    const char *msg);
/* Ends the attempt with an error of ours (not retried unless classify says so). */
void s3x__http_direct_fail(struct s3x_http_engine *engine, struct s3x_http_request *request, int error,
    const char *msg);
/* Ends an answer that arrived whole; the connection is kept when it can be. */
void s3x__http_direct_complete(struct s3x_http_engine *engine, struct s3x_http_request *request);
/* One read of the answer. Returns 1 (bytes taken: read again), 0 (nothing now, or moved to a
 * replacement connection), -1 (the attempt ended). */
int s3x__http_direct_read(struct s3x_http_engine *engine, struct s3x_http_request *request,
    struct s3x_http_conn *conn);
/* A read while the request is still being sent (the socket became readable): returns as
 * s3x__http_direct_read, and leaves the request sending if no final answer has begun. */
int s3x__http_direct_read_early(struct s3x_http_engine *engine, struct s3x_http_request *request,
    struct s3x_http_conn *conn);

/* --- request.c ---------------------------------------------------------------------------- */
/* Host and path of a URL for log lines: no userinfo, no query (presigned URLs carry credentials
 * there), no fragment. */
void s3x__http_url_for_log(const char *url, const char **host, int *host_len, const char **path, int *path_len);
/* Clears status, headers and bodies before an attempt (keeps capacity). */
void s3x__http_response_reset(struct s3x_http_request *request);
/* Stores one "Name: value" header line (CRLF allowed). Returns 0 or S3X_ERR_OOM. */
int s3x__http_response_add_header_line(struct s3x_http_request *request, const char *line, size_t len);

#endif
