/* Resume tokens (see resume.h for the format): formatting in two passes (measure, then write
 * into one allocation of the exact size) and a strict line parser.
 *
 * Example: an upload of a 20 MiB file with 8 MiB parts paused after parts 1 and 3:
 *   s3xfer-resume 1 / kind put / bucket b / key k / file /tmp/f / size 20971520 /
 *   mtime 1764086400.5 / part-size 8388608 / checksum crc32c / upload-id u1 /
 *   part 1 "e1" AAAAAA== / part 3 "e3" BBBBBB== / end          (one field per line)
 */
#include "resume.h"

#include "common/common.h"
#include "http/uri.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAGIC "s3xfer-resume 1"

/* --- formatting ------------------------------------------------------------------------------ */

/* Writes into out[0..cap) when out is not NULL; always counts. */
struct s_writer {
    char *out;
    size_t len;
};

static void s_put(struct s_writer *w, const char *s, size_t n) {
    if (w->out != NULL) {
        memcpy(w->out + w->len, s, n);
    }
    w->len += n;
}

static void s_puts(struct s_writer *w, const char *s) {
    s_put(w, s, strlen(s));
}

static void s_put_encoded(struct s_writer *w, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; ++p) {
        if (*p > ' ' && *p < 0x7f && *p != '%') {
            s_put(w, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            s_put(w, esc, 3);
        }
    }
}

static void s_field(struct s_writer *w, const char *name, const char *value) {
    if (value != NULL) {
        s_puts(w, name);
        s_put(w, " ", 1);
        s_put_encoded(w, value);
        s_put(w, "\n", 1);
    }
}

static void s_number(struct s_writer *w, const char *name, uint64_t value) {
    char text[32];
    snprintf(text, sizeof(text), "%" PRIu64, value);
    s_field(w, name, text);
}

static void s_write_all(struct s_writer *w, const struct s3x__resume *r) {
    bool put = r->kind == S3X__RESUME_PUT;
    s_puts(w, S_MAGIC "\n");
    s_field(w, "kind", put ? "put" : "get");
    s_field(w, "bucket", r->bucket);
    s_field(w, "key", r->key);
    s_field(w, "file", r->file);
    s_number(w, "size", r->size);
    if (put) {
        char mtime[48];
        snprintf(mtime, sizeof(mtime), "%" PRId64 ".%09u", r->mtime_sec, r->mtime_nsec);
        s_field(w, "mtime", mtime);
    }
    s_number(w, "part-size", r->part_size);
    if (put) {
        s_field(w, "checksum", s3x_checksum_algorithm_name(r->checksum));
        s_field(w, "upload-id", r->upload_id);
    } else {
        s_field(w, "etag", r->etag);
        s_field(w, "temp", r->temp_path);
    }
    for (size_t i = 0; i < r->parts_count; ++i) {
        const struct s3x__resume_part *p = &r->parts[i];
        char number[16];
        snprintf(number, sizeof(number), "%u", p->number);
        s_puts(w, "part ");
        s_puts(w, number);
        if (put) {
            s_put(w, " ", 1);
            s_put_encoded(w, p->etag);
            s_put(w, " ", 1);
            s_put_encoded(w, p->checksum != NULL && p->checksum[0] != '\0' ? p->checksum : "-");
        }
        s_put(w, "\n", 1);
    }
    s_puts(w, "end\n");
}

