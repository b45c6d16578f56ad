/* s3xfer: transfers (meta requests): download, upload and copy of one object.
 *
 * A transfer is started on a client and runs on the client's event thread; it fires its `on_done`
 * callback exactly once (unless s3x_transfer_start returned an error), with the final result.
 * Every part buffer comes from the client's pool: a part request is prepared only when its
 * reservation has been granted, and reservations are made in part order, so the pool's FIFO
 * fairness gives earlier parts their memory first.
 *
 * Download (S3X_TRANSFER_GET). The first request is a ranged GET of the first part: its
 * Content-Range gives the object's size (empty objects and objects smaller than a part included).
 * Later parts go in parallel, guarded by If-Match on the first part's ETag, so an object replaced
 * during the download fails with S3X_ERR_TRANSFER_OBJECT_CHANGED instead of producing a mixed
 * file. Destinations:
 *   - `file_path`: a regular file is written at offsets into a temporary file in the same
 *     directory, renamed over the destination at the end; on any failure nothing is left behind.
 *     A destination that exists and is not a regular file (/dev/null, a pipe, a terminal) is
 *     written in order instead.
 *   - `write`: an ordered callback (offset order); parts waiting to be delivered are bounded and
 *     their memory counts against the limit.
 *   - `on_part`: ordered ticket hand-off: the consumer receives each part's ticket (a reference it
 *     must release) instead of a copy.
 * Disk reads and writes run on the client's I/O threads, never on the event thread.
 *
 * Upload (S3X_TRANSFER_PUT). From `file_path`: parts read in parallel by offset; objects below the
 * client's multipart threshold go as one PutObject; the part size is raised as needed so that no
 * more than 10,000 parts are used. From `read` (a stream of unknown length): parts are filled in
 * order; a stream that would need more than 10,000 parts fails with
 * S3X_ERR_TRANSFER_TOO_MANY_PARTS. A failed or cancelled multipart upload is aborted
 * (AbortMultipartUpload), so no orphaned parts remain.
 *
 * Pushed writes (S3X_TRANSFER_PUSH). An upload of unknown length whose data the application
 * pushes chunk by chunk with s3x_transfer_write; parts of the client's part size, one PutObject
 * when the data ends within the first part (an empty object included), else a multipart upload
 * (at most 10,000 parts: S3X_ERR_TRANSFER_TOO_MANY_PARTS beyond). Any number of these may be open
 * at once under a small memory limit, written in any order, without deadlock:
 *   - Admission. s3x_transfer_start reserves the transfer's guaranteed buffer (one part) from the
 *     pool at high priority, so streams are admitted in the order they were started. With
 *     S3X_TRANSFER_ADMISSION_WAIT (the default) the transfer waits in line; writes made meanwhile
 *     wait too (their futures complete once admitted and the data copied). With
 *     S3X_TRANSFER_ADMISSION_FAIL_FAST, s3x_transfer_start returns S3X_ERR_POOL_EXHAUSTED when the
 *     buffer cannot be had without waiting.
 *   - Progress. An admitted stream always keeps one buffer: while a part uploads from it, more
 *     data goes into an extra buffer if the pool can give one at once (low priority, never while
 *     others wait), else the write waits until a part upload returns its buffer. Extra buffers go
 *     back to the pool as their uploads finish. At rest a stream holds exactly one buffer, so
 *     streams never hold each other up; the limit is never exceeded.
 *   - The guaranteed buffer goes back at the end of the stream (or at a failure or cancel). The
 *     transfer completes only after a write with eof, a failure or s3x_transfer_cancel. Releasing
 *     the application's last reference to a stream that was not ended cancels it (nobody could
 *     end it any more): its buffer goes back and its multipart upload is aborted.
 *
 * Copy (S3X_TRANSFER_COPY). A server-side copy of source_bucket/source_key to bucket/key: no data
 * passes through the client and no pool memory is used. HeadObject of the source first (size,
 * ETag, content type, user metadata); an object below the client's multipart threshold (and at
 * most 5 GiB) is one CopyObject that keeps the source's metadata; a larger one is a multipart
 * upload created with the source's content type and metadata, filled by UploadPartCopy of
 * byte ranges in parallel (the client's part size, raised so that at most 10,000 parts are
 * used), each guarded by x-amz-copy-source-if-match on the source's ETag (a source replaced
 * meanwhile fails with S3X_ERR_TRANSFER_OBJECT_CHANGED), then CompleteMultipartUpload; a
 * failure or cancel aborts the upload.
 *
 * Pause and resume. s3x_transfer_pause stops an upload from a regular file or a download to a
 * regular file at a part boundary: no new part starts; an upload lets its part uploads in flight
 * finish (so the server holds the parts the token names, no more), a download cancels its GETs in
 * flight and writes the parts already fetched; then the transfer completes with
 * S3X_ERR_TRANSFER_PAUSED and s3x_transfer_resume_token gives a text token (one
 * line per field, printable ASCII) that names what is done: for an upload the multipart upload
 * id (left open on the server), the part size and each finished part with its ETag and checksum;
 * for a download the object's ETag and size, the part size, the temporary file (kept) and the
 * finished parts. Save it anywhere; a transfer started later with `resume_token` (same kind,
 * bucket, key and file, by any client, in any process) sends only what is missing:
 *   - upload: ListParts is asked what the server holds; a part is skipped only when the server
 *     lists it with the token's ETag and the expected size, every other part is sent again. The
 *     source file must be unchanged (its size and modification time are in the token:
 *     S3X_ERR_TRANSFER_OBJECT_CHANGED otherwise). An upload that no longer exists fails with
 *     S3X_ERR_S3_NO_SUCH_UPLOAD. An upload too small for multipart (one PutObject) pauses with a
 *     token that has no upload: resuming sends it whole.
 *   - download: the missing parts are fetched with If-Match on the token's ETag into the same
 *     temporary file (a changed object fails with S3X_ERR_TRANSFER_OBJECT_CHANGED and the
 *     temporary file is removed), then it is renamed over the destination.
 * A token that does not parse, or names another kind, bucket, key or file, is refused by
 * s3x_transfer_start with S3X_ERR_INVALID_ARGUMENT. To give up a paused upload instead, abort it
 * (s3x_multipart_abort with the upload id the token names) or resume and cancel.
 *
 * Threads. on_done and on_progress run on the client's event thread; `write`, `on_part` and
 * `read` run on one of the client's I/O threads, one call at a time per transfer. None of them may
 * block for long; none may release the client's last reference.
 */
