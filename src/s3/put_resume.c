/* Pause and resume of uploads from a regular file (the upload engine is put.c; the token format
 * is resume.c).
 *
 * Pause (event thread): no new part starts, part uploads in flight finish (a cancelled upload the
 * server already stored would be on the server but not in the token), parts being read are
 * dropped, reservations cancelled; then, with nothing in flight, the token names the multipart
 * upload (left open) and every uploaded part with its ETag and checksum.
 *
 * Resume (s3x__put_resume_init on the caller's thread, then ListParts pages on the event thread):
 * the token must name this bucket, key and absolute file path, and the file must have the token's
 * size and mtime. The token's part size and checksum algorithm are reused. A part is skipped only
 * when ListParts lists it with the token's ETag (quotes aside) and the size it must have; the
 * others are sent as in any upload. Example: 8 parts, the token names parts 1, 2, 3 and 5, the
 * server lists 1, 2, 3 and 5 with those ETags: parts 4, 6, 7, 8 are sent, parts_skipped = 4.
 */
#include "put_impl.h"

#include "s3/responses.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Paused with nothing in flight: the token names the upload and the parts it holds. Returns
 * false when no token could be made (out of memory): the upload is then aborted as after any
 * failure, so no orphan remains. */
bool s3x__put_finish_paused(struct s3x__put *u) {
    struct s3x_transfer *t = u->t;
    struct s3x__resume r = {
        .kind = S3X__RESUME_PUT,
        .bucket = t->bucket,
        .key = t->key,
        .file = u->abs_path != NULL ? u->abs_path : t->file_path,
        .size = u->size,
        .mtime_sec = u->mtime_sec,
        .mtime_nsec = u->mtime_nsec,
        .part_size = u->part_size,
        .checksum = t->checksum,
        .upload_id = u->single ? NULL : u->upload_id,
    };
    int rc = 0;
    for (uint32_t i = 0; i < u->num_parts && rc == 0 && r.upload_id != NULL; ++i) {
        const struct s3x__upart *p = u->parts[i];
        if (p->state == S3X__UPART_DONE && p->etag != NULL) {
            rc = s3x__resume_add_part(t->allocator, &r, p->index + 1, p->etag, p->checksum[0] ? p->checksum : NULL);
        }
    }
    char *token = NULL;
    if (rc == 0) {
        rc = s3x__resume_format(t->allocator, &r, &token);
    }
    for (size_t i = 0; i < r.parts_count; ++i) {
        s3x_mem_release(t->allocator, r.parts[i].etag);
        s3x_mem_release(t->allocator, r.parts[i].checksum);
    }
    s3x_mem_release(t->allocator, r.parts);
    if (rc != 0) {
        S3X_LOG_WARNF("put", "no resume token (%s): the upload is aborted", s3x_error_name(rc));
        return false;
    }
    S3X_LOG_DEBUGF("put", "paused with %zu of %u parts uploaded", r.parts_count, u->num_parts);
    s3x__transfer_set_resume_token(t, token);
    u->stage = S3X__PUT_FINISHED;
    s3x__transfer_complete(t, u->size, NULL);
    return true;
}

void s3x__put_pause(struct s3x_transfer *t) {
    struct s3x__put *u = t->impl;
    if (u->failing || u->stage != S3X__PUT_PARTS) {
        return; /* completing (or failed): it ends on its own */
    }
    u->pausing = true;
    s3x__put_fail_ex(u, S3X_ERR_TRANSFER_PAUSED, 0, NULL, "paused", true); /* uploads in flight finish */
    s3x__put_maybe_advance(u);
}

/* Whether the server's part matches the token's: same number (found), same ETag (quotes
 * aside) and the size the part must have. */
static const struct s3x__resume_part *s_token_part(const struct s3x__resume *r, uint32_t number) {
    size_t lo = 0;
    size_t hi = r->parts_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->parts[mid].number < number) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < r->parts_count && r->parts[lo].number == number ? &r->parts[lo] : NULL;
}

static bool s_same_etag(const char *a, const char *b) {
    size_t an = strlen(a);
    size_t bn = strlen(b);
    if (an >= 2 && a[0] == '"' && a[an - 1] == '"') {
        a++;
        an -= 2;
    }
    if (bn >= 2 && b[0] == '"' && b[bn - 1] == '"') {
        b++;
        bn -= 2;
    }
    return an == bn && memcmp(a, b, an) == 0;
}

