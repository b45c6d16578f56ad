/* Reader of the SigV4 vector suites (see sigv4_vectors.h). Test code: plain malloc, errors on
 * stderr. The JSON reader handles what context.json holds: one object of string, number,
 * boolean and null members, plus the nested "credentials" object (member names are unique
 * across the nesting, so a member is found by name). */
#include "sigv4_vectors.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

static char *s_read_path(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1024 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return buf;
}

char *s3x_vec_read(const struct s3x_vec_case *c, const char *file, size_t *len) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", c->dir, file);
    return s_read_path(path, len);
}

static int s_cmp_names(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

size_t s3x_vec_list(const char *suite_dir, char names[][128], size_t max) {
    DIR *d = opendir(suite_dir);
    if (d == NULL) {
        return 0;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/request.txt", suite_dir, e->d_name);
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len < 128 && stat(path, &st) == 0) {
            memcpy(names[n++], e->d_name, len + 1);
        }
    }
    closedir(d);
    qsort(names, n, 128, s_cmp_names);
    return n;
}

/* --- JSON members --------------------------------------------------------------------------- */

static void s_put_utf8(char **o, unsigned cp) {
    if (cp < 0x80) {
        *(*o)++ = (char)cp;
    } else if (cp < 0x800) {
        *(*o)++ = (char)(0xC0 | (cp >> 6));
        *(*o)++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *(*o)++ = (char)(0xE0 | (cp >> 12));
        *(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *(*o)++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *(*o)++ = (char)(0xF0 | (cp >> 18));
        *(*o)++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *(*o)++ = (char)(0x80 | (cp & 0x3F));
    }
}

/* The raw value text after "name": (whitespace skipped), or NULL. */
static const char *s_member(const char *json, const char *name) {
    char pat[128];
    snprintf(pat, sizeof(pat), "\"%s\"", name);
    const char *p = strstr(json, pat);
    if (p == NULL) {
        return NULL;
    }
    p += strlen(pat);
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
        ++p;
    }
    if (*p != ':') {
        return NULL;
    }
    ++p;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
        ++p;
    }
    return p;
}

/* A string member (escapes decoded, \uXXXX pairs included), NULL when absent or null. */
static char *s_json_string(const char *json, const char *name) {
    const char *p = s_member(json, name);
    if (p == NULL || *p != '"') {
        return NULL;
    }
    ++p;
    char *out = malloc(strlen(p) + 1);
    char *o = out;
    while (*p != '\0' && *p != '"') {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        ++p;
        char e = *p++;
        switch (e) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            unsigned cp = (unsigned)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            s_put_utf8(&o, cp);
            break;
        }
        default: *o++ = e; break;
        }
    }
    *o = '\0';
    return out;
}

static bool s_json_bool(const char *json, const char *name, bool dflt) {
    const char *p = s_member(json, name);
    if (p == NULL) {
        return dflt;
    }
    return strncmp(p, "true", 4) == 0;
}

static long long s_json_int(const char *json, const char *name, long long dflt) {
    const char *p = s_member(json, name);
    return p != NULL ? strtoll(p, NULL, 10) : dflt;
}

/* --- HTTP messages ---------------------------------------------------------------------------- */

static char *s_dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int s_parse_request_line(const char *line, size_t n, struct s3x_vec_http *out) {
    const char *sp1 = memchr(line, ' ', n);
    /* The target may hold raw spaces ("/example space/"): the version is after the last one. */
    const char *sp2 = NULL;
    for (const char *p = line + n; p > line; --p) {
        if (p[-1] == ' ') {
            sp2 = p - 1;
            break;
        }
    }
    if (sp1 == NULL || sp2 == NULL || sp2 <= sp1) {
        return -1;
    }
    out->method = s_dup_n(line, (size_t)(sp1 - line));
    const char *target = sp1 + 1;
    size_t target_len = (size_t)(sp2 - target);
    const char *q = memchr(target, '?', target_len);
    if (q != NULL) {
        out->path = s_dup_n(target, (size_t)(q - target));
        out->query = s_dup_n(q + 1, target_len - (size_t)(q - target) - 1);
    } else {
        out->path = s_dup_n(target, target_len);
    }
    return 0;
}