#ifndef S3XFER_TRANSFER_H
#define S3XFER_TRANSFER_H

#include <s3xfer/checksum.h>
#include <s3xfer/client.h>
#include <s3xfer/exports.h>
#include <s3xfer/pool.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct s3x_transfer;

enum s3x_transfer_kind {
    S3X_TRANSFER_GET = 1,
    S3X_TRANSFER_PUT = 2,
    S3X_TRANSFER_PUSH = 3, /* upload of data written with s3x_transfer_write */
    S3X_TRANSFER_COPY = 4, /* server-side copy of source_bucket/source_key to bucket/key */
};

/* How a pushed-write upload (S3X_TRANSFER_PUSH) is admitted: see "Pushed writes" above. */
enum s3x_transfer_admission {
    S3X_TRANSFER_ADMISSION_WAIT = 0,      /* wait in line for the guaranteed buffer */
    S3X_TRANSFER_ADMISSION_FAIL_FAST = 1, /* s3x_transfer_start fails with S3X_ERR_POOL_EXHAUSTED instead */
};

#define S3X_TRANSFER_SIZE_UNKNOWN UINT64_MAX

/* The outcome, valid from on_done until the transfer is released. Strings are never NULL. */
struct s3x_transfer_result {
    int error;       /* 0 or S3X_ERR_* */
    int cause;       /* the underlying error when `error` wraps one (the pool's error behind
                      * S3X_ERR_BUFFER_ALLOCATION_FAILED, the disk's behind S3X_ERR_IO), else 0 */
    int http_status; /* of the failed request; 0 when none */
    const char *s3_code;    /* the S3 <Code> of the failure, "" when none */
    const char *s3_message; /* the S3 <Message>, "" when none */
    const char *request_id; /* x-amz-request-id of the failed request, "" when none */
    const char *message;    /* one line for a person: what failed and why */
    uint64_t object_size;   /* bytes of the object (downloaded or uploaded) */
    const char *etag;       /* the object's ETag as the server sent it, "" when unknown */
};

