/* Pause and resume against the S3 test server: a paused upload or download resumed by a fresh
 * process (resume_child) sends only what is missing, counted against ListParts and the token;
 * tokens that do not fit are refused; a vanished upload or a changed object fails cleanly. */
#include "s3_test_util.h"

#include <s3xfer/error.h>
#include <s3xfer/objects.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PART ((uint64_t)5 * 1024 * 1024)
/* 12 parts: paused at 50 % (6 done), at most 4 more are in flight for an upload (connections + 2)
 * or 3 for a download (connections + a delivery window of 1), so some are always left. */
#define PARTS 12u
#define SIZE (PARTS * PART)

struct s_env {
    struct s3x_allocator *a;
    struct s3x_client *client;
    char bucket[64];
    char dir[64];
};

static void s_env_init(struct s_env *e, void **state) {
    memset(e, 0, sizeof(*e));
    e->a = s3x_test_allocator(state);
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.part_size_bytes = PART;
    opt.max_connections = 2; /* a window of a few parts: a pause at 50 % leaves parts to send */
    e->client = s3x_test_client_new(e->a, &opt);
    s3x_test_create_bucket(e->client, e->bucket, sizeof(e->bucket));
    s3x_test_temp_dir(e->dir, sizeof(e->dir));
}

static void s_env_clean_up(struct s_env *e) {
    s3x_test_rm_rf(e->dir);
    e->client = s3x_client_release(e->client);
}

/* --- pausing at a given fraction ------------------------------------------------------------- */

struct s_pauser {
    uint64_t at_bytes;
    atomic_int pause_calls;
    atomic_int progress_calls;
};

static void s_pause_on_progress(struct s3x_transfer *t, uint64_t done, uint64_t total, void *user) {
    (void)total;
    struct s_pauser *p = user;
    atomic_fetch_add(&p->progress_calls, 1);
    if (done >= p->at_bytes && atomic_fetch_add(&p->pause_calls, 1) == 0) {
        assert_int_equal(s3x_transfer_pause(t), 0);
    }
}

/* Runs a transfer that pauses once `at_bytes` are done; returns its error, the token in *token
 * (malloc'd copy, NULL when none) and its metrics. */
static int s_run_paused(struct s_env *e, struct s3x_transfer_options *o, uint64_t at_bytes, char **token,
    struct s3x_transfer_metrics *m) {
    struct s_pauser pauser = {.at_bytes = at_bytes};
    if (o->kind == S3X_TRANSFER_GET) {
        o->delivery_window_parts = 1; /* bounds the parts fetched ahead (see PARTS) */
    }
    o->on_progress = s_pause_on_progress;
    o->user_data = &pauser;
    struct s3x_transfer *t = NULL;
    assert_int_equal(s3x_transfer_start(e->client, o, &t), 0);
    assert_int_equal(s3x_transfer_wait(t, 300000), 0);
    const struct s3x_transfer_result *r = s3x_transfer_result(t);
    assert_non_null(r);
    const char *tok = s3x_transfer_resume_token(t);
    *token = tok != NULL ? strdup(tok) : NULL;
    if (r->error == S3X_ERR_TRANSFER_PAUSED) {
        assert_non_null(*token);
        assert_non_null(strstr(r->message, "paused"));
    } else {
        assert_null(*token);
    }
    s3x_transfer_metrics(t, m);
    int rc = r->error;
    s3x_transfer_release(t);
    return rc;
}

