/* The job runner: runs a list of uploads, downloads, copies and deletes on the session's client, a few at a time,
 * and waits for them on the main thread. Uploads, downloads and server-side copies are library
 * transfers (S3X_TRANSFER_PUT, _GET, _COPY: progress, metrics and cancel work the same for all
 * three); deletes are single DeleteObject calls.
 *
 * Threads. Transfers call back on the client's threads: on_progress and on_done on the event
 * thread, the stdin/stdout callbacks on an I/O thread. on_progress adds to the progress atomics;
 * on_done marks the job finished and signals the runner's condition variable. Everything else
 * (starting, collecting results, printing, drawing progress) happens on the main thread, which
 * waits on that condition with a 100 ms timeout so that it also redraws progress and notices
 * SIGINT promptly.
 *
 * Concurrency. Each transfer already moves its parts in parallel; running several transfers at
 * once matters for many small files. At most min(8, max(2, connections / 2)) run together; all
 * of them draw from the one pool, so the memory limit holds for the sum. Example: 1,000 files of
 * 100 KiB with 16 connections run 8 at a time.
 *
 * Failures. A failed object is reported (one line) and the others go on; the exit code is that of
 * the first failure. On SIGINT/SIGTERM every running transfer is cancelled (the library deletes
 * partial files and aborts multipart uploads), no new one starts, and the result is 130 -- except
 * with --resume-file, where the one transfer is paused instead: its token goes to that file (a
 * temporary file renamed over it), and the same command later resumes from it; the file is
 * removed once the transfer succeeds.
 *
 * stdin and stdout. Reads and writes poll with a 200 ms timeout, and writes to a pipe go
 * PIPE_BUF bytes at a time, so that an interrupted run never hangs on a silent pipe; a download to stdout receives parts in order (the library bounds the
 * parts waiting for their turn, and their memory counts against the limit).
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_WAIT_TICK_MS 100
#define S_MAX_ACTIVE 8

struct cli_runner {
    struct cli_session *s;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool signalled;   /* under lock: a job finished since the main thread last looked */
    bool single;      /* one job: its size, once known, is the progress total */
    bool last;        /* the job being collected is the run's last */
};

void cli_job_clean_up(struct cli_job *job) {
    free(job->local_path);
    free(job->bucket);
    free(job->key);
    free(job->src_bucket);
    free(job->src_key);
    free(job->resume_token);
    job->local_path = job->bucket = job->key = job->src_bucket = job->src_key = job->resume_token = NULL;
    job->transfer = s3x_transfer_release(job->transfer);
    s3x_op_result_clean_up(&job->delete_result);
}

/* --- callbacks (client threads) ---------------------------------------------------------------- */

static void s_on_progress(struct s3x_transfer *t, uint64_t done, uint64_t total, void *user_data) {
    (void)t;
    struct cli_job *job = user_data;
    struct cli_progress *p = &job->runner->s->progress;
    uint64_t prev = atomic_exchange(&job->reported, done);
    if (done > prev) {
        atomic_fetch_add(&p->bytes_done, done - prev);
    }
    if (job->runner->single && total != S3X_TRANSFER_SIZE_UNKNOWN) {
        atomic_store(&p->bytes_total, total);
    }
}

static void s_on_done(struct s3x_transfer *t, const struct s3x_transfer_result *r, void *user_data) {
    (void)t;
    (void)r;
    struct cli_job *job = user_data;
    struct cli_runner *runner = job->runner;
    pthread_mutex_lock(&runner->lock);
    atomic_store(&job->finished, true);
    runner->signalled = true;
    pthread_cond_signal(&runner->cond);
    pthread_mutex_unlock(&runner->lock);
}

/* Waits until fd is ready for `events`; 0, or S3X_ERR_CANCELED when the run is interrupted. */
static int s_wait_fd(int fd, short events) {
    for (;;) {
        if (cli_interrupted()) {
            return S3X_ERR_CANCELED;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, 200);
        if (n > 0 || (n < 0 && errno != EINTR)) {
            return 0; /* ready, or an error the read/write itself will report */
        }
    }
}