int s3x__resume_format(struct s3x_allocator *a, const struct s3x__resume *r, char **out) {
    *out = NULL;
    if (r->bucket == NULL || r->key == NULL || r->file == NULL ||
        (r->kind != S3X__RESUME_PUT && r->kind != S3X__RESUME_GET)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_writer w = {0};
    s_write_all(&w, r);
    w.out = s3x_mem_acquire(a, w.len + 1);
    if (w.out == NULL) {
        return S3X_ERR_OOM;
    }
    w.len = 0;
    s_write_all(&w, r);
    w.out[w.len] = '\0';
    *out = w.out;
    return 0;
}

/* --- parts ----------------------------------------------------------------------------------- */

int s3x__resume_add_part(struct s3x_allocator *a, struct s3x__resume *r, uint32_t number, const char *etag,
    const char *checksum) {
    if (number == 0 || number > 10000u || (r->parts_count > 0 && r->parts[r->parts_count - 1].number >= number)) {
        return S3X_ERR_PARSE;
    }
    if (r->parts_count == r->parts_cap) {
        size_t cap = r->parts_cap == 0 ? 16 : r->parts_cap * 2;
        struct s3x__resume_part *grown =
            s3x_mem_realloc(a, r->parts, r->parts_cap * sizeof(*grown), cap * sizeof(*grown));
        if (grown == NULL) {
            return S3X_ERR_OOM;
        }
        r->parts = grown;
        r->parts_cap = cap;
    }
    struct s3x__resume_part *p = &r->parts[r->parts_count];
    memset(p, 0, sizeof(*p));
    p->number = number;
    if ((etag != NULL && (p->etag = s3x_mem_strdup(a, etag)) == NULL) ||
        (checksum != NULL && (p->checksum = s3x_mem_strdup(a, checksum)) == NULL)) {
        s3x_mem_release(a, p->etag);
        return S3X_ERR_OOM;
    }
    r->parts_count++;
    return 0;
}

void s3x__resume_clean_up(struct s3x_allocator *a, struct s3x__resume *r) {
    for (size_t i = 0; i < r->parts_count; ++i) {
        s3x_mem_release(a, r->parts[i].etag);
        s3x_mem_release(a, r->parts[i].checksum);
    }
    s3x_mem_release(a, r->parts);
    char *strings[] = {r->bucket, r->key, r->file, r->upload_id, r->etag, r->temp_path};
    for (size_t i = 0; i < S3X_ARRAY_LEN(strings); ++i) {
        s3x_mem_release(a, strings[i]);
    }
    memset(r, 0, sizeof(*r));
}

/* --- parsing --------------------------------------------------------------------------------- */

/* Decodes text[0..n) into a new string: printable ASCII with %XX escapes (not of NUL) only. */
static int s_decode(struct s3x_allocator *a, const char *text, size_t n, char **out) {
    if (n == 0 || *out != NULL) {
        return S3X_ERR_PARSE; /* empty, or the field repeats */
    }
    for (size_t i = 0; i < n; ++i) {
        if ((unsigned char)text[i] <= ' ' || (unsigned char)text[i] >= 0x7f) {
            return S3X_ERR_PARSE;
        }
    }
    return s3x__uri_decode(a, text, n, false, out, NULL);
}

static int s_parse_u64(const char *text, size_t n, uint64_t max, uint64_t *out) {
    if (n == 0 || n > 20) {
        return S3X_ERR_PARSE;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return S3X_ERR_PARSE;
        }
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (v > (max - digit) / 10) {
            return S3X_ERR_PARSE;
        }
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

/* "SEC.NSEC" with exactly nine digits of nanoseconds. */
static int s_parse_mtime(const char *text, size_t n, struct s3x__resume *r) {
    const char *dot = memchr(text, '.', n);
    uint64_t sec = 0;
    uint64_t nsec = 0;
    if (dot == NULL || (size_t)(text + n - dot - 1) != 9 ||
        s_parse_u64(text, (size_t)(dot - text), INT64_MAX, &sec) != 0 ||
        s_parse_u64(dot + 1, 9, 999999999u, &nsec) != 0) {
        return S3X_ERR_PARSE;
    }
    r->mtime_sec = (int64_t)sec;
    r->mtime_nsec = (uint32_t)nsec;
    return 0;
}

/* "N" (get) or "N ETAG CHECKSUM|-" (put). */
static int s_parse_part(struct s3x_allocator *a, const char *text, size_t n, struct s3x__resume *r) {
    const char *sp1 = memchr(text, ' ', n);
    size_t number_len = sp1 != NULL ? (size_t)(sp1 - text) : n;
    uint64_t number = 0;
    if (s_parse_u64(text, number_len, 10000u, &number) != 0) {
        return S3X_ERR_PARSE;
    }
    if (r->kind == S3X__RESUME_GET) {
        return sp1 == NULL ? s3x__resume_add_part(a, r, (uint32_t)number, NULL, NULL) : S3X_ERR_PARSE;
    }
    const char *end = text + n;
    const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
    if (sp2 == NULL || memchr(sp2 + 1, ' ', (size_t)(end - sp2 - 1)) != NULL) {
        return S3X_ERR_PARSE;
    }
    char *etag = NULL;
    char *checksum = NULL;
    int rc = s_decode(a, sp1 + 1, (size_t)(sp2 - sp1 - 1), &etag);
    if (rc == 0) {
        rc = s_decode(a, sp2 + 1, (size_t)(end - sp2 - 1), &checksum);
    }
    if (rc == 0) {
        bool none = strcmp(checksum, "-") == 0;
        rc = s3x__resume_add_part(a, r, (uint32_t)number, etag, none ? NULL : checksum);
    }
    s3x_mem_release(a, etag);
    s3x_mem_release(a, checksum);
    return rc;
}

/* Bits of the fields seen, so that each appears at most once and the required ones appear. */
enum {
    F_KIND = 1 << 0,
    F_SIZE = 1 << 1,
    F_MTIME = 1 << 2,
    F_PART_SIZE = 1 << 3,
    F_CHECKSUM = 1 << 4,
};

static int s_parse_line(struct s3x_allocator *a, const char *line, size_t n, struct s3x__resume *r, unsigned *seen) {
    const char *sp = memchr(line, ' ', n);
    if (sp == NULL) {
        return S3X_ERR_PARSE;
    }
    size_t name_len = (size_t)(sp - line);
    const char *v = sp + 1;
    size_t vn = n - name_len - 1;
#define S_IS(lit) (name_len == sizeof(lit) - 1 && memcmp(line, lit, name_len) == 0)
    unsigned bit = S_IS("kind") ? F_KIND : S_IS("size") ? F_SIZE : S_IS("mtime") ? F_MTIME
                 : S_IS("part-size") ? F_PART_SIZE : S_IS("checksum") ? F_CHECKSUM : 0;
    if ((*seen & bit) != 0 || (bit != F_KIND && (*seen & F_KIND) == 0)) {
        return S3X_ERR_PARSE; /* a repeated field, or anything before `kind` */
    }
    *seen |= bit;
    bool put = r->kind == S3X__RESUME_PUT;
    if (S_IS("kind")) {
        bool is_put = vn == 3 && memcmp(v, "put", 3) == 0;
        bool is_get = vn == 3 && memcmp(v, "get", 3) == 0;
        r->kind = is_put ? S3X__RESUME_PUT : S3X__RESUME_GET;
        return is_put || is_get ? 0 : S3X_ERR_PARSE;
    }
    if (S_IS("bucket")) {
        return s_decode(a, v, vn, &r->bucket);
    }
    if (S_IS("key")) {
        return s_decode(a, v, vn, &r->key);
    }
    if (S_IS("file")) {
        return s_decode(a, v, vn, &r->file);
    }
    if (S_IS("size")) {
        return s_parse_u64(v, vn, UINT64_MAX, &r->size);
    }
    if (S_IS("mtime") && put) {
        return s_parse_mtime(v, vn, r);
    }
    if (S_IS("part-size")) {
        int rc = s_parse_u64(v, vn, (uint64_t)5 << 30, &r->part_size);
        return rc == 0 && r->part_size == 0 ? S3X_ERR_PARSE : rc;
    }
    if (S_IS("checksum") && put) {
        return s3x_checksum_algorithm_parse(v, vn, &r->checksum) == 0 ? 0 : S3X_ERR_PARSE;
    }
    if (S_IS("upload-id") && put) {
        return s_decode(a, v, vn, &r->upload_id);
    }
    if (S_IS("etag") && !put) {
        return s_decode(a, v, vn, &r->etag);
    }
    if (S_IS("temp") && !put) {
        return s_decode(a, v, vn, &r->temp_path);
    }
    if (S_IS("part")) {
        return s_parse_part(a, v, vn, r);
    }
#undef S_IS
    return S3X_ERR_PARSE;
}

int s3x__resume_parse(struct s3x_allocator *a, const char *text, struct s3x__resume *out) {
    memset(out, 0, sizeof(*out));
    size_t magic = strlen(S_MAGIC);
    if (text == NULL || strncmp(text, S_MAGIC "\n", magic + 1) != 0) {
        return S3X_ERR_PARSE;
    }
    unsigned seen = 0;
    const char *p = text + magic + 1;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (n == 3 && memcmp(p, "end", 3) == 0) {
            bool rest_empty = nl == NULL || nl[1] == '\0';
            unsigned need = F_KIND | F_SIZE | F_PART_SIZE | (out->kind == S3X__RESUME_PUT ? F_MTIME | F_CHECKSUM : 0);
            bool complete = (seen & need) == need && out->bucket != NULL && out->key != NULL && out->file != NULL &&
                            (out->kind == S3X__RESUME_PUT || (out->etag != NULL && out->temp_path != NULL));
            return rest_empty && complete ? 0 : S3X_ERR_PARSE;
        }
        if (nl == NULL) {
            return S3X_ERR_PARSE; /* no `end`: a truncated token */
        }
        int rc = s_parse_line(a, p, n, out, &seen);
        if (rc != 0) {
            return rc;
        }
        p = nl + 1;
    }
}

/* --- paths ----------------------------------------------------------------------------------- */

char *s3x__resume_abs_path(struct s3x_allocator *a, const char *path) {
    char *dir_copy = s3x_mem_strdup(a, path);
    char *base_copy = s3x_mem_strdup(a, path);
    char *out = NULL;
    char resolved[PATH_MAX];
    if (dir_copy != NULL && base_copy != NULL && realpath(dirname(dir_copy), resolved) != NULL) {
        const char *base = basename(base_copy);
        size_t n = strlen(resolved) + 1 + strlen(base) + 1;
        out = s3x_mem_acquire(a, n);
        if (out != NULL) {
            snprintf(out, n, "%s%s%s", resolved, strcmp(resolved, "/") == 0 ? "" : "/", base);
        }
    }
    s3x_mem_release(a, dir_copy);
    s3x_mem_release(a, base_copy);
    return out;
}
