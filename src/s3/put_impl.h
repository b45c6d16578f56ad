/* The upload engine shared by put.c (a file or a read callback as the source) and push.c (data
 * pushed by the application with s3x_transfer_write).
 *
 * The engine owns the parts and the requests: single PutObject or CreateMultipartUpload, the
 * UploadPart of every READY part once the upload id is known, CompleteMultipartUpload when every
 * part is DONE, AbortMultipartUpload after any failure once an upload id exists, and the one call
 * to s3x__transfer_complete. A source fills parts and hands them over; put.c's own sources
 * (files, read callbacks) live in put.c, another source plugs in through `struct s3x__put_source`.
 *
 * Everything here runs on the client's event thread.
 *
 * Invariants (event thread):
 *   active = parts in RESERVING + READING + UPLOADING + (a control request in flight ? 1 : 0)
 *   the transfer completes only when active == 0 and the source is not busy
 *   stream: parts[i]->index == i; parts are handed over in index order; part i holds bytes
 *           [i * part_size, i * part_size + len)
 */
#ifndef S3XFER_S3_PUT_IMPL_H
#define S3XFER_S3_PUT_IMPL_H

#include "transfer_impl.h"

#include "s3/complete_body.h"
#include "s3/resume.h"

enum s3x__upart_state {
    S3X__UPART_IDLE,      /* has its buffer, waits for its read */
    S3X__UPART_RESERVING, /* waits for its buffer (put.c's sources) */
    S3X__UPART_READING,   /* filled on an I/O thread (put.c's sources) */
    S3X__UPART_READY,     /* holds its data, waits for the upload id or a slot */
    S3X__UPART_UPLOADING,
    S3X__UPART_DONE,      /* uploaded (etag set) or abandoned; no buffer */
};

enum s3x__put_stage { S3X__PUT_PARTS, S3X__PUT_COMPLETING, S3X__PUT_ABORTING, S3X__PUT_FINISHED };

struct s3x__put;

struct s3x__upart {
    struct s3x__put *u;
    uint32_t index; /* 0-based; part number index + 1 */
    enum s3x__upart_state state;
    uint64_t offset;
    size_t len; /* bytes in the part (stream: known once filled) */
    struct s3x_future *reservation;
    uint64_t reserve_ns;
    struct s3x_ticket *ticket;
    uint8_t *buf; /* the claimed buffer of `ticket` */
    size_t capacity;
    bool eof; /* stream: the source ended in this part */
    struct s3x_s3_request *req;
    struct s3x_task io_task;
    struct s3x_task loop_task;
    int io_error;
    char *etag;
    char checksum[S3X_CHECKSUM_VALUE_TEXT_MAX];
};

/* A source other than put.c's own. Every hook is called on the event thread. */
struct s3x__put_source {
    /* The part no longer needs its buffer (uploaded, failed, or not sent): take p->ticket (set
     * it and p->buf to NULL) and keep or release it. Must not call back into the engine. */
    void (*release_buffer)(struct s3x__put *u, struct s3x__upart *p);
    /* A part finished uploading: the source may go on filling. */
    void (*pump)(struct s3x__put *u);
    /* The upload failed (called once, after the failure is recorded): release what the source
     * holds and fail what it has pending. */
    void (*on_fail)(struct s3x__put *u);
    /* Whether the source still has work in flight; the transfer does not complete while it has.
     * The source calls s3x__put_maybe_advance when it stops being busy. */
    bool (*busy)(struct s3x__put *u);
};

struct s3x__put {
    struct s3x_transfer *t;
    const struct s3x__put_source *source; /* NULL: put.c's file and read-callback sources */
    int fd;
    bool stream;     /* sequential fill, unknown size */
    uint64_t size;   /* known size; stream: bytes filled so far */
    uint64_t part_size;
    uint32_t max_parts; /* stream: more data after this many parts fails (S3X_MAX_PARTS) */
    uint32_t num_parts; /* known size: fixed; stream: parts so far, final once eof_seen */
    bool eof_seen;
    bool single;        /* one PutObject */
    bool reading;       /* stream: a read is in progress */
    uint32_t next_read; /* stream: the part whose read comes next */
    struct s3x__upart **parts;
    uint32_t parts_cap;
    uint32_t next_reserve;
    uint32_t parts_done;
    uint32_t active;
    uint32_t window; /* parts in flight at most */
    bool failing;
    enum s3x__put_stage stage;
    char *upload_id;
    bool create_sent;
    struct s3x_s3_request *control;
    struct s3x_s3_buf complete_body;
    char *etag;
    /* pause and resume (a regular file's upload) */
    int64_t mtime_sec; /* the source's, for the token */
    uint32_t mtime_nsec;
    char *abs_path;    /* the source's absolute path, for the token (NULL: use the given one) */
    bool pausing;      /* paused: finish without aborting, leave a token */
    struct s3x__resume *resume; /* the token resumed from, until ListParts has been compared */
    bool listing;               /* ListParts pages in flight: no part starts meanwhile */
    uint32_t skipped_ahead;     /* parts done by the paused run, at index >= next_reserve */
};

