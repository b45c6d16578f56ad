/* s3xfer: AWS credentials and configuration, resolved the way the AWS tools do it.
 *
 * Credentials are an immutable, reference-counted object: an access key id, a secret access key
 * and an optional session token. The secret and the token are never logged, at any level, and
 * are wiped from memory when the last reference goes.
 *
 * s3x_aws_config_resolve() gathers everything a client needs to reach S3 (credentials, region,
 * endpoint URL, addressing style) from, in this order of precedence (first found wins):
 *
 *   credentials (access key id + secret + token always come as one set, from one source):
 *     1. explicit options (access_key_id + secret_access_key [+ session_token]);
 *        `anonymous` instead: no credentials, requests are not signed
 *     2. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]
 *        (skipped when a profile is given as an explicit option, as `aws --profile` does)
 *     3. the shared credentials file, section [<profile>]:
 *        aws_access_key_id, aws_secret_access_key [, aws_session_token]
 *     4. the config file, section [profile <profile>] ([default] for the default profile),
 *        same keys
 *   region:          explicit > AWS_REGION > AWS_DEFAULT_REGION > credentials file `region` >
 *                    config file `region` > "us-east-1"
 *   endpoint URL:    explicit > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > the profile's nested
 *                    `s3 =` section `endpoint_url` > the profile's `endpoint_url` > none (the
 *                    AWS endpoint of the region). AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips
 *                    the environment and file sources (explicit still applies).
 *   addressing style: explicit > the profile's nested `s3 =` section `addressing_style`
 *                    (auto|path|virtual) > auto
 *
 *   profile:         explicit > AWS_PROFILE > "default". A profile that is named (explicitly or
 *                    by AWS_PROFILE) must exist in one of the two files, else
 *                    S3X_ERR_PROFILE_NOT_FOUND; a missing "default" profile is not an error.
 *   files:           credentials: explicit > AWS_SHARED_CREDENTIALS_FILE > ~/.aws/credentials;
 *                    config: explicit > AWS_CONFIG_FILE > ~/.aws/config. A leading "~/" is
 *                    expanded with the home directory. A file that does not exist is skipped.
 *
 * For every key, a value in the credentials file wins over the same key in the config file (the
 * two files describe one profile; botocore merges them the same way). Empty values (options,
 * variables or file values that are "") count as absent.
 *
 * File syntax (INI, as botocore reads it): `[section]` lines; `key = value` (or `key: value`)
 * lines; full-line comments starting with '#' or ';'; blank lines; indented `key = value` lines
 * after a key with an empty value form a nested section (`s3 =` then `  addressing_style = path`).
 * Any other line is S3X_ERR_CONFIG_PARSE, with the file and line number in the message.
 *
 * Example, with AWS_PROFILE=dev and ~/.aws/config holding
 *     [profile dev]
 *     region = eu-west-1
 *     s3 =
 *       endpoint_url = http://127.0.0.1:9000
 *       addressing_style = path
 * and ~/.aws/credentials holding [dev] with both keys: credentials come from the credentials file,
 * region "eu-west-1", endpoint "http://127.0.0.1:9000", path style.
 */
#ifndef S3XFER_CREDENTIALS_H
#define S3XFER_CREDENTIALS_H

#include <s3xfer/allocator.h>
#include <s3xfer/exports.h>

#include <stdbool.h>
#include <stddef.h>

/* --- credentials -------------------------------------------------------------------------- */

struct s3x_credentials;

/* Creates credentials from copies of the strings. access_key_id and secret_access_key must be
 * non-empty; session_token may be NULL or "" (none). The access key id may contain ':' (Swift
 * tempauth "account:user") but no '/', whitespace or control character. Returns 0,
 * S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM. */
S3X_API int s3x_credentials_new(struct s3x_allocator *allocator, const char *access_key_id,
    const char *secret_access_key, const char *session_token, struct s3x_credentials **out);
/* Returns `credentials`. Thread-safe. */
S3X_API struct s3x_credentials *s3x_credentials_acquire(struct s3x_credentials *credentials);
/* Drops a reference; the last one wipes and frees. NULL is allowed. Returns NULL. Thread-safe. */
S3X_API struct s3x_credentials *s3x_credentials_release(struct s3x_credentials *credentials);
/* The access key id (not secret). Valid while a reference is held. */
S3X_API const char *s3x_credentials_access_key_id(const struct s3x_credentials *credentials);
S3X_API bool s3x_credentials_has_session_token(const struct s3x_credentials *credentials);

/* A credentials provider, for credentials that change while a client runs (an application that
 * refreshes temporary credentials). The client calls it before signing each request attempt, on
 * its event thread, and must not block: return cached credentials. On success it stores a new
 * reference in *out (the caller releases it) and returns 0; any other return fails the attempt
 * with that code. */
typedef int(s3x_credentials_provider_fn)(struct s3x_credentials **out, void *user_data);