static int s_errno_error(int e) {
    return e == ENOSPC || e == EDQUOT ? S3X_ERR_DISK_FULL : e == EACCES || e == EPERM ? S3X_ERR_PERMISSION : S3X_ERR_IO;
}

static int s_read_stdin(struct s3x_transfer *t, uint8_t *buffer, size_t capacity, size_t *out_len, void *user_data) {
    (void)t;
    struct cli_job *job = user_data;
    *out_len = 0;
    for (;;) {
        int rc = s_wait_fd(STDIN_FILENO, POLLIN);
        if (rc != 0) {
            return rc;
        }
        ssize_t n = read(STDIN_FILENO, buffer, capacity);
        if (n >= 0) {
            *out_len = (size_t)n;
            return 0;
        }
        if (errno != EINTR && errno != EAGAIN) {
            job->io_errno = errno;
            return s_errno_error(errno);
        }
    }
}

static int s_write_stdout(struct s3x_transfer *t, const uint8_t *data, size_t len, uint64_t offset, void *user_data) {
    (void)t;
    struct cli_job *job = user_data;
    if (offset != job->written) {
        return S3X_ERR_INVALID_STATE; /* the library delivers in order; never happens */
    }
    /* On a pipe, socket or terminal, POLLOUT promises room for PIPE_BUF bytes only: a larger
     * blocking write could block for good (a reader that stopped reading), out of reach of the
     * interrupt check. Regular files and block devices never block that way. */
    struct stat st;
    size_t chunk = fstat(STDOUT_FILENO, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ? SIZE_MAX
                                                                                                   : PIPE_BUF;
    while (len > 0) {
        int rc = s_wait_fd(STDOUT_FILENO, POLLOUT);
        if (rc != 0) {
            return rc;
        }
        ssize_t n = write(STDOUT_FILENO, data, len < chunk ? len : chunk);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            job->io_errno = errno;
            return s_errno_error(errno);
        }
        data += n;
        len -= (size_t)n;
        job->written += (uint64_t)n;
    }
    return 0;
}

/* --- main thread ------------------------------------------------------------------------------- */

static const char *s_local_name(const struct cli_job *job) {
    return job->local_path != NULL ? job->local_path : job->kind == CLI_JOB_UPLOAD ? "stdin" : "stdout";
}

static void s_on_delete_done(struct s3x_client *client, struct s3x_op_result *result, void *user_data) {
    (void)client;
    struct cli_job *job = user_data;
    job->delete_result = *result;
    memset(result, 0, sizeof(*result));
    s_on_done(NULL, NULL, job);
}

static int s_start_transfer(struct cli_session *s, struct cli_job *job) {
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.bucket = job->bucket;
    o.key = job->key;
    o.file_path = job->local_path;
    if (job->kind == CLI_JOB_COPY) {
        /* The source's content type, metadata and standard headers go with it. */
        o.kind = S3X_TRANSFER_COPY;
        o.source_bucket = job->src_bucket;
        o.source_key = job->src_key;
    } else if (job->kind == CLI_JOB_UPLOAD) {
        o.kind = S3X_TRANSFER_PUT;
        o.read = job->local_path == NULL ? s_read_stdin : NULL;
        /* S3's own default when none is given; sent explicitly so that every server records the
         * same type (OpenStack Swift otherwise gives multipart objects the type of the
         * CompleteMultipartUpload request, application/xml). */
        o.content_type = s->opt->content_type != NULL ? s->opt->content_type : "binary/octet-stream";
    } else {
        o.kind = S3X_TRANSFER_GET;
        o.write = job->local_path == NULL ? s_write_stdout : NULL;
    }
    o.resume_token = job->resume_token;
    o.on_progress = s_on_progress;
    o.on_done = s_on_done;
    o.user_data = job;
    return s3x_transfer_start(s->client, &o, &job->transfer);
}