static void s_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static size_t s_count_lines(const char *text, const char *prefix) {
    size_t n = 0;
    const char *p = text;
    while (p != NULL && *p != '\0') {
        n += strncmp(p, prefix, strlen(prefix)) == 0;
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return n;
}

/* The upload id a put token names (the caller frees it). */
static char *s_token_upload_id(const char *token) {
    const char *p = strstr(token, "\nupload-id ");
    if (p == NULL) {
        return NULL;
    }
    p += strlen("\nupload-id ");
    return strndup(p, strcspn(p, "\n"));
}

/* The object holds SIZE pattern bytes of `seed` (downloaded to a file and compared). */
static void s_assert_object(struct s_env *e, const char *key, uint32_t seed) {
    char back[128];
    snprintf(back, sizeof(back), "%s/back.bin", e->dir);
    struct s3x_transfer_options g;
    s3x_transfer_options_init(&g);
    g.kind = S3X_TRANSFER_GET;
    g.bucket = e->bucket;
    g.key = key;
    g.file_path = back;
    assert_int_equal(s3x_test_run_transfer(e->client, &g, NULL), 0);
    s3x_test_assert_pattern_file(back, SIZE, seed);
    unlink(back);
}

/* --- the fresh process ------------------------------------------------------------------------ */

struct s_child_result {
    int error;
    unsigned long long parts_total, parts_skipped, requests, retries, bytes;
};

static void s_run_child(const char *kind, struct s_env *e, const char *key, const char *file, const char *token_path,
    struct s_child_result *out) {
    char part[32];
    snprintf(part, sizeof(part), "%llu", (unsigned long long)PART);
    char *argv[] = {(char *)S3X_RESUME_CHILD, (char *)kind, e->bucket, (char *)key, (char *)file, (char *)token_path,
        part, NULL};
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid = 0;
    assert_int_equal(posix_spawn(&pid, S3X_RESUME_CHILD, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char line[512] = {0};
    size_t n = 0;
    ssize_t got;
    while (n < sizeof(line) - 1 && (got = read(fds[0], line + n, sizeof(line) - 1 - n)) > 0) {
        n += (size_t)got;
    }
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sscanf(line, "error=%d parts_total=%llu parts_skipped=%llu requests=%llu retries=%llu bytes=%llu",
                         &out->error, &out->parts_total, &out->parts_skipped, &out->requests, &out->retries, &out->bytes),
        6);
}

/* --- acceptance: pause at 50 %, resume in a fresh process -------------------------------------- */

static void test_upload_pause_resume_fresh_process(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    char token_path[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    snprintf(token_path, sizeof(token_path), "%s/token", e.dir);
    s3x_test_write_pattern_file(src, SIZE, 61);

    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "big";
    o.file_path = src;
    char *token = NULL;
    struct s3x_transfer_metrics m;
    assert_int_equal(s_run_paused(&e, &o, SIZE / 2, &token, &m), S3X_ERR_TRANSFER_PAUSED);
    assert_true(m.parts_done >= PARTS / 2);
    assert_true(m.parts_done < PARTS);

    /* What the server holds: exactly the parts the token names. */
    char *upload_id = s_token_upload_id(token);
    assert_non_null(upload_id);
    struct s3x_multipart_options lo = {.bucket = e.bucket, .key = "big", .upload_id = upload_id};
    struct s3x_parts_result listed;
    assert_int_equal(s3x_multipart_list_parts_sync(e.client, &lo, &listed), 0);
    size_t on_server = listed.parts_count;
    assert_int_equal(on_server, s_count_lines(token, "part "));
    assert_int_equal(on_server, m.parts_done);
    s3x_parts_result_clean_up(&listed);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 1); /* left open */
    s_write_text(token_path, token);

    struct s_child_result c;
    s_run_child("put", &e, "big", src, token_path, &c);
    assert_int_equal(c.error, 0);
    assert_int_equal(c.bytes, SIZE);
    assert_int_equal(c.parts_total, PARTS);
    assert_int_equal(c.parts_skipped, on_server);
    /* ListParts + the missing UploadParts + Complete, nothing else */
    assert_int_equal(c.requests - c.retries, 1 + (PARTS - on_server) + 1);

    s_assert_object(&e, "big", 61);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    free(upload_id);
    free(token);
    s_env_clean_up(&e);
}

static void s_put_pattern(struct s_env *e, const char *key, const char *path, uint64_t size, uint32_t seed) {
    s3x_test_write_pattern_file(path, size, seed);
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e->bucket;
    o.key = key;
    o.file_path = path;
    assert_int_equal(s3x_test_run_transfer(e->client, &o, NULL), 0);
}

static const char *s_token_field(const char *token, const char *name, char *out, size_t size) {
    char needle[32];
    snprintf(needle, sizeof(needle), "\n%s ", name);
    const char *p = strstr(token, needle);
    assert_non_null(p);
    p += strlen(needle);
    size_t n = strcspn(p, "\n");
    assert_true(n < size);
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static void test_download_pause_resume_fresh_process(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    char dst[128];
    char token_path[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst.bin", e.dir);
    snprintf(token_path, sizeof(token_path), "%s/token", e.dir);
    s_put_pattern(&e, "obj", src, SIZE, 62);

    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e.bucket;
    o.key = "obj";
    o.file_path = dst;
    char *token = NULL;
    struct s3x_transfer_metrics m;
    assert_int_equal(s_run_paused(&e, &o, SIZE / 2, &token, &m), S3X_ERR_TRANSFER_PAUSED);
    size_t written = s_count_lines(token, "part ");
    assert_int_equal(written, m.parts_done);
    assert_true(written >= PARTS / 2 && written < PARTS);
    struct stat st;
    assert_int_not_equal(stat(dst, &st), 0); /* nothing at the destination yet */
    char temp[256];
    s_token_field(token, "temp", temp, sizeof(temp));
    assert_int_equal(stat(temp, &st), 0); /* the parts wait in the temporary file */
    s_write_text(token_path, token);

    struct s_child_result c;
    s_run_child("get", &e, "obj", dst, token_path, &c);
    assert_int_equal(c.error, 0);
    assert_int_equal(c.bytes, SIZE);
    assert_int_equal(c.parts_skipped, written);
    assert_int_equal(c.requests - c.retries, PARTS - written); /* one GET per missing part */
    s3x_test_assert_pattern_file(dst, SIZE, 62);
    assert_int_not_equal(stat(temp, &st), 0); /* renamed over the destination */
    assert_int_equal(s3x_test_dir_entries(e.dir), 3); /* src, dst, token */
    free(token);
    s_env_clean_up(&e);
}

/* --- in one process ------------------------------------------------------------------------- */

static int s_resume(struct s_env *e, enum s3x_transfer_kind kind, const char *key, const char *file, const char *token,
    uint64_t pause_at, char **next_token, struct s3x_transfer_metrics *m) {
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = kind;
    o.bucket = e->bucket;
    o.key = key;
    o.file_path = file;
    o.resume_token = token;
    return s_run_paused(e, &o, pause_at, next_token, m);
}

/* Paused twice: the second token carries the first run's parts too. */
static void test_upload_pause_twice(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    s3x_test_write_pattern_file(src, SIZE, 63);
    char *t1 = NULL;
    char *t2 = NULL;
    char *t3 = NULL;
    struct s3x_transfer_metrics m1;
    struct s3x_transfer_metrics m2;
    struct s3x_transfer_metrics m3;
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "twice", src, NULL, SIZE / 4, &t1, &m1), S3X_ERR_TRANSFER_PAUSED);
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "twice", src, t1, SIZE * 3 / 4, &t2, &m2),
        S3X_ERR_TRANSFER_PAUSED);
    assert_int_equal(m2.parts_skipped, m1.parts_done);
    assert_true(s_count_lines(t2, "part ") > s_count_lines(t1, "part "));
    assert_int_equal(s_count_lines(t2, "part "), m2.parts_done);
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "twice", src, t2, UINT64_MAX, &t3, &m3), 0);
    assert_int_equal(m3.parts_skipped, m2.parts_done);
    assert_int_equal(m3.parts_done, PARTS);
    s_assert_object(&e, "twice", 63);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    free(t1);
    free(t2);
    s_env_clean_up(&e);
}

