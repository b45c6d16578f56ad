/* S3 URI encoding, decoding and query strings (internal).
 *
 * The S3 rule (the one SigV4 canonicalises with): every byte of the UTF-8 input except the
 * unreserved set A-Z a-z 0-9 - . _ ~ becomes %XX with uppercase hex; in an object key path '/'
 * is kept, in a query key or value it is encoded too. Encoding is done once, by the client, and
 * the result is both what goes on the wire and what is signed.
 *
 *   key "dir/a b+c%.txt"   -> path  "dir/a%20b%2Bc%25.txt"
 *   value "a/b=="          -> query "a%2Fb%3D%3D"
 *   "ü"                    -> "%C3%BC"
 */
#ifndef S3XFER_HTTP_URI_H
#define S3XFER_HTTP_URI_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>

/* One query parameter, unencoded. value NULL = a value-less key ("?uploads"). */
struct s3x_query_param {
    const char *key;
    const char *value;
};

/* One parameter of an encoded query string: byte ranges into that string. */
struct s3x_query_span {
    const char *key;
    size_t key_len;
    const char *value; /* NULL when the component has no '=' */
    size_t value_len;
};

/* Whether `c` is in A-Z a-z 0-9 - . _ ~ */
bool s3x__uri_is_unreserved(unsigned char c);

/* Bytes the encoding of in[0..len) takes; SIZE_MAX if that does not fit in a size_t. */
size_t s3x__uri_encoded_len(const char *in, size_t len, bool keep_slash);

/* Writes the encoding of in[0..len) to out (room for s3x__uri_encoded_len bytes, no NUL written)
 * and returns the number of bytes written. */
size_t s3x__uri_encode_to(char *out, const char *in, size_t len, bool keep_slash);

/* The encoding as a new NUL-terminated string. Returns 0, S3X_ERR_OOM, S3X_ERR_OVERFLOW,
 * S3X_ERR_INVALID_ARGUMENT. */
int s3x__uri_encode(struct s3x_allocator *allocator, const char *in, size_t len, bool keep_slash, char **out);

/* Decodes %XX escapes (either hex case) and, when plus_as_space, '+' as ' ' (the form S3 uses for
 * `encoding-type=url` list results). The result is NUL-terminated; *out_len (optional) excludes
 * the NUL. A '%' not followed by two hex digits, or an escape of a NUL byte, is
 * S3X_ERR_PARSE. Returns 0, S3X_ERR_PARSE, S3X_ERR_OOM, S3X_ERR_INVALID_ARGUMENT. */
int s3x__uri_decode(struct s3x_allocator *allocator, const char *in, size_t len, bool plus_as_space, char **out,
    size_t *out_len);

/* The same in place (the decoding is never longer). s[*out_len] becomes NUL when
 * *out_len < len. */
int s3x__uri_decode_in_place(char *s, size_t len, bool plus_as_space, size_t *out_len);

/* Generic-AWS path normalisation (never for S3, where "." and "//" are part of the key): removes
 * empty and "." segments, resolves ".." (never above the root), keeps a trailing '/'.
 * "//example//" -> "/example/", "/a/b/../.." -> "/", "/./" -> "/". Writes at most len + 1 bytes
 * plus a NUL to out and returns the length written (without the NUL). */
size_t s3x__uri_normalize_path(const char *path, size_t len, char *out);

/* Builds the encoded query string of `params`: keys and values encoded (with '/'), sorted
 * byte-wise by encoded key then encoded value (a value-less key sorts as an empty value), joined
 * with '&'; a value-less key is written bare ("uploads"). The result is NUL-terminated (an empty
 * string for count 0); *out_len is optional. Example: {prefix: "a/b", list-type: "2"} ->
 * "list-type=2&prefix=a%2Fb". Returns 0, S3X_ERR_OOM, S3X_ERR_OVERFLOW, S3X_ERR_INVALID_ARGUMENT
 * (a NULL or empty key). */
int s3x__query_build(struct s3x_allocator *allocator, const struct s3x_query_param *params, size_t count, char **out,
    size_t *out_len);

/* Number of non-empty '&'-separated components of query[0..len). */
size_t s3x__query_count(const char *query, size_t len);

/* Splits query[0..len) into spans (empty components are skipped); `spans` has room for
 * s3x__query_count(query, len) entries. Returns the number of spans written. */
size_t s3x__query_split(const char *query, size_t len, struct s3x_query_span *spans);

/* Sorts spans byte-wise by key, then by value (absent value == empty value): the SigV4 order. */
void s3x__query_sort(struct s3x_query_span *spans, size_t count);

#endif