int s3x_vec_parse_http(const char *text, size_t len, struct s3x_vec_http *out) {
    memset(out, 0, sizeof(*out));
    size_t pos = 0;
    bool first = true;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        if (first) {
            first = false;
            if (s_parse_request_line(line, n, out) != 0) {
                return -1;
            }
            continue;
        }
        if (n == 0) { /* blank line: the body follows */
            if (pos <= len) {
                out->body = s_dup_n(text + pos, len - pos);
                out->body_len = len - pos;
            }
            break;
        }
        if ((line[0] == ' ' || line[0] == '\t') && out->header_count > 0) {
            /* obs-fold: the line continues the previous value (RFC 7230: replaced by a space) */
            struct s3x_vec_header *h = &out->headers[out->header_count - 1];
            size_t old = strlen(h->value);
            h->value = realloc(h->value, old + n + 2);
            h->value[old] = ' ';
            memcpy(h->value + old + 1, line, n);
            h->value[old + 1 + n] = '\0';
            continue;
        }
        const char *colon = memchr(line, ':', n);
        if (colon == NULL || out->header_count == S3X_VEC_MAX_HEADERS) {
            return -1;
        }
        struct s3x_vec_header *h = &out->headers[out->header_count++];
        h->name = s_dup_n(line, (size_t)(colon - line));
        h->value = s_dup_n(colon + 1, n - (size_t)(colon - line) - 1);
    }
    return out->method != NULL ? 0 : -1;
}

void s3x_vec_http_free(struct s3x_vec_http *h) {
    free(h->method);
    free(h->path);
    free(h->query);
    for (size_t i = 0; i < h->header_count; ++i) {
        free(h->headers[i].name);
        free(h->headers[i].value);
    }
    free(h->body);
    memset(h, 0, sizeof(*h));
}

const char *s3x_vec_header(const struct s3x_vec_http *h, const char *name) {
    for (size_t i = 0; i < h->header_count; ++i) {
        if (strcasecmp(h->headers[i].name, name) == 0) {
            return h->headers[i].value;
        }
    }
    return NULL;
}

/* --- cases ------------------------------------------------------------------------------------ */

int s3x_vec_load(const char *suite_dir, const char *name, struct s3x_vec_case *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", name);
    snprintf(out->dir, sizeof(out->dir), "%s/%s", suite_dir, name);
    char *json = s3x_vec_read(out, "context.json", NULL);
    size_t req_len = 0;
    char *req = s3x_vec_read(out, "request.txt", &req_len);
    if (json == NULL || req == NULL) {
        fprintf(stderr, "%s: missing context.json or request.txt\n", out->dir);
        free(json);
        free(req);
        return -1;
    }
    out->access_key_id = s_json_string(json, "access_key_id");
    out->secret_access_key = s_json_string(json, "secret_access_key");
    out->token = s_json_string(json, "token");
    out->region = s_json_string(json, "region");
    out->service = s_json_string(json, "service");
    out->timestamp = s_json_string(json, "timestamp");
    out->expires_s = (uint32_t)s_json_int(json, "expiration_in_seconds", 0);
    out->normalize = s_json_bool(json, "normalize", false);
    out->sign_body = s_json_bool(json, "sign_body", false);
    out->omit_session_token = s_json_bool(json, "omit_session_token", false);
    out->payload = s_json_string(json, "payload");
    out->bucket = s_json_string(json, "bucket");
    out->key = s_json_string(json, "key");
    out->addressing_style = s_json_string(json, "addressing_style");
    free(json);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int rc = -1;
    if (out->timestamp != NULL && strptime(out->timestamp, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL &&
        out->access_key_id != NULL && out->secret_access_key != NULL && out->region != NULL &&
        out->service != NULL) {
        out->time_s = (int64_t)timegm(&tm);
        rc = s3x_vec_parse_http(req, req_len, &out->request);
    }
    free(req);
    if (rc != 0) {
        fprintf(stderr, "%s: malformed case\n", out->dir);
    }
    return rc;
}

void s3x_vec_free(struct s3x_vec_case *c) {
    free(c->access_key_id);
    free(c->secret_access_key);
    free(c->token);
    free(c->region);
    free(c->service);
    free(c->timestamp);
    free(c->payload);
    free(c->bucket);
    free(c->key);
    free(c->addressing_style);
    s3x_vec_http_free(&c->request);
    memset(c, 0, sizeof(*c));
}