/* A part the server no longer has (or holds with another ETag) is sent again. */
static void test_upload_resume_resends_what_server_lacks(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    s3x_test_write_pattern_file(src, SIZE, 64);
    char *t1 = NULL;
    struct s3x_transfer_metrics m1;
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "lack", src, NULL, SIZE / 2, &t1, &m1), S3X_ERR_TRANSFER_PAUSED);
    /* The token claims its first part with an ETag the server does not have. */
    char *forged = strdup(t1);
    char *p1 = strstr(forged, "\npart ");
    assert_non_null(p1);
    p1 = strchr(p1 + 1, '"');
    assert_non_null(p1);
    p1[1] = p1[1] == 'x' ? 'y' : 'x'; /* the ETag's first character becomes another one */
    struct s3x_transfer_metrics m2;
    char *t2 = NULL;
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "lack", src, forged, UINT64_MAX, &t2, &m2), 0);
    assert_int_equal(m2.parts_skipped, m1.parts_done - 1);
    s_assert_object(&e, "lack", 64);
    free(forged);
    free(t1);
    s_env_clean_up(&e);
}

static int s_read_nothing(struct s3x_transfer *t, uint8_t *b, size_t cap, size_t *out, void *user) {
    (void)t;
    (void)b;
    (void)cap;
    (void)user;
    *out = 0;
    return 0;
}

static int s_write_nothing(struct s3x_transfer *t, const uint8_t *d, size_t len, uint64_t off, void *user) {
    (void)t;
    (void)d;
    (void)len;
    (void)off;
    (void)user;
    return 0;
}