/* The line that names a job in messages: "upload ./a to s3://b/a". */
static void s_describe(const struct cli_job *job, char *out, size_t size) {
    switch (job->kind) {
    case CLI_JOB_UPLOAD:
        snprintf(out, size, "upload %s to s3://%s/%s", s_local_name(job), job->bucket, job->key);
        break;
    case CLI_JOB_DOWNLOAD:
        snprintf(out, size, "download s3://%s/%s to %s", job->bucket, job->key, s_local_name(job));
        break;
    case CLI_JOB_COPY:
        snprintf(out, size, "copy s3://%s/%s to s3://%s/%s", job->src_bucket, job->src_key, job->bucket, job->key);
        break;
    case CLI_JOB_DELETE:
        snprintf(out, size, "delete s3://%s/%s", job->bucket, job->key);
        break;
    }
}

static int s_start(struct cli_runner *r, struct cli_job *job) {
    struct cli_session *s = r->s;
    job->runner = r;
    atomic_init(&job->reported, 0);
    atomic_init(&job->finished, false);
    int rc;
    if (job->kind == CLI_JOB_DELETE) {
        struct s3x_object_delete_options o = {.bucket = job->bucket, .key = job->key};
        rc = s3x_object_delete(s->client, &o, s_on_delete_done, job);
    } else {
        rc = s_start_transfer(s, job);
    }
    if (rc == 0) {
        return 0;
    }
    job->transfer = NULL;
    char what[2200];
    s_describe(job, what, sizeof(what));
    const char *why = job->kind == CLI_JOB_UPLOAD     ? ": cannot read the source"
                      : job->kind == CLI_JOB_DOWNLOAD ? ": cannot create the destination"
                                                      : "";
    if (job->resume_token != NULL) {
        why = rc == S3X_ERR_TRANSFER_OBJECT_CHANGED ? ": the source changed since the pause (delete the resume file "
                                                      "to start afresh)"
              : rc == S3X_ERR_INVALID_ARGUMENT      ? ": the resume file does not describe this transfer (delete it "
                                                      "to start afresh)"
              : job->kind == CLI_JOB_DOWNLOAD       ? ": the paused download's temporary file is gone (delete the "
                                                      "resume file to start afresh)"
                                                    : why;
    }
    job->exit_code = cli_report(rc, CLI_SIDE_LOCAL, NULL, "%s%s", what, why);
    cli_stats_add(s, NULL, false, 0);
    return job->exit_code;
}

/* The outcome of a finished job: its error, and a result view for the report. */
static int s_outcome(struct cli_job *job, struct s3x_transfer_result *view, struct s3x_transfer_metrics *m,
    uint64_t *bytes) {
    memset(m, 0, sizeof(*m));
    *bytes = 0;
    if (job->kind == CLI_JOB_DELETE) {
        cli_result_from_s3_error(job->delete_result.error, &job->delete_result.s3_error, view);
        m->requests = 1;
        return job->delete_result.error;
    }
    s3x_transfer_wait(job->transfer, UINT64_MAX); /* on_done has run; this returns at once */
    *view = *s3x_transfer_result(job->transfer);
    s3x_transfer_metrics(job->transfer, m);
    *bytes = view->object_size;
    return view->error;
}

/* A failed copy: the step the library names ("HeadObject of the source s3://a/k failed"), so that
 * a missing bucket or key says which side it is on. The library's message reads
 * "copy to s3://BUCKET/KEY: STEP: ERROR[ (code, HTTP n, ...)]"; anything else adds nothing. */
