/* AWS shared config and credentials files: reading, INI parsing, profile lookup.
 *
 * Owns: the file syntax botocore accepts (configparser's, plus nested sub-sections), and the
 * mapping from a profile name to its section in each file. It never logs a value (values include
 * secrets) and wipes every file buffer before freeing it.
 *
 * Grammar, per line (after stripping a trailing '\r'):
 *   blank                          -> skipped
 *   ['#' | ';'] ...                -> comment (also when indented)
 *   '[' name ']'                   -> section; ends any nested block
 *   key ('=' | ':') value          -> entry of the current section (error before any section)
 *   <indent> subkey '=' value      -> nested entry, only after a key whose value is empty
 *   <indent> text after key=value  -> error (configparser continuation lines: no key of ours is
 *                                     multi-line, so we refuse rather than misread them)
 * Keys compare case-insensitively (configparser lowercases them); section names exactly.
 *
 * Worked example ("config", 5 lines):
 *   1 [profile dev]          section "profile dev" -> profile "dev" in a config file
 *   2 region = eu-west-1     key "region", value "eu-west-1"
 *   3 s3 =                   key "s3", empty value: opens a nested block
 *   4   addressing_style = path   key "s3", sub_key "addressing_style", value "path"
 *   5 oops                   -> S3X_ERR_CONFIG_PARSE, "config:5: expected 'key = value'"
 */
#include "http/aws_config.h"

#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool s_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static void s_trim(const char **p, size_t *n) {
    while (*n > 0 && s_is_space(**p)) {
        ++*p;
        --*n;
    }
    while (*n > 0 && s_is_space((*p)[*n - 1])) {
        --*n;
    }
}

static char s_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool s_key_is(const char *key, size_t key_len, const char *want) {
    size_t n = strlen(want);
    if (n != key_len) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        if (s_lower(key[i]) != want[i]) {
            return false;
        }
    }
    return true;
}

/* Parser state across lines. */
struct s_ini_state {
    struct s3x_ini_entry entry; /* section of the current block */
    bool in_section;
    bool nested_open;    /* the last key had an empty value: indented lines are its sub-keys */
    bool last_key_value; /* the last key had a value: an indented line would be a continuation */
};

static int s_parse_key_line(struct s_ini_state *st, const char *p, size_t n, bool indented, size_t line,
    const char **what) {
    /* configparser splits at the first '=' or ':'; botocore's nested parser only at '='. */
    size_t sep = 0;
    while (sep < n && p[sep] != '=' && (indented || p[sep] != ':')) {
        ++sep;
    }
    if (sep == n) {
        *what = indented ? "expected 'key = value' in the nested section" : "expected 'key = value'";
        return S3X_ERR_CONFIG_PARSE;
    }
    const char *key = p;
    size_t key_len = sep;
    const char *value = p + sep + 1;
    size_t value_len = n - sep - 1;
    s_trim(&key, &key_len);
    s_trim(&value, &value_len);
    if (key_len == 0) {
        *what = "empty key before '='";
        return S3X_ERR_CONFIG_PARSE;
    }
    st->entry.line = line;
    st->entry.value = value;
    st->entry.value_len = value_len;
    if (indented) {
        st->entry.sub_key = key;
        st->entry.sub_key_len = key_len;
    } else {
        st->entry.key = key;
        st->entry.key_len = key_len;
        st->entry.sub_key = NULL;
        st->entry.sub_key_len = 0;
        st->nested_open = value_len == 0;
        st->last_key_value = value_len > 0;
    }
    return 0;
}

static int s_parse_line(struct s_ini_state *st, const char *p, size_t n, size_t line, s3x_ini_entry_fn *on_entry,
    void *user, const char **what) {
    if (n > 0 && p[n - 1] == '\r') {
        --n;
    }
    bool indented = n > 0 && s_is_space(p[0]);
    s_trim(&p, &n);
    if (n == 0 || p[0] == '#' || p[0] == ';') {
        return 0;
    }
    if (p[0] == '[') {
        if (p[n - 1] != ']') {
            *what = "section header without a closing ']'";
            return S3X_ERR_CONFIG_PARSE;
        }
        const char *name = p + 1;
        size_t name_len = n - 2;
        s_trim(&name, &name_len);
        if (name_len == 0) {
            *what = "empty section name";
            return S3X_ERR_CONFIG_PARSE;
        }
        memset(&st->entry, 0, sizeof(st->entry));
        st->entry.section = name;
        st->entry.section_len = name_len;
        st->entry.line = line;
        st->in_section = true;
        st->nested_open = false;
        st->last_key_value = false;
        return on_entry(&st->entry, user);
    }
    if (!st->in_section) {
        *what = "'key = value' before any [section]";
        return S3X_ERR_CONFIG_PARSE;
    }
    bool nested = indented && st->nested_open;
    if (indented && !nested && st->last_key_value) {
        *what = "indented continuation line (multi-line values are not supported)";
        return S3X_ERR_CONFIG_PARSE;
    }
    int rc = s_parse_key_line(st, p, n, nested, line, what);
    if (rc != 0) {
        return rc;
    }
    return on_entry(&st->entry, user);
}

