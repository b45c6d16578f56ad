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

    const char *content_type;        /* PUT; NULL = none */
    enum s3x_checksum_algorithm checksum; /* PUT: used when checksum_set, else the client's */
    bool checksum_set;               /* whether `checksum` overrides the client's choice */

    s3x_transfer_progress_fn *on_progress;
    s3x_transfer_done_fn *on_done;
    void *user_data;
};

S3X_API void s3x_transfer_options_init(struct s3x_transfer_options *options);

/* Starts a transfer; *out holds a reference for the caller. Returns 0 (on_done will fire exactly
 * once), or S3X_ERR_INVALID_ARGUMENT (no bucket/key, no or several destinations/sources, ...),
 * S3X_ERR_NOT_FOUND / S3X_ERR_PERMISSION / S3X_ERR_IO (PUT source file), S3X_ERR_OOM (on_done
 * never fires). */
S3X_API int s3x_transfer_start(struct s3x_client *client, const struct s3x_transfer_options *options,
    struct s3x_transfer **out);
S3X_API struct s3x_transfer *s3x_transfer_acquire(struct s3x_transfer *transfer);
S3X_API struct s3x_transfer *s3x_transfer_release(struct s3x_transfer *transfer);

/* Cancels from any thread: the transfer completes with S3X_ERR_CANCELED unless it already
 * completed; pending reservations are cancelled, requests in flight aborted, a multipart upload
 * aborted, a partial file removed. Idempotent. */
S3X_API void s3x_transfer_cancel(struct s3x_transfer *transfer);
/* Blocks until on_done has returned or timeout_ms elapsed (UINT64_MAX = forever): 0 or
 * S3X_ERR_TIMEOUT. Not on the client's event thread. */
S3X_API int s3x_transfer_wait(struct s3x_transfer *transfer, uint64_t timeout_ms);
/* The result once complete, else NULL. */
S3X_API const struct s3x_transfer_result *s3x_transfer_result(const struct s3x_transfer *transfer);
S3X_API void s3x_transfer_metrics(const struct s3x_transfer *transfer, struct s3x_transfer_metrics *out);

#ifdef __cplusplus
}
#endif

#endif