static void s_copy_step(const struct cli_job *job, const struct s3x_transfer_result *r, int error, char *out,
    size_t size) {
    char prefix[1200];
    snprintf(prefix, sizeof(prefix), "copy to s3://%s/%s: ", job->bucket, job->key);
    size_t n = strlen(prefix);
    if (r->message == NULL || strncmp(r->message, prefix, n) != 0) {
        return;
    }
    const char *step = r->message + n;
    char tail[300];
    snprintf(tail, sizeof(tail), ": %s", s3x_error_str(error));
    const char *end = strstr(step, tail);
    if (end != NULL && end > step) {
        snprintf(out, size, ": %.*s", (int)(end - step), step);
    }
}

/* --resume-file: the token, written next to the file and renamed over it, so that an interrupted
 * write never leaves half a token. Returns 0 or an errno. */
static int s_save_token(const char *path, const char *token) {
    size_t n = strlen(path);
    char *temp = cli_calloc(1, n + 16);
    snprintf(temp, n + 16, "%s.tmp", path);
    FILE *f = fopen(temp, "w");
    int e = f == NULL ? errno : 0;
    if (f != NULL) {
        size_t len = strlen(token);
        e = fwrite(token, 1, len, f) == len ? 0 : errno;
        if (fclose(f) != 0 && e == 0) {
            e = errno;
        }
        if (e == 0 && rename(temp, path) != 0) {
            e = errno;
        }
        if (e != 0) {
            unlink(temp);
        }
    }
    free(temp);
    return e;
}

/* A paused job: its token saved, one line saying how to go on. */
static int s_paused(struct cli_session *s, struct cli_job *job, const struct s3x_transfer_metrics *m,
    const char *what) {
    const char *token = s3x_transfer_resume_token(job->transfer);
    int e = token != NULL ? s_save_token(s->opt->resume_file, token) : EINVAL;
    cli_progress_clear(&s->progress);
    if (e != 0) {
        return cli_report_errno(CLI_EXIT_LOCAL_IO, e, "%s: paused, but the resume file '%s' cannot be written", what,
            s->opt->resume_file);
    }
    s->paused = true;
    fprintf(stderr, "s3xfer: %s: paused with %llu of %llu parts done; run the same command to resume (state in %s)\n",
        what, (unsigned long long)m->parts_done, (unsigned long long)m->parts_total, s->opt->resume_file);
    return CLI_EXIT_INTERRUPTED;
}

static int s_collect(struct cli_runner *r, struct cli_job *job) {
    struct cli_session *s = r->s;
    struct s3x_transfer_result res;
    struct s3x_transfer_metrics m;
    uint64_t bytes;
    int error = s_outcome(job, &res, &m, &bytes);
    char what[2200];
    s_describe(job, what, sizeof(what));
    if (error == 0) {
        atomic_fetch_add(&s->progress.objects_done, 1);
    }
    if (r->last) {
        cli_progress_finish(&s->progress); /* the summary line before the last object's line */
    }
    if (error == 0) {
        cli_stats_add(s, &m, true, bytes);
        if (s->opt->resume_file != NULL && unlink(s->opt->resume_file) != 0 && errno != ENOENT) {
            cli_report_errno(CLI_EXIT_LOCAL_IO, errno, "cannot remove the resume file '%s'", s->opt->resume_file);
        }
        char *space = strchr(what, ' '); /* "upload ./a to ..." -> "upload: ./a to ..." */
        *space = '\0';
        cli_say(s, "%s: %s", what, space + 1);
        if (m.parts_skipped > 0) {
            cli_say(s, "resumed: %llu of %llu parts were already done", (unsigned long long)m.parts_skipped,
                (unsigned long long)m.parts_total);
        }
        job->exit_code = 0;
    } else if (error == S3X_ERR_TRANSFER_PAUSED) {
        cli_stats_add(s, &m, false, 0);
        job->exit_code = s_paused(s, job, &m, what);
    } else if (error == S3X_ERR_CANCELED && cli_interrupted()) {
        cli_stats_add(s, &m, false, 0);
        job->exit_code = CLI_EXIT_INTERRUPTED; /* one "interrupted" line for the whole run, from main */
    } else {
        cli_stats_add(s, &m, false, 0);
        cli_progress_clear(&s->progress);
        char local[1200] = "";
        if (job->io_errno != 0) {
            snprintf(local, sizeof(local), " (%s %s: %s)", job->kind == CLI_JOB_UPLOAD ? "reading" : "writing",
                s_local_name(job), strerror(job->io_errno));
        } else if (job->kind == CLI_JOB_COPY) {
            s_copy_step(job, &res, error, local, sizeof(local));
        }
        job->exit_code = cli_report(error, CLI_SIDE_LOCAL, &res, "%s%s", what, local);
        if (s->opt->resume_file != NULL) {
            /* The failure aborted the multipart upload or removed the temporary file: the state
             * a token would name is gone, and the next run starts afresh. */
            unlink(s->opt->resume_file);
        }
    }
    job->transfer = s3x_transfer_release(job->transfer);
    s3x_op_result_clean_up(&job->delete_result);
    return job->exit_code;
}

