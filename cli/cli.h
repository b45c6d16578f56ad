/* The s3xfer command: declarations shared by the files of cli/.
 *
 * The command uses the library's public API only (include/s3xfer/), linked to the shared
 * library. Names shared between files of cli/ start with `cli_`; file-local names with `s_`.
 *
 * Flow: main.c parses the command line (args.c) into struct cli_options, creates the client
 * (session.c), runs one subcommand (cp.c, ls.c, rm.c, stat.c, mb.c) and turns its outcome into an
 * exit code (errors.c). Transfers go through the job runner (runner.c), which starts them, waits
 * for them on the main thread and drives the progress display (progress.c).
 */
#ifndef S3XFER_CLI_H
#define S3XFER_CLI_H

#include <s3xfer/objects.h>
#include <s3xfer/s3xfer.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --- exit codes (documented in s3xfer --help and s3xfer.1) ------------------------------------ */

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* anything else: a server-side error, an unexpected failure */
    CLI_EXIT_USAGE = 2,       /* bad command line: unknown option, malformed URL or SIZE, ... */
    CLI_EXIT_NOT_FOUND = 3,   /* no such bucket, key or local source file */
    CLI_EXIT_ACCESS = 4,      /* credentials missing or wrong, access denied, bad profile/config */
    CLI_EXIT_NETWORK = 5,     /* endpoint unreachable, DNS, TLS, timeouts, stalled transfers */
    CLI_EXIT_LOCAL_IO = 6,    /* a local file cannot be read or written (permission, disk full) */
    CLI_EXIT_INTEGRITY = 7,   /* checksum mismatch, object changed during the transfer */
    CLI_EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM: transfers cancelled, partial files removed */
};

/* --- options ---------------------------------------------------------------------------------- */

enum cli_command {
    CLI_CMD_NONE = 0,
    CLI_CMD_CP = 1u << 0,
    CLI_CMD_LS = 1u << 1,
    CLI_CMD_RM = 1u << 2,
    CLI_CMD_STAT = 1u << 3,
    CLI_CMD_MB = 1u << 4,
};
#define CLI_CMD_ALL (CLI_CMD_CP | CLI_CMD_LS | CLI_CMD_RM | CLI_CMD_STAT | CLI_CMD_MB)
#define CLI_MAX_ARGS 64

struct cli_options {
    enum cli_command command;
    const char *command_name;
    /* global */
    const char *endpoint_url;
    const char *region;
    const char *profile;
    const char *ca_bundle;
    const char *stats_json;
    uint64_t part_size_bytes;    /* 0 = the library's default */
    uint64_t memory_limit_bytes; /* 0 = derived by the library */
    uint32_t max_connections;    /* 0 = the library's default */
    enum s3x_checksum_algorithm checksum;
    bool checksum_set;
    bool no_checksum_in_complete;
    bool no_progress;
    bool quiet;
    bool no_verify_ssl;
    bool no_direct; /* --no-direct-connections */
    bool help;
    bool version;
    /* per command */
    bool recursive;    /* cp, ls, rm */
    bool dry_run;      /* cp, rm */
    bool human;        /* ls --human-readable */
    bool summarize;    /* ls --summarize */
    const char *content_type; /* cp (uploads) */
    const char *resume_file;  /* cp of one file: pause on interrupt, token kept here, resumed from it */
    /* positional arguments after the command name */
    const char *args[CLI_MAX_ARGS];
    size_t nargs;
};

/* Parses argv. Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after printing one line on stderr. */
int cli_parse_args(int argc, char **argv, struct cli_options *out);
/* Prints the usage of `command` (CLI_CMD_NONE: the whole tool) to `out`. */
void cli_print_help(enum cli_command command, FILE *out);
/* The command for a name ("cp"), CLI_CMD_NONE when unknown. */
enum cli_command cli_command_from_name(const char *name);

/* SIZE: digits with an optional fraction and unit. K, M, G, T and KiB, MiB, GiB, TiB are powers
 * of 1024; KB, MB, GB, TB powers of 1000; B or nothing is bytes; units are case-insensitive.
 * Returns 0, or -1 with a message in `err`. */
