/* Credentials objects and the resolution of the AWS configuration (precedence in
 * include/s3xfer/credentials.h).
 *
 * Owns: struct s3x_credentials (immutable, ref-counted, one allocation, wiped when freed) and
 * s3x_aws_config_resolve: options > environment > credentials file > config file, per value.
 * Invariants: a credentials set (id, secret, token) always comes whole from one source, never
 * mixed; nothing secret is logged or copied into error messages (messages name files, lines,
 * variables and profiles only); on failure the output holds no resources.
 *
 * Worked example: options {profile: NULL}, environment {AWS_PROFILE=dev, AWS_REGION=eu-west-1},
 * ~/.aws/credentials [dev] with both keys, ~/.aws/config [profile dev] region=us-west-2:
 * profile "dev" (named by AWS_PROFILE, so it must exist: it does, in both files); credentials
 * from the credentials file; region "eu-west-1" from the environment (AWS_REGION beats the
 * file's us-west-2); no endpoint URL (AWS endpoint); addressing auto (default).
 */
#include "http/credentials.h"

#include "http/aws_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- credentials objects ------------------------------------------------------------------ */

bool s3x__access_key_id_is_valid(const char *id, size_t len) {
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)id[i];
        if (c <= 0x20 || c >= 0x7F || c == '/' || c == ',') {
            return false;
        }
    }
    return true;
}

static bool s_secret_is_valid(const char *s, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) {
            return false; /* control characters: a paste error, and unsendable in a header */
        }
    }
    return true;
}

int s3x_credentials_new(struct s3x_allocator *allocator, const char *access_key_id, const char *secret_access_key,
    const char *session_token, struct s3x_credentials **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (allocator == NULL || out == NULL || access_key_id == NULL || secret_access_key == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t id_len = strlen(access_key_id);
    size_t secret_len = strlen(secret_access_key);
    size_t token_len = session_token != NULL ? strlen(session_token) : 0;
    if (!s3x__access_key_id_is_valid(access_key_id, id_len) || secret_len == 0 ||
        !s_secret_is_valid(secret_access_key, secret_len) || !s_secret_is_valid(session_token, token_len)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t size = sizeof(struct s3x_credentials);
    if (s3x__add_overflows(size, id_len + 1, &size) || s3x__add_overflows(size, secret_len + 1, &size) ||
        s3x__add_overflows(size, token_len + 1, &size)) {
        return S3X_ERR_OVERFLOW;
    }
    struct s3x_credentials *c = s3x_mem_acquire(allocator, size);
    if (c == NULL) {
        return S3X_ERR_OOM;
    }
    char *p = (char *)(c + 1);
    s3x__ref_init(&c->ref);
    c->allocator = allocator;
    c->alloc_size = size;
    memcpy(p, access_key_id, id_len + 1);
    c->access_key_id = p;
    c->access_key_id_len = id_len;
    p += id_len + 1;
    memcpy(p, secret_access_key, secret_len + 1);
    c->secret_access_key = p;
    c->secret_access_key_len = secret_len;
    p += secret_len + 1;
    c->session_token = NULL;
    c->session_token_len = token_len;
    if (token_len > 0) {
        memcpy(p, session_token, token_len + 1);
        c->session_token = p;
    }
    *out = c;
    return 0;
}

struct s3x_credentials *s3x_credentials_acquire(struct s3x_credentials *credentials) {
    if (credentials != NULL) {
        s3x__ref_acquire(&credentials->ref);
    }
    return credentials;
}

struct s3x_credentials *s3x_credentials_release(struct s3x_credentials *credentials) {
    if (credentials != NULL && s3x__ref_release(&credentials->ref)) {
        struct s3x_allocator *a = credentials->allocator;
        explicit_bzero(credentials, credentials->alloc_size);
        s3x_mem_release(a, credentials);
    }
    return NULL;
}

const char *s3x_credentials_access_key_id(const struct s3x_credentials *credentials) {
    return credentials != NULL ? credentials->access_key_id : NULL;
}

bool s3x_credentials_has_session_token(const struct s3x_credentials *credentials) {
    return credentials != NULL && credentials->session_token != NULL;
}

/* --- names --------------------------------------------------------------------------------- */

static const char *const s_style_names[] = {"auto", "path", "virtual"};

int s3x_addressing_style_parse(const char *text, enum s3x_addressing_style *out) {
    if (text == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_style_names); ++i) {
        if (strcasecmp(text, s_style_names[i]) == 0) {
            *out = (enum s3x_addressing_style)i;
            return 0;
        }
    }
    return S3X_ERR_INVALID_ARGUMENT;
}

const char *s3x_addressing_style_name(enum s3x_addressing_style style) {
    size_t i = (size_t)style;
    return i < S3X_ARRAY_LEN(s_style_names) ? s_style_names[i] : "unknown";
}

const char *s3x_config_source_name(enum s3x_config_source source) {
    static const char *const names[] = {
        "none", "default", "explicit", "environment", "credentials file", "config file"};
    size_t i = (size_t)source;
    return i < S3X_ARRAY_LEN(names) ? names[i] : "unknown";
}

/* --- resolution ---------------------------------------------------------------------------- */

struct s_resolver {
    struct s3x_allocator *a;
    const struct s3x_aws_config_options *opts;
    s3x_env_lookup_fn *env;
    void *env_user;
    struct s3x_aws_config *out;
    const char *profile;
    bool profile_named;    /* by the options or AWS_PROFILE: it must exist */
    bool profile_explicit; /* by the options: environment credentials are skipped */
    char *cred_path;
    char *config_path;
    struct s3x_aws_file cred_file;
    struct s3x_aws_file config_file;
    struct s3x_aws_profile cred_prof;
    struct s3x_aws_profile config_prof;
    struct s3x_ini_value services_s3_endpoint;
};

static const char *s_getenv(const char *name, void *user_data) {
    S3X_UNUSED(user_data);
    return getenv(name);
}

static bool s_given(const char *s) {
    return s != NULL && s[0] != '\0';
}

static const char *s_env(struct s_resolver *r, const char *name) {
    const char *v = r->env(name, r->env_user);
    return s_given(v) ? v : NULL;
}

static int s_fail(struct s_resolver *r, int rc, const char *fmt, ...) S3X_PRINTF(3, 4);
static int s_fail(struct s_resolver *r, int rc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->out->error_message, sizeof(r->out->error_message), fmt, ap);
    va_end(ap);
    S3X_LOG_WARNF("config", "%s (%s)", r->out->error_message, s3x_error_name(rc));
    return rc;
}

