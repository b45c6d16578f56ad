/* s3xfer cp: plans the copies (one, or a tree with --recursive) and hands them to the job runner.
 *
 *   file  -> s3://b/k   upload (a DST ending in '/' or naming only the bucket gets the file's
 *                       name appended: cp a.txt s3://b/dir/ -> key dir/a.txt)
 *   -     -> s3://b/k   upload stdin, length unknown (the key must be given in full)
 *   s3://b/k -> file    download (into DIR/<last component of k> when DST is a directory or ends
 *                       in '/'); the directory must exist, as with cp(1)
 *   s3://b/k -> -       download to stdout, in order
 *   s3://b/k -> s3://c/k2  server-side copy of any size (the library's copy transfer: one
 *                       CopyObject below the multipart threshold, else UploadPartCopy of parts in
 *                       parallel); the source's content type and metadata go with it. A
 *                       HeadObject first checks the source and gives the progress total
 *
 * --recursive: a directory to a prefix (keys = prefix + path relative to the directory, '/'
 * separated), a prefix to a directory, a prefix to a prefix. "s3://b/dir" and "s3://b/dir/" are
 * the same prefix (keys under "dir/", so "dir2/x" is not included).
 *
 * Keys never escape the destination directory. A key whose part below the prefix is absolute,
 * or has an empty, "." or ".." component ("a//b", "./a", "../../etc/passwd") is refused with an
 * error (the other objects still download). Parent directories are created as needed, and each
 * one's real path (symlinks resolved) must lie inside the destination's, so a symlink planted in
 * the destination cannot redirect a download either. Keys ending in '/' (directory markers)
 * become directories. Directories created for downloads that then failed are removed again when
 * empty, so a failed run leaves no partial file and no stray directory.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct s_plan {
    struct cli_session *s;
    struct cli_job *jobs;
    size_t count;
    size_t cap;
    uint64_t total_bytes;
    bool total_known;
    int exit_code; /* the first failure found while planning */
    /* downloads: directories this run created (removed again if left empty) */
    char **dirs;
    size_t ndirs;
    size_t dirs_cap;
    char *real_root; /* realpath of the destination directory */
};

static struct cli_job *s_add(struct s_plan *p, enum cli_job_kind kind, uint64_t size) {
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 16 : p->cap * 2;
        struct cli_job *jobs = realloc(p->jobs, cap * sizeof(*jobs));
        if (jobs == NULL) {
            fputs("s3xfer: error: out of memory\n", stderr);
            exit(CLI_EXIT_FAILURE);
        }
        p->jobs = jobs;
        p->cap = cap;
    }
    struct cli_job *job = &p->jobs[p->count++];
    memset(job, 0, sizeof(*job));
    job->kind = kind;
    job->size = size;
    if (size == UINT64_MAX) {
        p->total_known = false;
    } else {
        p->total_bytes += size;
    }
    return job;
}

static void s_fail(struct s_plan *p, int code) {
    if (p->exit_code == 0) {
        p->exit_code = code;
    }
}

static void s_plan_clean_up(struct s_plan *p) {
    for (size_t i = 0; i < p->count; ++i) {
        cli_job_clean_up(&p->jobs[i]);
    }
    free(p->jobs);
    /* Directories this run created and nothing was written into (the downloads into them failed,
     * or the listing did): removed again, deepest first. rmdir fails harmlessly on the others. */
    for (size_t i = p->ndirs; i > 0; --i) {
        rmdir(p->dirs[i - 1]);
        free(p->dirs[i - 1]);
    }
    free(p->dirs);
    free(p->real_root);
}

/* The last path component, trailing slashes ignored ("a/b/" -> "b"). Returns a new string. */
static char *s_last_component(const char *path) {
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/') {
        --end;
    }
    size_t start = end;
    while (start > 0 && path[start - 1] != '/') {
        --start;
    }
    char *out = cli_calloc(1, end - start + 1);
    memcpy(out, path + start, end - start);
    return out;
}

