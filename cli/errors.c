/* Errors, exit codes, hints and signals.
 *
 * Every failure ends as one line on stderr:
 *   s3xfer: error: download s3://b/k to ./k: S3: no such key (NoSuchKey, HTTP 404, request id tx1f…)
 *       ; hint: list the keys with 's3xfer ls s3://b/'
 * (one line; wrapped here). The exit code tells the class of failure apart (see enum cli_exit):
 * a script can retry on 5 (network), fix credentials on 4, and so on. The first error of the run
 * is kept for --stats-json.
 *
 * Signals: SIGINT and SIGTERM set a flag; the job runner notices it within one progress tick
 * (<= 250 ms), cancels every transfer (the library removes partial files and aborts multipart
 * uploads) and the command exits with 130. A second signal kills at once (default action).
 * SIGPIPE is ignored so that writing to a closed stdout is an error (EPIPE), not a silent death.
 */
#include "cli.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static char s_first_error[512];
/* Lock-free atomic: safe to set in a signal handler and to read from any thread. */
static atomic_int s_signalled;

const char *cli_first_error(void) {
    return s_first_error;
}

int cli_exit_code(int error, enum cli_side side) {
    switch (error) {
    case S3X_OK:
        return CLI_EXIT_OK;
    case S3X_ERR_NOT_FOUND:
    case S3X_ERR_S3_NO_SUCH_KEY:
    case S3X_ERR_S3_NO_SUCH_BUCKET:
    case S3X_ERR_S3_NO_SUCH_UPLOAD:
        return CLI_EXIT_NOT_FOUND;
    case S3X_ERR_PERMISSION:
    case S3X_ERR_DISK_FULL:
    case S3X_ERR_IO:
        return side == CLI_SIDE_LOCAL ? CLI_EXIT_LOCAL_IO : CLI_EXIT_FAILURE;
    case S3X_ERR_S3_ACCESS_DENIED:
    case S3X_ERR_S3_SIGNATURE_MISMATCH:
    case S3X_ERR_S3_INVALID_ACCESS_KEY:
    case S3X_ERR_S3_EXPIRED_TOKEN:
    case S3X_ERR_S3_INVALID_TOKEN:
    case S3X_ERR_CREDENTIALS_NOT_FOUND:
    case S3X_ERR_CONFIG_PARSE:
    case S3X_ERR_PROFILE_NOT_FOUND:
        return CLI_EXIT_ACCESS;
    case S3X_ERR_HTTP_CONNECT:
    case S3X_ERR_HTTP_RESOLVE:
    case S3X_ERR_HTTP_TLS:
    case S3X_ERR_HTTP_SEND:
    case S3X_ERR_HTTP_RECV:
    case S3X_ERR_HTTP_STALL:
    case S3X_ERR_HTTP_TIMEOUT:
    case S3X_ERR_TIMEOUT:
        return CLI_EXIT_NETWORK;
    case S3X_ERR_HTTP_BAD_URL:
        return CLI_EXIT_USAGE;
    case S3X_ERR_TRANSFER_CHECKSUM_MISMATCH:
    case S3X_ERR_TRANSFER_OBJECT_CHANGED:
    case S3X_ERR_S3_BAD_DIGEST:
    case S3X_ERR_S3_PRECONDITION_FAILED:
        return CLI_EXIT_INTEGRITY;
    case S3X_ERR_CANCELED:
        return cli_interrupted() ? CLI_EXIT_INTERRUPTED : CLI_EXIT_FAILURE;
    default:
        return CLI_EXIT_FAILURE;
    }
}

const char *cli_hint(int error) {
    switch (error) {
    case S3X_ERR_S3_NO_SUCH_BUCKET:
        return "check the bucket name, or create the bucket with 's3xfer mb s3://BUCKET'";
    case S3X_ERR_S3_NO_SUCH_KEY:
        return "check the key; list what is there with 's3xfer ls s3://BUCKET/PREFIX'";
    case S3X_ERR_S3_SIGNATURE_MISMATCH:
        return "the secret key is wrong: check AWS_SECRET_ACCESS_KEY, --profile and ~/.aws/credentials";
    case S3X_ERR_S3_INVALID_ACCESS_KEY:
        return "the access key id is unknown to this server: check AWS_ACCESS_KEY_ID, --profile and "
               "~/.aws/credentials, and --endpoint-url";
    case S3X_ERR_S3_ACCESS_DENIED:
        return "the credentials are valid but not allowed to do this: check the bucket policy or the "
               "credentials in use (--profile)";
    case S3X_ERR_S3_EXPIRED_TOKEN:
    case S3X_ERR_S3_INVALID_TOKEN:
        return "refresh the temporary credentials (AWS_SESSION_TOKEN or the profile's aws_session_token)";
    case S3X_ERR_CREDENTIALS_NOT_FOUND:
        return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile of ~/.aws/credentials with "
               "--profile";
    case S3X_ERR_PROFILE_NOT_FOUND:
        return "the profile must be a [NAME] section of ~/.aws/credentials or [profile NAME] of ~/.aws/config "
               "(AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)";
    case S3X_ERR_HTTP_CONNECT:
    case S3X_ERR_HTTP_RESOLVE:
        return "the endpoint is unreachable: check --endpoint-url (or AWS_ENDPOINT_URL) and that the server is "
               "running";
    case S3X_ERR_HTTP_TLS:
        return "for a test endpoint with its own certificate use --ca-bundle FILE (or --no-verify-ssl)";
    case S3X_ERR_HTTP_STALL:
    case S3X_ERR_HTTP_TIMEOUT:
    case S3X_ERR_HTTP_RECV:
    case S3X_ERR_HTTP_SEND:
        return "the network or the server failed during the transfer; retrying may help, or fewer "
               "--max-connections";
    case S3X_ERR_S3_CLOCK_SKEW:
        return "the system clock is off: fix it (timedatectl, ntp)";
    case S3X_ERR_S3_WRONG_REGION:
        return "set --region to the bucket's region";
    case S3X_ERR_BUFFER_ALLOCATION_FAILED:
    case S3X_ERR_BUFFER_TOO_LARGE:
        return "raise --memory-limit or lower --part-size";
    case S3X_ERR_TRANSFER_TOO_MANY_PARTS:
        return "raise --part-size: a stream is cut into at most 10,000 parts";
    case S3X_ERR_S3_MALFORMED_XML:
    case S3X_ERR_S3_INVALID_REQUEST:
        return "if the server is OpenStack Swift (or another store that rejects checksums when a multipart "
               "upload completes), add --no-checksum-in-complete";
    case S3X_ERR_S3_SLOW_DOWN:
    case S3X_ERR_S3_SERVICE_UNAVAILABLE:
        return "the server is throttling: retry later or lower --max-connections";
    case S3X_ERR_DISK_FULL:
        return "free some space on the destination's file system";
    case S3X_ERR_TRANSFER_OBJECT_CHANGED:
        return "the object was replaced while it was read; run the command again";
    default:
        return NULL;
    }
}