/* A file path: explicit option > variable > ~/.aws/<name>; "~/" expanded. *out NULL: no file. */
static int s_file_path(struct s_resolver *r, const char *option, const char *var, const char *name, char **out) {
    *out = NULL;
    const char *home = s_given(r->opts->home) ? r->opts->home : s_env(r, "HOME");
    const char *src = s_given(option) ? option : s_env(r, var);
    const char *prefix = NULL;
    const char *rest = NULL;
    if (src != NULL) {
        if ((src[0] == '~' && (src[1] == '/' || src[1] == '\0')) && home != NULL) {
            prefix = home;
            rest = src + 1;
        } else {
            prefix = "";
            rest = src;
        }
    } else if (home != NULL) {
        prefix = home;
        rest = name;
    } else {
        return 0;
    }
    size_t n = strlen(prefix) + strlen(rest) + 1;
    char *path = s3x_mem_acquire(r->a, n);
    if (path == NULL) {
        return S3X_ERR_OOM;
    }
    snprintf(path, n, "%s%s", prefix, rest);
    *out = path;
    return 0;
}

static int s_load_files(struct s_resolver *r) {
    int rc = s_file_path(r, r->opts->credentials_file, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials",
        &r->cred_path);
    if (rc == 0) {
        rc = s_file_path(r, r->opts->config_file, "AWS_CONFIG_FILE", "/.aws/config", &r->config_path);
    }
    if (rc != 0) {
        return s_fail(r, rc, "out of memory while locating the AWS configuration files");
    }
    char *err = r->out->error_message;
    size_t err_size = sizeof(r->out->error_message);
    if (r->cred_path != NULL) {
        rc = s3x__aws_file_load(r->a, r->cred_path, &r->cred_file, err, err_size);
        if (rc == 0) {
            rc = s3x__aws_profile_find(&r->cred_file, false, r->profile, &r->cred_prof, err, err_size);
        }
    }
    if (rc == 0 && r->config_path != NULL) {
        rc = s3x__aws_file_load(r->a, r->config_path, &r->config_file, err, err_size);
        if (rc == 0) {
            rc = s3x__aws_profile_find(&r->config_file, true, r->profile, &r->config_prof, err, err_size);
        }
        const struct s3x_ini_value *svc = &r->config_prof.values[S3X_PROFILE_SERVICES];
        if (rc == 0 && svc->len > 0) {
            rc = s3x__aws_services_s3_endpoint(&r->config_file, svc->text, svc->len, &r->services_s3_endpoint, err,
                err_size);
        }
    }
    if (rc == S3X_ERR_OOM) {
        return s_fail(r, rc, "out of memory while reading the AWS configuration files");
    }
    if (rc != 0) {
        S3X_LOG_WARNF("config", "%s (%s)", err, s3x_error_name(rc));
    }
    return rc;
}

