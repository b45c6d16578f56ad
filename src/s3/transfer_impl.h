/* The shared part of every transfer (transfer.c), and what each kind (get.c, put.c) provides.
 *
 * Life: s3x_transfer_start validates and copies the options, creates the kind's state and posts
 * `start` to the event thread, holding a "running" reference. The kind drives itself on the event
 * thread; failures are recorded with s3x__transfer_fail (the first one wins); when the kind has
 * nothing left in flight it calls s3x__transfer_complete, which fires on_done exactly once, wakes
 * waiters and drops the running reference.
 *
 * Fields are grouped by who may touch them: `immutable` after start, `loop` (event thread only),
 * `atomic` (metrics, read from anywhere), `synced` (under `lock`: completion, for waiters).
 */
#ifndef S3XFER_S3_TRANSFER_IMPL_H
#define S3XFER_S3_TRANSFER_IMPL_H

#include <s3xfer/transfer.h>

#include "client_impl.h"

#include <pthread.h>
#include <stdarg.h>

struct s3x_transfer;

struct s3x_transfer_vtable {
    int (*init)(struct s3x_transfer *t);      /* caller's thread, before start; allocates impl */
    void (*start)(struct s3x_transfer *t);    /* event thread */
    void (*cancel)(struct s3x_transfer *t);   /* event thread: fail with CANCELED and unwind */
    void (*destroy)(struct s3x_transfer *t);  /* any thread, last reference: frees impl */
    /* Optional. Event thread (or the shutdown thread): the transfer completes without `start`
     * having run (cancelled before, or the client shut down); the failure is recorded. Releases
     * what init took (a pushed write's admission reservation). */
    void (*abandon)(struct s3x_transfer *t);
    /* Optional (kinds that set t->pausable in init). Event thread: stop at a part boundary and
     * complete with S3X_ERR_TRANSFER_PAUSED, leaving a token (s3x__transfer_set_resume_token). */
    void (*pause)(struct s3x_transfer *t);
    /* Optional. The application's thread: its last reference went while the transfer may still
     * run (a pushed write nobody can end any more cancels itself). */
    void (*released)(struct s3x_transfer *t);
};

struct s3x_transfer {
    /* immutable */
    struct s3x_allocator *allocator;
    struct s3x_client *client;
    enum s3x_transfer_kind kind;
    char *bucket;
    char *key;
    char *file_path;
    char *content_type;
    char *source_bucket; /* COPY */
    char *source_key;
    char *resume_token_in; /* the token to resume from, or NULL */
    bool pausable;         /* set by the kind's init */
    s3x_transfer_write_fn *write;
    s3x_transfer_part_fn *on_part;
    s3x_transfer_read_fn *read;
    uint32_t delivery_window;
    enum s3x_checksum_algorithm checksum;
    enum s3x_transfer_admission admission;
    s3x_transfer_progress_fn *on_progress;
    s3x_transfer_done_fn *on_done;
    void *user_data;
    const struct s3x_transfer_vtable *vtable;
    void *impl;
    uint64_t start_ns;

    struct s3x_ref_count ref; /* every reference: the application's and the library's */
    atomic_uint app_refs;     /* the application's (s3x_transfer_start, s3x_transfer_acquire) */
    struct s3x_task start_task;
    struct s3x_task cancel_task;
    struct s3x_task pause_task;
    struct s3x_task final_task;
    atomic_bool cancel_requested;
    atomic_bool pause_requested;
    uint32_t tasks_queued; /* synced: cancel/pause tasks posted that have not run */

    /* loop */
    bool failed;
    bool finished;
    uint64_t held_bytes;

    /* atomic: metrics */
    _Atomic uint64_t bytes_done;
    _Atomic uint64_t bytes_total;
    _Atomic uint64_t parts_total;
    _Atomic uint64_t parts_done;
    _Atomic uint64_t parts_skipped;
    _Atomic uint64_t requests;
    _Atomic uint64_t retries;
    _Atomic uint64_t memory_wait_ns;
    _Atomic uint64_t peak_memory;
    _Atomic uint64_t end_ns;