int s3x__ini_parse(const char *text, size_t len, s3x_ini_entry_fn *on_entry, void *user_data, size_t *error_line,
    const char **error_what) {
    struct s_ini_state st;
    memset(&st, 0, sizeof(st));
    size_t line = 0;
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        ++line;
        const char *what = NULL;
        int rc = s_parse_line(&st, text + start, end - start, line, on_entry, user_data, &what);
        if (rc != 0) {
            if (error_line != NULL) {
                *error_line = line;
            }
            if (error_what != NULL) {
                *error_what = what != NULL ? what : "rejected";
            }
            return rc;
        }
        start = end + 1;
    }
    return 0;
}

/* --- files --------------------------------------------------------------------------------- */

static int s_read_all(int fd, char *buf, size_t size, size_t *got) {
    size_t total = 0;
    while (total < size) {
        ssize_t n = read(fd, buf + total, size - total);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return S3X_ERR_IO;
        }
        if (n == 0) {
            break;
        }
        total += (size_t)n;
    }
    *got = total;
    return 0;
}

int s3x__aws_file_load(struct s3x_allocator *allocator, const char *path, struct s3x_aws_file *out, char *err,
    size_t err_size) {
    out->path = path;
    out->text = NULL;
    out->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return 0;
        }
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return S3X_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        S3X_LOG_DEBUGF("config", "%s is not a regular file; skipped", path);
        return 0;
    }
    if ((uint64_t)st.st_size > S3X_AWS_FILE_MAX_BYTES) {
        close(fd);
        snprintf(err, err_size, "%s: file too large (%lld bytes, at most %zu)", path, (long long)st.st_size,
            S3X_AWS_FILE_MAX_BYTES);
        return S3X_ERR_CONFIG_PARSE;
    }
    /* One byte more than the size: a file that grew meanwhile is read up to that bound. */
    size_t cap = (size_t)st.st_size + 1;
    char *text = s3x_mem_acquire(allocator, cap);
    if (text == NULL) {
        close(fd);
        return S3X_ERR_OOM;
    }
    size_t got = 0;
    int rc = s_read_all(fd, text, cap - 1, &got);
    int saved = errno;
    close(fd);
    if (rc != 0) {
        explicit_bzero(text, cap);
        s3x_mem_release(allocator, text);
        snprintf(err, err_size, "%s: read failed: %s", path, strerror(saved));
        return rc;
    }
    text[got] = '\0';
    out->text = text;
    out->len = got;
    return 0;
}

void s3x__aws_file_clean_up(struct s3x_allocator *allocator, struct s3x_aws_file *file) {
    if (file->text != NULL) {
        explicit_bzero(file->text, file->len);
        s3x_mem_release(allocator, file->text);
    }
    file->text = NULL;
    file->len = 0;
}

/* --- profile lookup ------------------------------------------------------------------------ */

struct s_profile_ctx {
    const char *profile;
    size_t profile_len;
    bool config_file;
    bool in_target; /* the current section is the profile's */
    struct s3x_aws_profile *out;
};

/* Whether a section names `profile`: in a config file "default", "profile default" and
 * "profile NAME" (any blanks between); in a credentials file exactly "NAME". */
static bool s_section_matches(const char *sec, size_t sec_len, bool config_file, const char *profile,
    size_t profile_len) {
    if (config_file) {
        if (sec_len > 7 && memcmp(sec, "profile", 7) == 0 && s_is_space(sec[7])) {
            sec += 7;
            sec_len -= 7;
            s_trim(&sec, &sec_len);
        } else if (!(sec_len == 7 && memcmp(sec, "default", 7) == 0)) {
            return false;
        }
    }
    return sec_len == profile_len && memcmp(sec, profile, profile_len) == 0;
}

