/* The SigV4 canonical request: written piece by piece into SHA-256 through a small staging
 * buffer, never materialised unless a copy is asked for.
 *
 * Owns the byte layout (AWS): method \n canonical URI \n canonical query \n
 * (lower-case name ":" trimmed value \n)* \n signed headers \n payload hash, where repeated
 * header names are joined with ',' in request order and each value has its leading and trailing
 * blanks dropped and inner runs of blanks (space, tab) collapsed to one space.
 *
 * Invariant: every byte goes to SHA-256 and, when capturing, to the copy, in the same order, so
 * the copy is exactly what was hashed; redact_begin/end are offsets in that copy (the staging
 * buffer is flushed around a secret so its offsets are exact).
 *
 * Worked example: headers {"My-Header1": " a   b ", "host": "h", "my-header1": "c"} sorted
 * (case-insensitive name, then order) are host, My-Header1, my-header1 and write
 * "host:h\nmy-header1:a b,c\n"; signed headers "host;my-header1" (64 + 16 bytes fit the 256-byte
 * stage: one SHA-256 update for the whole block).
 */
#include "http/sigv4_canonical.h"

#include "common/common.h"
#include "http/sigv4.h"

#include <string.h>

#define S_STAGE_BYTES 256

/* Streams bytes into SHA-256 and, when capturing, into a growing copy. */
struct s_canon {
    struct s3x_sha256 sha;
    char stage[S_STAGE_BYTES];
    size_t used;
    struct s3x_allocator *allocator;
    bool capture;
    bool capture_failed;
    char *cap;
    size_t cap_len;
    size_t cap_size;
    size_t redact_begin; /* the session token's bytes in cap (end 0: none) */
    size_t redact_end;
};

static void s_capture(struct s_canon *w, const char *s, size_t n) {
    if (!w->capture || w->capture_failed || n == 0) {
        return;
    }
    if (w->cap_size - w->cap_len < n + 1) {
        size_t want = S3X_MAX(w->cap_size * 2, w->cap_len + n + 1);
        want = S3X_MAX(want, (size_t)1024);
        char *grown = s3x_mem_realloc(w->allocator, w->cap, w->cap_size, want);
        if (grown == NULL) {
            w->capture_failed = true;
            return;
        }
        w->cap = grown;
        w->cap_size = want;
    }
    memcpy(w->cap + w->cap_len, s, n);
    w->cap_len += n;
    w->cap[w->cap_len] = '\0';
}

static void s_flush(struct s_canon *w) {
    if (w->used > 0) {
        s3x__sha256_update(&w->sha, w->stage, w->used);
        s_capture(w, w->stage, w->used);
        w->used = 0;
    }
}

static void s_put(struct s_canon *w, const char *s, size_t n) {
    if (n > S_STAGE_BYTES - w->used) {
        s_flush(w);
        if (n >= S_STAGE_BYTES / 2) {
            s3x__sha256_update(&w->sha, s, n);
            s_capture(w, s, n);
            return;
        }
    }
    memcpy(w->stage + w->used, s, n);
    w->used += n;
}

static void s_putc(struct s_canon *w, char c) {
    if (w->used == S_STAGE_BYTES) {
        s_flush(w);
    }
    w->stage[w->used++] = c;
}

static size_t s_canon_pos(const struct s_canon *w) {
    return w->cap_len + w->used;
}

int s3x__sigv4_header_cmp(const void *pa, const void *pb) {
    const struct s3x_sigv4_signed_header *a = pa;
    const struct s3x_sigv4_signed_header *b = pb;
    size_t n = S3X_MIN(a->name_len, b->name_len);
    for (size_t i = 0; i < n; ++i) {
        unsigned char ca = (unsigned char)s3x__ascii_lower(a->name[i]);
        unsigned char cb = (unsigned char)s3x__ascii_lower(b->name[i]);
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }
    if (a->name_len != b->name_len) {
        return a->name_len < b->name_len ? -1 : 1;
    }
    /* Stable: repeated headers keep the caller's order, which the joined value depends on. */
    return a->order < b->order ? -1 : (a->order > b->order ? 1 : 0);
}

