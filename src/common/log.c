/* The logger: one global sink and minimum level.
 *
 * Invariant: s3x__log_min_level == S3X_LOG_NONE whenever no sink would print anything, so a
 * disabled log statement costs one relaxed atomic load (after the one-time environment read).
 * Messages are formatted into a stack buffer (truncated at S_LOG_LINE_MAX) and handed to the sink
 * in one call, so concurrent messages never interleave inside a line on stderr. */
#include "common.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

/* Long enough for a canonical request line or an S3 error message; longer lines are cut. */
#define S_LOG_LINE_MAX 2048

_Atomic int s3x__log_min_level = S3X_LOG_NONE;

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t s_sink_lock = PTHREAD_MUTEX_INITIALIZER;
static s3x_log_sink_fn *s_sink;
static void *s_sink_user;

static const char *const s_level_names[] = {"trace", "debug", "info", "warn", "error", "none"};

static void s_stderr_sink(enum s3x_log_level level, const char *subsystem, const char *message, void *user_data) {
    S3X_UNUSED(user_data);
    fprintf(stderr, "[s3xfer %s] %s: %s\n", s3x_log_level_name(level), subsystem, message);
}

static void s_init_from_env(void) {
    const char *env = getenv("S3XFER_LOG");
    enum s3x_log_level level;
    if (env != NULL && s3x_log_level_parse(env, &level) == 0) {
        pthread_mutex_lock(&s_sink_lock);
        if (s_sink == NULL) {
            s_sink = s_stderr_sink;
            s_sink_user = NULL;
            atomic_store(&s3x__log_min_level, (int)level);
        }
        pthread_mutex_unlock(&s_sink_lock);
    }
}

void s3x__log_init_once(void) {
    pthread_once(&s_once, s_init_from_env);
}

void s3x_log_set_sink(s3x_log_sink_fn *sink, void *user_data, enum s3x_log_level level) {
    s3x__log_init_once();
    pthread_mutex_lock(&s_sink_lock);
    s_sink = sink;
    s_sink_user = user_data;
    int effective = (sink == NULL || level > S3X_LOG_NONE) ? S3X_LOG_NONE : (int)level;
    atomic_store(&s3x__log_min_level, effective);
    pthread_mutex_unlock(&s_sink_lock);
    if (sink == NULL) {
        /* Back to the default: honour S3XFER_LOG again. */
        const char *env = getenv("S3XFER_LOG");
        enum s3x_log_level env_level;
        if (env != NULL && s3x_log_level_parse(env, &env_level) == 0) {
            pthread_mutex_lock(&s_sink_lock);
            s_sink = s_stderr_sink;
            atomic_store(&s3x__log_min_level, (int)env_level);
            pthread_mutex_unlock(&s_sink_lock);
        }
    }
}

enum s3x_log_level s3x_log_level(void) {
    s3x__log_init_once();
    return (enum s3x_log_level)atomic_load(&s3x__log_min_level);
}

const char *s3x_log_level_name(enum s3x_log_level level) {
    if ((int)level < 0 || (size_t)level >= S3X_ARRAY_LEN(s_level_names)) {
        return "unknown";
    }
    return s_level_names[level];
}

int s3x_log_level_parse(const char *text, enum s3x_log_level *out) {
    if (text == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_level_names); ++i) {
        if (strcasecmp(text, s_level_names[i]) == 0) {
            *out = (enum s3x_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(text, "warning") == 0) {
        *out = S3X_LOG_WARN;
        return 0;
    }
    return S3X_ERR_INVALID_ARGUMENT;
}

void s3x__log(enum s3x_log_level level, const char *subsystem, const char *fmt, ...) {
    char line[S_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&s_sink_lock);
    s3x_log_sink_fn *sink = s_sink;
    void *user = s_sink_user;
    pthread_mutex_unlock(&s_sink_lock);
    if (sink != NULL && (int)level >= atomic_load(&s3x__log_min_level)) {
        sink(level, subsystem, line, user);
    }
}
