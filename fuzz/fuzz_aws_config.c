/* libFuzzer target: the AWS shared config and credentials files (src/http/aws_config.c) and the
 * resolver that reads them (src/http/credentials.c), then the endpoint they name
 * (src/http/endpoint.c).
 *
 * Input: byte 0 holds flags, the rest is cut at NUL bytes into the credentials file text, the
 * config file text and a profile name (missing pieces are empty):
 *   flags & 1   AWS_PROFILE = the profile name (else the profile "default")
 *   flags & 2   anonymous
 *   flags & 4   explicit region "eu-west-1"
 *   flags & 8   AWS_ACCESS_KEY_ID set without its secret (half a set: an error)
 *   flags & 16  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
 *   flags & 32  run the resolver once more under a fail-the-Nth allocator, N = flags >> 6 + 1
 * The two texts are written to temporary files; the environment is a fixed table (hermetic).
 *
 * Checked, any violation traps:
 *   - the INI parser hands out only pointers inside the text, trimmed non-empty keys, values
 *     without surrounding blanks, lines 1..N in order; an error names a line of the text;
 *   - the profile lookup of both files for "default" and the input's profile agrees with the
 *     resolver about parse errors, and its values lie inside the text;
 *   - the resolver returns one of its documented codes; on success a region and, unless anonymous,
 *     credentials; on failure a message; with nothing left allocated after clean-up (tracking
 *     allocator), also when an allocation fails;
 *   - no secret (a secret key or session token of the profile, 12 bytes or longer, that could reach
 *     a message only by leaking: see s_is_telltale) appears in the error message or in any log
 *     message (a TRACE sink sees everything);
 *   - a resolved endpoint parses or is refused with S3X_ERR_HTTP_BAD_URL / INVALID_ARGUMENT, and a
 *     request target for a bucket and key builds from it. */
#include "common/common.h"
#include "http/aws_config.h"
#include "http/endpoint.h"

#include <s3xfer/allocator.h>
#include <s3xfer/credentials.h>
#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

#define S_SECRET_MIN 12

static char s_cred_path[64] = "/tmp/s3xfer-fuzz-credentials-XXXXXX";
static char s_config_path[64] = "/tmp/s3xfer-fuzz-config-XXXXXX";
static int s_cred_fd = -1;
static int s_config_fd = -1;

/* The secrets of the current input, for the log sink. */
static const char *s_secrets[4];
static size_t s_secret_lens[4];
static size_t s_secret_count;

static bool s_contains_secret(const char *text) {
    size_t n = strlen(text);
    for (size_t i = 0; i < s_secret_count; ++i) {
        if (s_secret_lens[i] <= n && memmem(text, n, s_secrets[i], s_secret_lens[i]) != NULL) {
            return true;
        }
    }
    return false;
}

static void s_log_sink(enum s3x_log_level level, const char *subsystem, const char *message, void *user) {
    (void)level;
    (void)subsystem;
    (void)user;
    S_CHECK(!s_contains_secret(message));
}

static void s_cleanup_files(void) {
    unlink(s_cred_path);
    unlink(s_config_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    s_cred_fd = mkstemp(s_cred_path);
    s_config_fd = mkstemp(s_config_path);
    if (s_cred_fd < 0 || s_config_fd < 0) {
        abort(); /* the harness cannot run without its files: not reachable from input */
    }
    atexit(s_cleanup_files);
    s3x_log_set_sink(s_log_sink, NULL, S3X_LOG_TRACE);
    return 0;
}

static void s_write_file(int fd, const char *text, size_t len) {
    S_CHECK(ftruncate(fd, 0) == 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, text + done, len - done, (off_t)done);
        S_CHECK(n > 0);
        done += (size_t)n;
    }
}

/* --- the parser, directly ---------------------------------------------------------------------- */

struct s_ini_check {
    const char *text;
    size_t len;
    size_t last_line;
};