static bool s_ends_with_slash(const char *s) {
    size_t n = strlen(s);
    return n > 0 && s[n - 1] == '/';
}

/* prefix + '/' + rel, without doubling the slash; an empty prefix gives rel. */
static char *s_join(const char *prefix, const char *rel) {
    if (prefix[0] == '\0') {
        return cli_strdup(rel);
    }
    return cli_strcat3(prefix, s_ends_with_slash(prefix) ? "" : "/", rel);
}

/* Runs the plan (or prints it with --dry-run). */
static int s_execute(struct s_plan *p) {
    struct cli_session *s = p->s;
    if (s->opt->dry_run) {
        for (size_t i = 0; i < p->count; ++i) {
            const struct cli_job *j = &p->jobs[i];
            const char *local = j->local_path != NULL ? j->local_path : j->kind == CLI_JOB_UPLOAD ? "stdin" : "stdout";
            if (j->kind == CLI_JOB_UPLOAD) {
                cli_say(s, "(dryrun) upload: %s to s3://%s/%s", local, j->bucket, j->key);
            } else if (j->kind == CLI_JOB_DOWNLOAD) {
                cli_say(s, "(dryrun) download: s3://%s/%s to %s", j->bucket, j->key, local);
            } else {
                cli_say(s, "(dryrun) copy: s3://%s/%s to s3://%s/%s", j->src_bucket, j->src_key, j->bucket, j->key);
            }
        }
        return p->exit_code;
    }
    if (p->count == 0) {
        return p->exit_code;
    }
    atomic_store(&s->progress.bytes_total, p->total_known ? p->total_bytes : UINT64_MAX);
    int rc = cli_run_jobs(s, p->jobs, p->count);
    return p->exit_code != 0 && rc != CLI_EXIT_INTERRUPTED ? p->exit_code : rc;
}

/* --- local side ----------------------------------------------------------------------------------- */

/* A local source must exist and be readable; returns 0 or the exit code after reporting. */
static int s_check_source(const char *path, struct stat *st) {
    if (stat(path, st) != 0) {
        int e = errno;
        return cli_report_errno(e == ENOENT || e == ENOTDIR ? CLI_EXIT_NOT_FOUND : CLI_EXIT_LOCAL_IO, e,
            "cannot read '%s'", path);
    }
    if (!S_ISDIR(st->st_mode)) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            return cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot read '%s'", path);
        }
        close(fd);
    }
    return 0;
}

/* The directory a download is written to must exist and be writable, as with cp(1). */
static int s_check_dest_dir(const char *file_path) {
    char *copy = cli_strdup(file_path);
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy) {
        dir = "/";
    } else if (slash != NULL) {
        *slash = '\0';
        dir = copy;
    }
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) != 0) {
        rc = cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot write '%s': directory '%s'", file_path, dir);
    } else if (!S_ISDIR(st.st_mode)) {
        rc = cli_report_errno(CLI_EXIT_LOCAL_IO, ENOTDIR, "cannot write '%s': '%s'", file_path, dir);
    } else if (access(dir, W_OK | X_OK) != 0) {
        rc = cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot write '%s': directory '%s'", file_path, dir);
    }
    free(copy);
    return rc;
}

static void s_track_dir(struct s_plan *p, const char *path) {
    if (p->ndirs == p->dirs_cap) {
        p->dirs_cap = p->dirs_cap == 0 ? 16 : p->dirs_cap * 2;
        char **dirs = realloc(p->dirs, p->dirs_cap * sizeof(*dirs));
        if (dirs == NULL) {
            fputs("s3xfer: error: out of memory\n", stderr);
            exit(CLI_EXIT_FAILURE);
        }
        p->dirs = dirs;
    }
    p->dirs[p->ndirs++] = cli_strdup(path);
}