/* One ListParts page: parts the server holds as the token says are done. */
static int s_apply_listed(struct s3x__put *u, const struct s3x_s3_list_parts *page) {
    for (size_t i = 0; i < page->parts_count; ++i) {
        const struct s3x_s3_part *sp = &page->parts[i];
        const struct s3x__resume_part *tp = s_token_part(u->resume, sp->part_number);
        if (sp->part_number == 0 || sp->part_number > u->num_parts || tp == NULL || sp->etag == NULL) {
            continue;
        }
        struct s3x__upart *p = u->parts[sp->part_number - 1];
        if (p->state == S3X__UPART_DONE || sp->size != p->len || !s_same_etag(sp->etag, tp->etag)) {
            continue; /* sent again */
        }
        if ((p->etag = s3x_mem_strdup(u->t->allocator, tp->etag)) == NULL) {
            return S3X_ERR_OOM;
        }
        if (tp->checksum != NULL && strlen(tp->checksum) < sizeof(p->checksum)) {
            memcpy(p->checksum, tp->checksum, strlen(tp->checksum) + 1);
        }
        p->state = S3X__UPART_DONE;
        u->parts_done++;
        u->skipped_ahead++;
        atomic_fetch_add(&u->t->parts_done, 1);
        atomic_fetch_add(&u->t->parts_skipped, 1);
        s3x__transfer_progress(u->t, p->len);
    }
    return 0;
}

static void s_on_listed(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s3x__put *u = user;
    u->active--;
    s3x__put_count_attempts(u, req);
    struct s3x_s3_list_parts page;
    memset(&page, 0, sizeof(page));
    if (error == 0) {
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
        error = s3x__s3_list_parts_parse(u->t->allocator, body, len, &page);
        error = error == S3X_ERR_PARSE ? S3X_ERR_HTTP_PROTOCOL : error;
    }
    u->control = s3x__s3_request_release(u->control);
    if (error == 0) {
        error = s_apply_listed(u, &page); /* also when pausing: the next token keeps these parts */
    }
    bool go_on = !u->failing || u->pausing;
    bool more = error == 0 && go_on && page.is_truncated && page.next_part_number_marker > page.part_number_marker;
    uint32_t next = page.next_part_number_marker;
    s3x__s3_list_parts_clean_up(u->t->allocator, &page);
    if (error == S3X_ERR_S3_NO_SUCH_UPLOAD) {
        s3x_mem_release(u->t->allocator, u->upload_id); /* nothing to abort */
        u->upload_id = NULL;
    }
    if (error != 0) {
        s3x__put_fail(u, error, 0, info, "ListParts of the paused upload failed");
    } else if (more) {
        s3x__put_start_list(u, next);
        return;
    }
    u->listing = false;
    s3x__resume_clean_up(u->t->allocator, u->resume);
    s3x_mem_release(u->t->allocator, u->resume);
    u->resume = NULL;
    S3X_LOG_DEBUGF("put", "resuming %s: %u of %u parts already uploaded", u->upload_id ? u->upload_id : "-",
        u->parts_done, u->num_parts);
    s3x__put_pump(u);
    s3x__put_maybe_advance(u);
}

void s3x__put_start_list(struct s3x__put *u, uint32_t marker) {
    char marker_text[16];
    snprintf(marker_text, sizeof(marker_text), "%u", marker);
    struct s3x_query_param query[3] = {{"uploadId", u->upload_id}, {"max-parts", "1000"},
        {"part-number-marker", marker_text}};
    int rc = s3x__put_control(u, "GET", query, marker > 0 ? 3 : 2, NULL, 0, NULL, 0, false, s_on_listed);
    if (rc != 0) {
        u->listing = false;
        s3x__put_fail(u, rc, 0, NULL, "ListParts could not be started");
    }
}

/* Caller's thread: the token must describe this very upload of this unchanged file. */
int s3x__put_resume_init(struct s3x__put *u, const struct stat *st) {
    struct s3x_transfer *t = u->t;
    struct s3x__resume *r = s3x_mem_calloc(t->allocator, 1, sizeof(*r));
    if (r == NULL) {
        return S3X_ERR_OOM;
    }
    u->resume = r;
    int rc = s3x__resume_parse(t->allocator, t->resume_token_in, r);
    if (rc != 0) {
        return rc == S3X_ERR_OOM ? rc : S3X_ERR_INVALID_ARGUMENT;
    }
    const char *path = u->abs_path != NULL ? u->abs_path : t->file_path;
    if (u->stream || r->kind != S3X__RESUME_PUT || strcmp(r->bucket, t->bucket) != 0 || strcmp(r->key, t->key) != 0 ||
        strcmp(r->file, path) != 0) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (r->size != (uint64_t)st->st_size || r->mtime_sec != (int64_t)st->st_mtim.tv_sec ||
        r->mtime_nsec != (uint32_t)st->st_mtim.tv_nsec) {
        return S3X_ERR_TRANSFER_OBJECT_CHANGED;
    }
    if (r->upload_id == NULL) {
        return 0; /* nothing was uploaded: start afresh */
    }
    uint64_t n = (r->size + r->part_size - 1) / r->part_size;
    if (r->part_size < S3X_PART_SIZE_MIN || n == 0 || n > S3X_MAX_PARTS) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    t->checksum = r->checksum; /* the upload was created with it */
    u->part_size = r->part_size;
    for (uint64_t i = 0; i < n; ++i) {
        if (s3x__put_add_part(u) == NULL) {
            return S3X_ERR_OOM;
        }
    }
    u->upload_id = r->upload_id;
    r->upload_id = NULL;
    u->create_sent = true;
    u->listing = true;
    return 0;
}