bool s3x__sigv4_same_name(const struct s3x_sigv4_signed_header *a, const struct s3x_sigv4_signed_header *b) {
    if (a->name_len != b->name_len) {
        return false;
    }
    for (size_t i = 0; i < a->name_len; ++i) {
        if (s3x__ascii_lower(a->name[i]) != s3x__ascii_lower(b->name[i])) {
            return false;
        }
    }
    return true;
}

static void s_put_value(struct s_canon *w, const char *v) {
    bool pending_space = false;
    bool any = false;
    for (; *v != '\0'; ++v) {
        char c = *v;
        if (c == ' ' || c == '\t') {
            pending_space = any; /* leading blanks dropped, inner runs collapsed, trailing dropped */
            continue;
        }
        if (pending_space) {
            s_putc(w, ' ');
            pending_space = false;
        }
        s_putc(w, c);
        any = true;
    }
}

static void s_write(const struct s3x_sigv4_canonical *in, struct s_canon *w) {
    s_put(w, in->method, strlen(in->method));
    s_putc(w, '\n');
    s_put(w, in->path, in->path_len);
    s_putc(w, '\n');
    for (size_t i = 0; i < in->query_count; ++i) {
        const struct s3x_query_span *sp = &in->query[i];
        if (i > 0) {
            s_putc(w, '&');
        }
        s_put(w, sp->key, sp->key_len);
        s_putc(w, '=');
        bool secret = in->secret_param != NULL && sp->key_len == strlen(in->secret_param) &&
                      memcmp(sp->key, in->secret_param, sp->key_len) == 0;
        if (secret) {
            s_flush(w);
            w->redact_begin = s_canon_pos(w);
        }
        s_put(w, sp->value != NULL ? sp->value : "", sp->value_len);
        if (secret) {
            s_flush(w);
            w->redact_end = s_canon_pos(w);
        }
    }
    s_putc(w, '\n');
    for (size_t i = 0; i < in->header_count; ++i) {
        const struct s3x_sigv4_signed_header *h = &in->headers[i];
        if (i > 0 && s3x__sigv4_same_name(&in->headers[i - 1], h)) {
            s_putc(w, ',');
        } else {
            if (i > 0) {
                s_putc(w, '\n');
            }
            for (size_t k = 0; k < h->name_len; ++k) {
                s_putc(w, s3x__ascii_lower(h->name[k]));
            }
            s_putc(w, ':');
        }
        if (h->secret) {
            s_flush(w);
            w->redact_begin = s_canon_pos(w);
        }
        s_put_value(w, h->value);
        if (h->secret) {
            s_flush(w);
            w->redact_end = s_canon_pos(w);
        }
    }
    s_putc(w, '\n');
    s_putc(w, '\n');
    s_put(w, in->signed_headers, in->signed_len);
    s_putc(w, '\n');
    s_put(w, in->payload_hash, strlen(in->payload_hash));
    s_flush(w);
}


int s3x__sigv4_canonical_hash(struct s3x_allocator *allocator, const struct s3x_sigv4_canonical *in,
    char hash_hex[65], struct s3x_sigv4_canonical_text *keep) {
    struct s_canon w;
    memset(&w, 0, sizeof(w));
    w.allocator = allocator;
    w.capture = keep != NULL;
    int rc = s3x__sha256_init(&w.sha);
    if (rc != 0) {
        return rc;
    }
    s_write(in, &w);
    rc = s3x__sha256_finish(&w.sha, hash_hex);
    if (keep != NULL && rc == 0 && !w.capture_failed) {
        keep->text = w.cap;
        keep->len = w.cap_len;
        keep->redact_begin = w.redact_begin;
        keep->redact_end = w.redact_end;
        w.cap = NULL;
    }
    s3x_mem_release(allocator, w.cap);
    return rc;
}