/* mkdir of one level; `track`: remember it for removal when it ends up empty. 0 or an errno. */
static int s_mkdir_one(struct s_plan *p, const char *path, bool track) {
    if (mkdir(path, 0777) == 0) {
        if (track) {
            s_track_dir(p, path);
        }
        return 0;
    }
    struct stat st;
    if (errno == EEXIST) {
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    }
    return errno;
}

/* mkdir -p; returns 0 or an errno. */
static int s_mkdirs(struct s_plan *p, const char *path, bool track) {
    char *copy = cli_strdup(path);
    int e = 0;
    for (char *q = copy + 1; *q != '\0' && e == 0; ++q) {
        if (*q == '/' && q[-1] != '/') {
            *q = '\0';
            e = s_mkdir_one(p, copy, track);
            *q = '/';
        }
    }
    if (e == 0) {
        e = s_mkdir_one(p, copy, track);
    }
    free(copy);
    return e;
}

/* --- uploads -------------------------------------------------------------------------------------- */

static int s_upload_one(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    if (src->kind == CLI_LOC_STDIO) {
        if (dst->key[0] == '\0' || s_ends_with_slash(dst->key)) {
            return cli_usage_error("cp - %s: stdin has no name; give the whole key (s3://%s/%sNAME)", dst->text,
                dst->bucket, dst->key);
        }
        struct cli_job *job = s_add(p, CLI_JOB_UPLOAD, UINT64_MAX);
        job->bucket = cli_strdup(dst->bucket);
        job->key = cli_strdup(dst->key);
        return 0;
    }
    struct stat st;
    int rc = s_check_source(src->text, &st);
    if (rc != 0) {
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        return cli_usage_error("cp: '%s' is a directory (use --recursive to copy a tree)", src->text);
    }
    struct cli_job *job = s_add(p, CLI_JOB_UPLOAD, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX);
    job->local_path = cli_strdup(src->text);
    job->bucket = cli_strdup(dst->bucket);
    if (dst->key[0] == '\0' || s_ends_with_slash(dst->key)) {
        char *name = s_last_component(src->text);
        job->key = cli_strcat3(dst->key, name, "");
        free(name);
    } else {
        job->key = cli_strdup(dst->key);
    }
    return 0;
}

static int s_compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void s_walk(struct s_plan *p, const char *dir, const char *rel, const struct cli_location *dst,
    const char *prefix);

static void s_walk_entry(struct s_plan *p, const char *path, const char *rel, const struct cli_location *dst,
    const char *prefix) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        s_fail(p, cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot read '%s'", path));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        s_walk(p, path, rel, dst, prefix);
        return;
    }
    if (S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
        fprintf(stderr, "s3xfer: warning: skipping '%s': a dangling symbolic link\n", path);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "s3xfer: warning: skipping '%s': %s\n", path,
            S_ISDIR(st.st_mode) ? "a symbolic link to a directory" : "not a regular file");
        return;
    }
    char *key = cli_strcat3(prefix, rel, "");
    if (strlen(key) > 1024) {
        s_fail(p, cli_usage_error("cp: '%s': the key would be longer than S3's limit of 1024 bytes", path));
        free(key);
        return;
    }
    if (access(path, R_OK) != 0) {
        s_fail(p, cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot read '%s'", path));
        free(key);
        return;
    }
    struct cli_job *job = s_add(p, CLI_JOB_UPLOAD, (uint64_t)st.st_size);
    job->local_path = cli_strdup(path);
    job->bucket = cli_strdup(dst->bucket);
    job->key = key;
}