/* A file value, the credentials file winning over the config file. */
static bool s_file_value(struct s_resolver *r, enum s3x_profile_key key, const struct s3x_ini_value **value,
    enum s3x_config_source *source) {
    if (r->cred_prof.values[key].len > 0) {
        *value = &r->cred_prof.values[key];
        *source = S3X_CONFIG_SOURCE_CREDENTIALS_FILE;
        return true;
    }
    if (r->config_prof.values[key].len > 0) {
        *value = &r->config_prof.values[key];
        *source = S3X_CONFIG_SOURCE_CONFIG_FILE;
        return true;
    }
    return false;
}

static int s_dup(struct s_resolver *r, const char *s, size_t n, char **out) {
    *out = s3x_mem_strndup(r->a, s, n);
    return *out != NULL ? 0 : s_fail(r, S3X_ERR_OOM, "out of memory while resolving the AWS configuration");
}

/* Credentials from one file's profile: *found false when the profile has none. */
static int s_credentials_from_file(struct s_resolver *r, const struct s3x_aws_profile *prof,
    const struct s3x_aws_file *file, bool *found) {
    const struct s3x_ini_value *id = &prof->values[S3X_PROFILE_ACCESS_KEY_ID];
    const struct s3x_ini_value *secret = &prof->values[S3X_PROFILE_SECRET_ACCESS_KEY];
    const struct s3x_ini_value *token = &prof->values[S3X_PROFILE_SESSION_TOKEN];
    *found = false;
    if (id->len == 0 && secret->len == 0) {
        return 0;
    }
    if (id->len == 0 || secret->len == 0) {
        return s_fail(r, S3X_ERR_CREDENTIALS_NOT_FOUND, "%s:%zu: profile '%s' has %s but no %s", file->path,
            id->len > 0 ? id->line : secret->line, r->profile,
            id->len > 0 ? "aws_access_key_id" : "aws_secret_access_key",
            id->len > 0 ? "aws_secret_access_key" : "aws_access_key_id");
    }
    /* One scratch block for the three NUL-terminated copies, wiped after use. */
    size_t n = id->len + secret->len + token->len + 3;
    char *tmp = s3x_mem_acquire(r->a, n);
    if (tmp == NULL) {
        return s_fail(r, S3X_ERR_OOM, "out of memory while resolving the AWS configuration");
    }
    char *t_id = tmp;
    char *t_secret = t_id + id->len + 1;
    char *t_token = t_secret + secret->len + 1;
    memcpy(t_id, id->text, id->len);
    t_id[id->len] = '\0';
    memcpy(t_secret, secret->text, secret->len);
    t_secret[secret->len] = '\0';
    if (token->len > 0) {
        memcpy(t_token, token->text, token->len);
    }
    t_token[token->len] = '\0';
    int rc = s3x_credentials_new(r->a, t_id, t_secret, t_token, &r->out->credentials);
    explicit_bzero(tmp, n);
    s3x_mem_release(r->a, tmp);
    if (rc == S3X_ERR_INVALID_ARGUMENT) {
        return s_fail(r, S3X_ERR_CONFIG_PARSE, "%s:%zu: profile '%s' has an invalid aws_access_key_id or secret",
            file->path, id->line, r->profile);
    }
    if (rc != 0) {
        return s_fail(r, rc, "could not store the credentials of profile '%s'", r->profile);
    }
    *found = true;
    return 0;
}