struct s3x_transfer_metrics {
    uint64_t bytes_done;        /* acknowledged by the server (upload) or delivered (download) */
    uint64_t bytes_total;       /* S3X_TRANSFER_SIZE_UNKNOWN until known */
    uint64_t parts_total;       /* 0 until known */
    uint64_t parts_done;
    uint64_t parts_skipped;     /* resumed: parts the paused transfer had done (in parts_done) */
    uint64_t requests;          /* HTTP requests completed, retries included */
    uint64_t retries;
    uint64_t memory_wait_ns;    /* time part reservations spent waiting for pool memory */
    uint64_t peak_memory_bytes; /* most part-buffer bytes this transfer held at once */
    uint64_t elapsed_ns;        /* from start to completion (or to now while running) */
};

typedef void(s3x_transfer_done_fn)(struct s3x_transfer *transfer, const struct s3x_transfer_result *result,
    void *user_data);
/* bytes_done is monotonic; called at most once per completed part (and once at the end). */
typedef void(s3x_transfer_progress_fn)(struct s3x_transfer *transfer, uint64_t bytes_done, uint64_t bytes_total,
    void *user_data);
/* Ordered delivery: `len` bytes at `offset`. Return 0, or an S3X_ERR_* to fail the transfer. */
typedef int(s3x_transfer_write_fn)(struct s3x_transfer *transfer, const uint8_t *data, size_t len, uint64_t offset,
    void *user_data);
/* Ordered ticket hand-off: the first `len` bytes of the claimed ticket hold the part at `offset`.
 * The callee owns the ticket reference (release it when done; until then its memory counts
 * against the limit). Return 0, or an S3X_ERR_* to fail the transfer (the ticket is still the
 * callee's). */
typedef int(s3x_transfer_part_fn)(struct s3x_transfer *transfer, struct s3x_ticket *ticket, size_t len,
    uint64_t offset, void *user_data);
/* Stream source: fill up to `capacity` bytes, set *out_len (0 = end of stream). Return 0 or an
 * S3X_ERR_* to fail the transfer. */
typedef int(s3x_transfer_read_fn)(struct s3x_transfer *transfer, uint8_t *buffer, size_t capacity, size_t *out_len,
    void *user_data);

struct s3x_transfer_options {
    size_t struct_size; /* set by s3x_transfer_options_init */
    enum s3x_transfer_kind kind;
    const char *bucket;
    const char *key;

    /* GET destination / PUT source: a local path. */
    const char *file_path;
    /* GET destinations (instead of file_path). */
    s3x_transfer_write_fn *write;
    s3x_transfer_part_fn *on_part;
    /* Parts delivered ahead of the one the consumer is on; default 4. Their memory is reserved
     * from the pool, so it counts against the limit. */
    uint32_t delivery_window_parts;
    /* PUT source (instead of file_path): a stream of unknown length. */
    s3x_transfer_read_fn *read;
    /* PUSH: no source here (the data comes from s3x_transfer_write); how the stream is admitted. */
    enum s3x_transfer_admission admission;

    /* COPY: the source object (the destination is bucket/key). */
    const char *source_bucket;
    const char *source_key;
    /* PUT from a regular file, GET to a regular file: continue the paused transfer this token
     * (from s3x_transfer_resume_token) describes. NULL = start afresh. */
    const char *resume_token;

    const char *content_type;        /* PUT; NULL = none */
    enum s3x_checksum_algorithm checksum; /* PUT: used when checksum_set, else the client's */
    bool checksum_set;               /* whether `checksum` overrides the client's choice */

    s3x_transfer_progress_fn *on_progress;
    s3x_transfer_done_fn *on_done;
    void *user_data;
};

S3X_API void s3x_transfer_options_init(struct s3x_transfer_options *options);