static bool s_inside(const struct s_ini_check *c, const char *p, size_t n) {
    return p >= c->text && n <= c->len && (size_t)(p - c->text) <= c->len - n;
}

static bool s_trimmed(const char *p, size_t n) {
    return n == 0 || (p[0] != ' ' && p[0] != '\t' && p[n - 1] != ' ' && p[n - 1] != '\t');
}

static int s_on_entry(const struct s3x_ini_entry *e, void *user) {
    struct s_ini_check *c = user;
    S_CHECK(e->line >= 1 && e->line >= c->last_line);
    c->last_line = e->line;
    S_CHECK(e->section != NULL && e->section_len > 0 && s_inside(c, e->section, e->section_len));
    if (e->key != NULL) {
        S_CHECK(e->key_len > 0 && s_inside(c, e->key, e->key_len) && s_trimmed(e->key, e->key_len));
        S_CHECK(e->value != NULL && s_inside(c, e->value, e->value_len) && s_trimmed(e->value, e->value_len));
        S_CHECK(e->sub_key == NULL || (e->sub_key_len > 0 && s_inside(c, e->sub_key, e->sub_key_len)));
        S_CHECK(memchr(e->value, '\n', e->value_len) == NULL);
    }
    return 0;
}

static size_t s_count_lines(const char *text, size_t len) {
    size_t lines = 0;
    for (size_t start = 0; start < len; ++lines) {
        const char *nl = memchr(text + start, '\n', len - start);
        start = nl != NULL ? (size_t)(nl - text) + 1 : len;
    }
    return lines;
}

/* Returns the parse result (0 or S3X_ERR_CONFIG_PARSE). */
static int s_check_parse(const char *text, size_t len) {
    struct s_ini_check c = {.text = text, .len = len};
    size_t line = 0;
    const char *what = NULL;
    int rc = s3x__ini_parse(text, len, s_on_entry, &c, &line, &what);
    S_CHECK(rc == 0 || rc == S3X_ERR_CONFIG_PARSE);
    if (rc != 0) {
        S_CHECK(what != NULL && line >= 1 && line <= s_count_lines(text, len));
    }
    return rc;
}

static void s_check_profile(const struct s3x_aws_file *file, bool config, const char *profile, int parse_rc,
    struct s3x_aws_profile *out) {
    char err[256] = {0};
    int rc = s3x__aws_profile_find(file, config, profile, out, err, sizeof(err));
    S_CHECK(rc == parse_rc);
    S_CHECK(rc == 0 || err[0] != '\0');
    for (size_t k = 0; rc == 0 && k < S3X_PROFILE_KEY_COUNT; ++k) {
        const struct s3x_ini_value *v = &out->values[k];
        if (v->text != NULL) {
            S_CHECK(v->text >= file->text && (size_t)(v->text - file->text) + v->len <= file->len);
            S_CHECK(v->line >= 1);
        }
    }
    if (rc == 0 && out->values[S3X_PROFILE_SERVICES].len > 0) {
        struct s3x_ini_value svc;
        const struct s3x_ini_value *name = &out->values[S3X_PROFILE_SERVICES];
        S_CHECK(s3x__aws_services_s3_endpoint(file, name->text, name->len, &svc, err, sizeof(err)) == 0);
    }
}

/* Whether `v` can only reach a message by being leaked: it occurs once in the input (not also as
 * a profile name, region or endpoint, which are logged) and has a character that no message
 * template, path or fixed value contains. */
static bool s_is_telltale(const char *v, size_t n, const uint8_t *data, size_t size) {
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :'(),=/_.~-";
    bool unusual = false;
    for (size_t i = 0; i < n && !unusual; ++i) {
        unusual = v[i] == '\0' || strchr(plain, v[i]) == NULL;
    }
    const uint8_t *first = memmem(data, size, v, n);
    const uint8_t *again = first != NULL ? memmem(first + 1, size - (size_t)(first + 1 - data), v, n) : NULL;
    return unusual && again == NULL;
}