static int s_credentials_explicit_or_env(struct s_resolver *r, bool *found) {
    const struct s3x_aws_config_options *o = r->opts;
    const char *id = o->access_key_id;
    const char *secret = o->secret_access_key;
    const char *token = o->session_token;
    const char *what = "explicit options";
    enum s3x_config_source source = S3X_CONFIG_SOURCE_EXPLICIT;
    *found = false;
    if (!s_given(id) && !s_given(secret)) {
        if (r->profile_explicit) {
            return 0;
        }
        id = s_env(r, "AWS_ACCESS_KEY_ID");
        secret = s_env(r, "AWS_SECRET_ACCESS_KEY");
        token = s_env(r, "AWS_SESSION_TOKEN");
        what = "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)";
        source = S3X_CONFIG_SOURCE_ENVIRONMENT;
        if (id == NULL && secret == NULL) {
            return 0;
        }
        if (id == NULL || secret == NULL) {
            return s_fail(r, S3X_ERR_CREDENTIALS_NOT_FOUND, "%s is set but %s is not",
                id != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                id != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        }
    }
    int rc = s3x_credentials_new(r->a, id, secret, token, &r->out->credentials);
    if (rc == S3X_ERR_INVALID_ARGUMENT) {
        return s_fail(r, rc, "invalid access key id or secret in the %s", what);
    }
    if (rc != 0) {
        return s_fail(r, rc, "could not store the credentials");
    }
    r->out->credentials_source = source;
    *found = true;
    return 0;
}

static int s_resolve_credentials(struct s_resolver *r) {
    if (r->opts->anonymous) {
        r->out->credentials_source = S3X_CONFIG_SOURCE_NONE;
        return 0;
    }
    bool found = false;
    int rc = s_credentials_explicit_or_env(r, &found);
    if (rc != 0 || found) {
        return rc;
    }
    rc = s_credentials_from_file(r, &r->cred_prof, &r->cred_file, &found);
    if (rc != 0 || found) {
        r->out->credentials_source = S3X_CONFIG_SOURCE_CREDENTIALS_FILE;
        return rc;
    }
    rc = s_credentials_from_file(r, &r->config_prof, &r->config_file, &found);
    if (rc != 0 || found) {
        r->out->credentials_source = S3X_CONFIG_SOURCE_CONFIG_FILE;
        return rc;
    }
    return s_fail(r, S3X_ERR_CREDENTIALS_NOT_FOUND,
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, add them to profile '%s' in "
        "%s or %s, or use anonymous access",
        r->profile, r->cred_path != NULL ? r->cred_path : "~/.aws/credentials",
        r->config_path != NULL ? r->config_path : "~/.aws/config");
}

static int s_resolve_region(struct s_resolver *r) {
    const char *v = r->opts->region;
    enum s3x_config_source source = S3X_CONFIG_SOURCE_EXPLICIT;
    if (!s_given(v)) {
        v = s_env(r, "AWS_REGION");
        if (v == NULL) {
            v = s_env(r, "AWS_DEFAULT_REGION");
        }
        source = S3X_CONFIG_SOURCE_ENVIRONMENT;
    }
    r->out->region_source = source;
    if (v != NULL) {
        return s_dup(r, v, strlen(v), &r->out->region);
    }
    const struct s3x_ini_value *fv = NULL;
    if (s_file_value(r, S3X_PROFILE_REGION, &fv, &r->out->region_source)) {
        return s_dup(r, fv->text, fv->len, &r->out->region);
    }
    r->out->region_source = S3X_CONFIG_SOURCE_DEFAULT;
    return s_dup(r, "us-east-1", 9, &r->out->region);
}

static int s_resolve_endpoint(struct s_resolver *r) {
    struct s3x_aws_config *out = r->out;
    if (s_given(r->opts->endpoint_url)) {
        out->endpoint_source = S3X_CONFIG_SOURCE_EXPLICIT;
        return s_dup(r, r->opts->endpoint_url, strlen(r->opts->endpoint_url), &out->endpoint_url);
    }
    const char *ignore = s_env(r, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (ignore != NULL && strcasecmp(ignore, "true") == 0) {
        return 0;
    }
    const char *v = s_env(r, "AWS_ENDPOINT_URL_S3");
    if (v == NULL) {
        v = s_env(r, "AWS_ENDPOINT_URL");
    }
    if (v != NULL) {
        out->endpoint_source = S3X_CONFIG_SOURCE_ENVIRONMENT;
        return s_dup(r, v, strlen(v), &out->endpoint_url);
    }
    const struct s3x_ini_value *fv = NULL;
    if (r->services_s3_endpoint.len > 0) {
        out->endpoint_source = S3X_CONFIG_SOURCE_CONFIG_FILE;
        fv = &r->services_s3_endpoint;
    } else if (!s_file_value(r, S3X_PROFILE_S3_ENDPOINT_URL, &fv, &out->endpoint_source) &&
               !s_file_value(r, S3X_PROFILE_ENDPOINT_URL, &fv, &out->endpoint_source)) {
        return 0;
    }
    return s_dup(r, fv->text, fv->len, &out->endpoint_url);
}

static int s_resolve_addressing(struct s_resolver *r) {
    struct s3x_aws_config *out = r->out;
    if (r->opts->addressing_style != S3X_ADDRESSING_AUTO) {
        if ((unsigned)r->opts->addressing_style > (unsigned)S3X_ADDRESSING_VIRTUAL) {
            return s_fail(r, S3X_ERR_INVALID_ARGUMENT, "unknown addressing style %d", (int)r->opts->addressing_style);
        }
        out->addressing_style = r->opts->addressing_style;
        out->addressing_source = S3X_CONFIG_SOURCE_EXPLICIT;
        return 0;
    }
    out->addressing_style = S3X_ADDRESSING_AUTO;
    out->addressing_source = S3X_CONFIG_SOURCE_DEFAULT;
    const struct s3x_ini_value *fv = NULL;
    enum s3x_config_source source;
    if (!s_file_value(r, S3X_PROFILE_S3_ADDRESSING_STYLE, &fv, &source)) {
        return 0;
    }
    char word[16];
    enum s3x_addressing_style style;
    if (fv->len >= sizeof(word) ||
        (memcpy(word, fv->text, fv->len), word[fv->len] = '\0', s3x_addressing_style_parse(word, &style) != 0)) {
        return s_fail(r, S3X_ERR_CONFIG_PARSE, "%s:%zu: addressing_style must be auto, path or virtual",
            source == S3X_CONFIG_SOURCE_CREDENTIALS_FILE ? r->cred_path : r->config_path, fv->line);
    }
    out->addressing_style = style;
    out->addressing_source = source;
    return 0;
}

static int s_check_options(struct s_resolver *r) {
    const struct s3x_aws_config_options *o = r->opts;
    bool id = s_given(o->access_key_id);
    bool secret = s_given(o->secret_access_key);
    if (o->anonymous && (id || secret || s_given(o->session_token))) {
        return s_fail(r, S3X_ERR_INVALID_ARGUMENT, "anonymous access cannot be combined with credentials");
    }
    if (id != secret) {
        return s_fail(r, S3X_ERR_INVALID_ARGUMENT, "an access key id needs its secret access key and vice versa");
    }
    if (s_given(o->session_token) && !id) {
        return s_fail(r, S3X_ERR_INVALID_ARGUMENT, "a session token needs an access key id and secret");
    }
    return 0;
}

static int s_resolve_all(struct s_resolver *r) {
    int rc = s_check_options(r);
    if (rc != 0) {
        return rc;
    }
    if (s_given(r->opts->profile)) {
        r->profile = r->opts->profile;
        r->profile_named = r->profile_explicit = true;
    } else if ((r->profile = s_env(r, "AWS_PROFILE")) != NULL) {
        r->profile_named = true;
    } else {
        r->profile = "default";
    }
    rc = s_load_files(r);
    if (rc != 0) {
        return rc;
    }
    if (r->profile_named && !r->cred_prof.found && !r->config_prof.found) {
        return s_fail(r, S3X_ERR_PROFILE_NOT_FOUND, "profile '%s' not found in %s or %s", r->profile,
            r->cred_path != NULL ? r->cred_path : "(no credentials file)",
            r->config_path != NULL ? r->config_path : "(no config file)");
    }
    rc = s_dup(r, r->profile, strlen(r->profile), &r->out->profile);
    if (rc == 0) {
        rc = s_resolve_credentials(r);
    }
    if (rc == 0) {
        rc = s_resolve_region(r);
    }
    if (rc == 0) {
        rc = s_resolve_endpoint(r);
    }
    if (rc == 0) {
        rc = s_resolve_addressing(r);
    }
    return rc;
}

static void s_log_result(const struct s3x_aws_config *c) {
    if (!s3x__log_enabled(S3X_LOG_DEBUG)) {
        return;
    }
    /* The access key id is not secret, but only its last 4 characters are shown (as `aws configure
     * list` does), so logs shared in bug reports do not identify the account. */
    const char *id = c->credentials != NULL ? c->credentials->access_key_id : "";
    size_t n = strlen(id);
    S3X_LOG_DEBUGF("config",
        "profile '%s'; credentials: %s%s%s%s; region '%s' (%s); endpoint %s (%s); addressing %s (%s)", c->profile,
        c->credentials != NULL ? s3x_config_source_name(c->credentials_source) : "anonymous",
        c->credentials != NULL ? " (access key id ****" : "", n > 4 ? id + n - 4 : id,
        c->credentials != NULL ? (c->credentials->session_token != NULL ? ", with session token)" : ")") : "",
        c->region, s3x_config_source_name(c->region_source),
        c->endpoint_url != NULL ? c->endpoint_url : "AWS default", s3x_config_source_name(c->endpoint_source),
        s3x_addressing_style_name(c->addressing_style), s3x_config_source_name(c->addressing_source));
}

int s3x_aws_config_resolve(struct s3x_allocator *allocator, const struct s3x_aws_config_options *options,
    struct s3x_aws_config *out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (allocator == NULL || options == NULL) {
        snprintf(out->error_message, sizeof(out->error_message), "no allocator or options given");
        return S3X_ERR_INVALID_ARGUMENT;
    }
    out->allocator = allocator;
    struct s_resolver r;
    memset(&r, 0, sizeof(r));
    r.a = allocator;
    r.opts = options;
    r.env = options->env != NULL ? options->env : s_getenv;
    r.env_user = options->env_user_data;
    r.out = out;
    int rc = s_resolve_all(&r);
    s3x__aws_file_clean_up(allocator, &r.cred_file);
    s3x__aws_file_clean_up(allocator, &r.config_file);
    s3x_mem_release(allocator, r.cred_path);
    s3x_mem_release(allocator, r.config_path);
    if (rc != 0) {
        char message[S3X_AWS_CONFIG_ERROR_MAX];
        memcpy(message, out->error_message, sizeof(message));
        s3x_aws_config_clean_up(out);
        memcpy(out->error_message, message, sizeof(message));
        return rc;
    }
    s_log_result(out);
    return 0;
}

void s3x_aws_config_clean_up(struct s3x_aws_config *config) {
    if (config == NULL) {
        return;
    }
    struct s3x_allocator *a = config->allocator;
    if (a != NULL) {
        s3x_credentials_release(config->credentials);
        s3x_mem_release(a, config->profile);
        s3x_mem_release(a, config->region);
        s3x_mem_release(a, config->endpoint_url);
    }
    memset(config, 0, sizeof(*config));
}