/* Keeps the first error of the run (cut to the buffer) for --stats-json. */
static void s_keep_first(const char *line) {
    if (s_first_error[0] == '\0') {
        size_t n = strlen(line);
        n = n < sizeof(s_first_error) - 1 ? n : sizeof(s_first_error) - 1;
        memcpy(s_first_error, line, n);
        s_first_error[n] = '\0';
    }
}

static void s_emit(const char *line, int error) {
    const char *hint = cli_hint(error);
    if (hint != NULL) {
        fprintf(stderr, "s3xfer: error: %s; hint: %s\n", line, hint);
    } else {
        fprintf(stderr, "s3xfer: error: %s\n", line);
    }
    fflush(stderr);
    s_keep_first(line);
}

/* The library's error (and its cause), then for S3 failures "(Code, HTTP n, request id X)". */
static void s_detail(int error, const struct s3x_transfer_result *r, char *out, size_t size) {
    size_t n;
    if (r != NULL && r->cause != 0 && r->cause != error) {
        n = (size_t)snprintf(out, size, "%s (%s)", s3x_error_str(error), s3x_error_str(r->cause));
    } else {
        n = (size_t)snprintf(out, size, "%s", s3x_error_str(error));
    }
    if (r == NULL || (r->s3_code[0] == '\0' && r->request_id[0] == '\0' && r->http_status == 0)) {
        return;
    }
    const char *sep = " (";
    if (n < size && r->s3_code[0] != '\0') {
        n += (size_t)snprintf(out + n, size - n, "%s%s", sep, r->s3_code);
        sep = ", ";
    }
    if (n < size && r->http_status != 0) {
        n += (size_t)snprintf(out + n, size - n, "%sHTTP %d", sep, r->http_status);
        sep = ", ";
    }
    if (n < size && r->request_id[0] != '\0') {
        n += (size_t)snprintf(out + n, size - n, "%srequest id %s", sep, r->request_id);
    }
    if (n < size) {
        snprintf(out + n, size - n, ")");
    }
}

int cli_report(int error, enum cli_side side, const struct s3x_transfer_result *result, const char *what_fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof(what), what_fmt, ap);
    va_end(ap);
    char detail[512];
    s_detail(error, result, detail, sizeof(detail));
    char line[1700];
    snprintf(line, sizeof(line), "%s: %s", what, detail);
    if (error == S3X_ERR_CANCELED && cli_interrupted()) {
        snprintf(line, sizeof(line), "%s: interrupted", what);
    }
    s_emit(line, error);
    return cli_exit_code(error, side);
}

void cli_result_from_s3_error(int error, const struct s3x_s3_error *e, struct s3x_transfer_result *out) {
    memset(out, 0, sizeof(*out));
    out->error = error;
    out->http_status = e != NULL ? e->http_status : 0;
    out->s3_code = e != NULL && e->code != NULL ? e->code : "";
    out->s3_message = e != NULL && e->message != NULL ? e->message : "";
    out->request_id = e != NULL && e->request_id != NULL ? e->request_id : "";
    out->message = "";
    out->etag = "";
}

int cli_report_errno(int exit_code, int err, const char *what_fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof(what), what_fmt, ap);
    va_end(ap);
    char line[1300];
    snprintf(line, sizeof(line), "%s: %s", what, strerror(err));
    s_emit(line, 0);
    return exit_code;
}

int cli_report_line(int exit_code, const char *fmt, ...) {
    char line[1300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    s_emit(line, 0);
    return exit_code;
}

int cli_usage_error(const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "s3xfer: %s\n", line);
    fflush(stderr);
    s_keep_first(line);
    return CLI_EXIT_USAGE;
}

bool cli_interrupted(void) {
    return atomic_load(&s_signalled) != 0;
}

static void s_on_signal(int sig) {
    atomic_store(&s_signalled, 1);
    signal(sig, SIG_DFL); /* a second signal ends the process at once */
}

void cli_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