static void s_walk(struct s_plan *p, const char *dir, const char *rel, const struct cli_location *dst,
    const char *prefix) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        s_fail(p, cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot read directory '%s'", dir));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap == 0 ? 32 : cap * 2;
            char **grown = realloc(names, cap * sizeof(*names));
            if (grown == NULL) {
                fputs("s3xfer: error: out of memory\n", stderr);
                exit(CLI_EXIT_FAILURE);
            }
            names = grown;
        }
        names[n++] = cli_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), s_compare_names); /* keys in a stable, sorted order */
    for (size_t i = 0; i < n; ++i) {
        char *path = s_join(dir, names[i]);
        char *sub = rel[0] == '\0' ? cli_strdup(names[i]) : cli_strcat3(rel, "/", names[i]);
        s_walk_entry(p, path, sub, dst, prefix);
        free(sub);
        free(path);
        free(names[i]);
    }
    free(names);
}

static int s_upload_tree(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    struct stat st;
    int rc = s_check_source(src->text, &st);
    if (rc != 0) {
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        return cli_usage_error("cp --recursive: '%s' is not a directory (drop --recursive to copy one file)",
            src->text);
    }
    char *prefix = dst->key[0] == '\0' || s_ends_with_slash(dst->key) ? cli_strdup(dst->key)
                                                                        : cli_strcat3(dst->key, "/", "");
    s_walk(p, src->text, "", dst, prefix);
    free(prefix);
    return 0;
}

/* --- downloads ------------------------------------------------------------------------------------ */

static int s_download_one(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    if (src->key[0] == '\0' || s_ends_with_slash(src->key)) {
        return cli_usage_error("cp: '%s' names no object (add --recursive to copy everything under the prefix)",
            src->text);
    }
    if (dst->kind == CLI_LOC_STDIO) {
        struct cli_job *job = s_add(p, CLI_JOB_DOWNLOAD, UINT64_MAX);
        job->bucket = cli_strdup(src->bucket);
        job->key = cli_strdup(src->key);
        p->s->stdout_is_data = true;
        return 0;
    }
    struct stat st;
    char *path;
    if (s_ends_with_slash(dst->text) || (stat(dst->text, &st) == 0 && S_ISDIR(st.st_mode))) {
        char *name = s_last_component(src->key);
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            int rc = cli_usage_error("cp: the key '%s' ends in '%s', which cannot be a file name; name the "
                                     "destination file",
                src->key, name);
            free(name);
            return rc;
        }
        path = s_join(dst->text, name);
        free(name);
    } else {
        path = cli_strdup(dst->text);
    }
    int rc = s_check_dest_dir(path);
    if (rc != 0) {
        free(path);
        return rc;
    }
    struct cli_job *job = s_add(p, CLI_JOB_DOWNLOAD, UINT64_MAX);
    job->local_path = path;
    job->bucket = cli_strdup(src->bucket);
    job->key = cli_strdup(src->key);
    return 0;
}

/* Why `rel` (a key below the prefix) cannot be a path below the destination, or NULL. */
static const char *s_unsafe_relative(const char *rel) {
    if (rel[0] == '/') {
        return "it is an absolute path";
    }
    const char *c = rel;
    for (;;) {
        const char *end = strchr(c, '/');
        size_t len = end != NULL ? (size_t)(end - c) : strlen(c);
        if (len == 0) {
            return "it has an empty path component ('//')";
        }
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            return "it has a '..' component";
        }
        if (len == 1 && c[0] == '.') {
            return "it has a '.' component";
        }
        if (end == NULL) {
            return NULL;
        }
        c = end + 1;
    }
}

/* Makes the parent directories of `path` and checks they resolve inside the destination. */
static int s_prepare_parent(struct s_plan *p, const char *path, const char *dir) {
    int e = s_mkdirs(p, dir, true);
    if (e != 0) {
        return cli_report_errno(CLI_EXIT_LOCAL_IO, e, "cannot create directory '%s' for '%s'", dir, path);
    }
    char *real = realpath(dir, NULL);
    size_t n = strlen(p->real_root);
    bool inside = real != NULL && strncmp(real, p->real_root, n) == 0 &&
                  (real[n] == '\0' || real[n] == '/' || strcmp(p->real_root, "/") == 0);
    free(real);
    if (!inside) {
        return cli_report_line(CLI_EXIT_LOCAL_IO,
            "refusing to write '%s': its directory resolves outside the destination (a symbolic link?)", path);
    }
    return 0;
}