    /* synced */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    struct s3x_transfer_result result;
    char *strings[5]; /* owned storage behind result's strings */
    char *resume_token; /* set by a kind that paused, before completing */
};

extern const struct s3x_transfer_vtable s3x__get_vtable;
extern const struct s3x_transfer_vtable s3x__put_vtable;
extern const struct s3x_transfer_vtable s3x__push_vtable;
extern const struct s3x_transfer_vtable s3x__copy_vtable;

/* Records a failure (the first wins; later ones are logged). `info` may be NULL. The message
 * describes what failed ("part 3 of 12"); the result's message adds the transfer and the code.
 * Returns true for the first failure. Event thread. */
bool s3x__transfer_fail(struct s3x_transfer *t, int error, int cause, const struct s3x_s3_error_info *info,
    const char *fmt, ...) S3X_PRINTF(5, 6);
/* Fires on_done with the recorded outcome, wakes waiters, drops the running reference. Event
 * thread, once, when nothing is in flight any more. */
void s3x__transfer_complete(struct s3x_transfer *t, uint64_t object_size, const char *etag);
/* Adds to bytes_done and reports progress. Event thread. */
void s3x__transfer_progress(struct s3x_transfer *t, uint64_t delta);
/* Part-buffer bytes this transfer holds (for peak memory). Event thread. */
void s3x__transfer_hold(struct s3x_transfer *t, uint64_t bytes);
void s3x__transfer_unhold(struct s3x_transfer *t, uint64_t bytes);
/* A request finished (for metrics). */
void s3x__transfer_count_request(struct s3x_transfer *t, uint32_t attempts);
/* Reserves a part buffer of `size` bytes, in the transfer's name, at normal priority: `fn(future,
 * user)` runs on the event thread once the reservation completes (granted, failed or cancelled).
 * Returns 0 with *out (the caller's reference) and the start time (for the memory-wait metric),
 * or an error: then fn never runs and *out is NULL. */
int s3x__transfer_reserve(struct s3x_transfer *t, size_t size, s3x_future_callback_fn *fn, void *user,
    struct s3x_future **out, uint64_t *out_start_ns);
/* A part's reservation completed (in the callback given to s3x__transfer_reserve): takes the
 * ticket, releases *reservation, adds the wait to the metrics. A part no longer `wanted` gives the
 * ticket straight back (returns S3X_ERR_CANCELED, *what NULL). Otherwise claims the ticket, checks
 * that it holds `size` bytes and counts it as held: 0 with *ticket, *buf and *capacity set; or the
 * error (the pool's refusal, a failed claim, S3X_ERR_INVALID_STATE for a short ticket from a custom
 * pool) with nothing held and *what saying which, for S3X_ERR_BUFFER_ALLOCATION_FAILED's message. */
int s3x__transfer_claim_part(struct s3x_transfer *t, struct s3x_future **reservation, uint64_t reserve_ns, bool wanted,
    uint64_t size, struct s3x_ticket **ticket, uint8_t **buf, size_t *capacity, const char **what);
/* The S3X_ERR_* of a failed file system call (errno): DISK_FULL, PERMISSION, NOT_FOUND or IO. */
int s3x__transfer_errno_error(int e);
/* The kind paused: `token` (allocated with t->allocator) becomes the transfer's resume token,
 * which it owns. Event thread, before s3x__transfer_complete. */
void s3x__transfer_set_resume_token(struct s3x_transfer *t, char *token);
/* A reference the library holds (a posted task): not the application's, so dropping it never
 * counts as the application letting go. */
void s3x__transfer_ref(struct s3x_transfer *t);
void s3x__transfer_unref(struct s3x_transfer *t);
/* "s3://bucket/key" for messages. */
void s3x__transfer_describe(const struct s3x_transfer *t, char *out, size_t size);

#endif