/* Initializes `u` for a stream of unknown size: the client's part size, S3X_MAX_PARTS, a window
 * of max_connections + 2 parts. */
void s3x__put_init(struct s3x__put *u, struct s3x_transfer *t);
/* Frees the parts, the upload id and the ETags (buffers must have been released). */
void s3x__put_clean_up(struct s3x__put *u);
/* Appends a part slot (index num_parts); NULL when out of memory. */
struct s3x__upart *s3x__put_add_part(struct s3x__put *u);
/* Records a failure (the first wins), cancels reservations and uploads in flight, calls the
 * source's on_fail once. The caller calls s3x__put_maybe_advance afterwards. */
void s3x__put_fail(struct s3x__put *u, int error, int cause, const struct s3x_s3_error_info *info, const char *what);
/* A stream part holds its data (len, eof, checksum, buffer): it becomes READY, its bytes are
 * counted, the end of the stream is noted, and it is uploaded as soon as possible (a part of
 * data beyond max_parts fails the upload with S3X_ERR_TRANSFER_TOO_MANY_PARTS). The caller calls
 * s3x__put_maybe_advance afterwards. */
void s3x__put_part_filled(struct s3x__put *u, struct s3x__upart *p);
/* s3x_transfer_cancel on the event thread: fails with CANCELED and unwinds, unless
 * CompleteMultipartUpload was already sent (then the transfer reports its outcome). */
void s3x__put_cancel(struct s3x__put *u);
/* Moves to the next stage (complete, abort, finish) when nothing is in flight. */
void s3x__put_maybe_advance(struct s3x__put *u);

/* s3x__put_fail that cancels pending reservations but, when `let_finish`, lets part uploads in
 * flight finish (a pause). */
void s3x__put_fail_ex(struct s3x__put *u, int error, int cause, const struct s3x_s3_error_info *info, const char *what,
    bool let_finish);
/* Reserves the next parts while the window has room (or asks the source to fill). */
void s3x__put_pump(struct s3x__put *u);
/* A control request (create, list, complete, abort) on u->control, counted in `active`. */
int s3x__put_control(struct s3x__put *u, const char *method, const struct s3x_query_param *query, size_t query_count,
    const struct s3x_sigv4_header *headers, size_t header_count, const uint8_t *body, size_t body_len,
    bool error_in_200, s3x_s3_on_done_fn *on_done);
/* Control requests count every attempt, as part uploads do. */
void s3x__put_count_attempts(struct s3x__put *u, struct s3x_s3_request *req);

/* Pause and resume (put_resume.c). */
struct stat;
/* The vtable's pause: fails with S3X_ERR_TRANSFER_PAUSED letting part uploads finish. */
void s3x__put_pause(struct s3x_transfer *t);
/* Paused with nothing in flight: sets the token and completes. False when no token could be made
 * (out of memory): the upload is then aborted as after any failure. */
bool s3x__put_finish_paused(struct s3x__put *u);
/* Caller's thread, in init: checks the token against the file and this transfer, plans the parts
 * with the token's part size and takes its upload id (u->listing is then set). */
int s3x__put_resume_init(struct s3x__put *u, const struct stat *st);
/* The ListParts page after `marker` (0: the first); the last page starts the parts. */
void s3x__put_start_list(struct s3x__put *u, uint32_t marker);

/* For tests (push.c): lowers the part limit of a pushed-write transfer (S3X_MAX_PARTS) so that
 * S3X_ERR_TRANSFER_TOO_MANY_PARTS can be reached without 10,001 parts. Before the first write
 * only. Returns 0, S3X_ERR_INVALID_ARGUMENT, or S3X_ERR_INVALID_STATE (a write was made). */
int s3x__push_set_max_parts(struct s3x_transfer *t, uint32_t max_parts);

#endif
