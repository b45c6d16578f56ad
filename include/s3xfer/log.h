/* s3xfer: logging.
 *
 * The library prints nothing by default. An embedding application sets a sink and a level; without
 * a sink, the environment variable S3XFER_LOG=debug|info|warn|error (read once, at the first log
 * call) sends messages of that level and above to stderr. Secrets (secret keys, session tokens,
 * signatures) are never logged at any level.
 */
#ifndef S3XFER_LOG_H
#define S3XFER_LOG_H

#include <s3xfer/exports.h>

enum s3x_log_level {
    S3X_LOG_TRACE = 0,
    S3X_LOG_DEBUG = 1,
    S3X_LOG_INFO = 2,
    S3X_LOG_WARN = 3,
    S3X_LOG_ERROR = 4,
    S3X_LOG_NONE = 5,
};

/* Receives one formatted message (no trailing newline). May run on any thread, concurrently. */
typedef void(s3x_log_sink_fn)(enum s3x_log_level level, const char *subsystem, const char *message, void *user_data);

/* Sets the sink (NULL = back to the default: stderr when S3XFER_LOG is set, else nothing) and the
 * minimum level. Thread-safe, but a sink being replaced may still receive a message in flight. */
S3X_API void s3x_log_set_sink(s3x_log_sink_fn *sink, void *user_data, enum s3x_log_level level);
S3X_API enum s3x_log_level s3x_log_level(void);
/* "trace", "debug", ... ; parses case-insensitively. Returns 0 or S3X_ERR_INVALID_ARGUMENT. */
S3X_API const char *s3x_log_level_name(enum s3x_log_level level);
S3X_API int s3x_log_level_parse(const char *text, enum s3x_log_level *out);

#endif
