/* Download pause and resume (to a regular file): the token names the object (bucket, key, size,
 * ETag), the destination, its temporary file and the parts already written there. Example: a
 * 3-part download paused after parts 0 and 2 leaves a token with parts 1 and 3 (1-based); the
 * resumed run opens the temporary file, marks them done and fetches part 2 only, guarded by the
 * token's ETag. A resumed download is not checked against the object's checksum (the parts
 * written before the pause have no CRC).
 */
#include "s3/get_impl.h"

#include "s3/resume.h"

#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Stops at a part boundary: reservations and fetches are cancelled, parts already fetched are
 * still written, then s3x__get_maybe_finish keeps the temporary file and leaves a token. */
void s3x__get_pause_now(struct s3x__get *g) {
    g->pause_deferred = false;
    g->pausing = true;
    s3x__get_fail(g, S3X_ERR_TRANSFER_PAUSED, 0, NULL, "paused", g->parts_done);
}

void s3x__get_pause(struct s3x_transfer *t) {
    struct s3x__get *g = t->impl;
    if (g->failing || g->finishing || g->dest != S3X__GET_FILE_RANDOM) {
        return;
    }
    if (!g->size_known) {
        g->pause_deferred = true; /* part 0 tells the size and the ETag the token needs */
        return;
    }
    s3x__get_pause_now(g);
    s3x__get_maybe_finish(g);
}

/* Event thread, nothing in flight: the token names the object, the temporary file and the parts
 * written to it. Without a token (no ETag to guard a resume, out of memory) the temporary file
 * goes, as after any failure. */
void s3x__get_make_token(struct s3x__get *g) {
    struct s3x_transfer *t = g->t;
    if (!g->size_known || g->etag == NULL || g->temp_path == NULL) {
        S3X_LOG_WARNF("get", "paused without a resume token (%s)", g->etag == NULL ? "no ETag" : "nothing known");
        return;
    }
    char *file = s3x__resume_abs_path(t->allocator, t->file_path);
    char *temp = s3x__resume_abs_path(t->allocator, g->temp_path);
    struct s3x__resume r = {
        .kind = S3X__RESUME_GET,
        .bucket = t->bucket,
        .key = t->key,
        .file = file != NULL ? file : t->file_path,
        .size = g->size,
        .part_size = g->part_size,
        .etag = g->etag,
        .temp_path = temp != NULL ? temp : g->temp_path,
    };
    int rc = 0;
    for (uint32_t i = 0; i < g->num_parts && rc == 0; ++i) {
        if (s3x__get_part_at(g, i)->written) {
            rc = s3x__resume_add_part(t->allocator, &r, i + 1, NULL, NULL);
        }
    }
    char *token = NULL;
    if (rc == 0) {
        rc = s3x__resume_format(t->allocator, &r, &token);
    }
    s3x_mem_release(t->allocator, r.parts);
    s3x_mem_release(t->allocator, file);
    s3x_mem_release(t->allocator, temp);
    if (rc != 0) {
        S3X_LOG_WARNF("get", "no resume token: %s", s3x_error_name(rc));
        return;
    }
    S3X_LOG_DEBUGF("get", "paused with %u of %u parts in %s", g->parts_done, g->num_parts, g->temp_path);
    s3x__transfer_set_resume_token(t, token);
    g->keep_temp = true;
}

/* Marks the token's parts done: they are in the temporary file already. */
static int s_mark_resumed(struct s3x__get *g, const struct s3x__resume *r, uint64_t temp_size) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < r->parts_count; ++i) {
        uint32_t number = r->parts[i].number;
        if (number > g->num_parts) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        struct s3x__gpart *p = s3x__get_part_at(g, number - 1);
        if (p->offset + p->len > temp_size) {
            return S3X_ERR_INVALID_ARGUMENT; /* the temporary file lost data the token claims */
        }
        p->state = S3X__GPART_DONE;
        p->written = true;
        bytes += p->len;
    }
    if (g->size == 0 && g->part0.state != S3X__GPART_DONE) {
        g->part0.state = S3X__GPART_DONE; /* nothing to fetch */
        g->part0.written = true;
    }
    for (uint32_t i = 0; i < g->num_parts; ++i) {
        if (s3x__get_part_at(g, i)->state == S3X__GPART_DONE) {
            g->parts_done++;
            g->skipped_ahead++;
        }
    }
    atomic_store(&g->t->parts_done, g->parts_done);
    atomic_store(&g->t->parts_skipped, g->parts_done);
    atomic_store(&g->t->bytes_done, bytes);
    return 0;
}

/* Caller's thread: the token must describe a download of this object to this file, and its
 * temporary file must still be there. */
int s3x__get_resume_open(struct s3x__get *g) {
    struct s3x_transfer *t = g->t;
    struct s3x__resume r;
    int rc = s3x__resume_parse(t->allocator, t->resume_token_in, &r);
    char *file = rc == 0 ? s3x__resume_abs_path(t->allocator, t->file_path) : NULL;
    if (rc == 0 && (r.kind != S3X__RESUME_GET || strcmp(r.bucket, t->bucket) != 0 || strcmp(r.key, t->key) != 0 ||
                       strcmp(r.file, file != NULL ? file : t->file_path) != 0)) {
        rc = S3X_ERR_INVALID_ARGUMENT;
    }
    s3x_mem_release(t->allocator, file);
    int fd = -1;
    struct stat st;
    if (rc == 0 && ((fd = open(r.temp_path, O_WRONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)) {
        rc = s3x__transfer_errno_error(errno);
    }
    if (rc == 0 && !S_ISREG(st.st_mode)) {
        rc = S3X_ERR_INVALID_ARGUMENT;
    }
    if (rc == 0) {
        g->size = r.size;
        g->part_size = r.part_size;
        g->etag = r.etag;
        r.etag = NULL;
        rc = s3x__get_learn_size(g);
    }
    if (rc == 0) {
        g->next_reserve = 0;
        g->part0.len = S3X_MIN(g->part_size, g->size);
        rc = s_mark_resumed(g, &r, (uint64_t)st.st_size);
    }
    if (rc == 0) {
        g->fd = fd; /* only now: from here on a failure removes the temporary file */
        g->temp_path = r.temp_path;
        r.temp_path = NULL;
    } else if (fd >= 0) {
        close(fd);
    }
    s3x__resume_clean_up(t->allocator, &r);
    return rc == S3X_ERR_PARSE ? S3X_ERR_INVALID_ARGUMENT : rc;
}