static void test_resume_refusals(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst.bin", e.dir);
    s3x_test_write_pattern_file(src, SIZE, 65);
    char *tok = NULL;
    struct s3x_transfer_metrics m;
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "k", src, NULL, SIZE / 2, &tok, &m), S3X_ERR_TRANSFER_PAUSED);

    struct s3x_transfer_options o;
    struct s3x_transfer *t = NULL;
    /* garbage, another key, another kind, another file */
    const char *tokens[] = {"garbage", tok, tok, tok};
    const char *keys[] = {"k", "other", "k", "k"};
    enum s3x_transfer_kind kinds[] = {S3X_TRANSFER_PUT, S3X_TRANSFER_PUT, S3X_TRANSFER_GET, S3X_TRANSFER_PUT};
    const char *files[] = {src, src, dst, dst};
    s3x_test_write_pattern_file(dst, SIZE, 65);
    for (size_t i = 0; i < 4; ++i) {
        s3x_transfer_options_init(&o);
        o.kind = kinds[i];
        o.bucket = e.bucket;
        o.key = keys[i];
        o.file_path = files[i];
        o.resume_token = tokens[i];
        assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_INVALID_ARGUMENT);
        assert_null(t);
    }
    /* a token with a stream source */
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "k";
    o.read = s_read_nothing;
    o.resume_token = tok;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_INVALID_ARGUMENT);
    /* the source changed since the pause (its modification time) */
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, src, times, 0), 0);
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "k";
    o.file_path = src;
    o.resume_token = tok;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_TRANSFER_OBJECT_CHANGED);
    /* transfers that cannot pause */
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_PUT;
    o.bucket = e.bucket;
    o.key = "stream";
    o.read = s_read_nothing;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), 0);
    assert_int_equal(s3x_transfer_pause(t), S3X_ERR_UNSUPPORTED);
    assert_int_equal(s3x_transfer_wait(t, 60000), 0);
    assert_int_equal(s3x_transfer_result(t)->error, 0);
    assert_null(s3x_transfer_resume_token(t));
    t = s3x_transfer_release(t);
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e.bucket;
    o.key = "stream";
    o.write = s_write_nothing;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), 0);
    assert_int_equal(s3x_transfer_pause(t), S3X_ERR_UNSUPPORTED);
    assert_int_equal(s3x_transfer_wait(t, 60000), 0);
    t = s3x_transfer_release(t);
    assert_int_equal(s3x_transfer_pause(NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_null(s3x_transfer_resume_token(NULL));

    /* the paused upload was aborted meanwhile: NO_SUCH_UPLOAD, nothing left */
    char *upload_id = s_token_upload_id(tok);
    struct s3x_multipart_options ao = {.bucket = e.bucket, .key = "k", .upload_id = upload_id};
    struct s3x_op_result ar;
    assert_int_equal(s3x_multipart_abort_sync(e.client, &ao, &ar), 0);
    s3x_op_result_clean_up(&ar);
    s3x_test_write_pattern_file(src, SIZE, 65);
    char *again = NULL;
    char *fresh = NULL;
    {
        /* the token must match the rewritten file's times to get as far as ListParts */
        struct stat st;
        assert_int_equal(stat(src, &st), 0);
        char mtime[64];
        snprintf(mtime, sizeof(mtime), "mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        again = malloc(strlen(tok) + 64);
        const char *at = strstr(tok, "mtime ");
        const char *nl = strchr(at, '\n');
        sprintf(again, "%.*s%s%s", (int)(at - tok), tok, mtime, nl);
    }
    assert_int_equal(s_resume(&e, S3X_TRANSFER_PUT, "k", src, again, UINT64_MAX, &fresh, &m), S3X_ERR_S3_NO_SUCH_UPLOAD);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    free(again);
    free(upload_id);
    free(tok);
    s_env_clean_up(&e);
}

/* The object was replaced after the pause: the resumed download fails with OBJECT_CHANGED and
 * removes its temporary file; nothing appears at the destination. */
static void test_download_resume_object_changed(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst.bin", e.dir);
    s_put_pattern(&e, "obj", src, SIZE, 66);
    char *tok = NULL;
    struct s3x_transfer_metrics m;
    assert_int_equal(s_resume(&e, S3X_TRANSFER_GET, "obj", dst, NULL, SIZE / 2, &tok, &m), S3X_ERR_TRANSFER_PAUSED);
    char temp[256];
    s_token_field(tok, "temp", temp, sizeof(temp));
    s_put_pattern(&e, "obj", src, SIZE, 67);
    char *next = NULL;
    assert_int_equal(s_resume(&e, S3X_TRANSFER_GET, "obj", dst, tok, UINT64_MAX, &next, &m),
        S3X_ERR_TRANSFER_OBJECT_CHANGED);
    struct stat st;
    assert_int_not_equal(stat(temp, &st), 0);
    assert_int_not_equal(stat(dst, &st), 0);
    assert_int_equal(s3x_test_dir_entries(e.dir), 1); /* src only */
    /* the temporary file is gone: the token cannot be used again */
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = S3X_TRANSFER_GET;
    o.bucket = e.bucket;
    o.key = "obj";
    o.file_path = dst;
    o.resume_token = tok;
    struct s3x_transfer *t = NULL;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), S3X_ERR_NOT_FOUND);
    free(tok);
    s_env_clean_up(&e);
}