/* Starts a transfer; *out holds a reference for the caller. Returns 0 (on_done will fire exactly
 * once), or S3X_ERR_INVALID_ARGUMENT (no bucket/key, no or several destinations/sources, a PUSH
 * with a source, a COPY without its source, a resume token that does not parse or names another
 * transfer, ...), S3X_ERR_NOT_FOUND / S3X_ERR_PERMISSION / S3X_ERR_IO (PUT source file; a resumed
 * download's temporary file), S3X_ERR_TRANSFER_OBJECT_CHANGED (a resumed upload's file changed
 * since the pause), S3X_ERR_POOL_EXHAUSTED (PUSH with S3X_TRANSFER_ADMISSION_FAIL_FAST and no buffer free now; or
 * the pool's error when it refuses the guaranteed buffer at once), S3X_ERR_OOM (on_done never
 * fires). */
S3X_API int s3x_transfer_start(struct s3x_client *client, const struct s3x_transfer_options *options,
    struct s3x_transfer **out);
S3X_API struct s3x_transfer *s3x_transfer_acquire(struct s3x_transfer *transfer);

S3X_API struct s3x_transfer *s3x_transfer_release(struct s3x_transfer *transfer);

/* Cancels from any thread: the transfer completes with S3X_ERR_CANCELED unless it already
 * completed; pending reservations are cancelled, requests in flight aborted, a multipart upload
 * aborted, a partial file removed. Idempotent. Past the point of no return a cancel is ignored
 * and the transfer reports its real outcome: once an upload's or a copy's
 * CompleteMultipartUpload has been sent (the object may exist already), or once a download has
 * every part and is closing (and renaming) its file. */
S3X_API void s3x_transfer_cancel(struct s3x_transfer *transfer);
/* Pauses from any thread (see "Pause and resume"): returns 0 and the transfer completes with
 * S3X_ERR_TRANSFER_PAUSED (unless it completes otherwise first: then it simply completes), or
 * S3X_ERR_UNSUPPORTED for a transfer that cannot be resumed (a stream, a pushed write, a copy, a
 * download that is not to a regular file), or S3X_ERR_INVALID_ARGUMENT. Idempotent. */
S3X_API int s3x_transfer_pause(struct s3x_transfer *transfer);
/* After a completion with S3X_ERR_TRANSFER_PAUSED: the resume token (owned by the transfer, valid
 * until it is released); else NULL. */
S3X_API const char *s3x_transfer_resume_token(const struct s3x_transfer *transfer);
/* Blocks until on_done has returned or timeout_ms elapsed (UINT64_MAX = forever): 0 or
 * S3X_ERR_TIMEOUT. Not on the client's event thread. */
S3X_API int s3x_transfer_wait(struct s3x_transfer *transfer, uint64_t timeout_ms);
/* The result once complete, else NULL. */
S3X_API const struct s3x_transfer_result *s3x_transfer_result(const struct s3x_transfer *transfer);
S3X_API void s3x_transfer_metrics(const struct s3x_transfer *transfer, struct s3x_transfer_metrics *out);

/* Pushed writes (S3X_TRANSFER_PUSH): hands `len` bytes at `data` to the upload; `eof` ends the
 * object after them (a write of 0 bytes with eof ends it too; 0 bytes in all make an empty
 * object). Returns a future (never NULL; the caller releases it) that completes when the data has
 * been copied into the transfer's pool buffers, so the caller may then reuse `data`, which must
 * stay valid until then. It completes at once when the data fits the buffer in hand; it waits
 * while the stream is not yet admitted or all its buffers are uploading. At most one write may be
 * in flight per transfer. The future completes with:
 *   0                          the data is taken (with eof: the transfer will complete on its own)
 *   S3X_ERR_INVALID_STATE      a write is already in flight, or the object was already ended
 *   S3X_ERR_INVALID_ARGUMENT   NULL transfer, data NULL with len > 0, not a PUSH transfer
 *   the transfer's error       it failed or was cancelled (before or while the write waited)
 *   S3X_ERR_OOM
 * A callback registered on the future without an executor runs on the registering thread when the
 * future is already complete, else on the client's event thread, and must not block. May be
 * called from any thread, one write at a time. */
S3X_API struct s3x_future *s3x_transfer_write(struct s3x_transfer *transfer, const void *data, size_t len, bool eof);

#ifdef __cplusplus
}
#endif

#endif