static void s_note_secret(const struct s3x_aws_profile *p, enum s3x_profile_key key, const uint8_t *data, size_t size) {
    const struct s3x_ini_value *v = &p->values[key];
    if (v->text != NULL && v->len >= S_SECRET_MIN && s_secret_count < S3X_ARRAY_LEN(s_secrets) &&
        s_is_telltale(v->text, v->len, data, size)) {
        s_secrets[s_secret_count] = v->text;
        s_secret_lens[s_secret_count] = v->len;
        ++s_secret_count;
    }
}

/* --- the resolver ----------------------------------------------------------------------------- */

struct s_env {
    uint8_t flags;
    const char *profile;
};

static const char *s_getenv(const char *name, void *user) {
    const struct s_env *env = user;
    if (strcmp(name, "HOME") == 0) {
        return "/nonexistent-s3xfer-fuzz-home";
    }
    if (strcmp(name, "AWS_PROFILE") == 0 && (env->flags & 1)) {
        return env->profile;
    }
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0 && (env->flags & 8)) {
        return "AKIDFUZZ";
    }
    if (strcmp(name, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == 0 && (env->flags & 16)) {
        return "true";
    }
    return NULL;
}

static void s_check_endpoint(struct s3x_allocator *a, const struct s3x_aws_config *cfg) {
    struct s3x_endpoint ep;
    char err[256] = {0};
    int rc = s3x__endpoint_init(&ep, a, cfg->endpoint_url, cfg->region, cfg->addressing_style, err, sizeof(err));
    S_CHECK(rc == 0 || rc == S3X_ERR_HTTP_BAD_URL || rc == S3X_ERR_INVALID_ARGUMENT || rc == S3X_ERR_OOM);
    if (rc != 0) {
        return;
    }
    struct s3x_http_target target;
    memset(&target, 0, sizeof(target));
    rc = s3x__endpoint_target(&ep, a, "fuzz-bucket", "dir/key name", NULL, 0, &target);
    S_CHECK(rc == 0 || rc == S3X_ERR_INVALID_ARGUMENT || rc == S3X_ERR_OOM);
    if (rc == 0) {
        S_CHECK(strncmp(target.url, ep.https ? "https://" : "http://", ep.https ? 8 : 7) == 0);
        S_CHECK(target.path[0] == '/');
        S_CHECK(strchr(target.url, ' ') == NULL && strchr(target.host, '/') == NULL);
    }
    s3x__http_target_clean_up(&target);
    s3x__endpoint_clean_up(&ep);
}

static int s_resolve(struct s3x_allocator *a, const struct s_env *env, bool check_endpoint) {
    struct s3x_aws_config_options o;
    memset(&o, 0, sizeof(o));
    o.credentials_file = s_cred_path;
    o.config_file = s_config_path;
    o.anonymous = (env->flags & 2) != 0;
    o.region = (env->flags & 4) ? "eu-west-1" : NULL;
    o.env = s_getenv;
    o.env_user_data = (void *)(uintptr_t)env;
    struct s3x_aws_config cfg;
    int rc = s3x_aws_config_resolve(a, &o, &cfg);
    S_CHECK(rc == 0 || rc == S3X_ERR_CREDENTIALS_NOT_FOUND || rc == S3X_ERR_PROFILE_NOT_FOUND ||
            rc == S3X_ERR_CONFIG_PARSE || rc == S3X_ERR_INVALID_ARGUMENT || rc == S3X_ERR_IO || rc == S3X_ERR_OOM);
    S_CHECK(!s_contains_secret(cfg.error_message));
    if (rc == 0) {
        S_CHECK(cfg.error_message[0] == '\0');
        S_CHECK(cfg.region != NULL && cfg.region[0] != '\0' && cfg.profile != NULL);
        S_CHECK(o.anonymous ? cfg.credentials == NULL : cfg.credentials != NULL);
        if (check_endpoint) {
            s_check_endpoint(a, &cfg);
        }
    } else {
        S_CHECK(cfg.error_message[0] != '\0');
        S_CHECK(cfg.credentials == NULL && cfg.region == NULL && cfg.profile == NULL);
    }
    s3x_aws_config_clean_up(&cfg);
    return rc;
}

