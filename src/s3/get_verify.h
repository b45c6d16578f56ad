/* A download's check against the object's checksum (get.c): which checksum an answer names, the
 * digest of a part's bytes, and the comparison. */
#ifndef S3XFER_S3_GET_VERIFY_H
#define S3XFER_S3_GET_VERIFY_H

#include <s3xfer/checksum.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3x_http_request;

struct s3x__get_verify {
    bool active;     /* `want` is the object's checksum: the bytes are compared with it */
    bool unreadable; /* the header named a checksum that does not parse: a mismatch */
    bool combine;    /* multipart: each part's CRC is taken, folded in order, compared at the end */
    struct s3x_checksum_value want;
};

/* Reads the full-object x-amz-checksum-<alg> of an answer that covers the whole object (a GET of
 * every byte, or a HEAD), in preference order CRC64NVME, CRC32C, CRC32, SHA1, SHA256; a composite
 * value ("...-N", or x-amz-checksum-type COMPOSITE) is not a checksum of the bytes and is skipped.
 * `multipart`: the bytes come in several parts, so only a CRC can be checked (folded from the
 * parts' CRCs); a SHA is then ignored. Leaves v->active false when nothing can be checked. */
void s3x__get_verify_note(struct s3x__get_verify *v, struct s3x_http_request *http, bool multipart);

/* The digest of `len` bytes with the algorithm of v->want (any thread). Returns 0 or the errors of
 * s3x_checksum_init / update / final. */
int s3x__get_verify_digest(const struct s3x__get_verify *v, const uint8_t *data, size_t len,
    struct s3x_checksum_value *out);

/* Whole-object bytes against v->want. Returns 0 or S3X_ERR_TRANSFER_CHECKSUM_MISMATCH (also for
 * an unreadable header), or a digest error. */
int s3x__get_verify_bytes(const struct s3x__get_verify *v, const uint8_t *data, size_t len);

#endif