int cli_parse_size(const char *text, uint64_t *out, char *err, size_t err_size);
/* Formats a byte count for people: "512 B", "8.00 MiB", "1.00 GiB". */
void cli_format_bytes(uint64_t bytes, char *out, size_t size);

/* --- locations ---------------------------------------------------------------------------------- */

enum cli_location_kind {
    CLI_LOC_LOCAL = 1,
    CLI_LOC_STDIO = 2, /* "-": stdin as a source, stdout as a destination */
    CLI_LOC_S3 = 3,
};

struct cli_location {
    enum cli_location_kind kind;
    const char *text; /* as given */
    char *bucket;     /* S3: never empty */
    char *key;        /* S3: the key or prefix, "" when none */
};

/* Parses a command-line location. Returns 0, or CLI_EXIT_USAGE with a message in `err`
 * (malformed URLs: "s3:/b", "s3://", "http://...", bad bucket characters, keys over 1024 bytes or
 * not UTF-8). `strict_bucket`: the bucket must also follow S3's naming rules for new buckets. */
int cli_location_parse(const char *text, bool strict_bucket, struct cli_location *out, char *err, size_t err_size);
void cli_location_clean_up(struct cli_location *location);

/* --- errors ------------------------------------------------------------------------------------- */

/* What a failure is about, which decides the exit code and the hint. */
enum cli_side {
    CLI_SIDE_REMOTE = 0, /* the S3 request (NOT_FOUND = no such key/bucket) */
    CLI_SIDE_LOCAL = 1,  /* a local file (NOT_FOUND = the local path) */
};

/* Maps a library error to an exit code. */
int cli_exit_code(int error, enum cli_side side);
/* A one-line hint for `error` (NULL when none helps). */
const char *cli_hint(int error);
/* Prints "s3xfer: error: <what>: <detail>[ (S3 code, HTTP, request id)][; hint: ...]" on stderr
 * and records it as the command's error (for --stats-json). `result` may be NULL. Returns the
 * exit code for `error` on `side`. */