struct s_listing {
    struct s_plan *p;
    const struct cli_location *src;
    const struct cli_location *dst;
    const char *prefix; /* listed prefix, "" or ending in '/' */
};

static void s_plan_download_key(struct s_listing *l, const struct s3x_object_info *o) {
    struct s_plan *p = l->p;
    const char *rel = o->key + strlen(l->prefix);
    if (rel[0] == '\0') {
        return; /* the prefix's own directory marker */
    }
    bool marker = s_ends_with_slash(rel);
    char *trimmed = cli_strdup(rel);
    if (marker) {
        trimmed[strlen(trimmed) - 1] = '\0';
    }
    const char *why = s_unsafe_relative(trimmed);
    if (why != NULL) {
        s_fail(p, cli_report_line(CLI_EXIT_FAILURE, "refusing to download s3://%s/%s into '%s': %s", l->src->bucket,
                      o->key, l->dst->text, why));
        free(trimmed);
        return;
    }
    char *path = s_join(l->dst->text, trimmed);
    free(trimmed);
    if (marker) {
        if (!p->s->opt->dry_run) {
            int e = s_mkdirs(p, path, false); /* directories of markers stay, even empty */
            if (e != 0) {
                s_fail(p, cli_report_errno(CLI_EXIT_LOCAL_IO, e, "cannot create directory '%s'", path));
            }
        }
        free(path);
        return;
    }
    struct cli_job *job = s_add(p, CLI_JOB_DOWNLOAD, o->size);
    job->local_path = path;
    job->bucket = cli_strdup(l->src->bucket);
    job->key = cli_strdup(o->key);
}

static void s_plan_copy_key(struct s_listing *l, const struct s3x_object_info *o) {
    struct s_plan *p = l->p;
    const char *rel = o->key + strlen(l->prefix);
    char *key = cli_strcat3(l->dst->key, l->dst->key[0] == '\0' || s_ends_with_slash(l->dst->key) ? "" : "/", rel);
    if (key[0] == '\0') {
        free(key);
        return;
    }
    struct cli_job *job = s_add(p, CLI_JOB_COPY, o->size);
    job->src_bucket = cli_strdup(l->src->bucket);
    job->src_key = cli_strdup(o->key);
    job->bucket = cli_strdup(l->dst->bucket);
    job->key = key;
}

static int s_on_page(struct s3x_client *client, struct s3x_list_result *page, void *user_data) {
    (void)client;
    struct s_listing *l = user_data;
    for (size_t i = 0; i < page->objects_count; ++i) {
        if (l->dst->kind == CLI_LOC_S3) {
            s_plan_copy_key(l, &page->objects[i]);
        } else {
            s_plan_download_key(l, &page->objects[i]);
        }
    }
    return cli_interrupted() ? S3X_ERR_CANCELED : 0;
}

/* Lists everything under the source prefix into the plan (downloads or copies). */
static int s_list_tree(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    char *prefix = src->key[0] == '\0' || s_ends_with_slash(src->key) ? cli_strdup(src->key)
                                                                        : cli_strcat3(src->key, "/", "");
    int rc = cli_session_connect(p->s);
    if (rc != 0) {
        free(prefix);
        return rc;
    }
    struct s_listing l = {.p = p, .src = src, .dst = dst, .prefix = prefix};
    struct s3x_object_list_options o = {.bucket = src->bucket, .prefix = prefix};
    struct s3x_op_result r;
    rc = s3x_object_list_all_sync(p->s->client, &o, s_on_page, &l, &r);
    if (rc != 0) {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &r.s3_error, &view);
        rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "list s3://%s/%s", src->bucket, prefix);
    }
    s3x_op_result_clean_up(&r);
    free(prefix);
    return rc;
}

