/* AWS shared config and credentials files (internal): reading, INI parsing, profile lookup.
 * The precedence between files, environment and options lives in credentials.c; this file only
 * answers "what does this file say about this profile". */
#ifndef S3XFER_HTTP_AWS_CONFIG_H
#define S3XFER_HTTP_AWS_CONFIG_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>

/* Files larger than this are refused (S3X_ERR_CONFIG_PARSE): real ones are a few KiB. */
#define S3X_AWS_FILE_MAX_BYTES ((size_t)4 << 20)

/* One `key = value` of a file. Pointers into the file's text, not NUL-terminated. sub_key is
 * non-NULL for the lines of a nested section (`s3 =` then `  addressing_style = path`: key "s3",
 * sub_key "addressing_style"). line is 1-based. */
struct s3x_ini_entry {
    const char *section;
    size_t section_len;
    const char *key;
    size_t key_len;
    const char *sub_key;
    size_t sub_key_len;
    const char *value;
    size_t value_len;
    size_t line;
};

/* Called for every `[section]` line (entry->key NULL) and every key (entry->key set). A non-zero
 * return stops the parse and is returned. */
typedef int(s3x_ini_entry_fn)(const struct s3x_ini_entry *entry, void *user_data);

/* Parses text[0..len). On a malformed line returns S3X_ERR_CONFIG_PARSE with *error_line (1-based)
 * and *error_what (a static phrase) set. */
int s3x__ini_parse(const char *text, size_t len, s3x_ini_entry_fn *on_entry, void *user_data, size_t *error_line,
    const char **error_what);

/* A file's contents, kept in memory while the configuration is resolved. */
struct s3x_aws_file {
    const char *path; /* as given (not owned) */
    char *text;       /* NULL when the file does not exist */
    size_t len;
};

/* Reads `path`. A missing file (or a path that is not a regular file) is not an error: text stays
 * NULL. Returns 0, S3X_ERR_IO (exists but unreadable; message in err), S3X_ERR_CONFIG_PARSE (too
 * large), S3X_ERR_OOM. */
int s3x__aws_file_load(struct s3x_allocator *allocator, const char *path, struct s3x_aws_file *out, char *err,
    size_t err_size);
/* Wipes and frees the text. */
void s3x__aws_file_clean_up(struct s3x_allocator *allocator, struct s3x_aws_file *file);

/* A value found in a file: text NULL when absent. */
struct s3x_ini_value {
    const char *text;
    size_t len;
    size_t line;
};

enum s3x_profile_key {
    S3X_PROFILE_ACCESS_KEY_ID,
    S3X_PROFILE_SECRET_ACCESS_KEY,
    S3X_PROFILE_SESSION_TOKEN,
    S3X_PROFILE_REGION,
    S3X_PROFILE_ENDPOINT_URL,
    S3X_PROFILE_SERVICES,            /* name of a [services NAME] section */
    S3X_PROFILE_S3_ENDPOINT_URL,     /* nested `s3 =` endpoint_url */
    S3X_PROFILE_S3_ADDRESSING_STYLE, /* nested `s3 =` addressing_style */
    S3X_PROFILE_KEY_COUNT
};

struct s3x_aws_profile {
    bool found; /* the file has a section for this profile */
    struct s3x_ini_value values[S3X_PROFILE_KEY_COUNT];
};

/* What `file` says about `profile`. config_file selects the section naming: `[profile NAME]` and
 * `[default]` (config file) or `[NAME]` (credentials file). Repeated keys: the last one wins;
 * repeated sections merge. A file with no text gives found = false. Returns 0 or
 * S3X_ERR_CONFIG_PARSE (message "path:line: what" in err). */
int s3x__aws_profile_find(const struct s3x_aws_file *file, bool config_file, const char *profile,
    struct s3x_aws_profile *out, char *err, size_t err_size);

/* The nested `s3 =` `endpoint_url` of the config file's `[services NAME]` section (botocore's
 * service-specific endpoints). out->text NULL when absent. */
int s3x__aws_services_s3_endpoint(const struct s3x_aws_file *file, const char *name, size_t name_len,
    struct s3x_ini_value *out, char *err, size_t err_size);

#endif