/* --- configuration resolution ------------------------------------------------------------- */

enum s3x_addressing_style {
    /* Path style for IP-address and custom endpoints and for bucket names that are not
     * DNS-compatible (uppercase, '_', or '.' over https); virtual-hosted otherwise. */
    S3X_ADDRESSING_AUTO = 0,
    S3X_ADDRESSING_PATH = 1,    /* https://host/bucket/key */
    S3X_ADDRESSING_VIRTUAL = 2, /* https://bucket.host/key */
};

/* Parses "auto", "path", "virtual" (case-insensitive). Returns 0 or S3X_ERR_INVALID_ARGUMENT. */
S3X_API int s3x_addressing_style_parse(const char *text, enum s3x_addressing_style *out);
S3X_API const char *s3x_addressing_style_name(enum s3x_addressing_style style);

/* Where a resolved value came from. */
enum s3x_config_source {
    S3X_CONFIG_SOURCE_NONE = 0, /* absent (anonymous credentials, no endpoint URL) */
    S3X_CONFIG_SOURCE_DEFAULT,  /* the built-in default */
    S3X_CONFIG_SOURCE_EXPLICIT, /* s3x_aws_config_options */
    S3X_CONFIG_SOURCE_ENVIRONMENT,
    S3X_CONFIG_SOURCE_CREDENTIALS_FILE,
    S3X_CONFIG_SOURCE_CONFIG_FILE,
};
S3X_API const char *s3x_config_source_name(enum s3x_config_source source);

/* Looks up an environment variable: its value, or NULL when unset. The returned string must stay
 * valid until s3x_aws_config_resolve returns. */
typedef const char *(s3x_env_lookup_fn)(const char *name, void *user_data);

/* What the caller (API user, CLI flags) says explicitly. Zero-initialise, then set what is known;
 * NULL / "" / S3X_ADDRESSING_AUTO / false mean "not given". */
struct s3x_aws_config_options {
    const char *access_key_id;     /* with secret_access_key: explicit credentials */
    const char *secret_access_key;
    const char *session_token;
    bool anonymous;                /* no credentials at all: requests go unsigned */
    const char *profile;
    const char *region;
    const char *endpoint_url;
    enum s3x_addressing_style addressing_style;
    const char *credentials_file;  /* instead of AWS_SHARED_CREDENTIALS_FILE / ~/.aws/credentials */
    const char *config_file;       /* instead of AWS_CONFIG_FILE / ~/.aws/config */
    /* The environment and home directory, replaceable so tests run hermetically. */
    s3x_env_lookup_fn *env;        /* NULL: getenv */
    void *env_user_data;
    const char *home;              /* NULL: the HOME variable (looked up through `env`) */
};

#define S3X_AWS_CONFIG_ERROR_MAX 512

/* The resolved configuration. Owned by the caller's storage; s3x_aws_config_clean_up frees. */
struct s3x_aws_config {
    struct s3x_credentials *credentials; /* NULL only when anonymous */
    char *profile;                       /* the profile consulted ("default" if none named) */
    char *region;                        /* never NULL after success */
    char *endpoint_url;                  /* NULL: the AWS endpoint of `region` */
    enum s3x_addressing_style addressing_style;
    enum s3x_config_source credentials_source;
    enum s3x_config_source region_source;
    enum s3x_config_source endpoint_source;
    enum s3x_config_source addressing_source;
    /* After a failure: what went wrong, for the user ("~/.aws/config:7: expected 'key = value'").
     * Empty after success. Never contains a secret. */
    char error_message[S3X_AWS_CONFIG_ERROR_MAX];
    struct s3x_allocator *allocator;
};

/* Resolves the configuration (see the precedence at the top of this file) into *out, which needs
 * no initialisation. On failure *out holds no resources (s3x_aws_config_clean_up is still safe)
 * and out->error_message says why; the same message is logged at WARN.
 * Returns 0, S3X_ERR_CREDENTIALS_NOT_FOUND (no source had credentials and `anonymous` is false;
 * or only half of a set was given, e.g. AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY),
 * S3X_ERR_PROFILE_NOT_FOUND, S3X_ERR_CONFIG_PARSE (malformed file, an unknown addressing style),
 * S3X_ERR_INVALID_ARGUMENT (contradictory options: anonymous with keys, a key without its
 * secret), S3X_ERR_IO (a file exists but cannot be read), S3X_ERR_OOM. Reads files: call it
 * outside the event thread. Thread-safe if `env` is. */
S3X_API int s3x_aws_config_resolve(struct s3x_allocator *allocator, const struct s3x_aws_config_options *options,
    struct s3x_aws_config *out);
/* Frees what resolve stored; leaves *config zeroed. NULL is allowed. */
S3X_API void s3x_aws_config_clean_up(struct s3x_aws_config *config);

#endif