static int s_download_tree(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    int rc = cli_session_connect(p->s); /* before making directories for nothing */
    if (rc != 0) {
        return rc;
    }
    if (!p->s->opt->dry_run) {
        struct stat st;
        if (stat(dst->text, &st) == 0 && !S_ISDIR(st.st_mode)) {
            return cli_report_errno(CLI_EXIT_LOCAL_IO, ENOTDIR, "cp --recursive: cannot write into '%s'", dst->text);
        }
        int e = s_mkdirs(p, dst->text, true);
        if (e != 0) {
            return cli_report_errno(CLI_EXIT_LOCAL_IO, e, "cp --recursive: cannot create directory '%s'", dst->text);
        }
        p->real_root = realpath(dst->text, NULL);
        if (p->real_root == NULL) {
            return cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cp --recursive: cannot resolve '%s'", dst->text);
        }
    }
    rc = s_list_tree(p, src, dst);
    if (rc != 0 || p->s->opt->dry_run) {
        return rc;
    }
    size_t keep = 0;
    for (size_t i = 0; i < p->count; ++i) {
        struct cli_job *job = &p->jobs[i];
        char *dir = cli_strdup(job->local_path);
        *strrchr(dir, '/') = '\0';
        int e = s_prepare_parent(p, job->local_path, dir);
        free(dir);
        struct stat st;
        if (e == 0 && stat(job->local_path, &st) == 0 && S_ISDIR(st.st_mode)) {
            /* keys "x" and "x/y" both under the prefix: "x" cannot be a file and a directory */
            e = cli_report_errno(CLI_EXIT_LOCAL_IO, EISDIR, "cannot download s3://%s/%s to '%s'", job->bucket,
                job->key, job->local_path);
        }
        if (e != 0) {
            s_fail(p, e);
            cli_job_clean_up(job);
            continue;
        }
        if (keep != i) {
            p->jobs[keep] = *job;
            memset(job, 0, sizeof(*job));
        }
        ++keep;
    }
    p->count = keep;
    return 0;
}

/* --- server-side copies --------------------------------------------------------------------------- */

/* The source must exist (also for --dry-run); its size is the progress display's total from the
 * start (the transfer's own HeadObject tells nothing until the first part is copied). Returns 0
 * or the exit code after reporting. */
static int s_check_remote_source(struct s_plan *p, const struct cli_location *src, uint64_t *size) {
    int rc = cli_session_connect(p->s);
    if (rc != 0) {
        return rc;
    }
    struct s3x_object_head_options h = {.bucket = src->bucket, .key = src->key};
    struct s3x_object_result r;
    rc = s3x_object_head_sync(p->s->client, &h, &r);
    *size = r.info.size;
    if (rc != 0) {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &r.s3_error, &view);
        rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "copy %s: reading the source", src->text);
    }
    s3x_object_result_clean_up(&r);
    return rc;
}

static int s_copy_one(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    if (src->key[0] == '\0' || s_ends_with_slash(src->key)) {
        return cli_usage_error("cp: '%s' names no object (add --recursive to copy everything under the prefix)",
            src->text);
    }
    char *key;
    if (dst->key[0] == '\0' || s_ends_with_slash(dst->key)) {
        char *name = s_last_component(src->key);
        key = cli_strcat3(dst->key, name, "");
        free(name);
    } else {
        key = cli_strdup(dst->key);
    }
    if (strcmp(src->bucket, dst->bucket) == 0 && strcmp(src->key, key) == 0) {
        free(key);
        return cli_usage_error("cp: source and destination are the same object (%s)", src->text);
    }
    uint64_t size = 0;
    int rc = s_check_remote_source(p, src, &size);
    if (rc != 0) {
        free(key);
        return rc;
    }
    struct cli_job *job = s_add(p, CLI_JOB_COPY, size);
    job->src_bucket = cli_strdup(src->bucket);
    job->src_key = cli_strdup(src->key);
    job->bucket = cli_strdup(dst->bucket);
    job->key = key;
    return 0;
}

