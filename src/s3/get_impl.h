/* The download engine shared by get.c (fetching, delivery, finishing), get_verify.c (the check
 * against the object's checksum) and get_resume.c (pause and resume). Everything here runs on the
 * client's event thread unless a comment says otherwise. See get.c's opening comment for the part
 * states and the invariants.
 */
#ifndef S3XFER_S3_GET_IMPL_H
#define S3XFER_S3_GET_IMPL_H

#include "transfer_impl.h"

#include "s3/get_verify.h"

enum s3x__gpart_state {
    S3X__GPART_IDLE,
    S3X__GPART_RESERVING,
    S3X__GPART_FETCHING,
    S3X__GPART_FETCHED, /* holds its bytes, waits for its turn (or for HeadObject's answer) */
    S3X__GPART_WRITING,
    S3X__GPART_DONE,
};
enum s3x__get_dest { S3X__GET_FILE_RANDOM, S3X__GET_FD_ORDERED, S3X__GET_WRITE_CB, S3X__GET_TICKET };

struct s3x__get;

struct s3x__gpart {
    struct s3x__get *g;
    uint32_t index;
    enum s3x__gpart_state state;
    uint64_t offset;
    uint64_t len; /* expected bytes (part 0: up to part_size until the size is known) */
    struct s3x_future *reservation;
    uint64_t reserve_ns;
    struct s3x_ticket *ticket;
    uint8_t *buf;
    size_t capacity;
    size_t filled;
    struct s3x_s3_request *req;
    struct s3x_task io_task;
    struct s3x_task loop_task;
    int io_error;
    bool written; /* in the destination (for a resume token) */
    struct s3x_checksum_value crc; /* verify.combine: the part's CRC (I/O thread, then the loop) */
};

struct s3x__get {
    struct s3x_transfer *t;
    uint64_t part_size;
    bool size_known;
    uint64_t size;
    char *etag;
    uint32_t num_parts;
    struct s3x__gpart part0;
    /* The object's checksum, from part 0's answer when it covered the whole object, else from
     * HeadObject (event thread writes before any delivery starts; I/O threads read) */
    struct s3x__get_verify verify;
    struct s3x_s3_request *head; /* the HeadObject asking for it */
    bool head_pending;           /* deliveries wait for its answer */
    struct s3x__gpart *rest; /* parts 1..num_parts-1 */
    uint32_t next_reserve;
    uint32_t next_deliver; /* ordered destinations */
    bool delivering;
    uint32_t parts_done;
    uint32_t active;
    uint32_t window;
    bool failing;
    bool finishing;
    enum s3x__get_dest dest;
    int fd;
    char *temp_path;
    int finish_error;
    struct s3x_task finish_task;
    struct s3x_task finish_loop_task;
    /* pause and resume (to a regular file) */
    bool pausing;        /* paused: keep the temporary file, leave a token */
    bool pause_deferred; /* paused before the size was known: pause once part 0 tells it */
    bool keep_temp;      /* the token names the temporary file: do not remove it */
    bool finish_failed;  /* g->failing when the finish was posted (what the I/O thread reads) */
    uint32_t skipped_ahead; /* parts done by the paused run, at index >= next_reserve */
};

struct s3x__gpart *s3x__get_part_at(struct s3x__get *g, uint32_t i);
/* Fails the download once (later calls only record): reservations and fetches are cancelled. */
void s3x__get_fail(struct s3x__get *g, int error, int cause, const struct s3x_s3_error_info *info, const char *what,
    uint32_t part);
void s3x__get_release_buffer(struct s3x__get *g, struct s3x__gpart *p);
/* Posts the part's write to an I/O thread (WRITING). */
void s3x__get_start_delivery(struct s3x__get *g, struct s3x__gpart *p);
/* Ordered destinations: starts the next part's write when it is fetched. */
void s3x__get_deliver_ready(struct s3x__get *g);
/* Reserves the next parts while the window has room. */
void s3x__get_pump(struct s3x__get *g);
/* Finishes (the temporary file renamed or removed, then the transfer completed) once nothing is
 * in flight and every part is done or the download failed. */
void s3x__get_maybe_finish(struct s3x__get *g);
/* The size is known: the part table. Returns 0, S3X_ERR_OVERFLOW, S3X_ERR_OOM. */
int s3x__get_learn_size(struct s3x__get *g);

/* get_verify.c: part 0's ranged answer carried no checksum: HeadObject asks for the object's
 * (deliveries wait for it). */
void s3x__get_start_head(struct s3x__get *g);
/* get_verify.c: every part written: their CRCs folded in order against the object's. */
void s3x__get_check_parts(struct s3x__get *g);

/* get_resume.c */
void s3x__get_pause_now(struct s3x__get *g);
void s3x__get_pause(struct s3x_transfer *t);
void s3x__get_make_token(struct s3x__get *g);
/* Caller's thread: the token must describe a download of this object to this file. */
int s3x__get_resume_open(struct s3x__get *g);

#endif