static void s_wait(struct cli_runner *r) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += (long)S_WAIT_TICK_MS * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    while (!r->signalled && !cli_interrupted()) {
        if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) != 0) {
            break;
        }
    }
    r->signalled = false;
    pthread_mutex_unlock(&r->lock);
}

static size_t s_max_active(const struct cli_session *s, size_t count) {
    uint32_t conns = s->opt->max_connections != 0 ? s->opt->max_connections : 16;
    size_t n = conns / 2 < 2 ? 2 : conns / 2;
    n = n > S_MAX_ACTIVE ? S_MAX_ACTIVE : n;
    return n < count ? n : count;
}

static void s_first(int *exit_code, int code) {
    if (*exit_code == 0 && code != 0) {
        *exit_code = code;
    }
}

int cli_run_jobs(struct cli_session *s, struct cli_job *jobs, size_t count) {
    int rc = cli_session_connect(s);
    if (rc != 0) {
        return rc;
    }
    struct cli_runner r = {.s = s, .single = count == 1};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.cond, &attr);
    pthread_condattr_destroy(&attr);

    struct cli_job *active[S_MAX_ACTIVE];
    size_t max_active = s_max_active(s, count), nactive = 0, next = 0;
    int exit_code = 0;
    bool cancelled = false;
    s->progress.objects_total = count;
    s->progress.start_ns = cli_now_ns(); /* rates count from here, not from the listing before */
    s->progress.last_draw_ns = s->progress.start_ns;
    if (s->stats.first_start_ns == 0) {
        s->stats.first_start_ns = cli_now_ns();
    }
    while (next < count || nactive > 0) {
        while (!cancelled && !cli_interrupted() && nactive < max_active && next < count) {
            struct cli_job *job = &jobs[next++];
            if (s_start(&r, job) == 0) {
                active[nactive++] = job;
            } else {
                s_first(&exit_code, job->exit_code);
            }
        }
        if (cli_interrupted() && !cancelled) {
            cancelled = true;
            next = count;
            for (size_t i = 0; i < nactive; ++i) {
                /* --resume-file: paused (kept for later) where the transfer can be */
                if (s->opt->resume_file == NULL || s3x_transfer_pause(active[i]->transfer) != 0) {
                    s3x_transfer_cancel(active[i]->transfer);
                }
            }
        }
        if (nactive == 0) {
            continue;
        }
        s_wait(&r);
        for (size_t i = 0; i < nactive;) {
            if (atomic_load(&active[i]->finished)) {
                r.last = next == count && nactive == 1;
                s_first(&exit_code, s_collect(&r, active[i]));
                active[i] = active[--nactive];
            } else {
                ++i;
            }
        }
        cli_progress_tick(&s->progress);
    }
    s->stats.last_end_ns = cli_now_ns();
    cli_progress_finish(&s->progress);
    pthread_cond_destroy(&r.cond);
    pthread_mutex_destroy(&r.lock);
    return cancelled ? CLI_EXIT_INTERRUPTED : exit_code;
}
