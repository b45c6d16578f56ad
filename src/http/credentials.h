/* Credentials (internal view): the signer reads the fields directly. Public API in
 * include/s3xfer/credentials.h. */
#ifndef S3XFER_HTTP_CREDENTIALS_H
#define S3XFER_HTTP_CREDENTIALS_H

#include <s3xfer/credentials.h>

#include "common/common.h"

/* Immutable after s3x_credentials_new; one allocation holds the struct and the three strings.
 * Invariant: access_key_id_len == strlen(access_key_id) > 0, likewise the secret;
 * session_token == NULL iff session_token_len == 0. */
struct s3x_credentials {
    struct s3x_ref_count ref;
    struct s3x_allocator *allocator;
    size_t alloc_size; /* bytes wiped at destruction */
    const char *access_key_id;
    size_t access_key_id_len;
    const char *secret_access_key;
    size_t secret_access_key_len;
    const char *session_token;
    size_t session_token_len;
};

/* Whether `id` may be used as an access key id: non-empty, printable ASCII without ' ', '/', ','.
 * (':' is allowed: Swift tempauth ids are "account:user".) */
bool s3x__access_key_id_is_valid(const char *id, size_t len);

#endif