/* --- the target --------------------------------------------------------------------------------- */

/* Cuts [p, end) at the next NUL: the piece, and p moved past the NUL. */
static const char *s_piece(const char **p, const char *end, size_t *len) {
    const char *start = *p;
    const char *nul = memchr(start, '\0', (size_t)(end - start));
    *len = (size_t)((nul != NULL ? nul : end) - start);
    *p = nul != NULL ? nul + 1 : end;
    return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0 || size > 65536) {
        return 0;
    }
    uint8_t flags = data[0];
    const char *p = (const char *)data + 1;
    const char *end = (const char *)data + size;
    size_t cred_len, config_len, profile_len;
    const char *cred = s_piece(&p, end, &cred_len);
    const char *config = s_piece(&p, end, &config_len);
    const char *profile_in = s_piece(&p, end, &profile_len);
    char profile[65];
    profile_len = profile_len < 64 ? profile_len : 64;
    memcpy(profile, profile_in, profile_len);
    profile[profile_len] = '\0';

    /* The parser and the profile lookup, on the texts themselves. */
    int cred_rc = s_check_parse(cred, cred_len);
    int config_rc = s_check_parse(config, config_len);
    struct s3x_aws_file cf = {.path = "credentials", .text = (char *)(uintptr_t)cred, .len = cred_len};
    struct s3x_aws_file gf = {.path = "config", .text = (char *)(uintptr_t)config, .len = config_len};
    const char *target = (flags & 1) && profile[0] != '\0' ? profile : "default";
    struct s3x_aws_profile cp, gp, scratch;
    s_check_profile(&cf, false, "default", cred_rc, &scratch);
    s_check_profile(&gf, true, "default", config_rc, &scratch);
    s_check_profile(&cf, false, target, cred_rc, &cp);
    s_check_profile(&gf, true, target, config_rc, &gp);
    s_secret_count = 0;
    if (cred_rc == 0) {
        s_note_secret(&cp, S3X_PROFILE_SECRET_ACCESS_KEY, data, size);
        s_note_secret(&cp, S3X_PROFILE_SESSION_TOKEN, data, size);
    }
    if (config_rc == 0) {
        s_note_secret(&gp, S3X_PROFILE_SECRET_ACCESS_KEY, data, size);
        s_note_secret(&gp, S3X_PROFILE_SESSION_TOKEN, data, size);
    }

    /* The resolver, through files. The secrets noted above point into `data`, which stays valid. */
    s_write_file(s_cred_fd, cred, cred_len);
    s_write_file(s_config_fd, config, config_len);
    struct s_env env = {.flags = flags, .profile = profile};
    struct s3x_allocator *tracking = NULL;
    S_CHECK(s3x_tracking_allocator_new(NULL, &tracking) == 0);
    int rc = s_resolve(tracking, &env, true);
    S_CHECK(rc != 0 || (cred_rc == 0 && config_rc == 0)); /* success needs parsable files */
    if (flags & 32) {
        struct s3x_allocator *fail = NULL;
        S_CHECK(s3x_fail_nth_allocator_new(tracking, (uint64_t)(flags >> 6) + 1, &fail) == 0);
        int frc = s_resolve(fail, &env, false);
        S_CHECK(frc == rc || frc == S3X_ERR_OOM);
        s3x_fail_nth_allocator_destroy(fail);
    }
    struct s3x_tracking_stats st;
    s3x_tracking_allocator_stats(tracking, &st);
    S_CHECK(st.outstanding_count == 0);
    s3x_tracking_allocator_destroy(tracking);
    return 0;
}