static void s_set(struct s3x_ini_value *v, const struct s3x_ini_entry *e) {
    v->text = e->value;
    v->len = e->value_len;
    v->line = e->line;
}

static int s_on_profile_entry(const struct s3x_ini_entry *e, void *user) {
    struct s_profile_ctx *ctx = user;
    if (e->key == NULL) {
        ctx->in_target = s_section_matches(e->section, e->section_len, ctx->config_file, ctx->profile,
            ctx->profile_len);
        ctx->out->found = ctx->out->found || ctx->in_target;
        return 0;
    }
    if (!ctx->in_target) {
        return 0;
    }
    struct s3x_ini_value *v = ctx->out->values;
    if (e->sub_key != NULL) {
        if (s_key_is(e->key, e->key_len, "s3")) {
            if (s_key_is(e->sub_key, e->sub_key_len, "endpoint_url")) {
                s_set(&v[S3X_PROFILE_S3_ENDPOINT_URL], e);
            } else if (s_key_is(e->sub_key, e->sub_key_len, "addressing_style")) {
                s_set(&v[S3X_PROFILE_S3_ADDRESSING_STYLE], e);
            }
        }
        return 0;
    }
    static const struct {
        const char *name;
        enum s3x_profile_key key;
    } keys[] = {
        {"aws_access_key_id", S3X_PROFILE_ACCESS_KEY_ID},
        {"aws_secret_access_key", S3X_PROFILE_SECRET_ACCESS_KEY},
        {"aws_session_token", S3X_PROFILE_SESSION_TOKEN},
        {"region", S3X_PROFILE_REGION},
        {"endpoint_url", S3X_PROFILE_ENDPOINT_URL},
        {"services", S3X_PROFILE_SERVICES},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(keys); ++i) {
        if (s_key_is(e->key, e->key_len, keys[i].name)) {
            s_set(&v[keys[i].key], e);
        }
    }
    return 0;
}

static int s_parse_file(const struct s3x_aws_file *file, s3x_ini_entry_fn *fn, void *ctx, char *err, size_t err_size) {
    size_t line = 0;
    const char *what = NULL;
    int rc = s3x__ini_parse(file->text, file->len, fn, ctx, &line, &what);
    if (rc == S3X_ERR_CONFIG_PARSE) {
        snprintf(err, err_size, "%s:%zu: %s", file->path, line, what);
    }
    return rc;
}

int s3x__aws_profile_find(const struct s3x_aws_file *file, bool config_file, const char *profile,
    struct s3x_aws_profile *out, char *err, size_t err_size) {
    memset(out, 0, sizeof(*out));
    if (file->text == NULL) {
        return 0;
    }
    struct s_profile_ctx ctx = {
        .profile = profile,
        .profile_len = strlen(profile),
        .config_file = config_file,
        .out = out,
    };
    return s_parse_file(file, s_on_profile_entry, &ctx, err, err_size);
}

struct s_services_ctx {
    const char *name;
    size_t name_len;
    bool in_target;
    struct s3x_ini_value *out;
};

static int s_on_services_entry(const struct s3x_ini_entry *e, void *user) {
    struct s_services_ctx *ctx = user;
    if (e->key == NULL) {
        const char *sec = e->section;
        size_t sec_len = e->section_len;
        ctx->in_target = false;
        if (sec_len > 8 && memcmp(sec, "services", 8) == 0 && s_is_space(sec[8])) {
            sec += 8;
            sec_len -= 8;
            s_trim(&sec, &sec_len);
            ctx->in_target = sec_len == ctx->name_len && memcmp(sec, ctx->name, sec_len) == 0;
        }
        return 0;
    }
    if (ctx->in_target && e->sub_key != NULL && s_key_is(e->key, e->key_len, "s3") &&
        s_key_is(e->sub_key, e->sub_key_len, "endpoint_url")) {
        s_set(ctx->out, e);
    }
    return 0;
}

int s3x__aws_services_s3_endpoint(const struct s3x_aws_file *file, const char *name, size_t name_len,
    struct s3x_ini_value *out, char *err, size_t err_size) {
    memset(out, 0, sizeof(*out));
    if (file->text == NULL) {
        return 0;
    }
    struct s_services_ctx ctx = {.name = name, .name_len = name_len, .out = out};
    return s_parse_file(file, s_on_services_entry, &ctx, err, err_size);
}