int cli_report(int error, enum cli_side side, const struct s3x_transfer_result *result, const char *what_fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Views an objects.h failure as a transfer result (for cli_report): strings never NULL. */
void cli_result_from_s3_error(int error, const struct s3x_s3_error *e, struct s3x_transfer_result *out);
/* Prints "s3xfer: error: <what>: <strerror(err)>" and returns `exit_code`. */
int cli_report_errno(int exit_code, int err, const char *what_fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints "s3xfer: error: <message>" and returns `exit_code`. */
int cli_report_line(int exit_code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a usage error (one line) and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The first error reported, "" when none. */
const char *cli_first_error(void);
/* The process was asked to stop (SIGINT/SIGTERM). Async-signal-safe flag. */
bool cli_interrupted(void);
void cli_install_signal_handlers(void);

/* --- progress ------------------------------------------------------------------------------------ */

struct cli_progress {
    bool enabled;
    bool tty;
    struct s3x_pool *pool;    /* for memory in use against the limit (borrowed) */
    _Atomic uint64_t bytes_done;
    _Atomic uint64_t bytes_total; /* UINT64_MAX = unknown */
    _Atomic uint64_t objects_done;
    uint64_t objects_total;
    /* main thread only */
    uint64_t start_ns;
    uint64_t last_draw_ns;
    uint64_t sample_ns[8];
    uint64_t sample_bytes[8];
    unsigned sample_next;
    bool line_shown;
    bool finished; /* the last line was drawn */
};

void cli_progress_init(struct cli_progress *p, const struct cli_options *opt, struct s3x_pool *pool);
/* Redraws if due (at most 4 times a second on a terminal, every 5 s otherwise). Main thread. */
void cli_progress_tick(struct cli_progress *p);
/* Clears the terminal line so another line can be printed. Main thread. */
void cli_progress_clear(struct cli_progress *p);
/* Draws a last time and ends the line. Main thread. */
void cli_progress_finish(struct cli_progress *p);

uint64_t cli_now_ns(void);

/* --- session: the client and the command's statistics ------------------------------------------- */

struct cli_stats {
    uint64_t objects;
    uint64_t failed;
    uint64_t bytes;
    uint64_t requests;
    uint64_t retries;
    uint64_t memory_wait_ns;
    uint64_t peak_transfer_memory;
    uint64_t first_start_ns;
    uint64_t last_end_ns;
};

struct cli_session {
    const struct cli_options *opt;
    struct s3x_allocator *allocator;
    struct s3x_client *client;
    struct cli_progress progress;
    struct cli_stats stats;
    bool stdout_is_data; /* cp ... -: no status lines on stdout */
    int connect_error;   /* the exit code of a failed cli_session_connect (reported once) */
    bool paused;         /* --resume-file: the transfer paused and its token was saved */
};

void cli_session_open(struct cli_session *s, const struct cli_options *opt);
/* Creates the client from the options on first call; 0, or the exit code of the failure (printed
 * once; later calls return the same code silently). */
int cli_session_connect(struct cli_session *s);
void cli_session_close(struct cli_session *s);
/* Adds a finished transfer's metrics to the statistics. */
void cli_stats_add(struct cli_session *s, const struct s3x_transfer_metrics *m, bool ok, uint64_t bytes);
/* Writes --stats-json (if asked). Returns 0, or CLI_EXIT_LOCAL_IO after printing an error. */
int cli_stats_write(struct cli_session *s, int exit_code);
/* Prints a line on stdout (unless --quiet), clearing the progress line first. */
void cli_say(struct cli_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- the job runner ------------------------------------------------------------------------------- */

enum cli_job_kind {
    CLI_JOB_UPLOAD = 1,   /* local file or stdin -> S3 (a transfer) */
    CLI_JOB_DOWNLOAD = 2, /* S3 -> local file or stdout (a transfer) */
    CLI_JOB_COPY = 3,     /* S3 -> S3, server side (a copy transfer: CopyObject or UploadPartCopy) */
    CLI_JOB_DELETE = 4,   /* DeleteObject */
};

struct cli_job {
    enum cli_job_kind kind;
    char *local_path; /* NULL: stdin (upload) or stdout (download) */
    char *bucket;     /* the object written, read or deleted */
    char *key;
    char *src_bucket; /* copy: the source */
    char *src_key;
    char *resume_token; /* --resume-file's content when the file existed: the run resumes */
    uint64_t size; /* UINT64_MAX when unknown */
    /* runner-owned */
    struct cli_runner *runner;
    struct s3x_transfer *transfer;      /* uploads, downloads, copies */
    struct s3x_op_result delete_result; /* moved out of the delete's callback */
    _Atomic uint64_t reported;
    _Atomic bool finished;
    int io_errno;     /* stdin/stdout: the errno of a failed read or write (I/O thread, read after done) */
    uint64_t written; /* stdout: bytes written so far (I/O thread) */
    int exit_code;
};

/* Runs `jobs` (at most a few at a time on the session's client), prints one line per finished
 * object, reports failures, handles interruption. Returns the exit code of the first failure,
 * CLI_EXIT_INTERRUPTED, or CLI_EXIT_OK. */
int cli_run_jobs(struct cli_session *s, struct cli_job *jobs, size_t count);
void cli_job_clean_up(struct cli_job *job);

/* --- subcommands ---------------------------------------------------------------------------------- */

int cli_cmd_cp(struct cli_session *s);
int cli_cmd_ls(struct cli_session *s);
int cli_cmd_rm(struct cli_session *s);
int cli_cmd_stat(struct cli_session *s);
int cli_cmd_mb(struct cli_session *s);

/* --- small helpers (args.c) ------------------------------------------------------------------------ */

char *cli_strdup(const char *s);           /* exits with CLI_EXIT_FAILURE when out of memory */
char *cli_strcat3(const char *a, const char *b, const char *c);
void *cli_calloc(size_t n, size_t size);

#endif
