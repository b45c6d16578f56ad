/* Test helper: reads one case of the SigV4 vector suites (tests/http/data/sigv4/v4/<case>/ and
 * tests/http/data/sigv4-s3/<case>/): context.json, request.txt and the expected files. */
#ifndef S3XFER_TESTS_SIGV4_VECTORS_H
#define S3XFER_TESTS_SIGV4_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3X_VEC_MAX_HEADERS 32
#define S3X_VEC_MAX_PARAMS 32

struct s3x_vec_header {
    char *name;
    char *value;
};

/* A parsed HTTP request as written in request.txt / *-signed-request.txt. */
struct s3x_vec_http {
    char *method;
    char *path;  /* as written (raw for the AWS suite, encoded for the S3 one) */
    char *query; /* as written, without '?'; NULL when the target has no '?' */
    struct s3x_vec_header headers[S3X_VEC_MAX_HEADERS];
    size_t header_count;
    char *body; /* NULL without a body */
    size_t body_len;
};

struct s3x_vec_case {
    char name[128];
    char dir[512];
    /* context.json */
    char *access_key_id;
    char *secret_access_key;
    char *token; /* NULL if none */
    char *region;
    char *service;
    char *timestamp;
    int64_t time_s;
    uint32_t expires_s;
    bool normalize;
    bool sign_body;
    bool omit_session_token;
    char *payload;          /* S3 suite only */
    char *bucket;           /* S3 suite only */
    char *key;              /* S3 suite only; NULL for bucket-level requests */
    char *addressing_style; /* S3 suite only */
    struct s3x_vec_http request;
};

/* Names of the case directories under `suite_dir`, sorted; returns the count (at most max). */
size_t s3x_vec_list(const char *suite_dir, char names[][128], size_t max);

/* Loads a case; returns 0 or -1 (with a message on stderr). */
int s3x_vec_load(const char *suite_dir, const char *name, struct s3x_vec_case *out);
void s3x_vec_free(struct s3x_vec_case *c);

/* Reads <case dir>/<file> whole, NUL-terminated (malloc'd); NULL if missing. */
char *s3x_vec_read(const struct s3x_vec_case *c, const char *file, size_t *len);

/* Parses an HTTP message (request.txt format). Returns 0 or -1. */
int s3x_vec_parse_http(const char *text, size_t len, struct s3x_vec_http *out);
void s3x_vec_http_free(struct s3x_vec_http *h);

/* The value of the first header named `name` (case-insensitive), or NULL. */
const char *s3x_vec_header(const struct s3x_vec_http *h, const char *name);

#endif