/* --- the command ---------------------------------------------------------------------------------- */

/* --resume-file: an existing file holds the token of the paused transfer; none means a fresh
 * start. A token is a few lines per part: 4 MiB is far more than 10,000 parts need. */
static int s_read_resume_file(const char *path, struct cli_job *job) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? 0 : cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot read the resume file '%s'", path);
    }
    size_t cap = (size_t)4 << 20;
    char *token = cli_calloc(1, cap + 1);
    size_t n = fread(token, 1, cap + 1, f);
    int e = ferror(f) ? errno : 0;
    fclose(f);
    if (e != 0 || n > cap) {
        free(token);
        return e != 0 ? cli_report_errno(CLI_EXIT_LOCAL_IO, e, "cannot read the resume file '%s'", path)
                      : cli_usage_error("cp: the resume file '%s' is too large to be a resume token", path);
    }
    token[n] = '\0';
    job->resume_token = token;
    return 0;
}

static int s_plan(struct s_plan *p, const struct cli_location *src, const struct cli_location *dst) {
    bool recursive = p->s->opt->recursive;
    if (src->kind == CLI_LOC_S3 && dst->kind == CLI_LOC_S3) {
        return recursive ? s_list_tree(p, src, dst) : s_copy_one(p, src, dst);
    }
    if (dst->kind == CLI_LOC_S3) {
        return recursive ? s_upload_tree(p, src, dst) : s_upload_one(p, src, dst);
    }
    return recursive ? s_download_tree(p, src, dst) : s_download_one(p, src, dst);
}

int cli_cmd_cp(struct cli_session *s) {
    const struct cli_options *opt = s->opt;
    char err[512];
    struct cli_location src, dst;
    if (cli_location_parse(opt->args[0], false, &src, err, sizeof(err)) != 0) {
        return cli_usage_error("cp: %s", err);
    }
    if (cli_location_parse(opt->args[1], false, &dst, err, sizeof(err)) != 0) {
        cli_location_clean_up(&src);
        return cli_usage_error("cp: %s", err);
    }
    int rc = 0;
    if (src.kind != CLI_LOC_S3 && dst.kind != CLI_LOC_S3) {
        rc = cli_usage_error("cp: at least one of SRC and DST must be an s3:// URL (got '%s' and '%s')", src.text,
            dst.text);
    } else if (opt->recursive && (src.kind == CLI_LOC_STDIO || dst.kind == CLI_LOC_STDIO)) {
        rc = cli_usage_error("cp: --recursive cannot read from stdin or write to stdout");
    } else if (opt->content_type != NULL && (dst.kind != CLI_LOC_S3 || src.kind == CLI_LOC_S3)) {
        rc = cli_usage_error("cp: --content-type applies to uploads only (a server-side copy keeps the source's)");
    }
    if (rc == 0 && opt->resume_file != NULL &&
        (opt->recursive || src.kind == CLI_LOC_STDIO || dst.kind == CLI_LOC_STDIO ||
            (src.kind == CLI_LOC_S3 && dst.kind == CLI_LOC_S3))) {
        rc = cli_usage_error("cp: --resume-file applies to the upload or download of one file (not --recursive, "
                             "stdin/stdout or s3->s3)");
    }
    if (rc == 0) {
        struct s_plan plan = {.s = s, .total_known = true};
        rc = s_plan(&plan, &src, &dst);
        if (rc == 0 && opt->resume_file != NULL && plan.count == 1) {
            rc = s_read_resume_file(opt->resume_file, &plan.jobs[0]);
        }
        if (rc == 0) {
            rc = s_execute(&plan);
        }
        s_plan_clean_up(&plan);
    }
    cli_location_clean_up(&src);
    cli_location_clean_up(&dst);
    return rc;
}