/* Paused after the first part, upload then download: resuming completes. */
static void test_pause_early(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst.bin", e.dir);
    s_put_pattern(&e, "obj", src, SIZE, 68);
    for (int kind = 0; kind < 2; ++kind) {
        char *tok = NULL;
        struct s3x_transfer_metrics m;
        enum s3x_transfer_kind k = kind == 0 ? S3X_TRANSFER_PUT : S3X_TRANSFER_GET;
        const char *file = kind == 0 ? src : dst;
        assert_int_equal(s_resume(&e, k, "again", file, NULL, 0, &tok, &m), S3X_ERR_TRANSFER_PAUSED);
        char *next = NULL;
        assert_int_equal(s_resume(&e, k, "again", file, tok, UINT64_MAX, &next, &m), 0);
        assert_int_equal(m.parts_done, PARTS);
        free(tok);
        if (kind == 0) {
            s_put_pattern(&e, "again", src, SIZE, 68); /* content for the download round */
        }
    }
    s3x_test_assert_pattern_file(dst, SIZE, 68);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    s_env_clean_up(&e);
}

/* Paused right after the start: the upload pauses wherever it got to (often before its multipart
 * upload exists: its token then names none and resuming sends everything); the download waits
 * for part 0 (the size and ETag a token needs) and pauses after it. */
static void test_pause_before_anything(void **state) {
    struct s_env e;
    s_env_init(&e, state);
    char src[128];
    char dst[128];
    snprintf(src, sizeof(src), "%s/src.bin", e.dir);
    snprintf(dst, sizeof(dst), "%s/dst.bin", e.dir);
    s_put_pattern(&e, "obj", src, SIZE, 69);
    for (int kind = 0; kind < 2; ++kind) {
        struct s3x_transfer_options o;
        s3x_transfer_options_init(&o);
        o.kind = kind == 0 ? S3X_TRANSFER_PUT : S3X_TRANSFER_GET;
        o.bucket = e.bucket;
        o.key = kind == 0 ? "early" : "obj";
        o.file_path = kind == 0 ? src : dst;
        struct s3x_transfer *t = NULL;
        assert_int_equal(s3x_transfer_start(e.client, &o, &t), 0);
        assert_int_equal(s3x_transfer_pause(t), 0);
        assert_int_equal(s3x_transfer_pause(t), 0); /* idempotent */
        assert_int_equal(s3x_transfer_wait(t, 300000), 0);
        assert_int_equal(s3x_transfer_result(t)->error, S3X_ERR_TRANSFER_PAUSED);
        char *tok = strdup(s3x_transfer_resume_token(t));
        struct s3x_transfer_metrics m;
        s3x_transfer_metrics(t, &m);
        t = s3x_transfer_release(t);
        if (kind == 0) {
            /* the event thread may or may not have created the upload before the pause came */
            if (strstr(tok, "upload-id") == NULL) {
                assert_int_equal(s_count_lines(tok, "part "), 0);
            }
        } else {
            assert_true(s_count_lines(tok, "part ") >= 1); /* part 0 at least */
        }
        char *next = NULL;
        assert_int_equal(s_resume(&e, o.kind, o.key, o.file_path, tok, UINT64_MAX, &next, &m), 0);
        assert_int_equal(m.parts_done, PARTS);
        assert_int_equal(m.parts_skipped, s_count_lines(tok, "part "));
        free(tok);
    }
    s3x_test_assert_pattern_file(dst, SIZE, 69);
    assert_int_equal(s3x_test_count_multipart_uploads(e.client, e.bucket), 0);
    s_env_clean_up(&e);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_upload_pause_resume_fresh_process),
        S3X_TEST(test_download_pause_resume_fresh_process),
        S3X_TEST(test_upload_pause_twice),
        S3X_TEST(test_upload_resume_resends_what_server_lacks),
        S3X_TEST(test_resume_refusals),
        S3X_TEST(test_download_resume_object_changed),
        S3X_TEST(test_pause_early),
        S3X_TEST(test_pause_before_anything),
    };
    return S3X_TEST_MAIN(argc, argv, "resume", tests);
}
