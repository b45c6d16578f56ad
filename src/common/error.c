/* The error table: names and messages generated from S3X_ERROR_LIST, so every code has both. */
#include <s3xfer/error.h>

#include <stddef.h>

struct s_error_entry {
    int code;
    const char *name;
    const char *message;
};

static const struct s_error_entry s_errors[] = {
#define S3X_ERROR_ENTRY_(name, value, msg) {(value), "S3X_ERR_" #name, (msg)},
    S3X_ERROR_LIST(S3X_ERROR_ENTRY_)
#undef S3X_ERROR_ENTRY_
};

static const struct s_error_entry *s_find(int error) {
    /* The table is short (under 100 entries) and this is not a hot path. */
    for (size_t i = 0; i < sizeof(s_errors) / sizeof(s_errors[0]); ++i) {
        if (s_errors[i].code == error) {
            return &s_errors[i];
        }
    }
    return NULL;
}

const char *s3x_error_name(int error) {
    const struct s_error_entry *e = s_find(error);
    return e ? e->name : "S3X_ERR_UNKNOWN_CODE";
}

const char *s3x_error_str(int error) {
    const struct s_error_entry *e = s_find(error);
    return e ? e->message : "unknown error code";
}
