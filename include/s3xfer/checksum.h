/* s3xfer: data checksums (S3 "flexible checksums").
 *
 * Algorithms: CRC32C (the default), CRC32, CRC64NVME, SHA1, SHA256, and NONE.
 *
 *   algorithm   digest  CLI / name   header                     XML element        S3 API name
 *   CRC32C      4       crc32c       x-amz-checksum-crc32c      ChecksumCRC32C     CRC32C
 *   CRC32       4       crc32        x-amz-checksum-crc32       ChecksumCRC32      CRC32
 *   CRC64NVME   8       crc64nvme    x-amz-checksum-crc64nvme   ChecksumCRC64NVME  CRC64NVME
 *   SHA1        20      sha1         x-amz-checksum-sha1        ChecksumSHA1       SHA1
 *   SHA256      32      sha256       x-amz-checksum-sha256      ChecksumSHA256     SHA256
 *   NONE        0       none         (none)                     (none)             (none)
 *
 * A digest is the algorithm's value as bytes in big-endian order (a CRC32C of 0xE3069283 is the
 * bytes E3 06 92 83); the header and XML carry it base64-encoded ("4waSgw=="). A multipart
 * object's COMPOSITE checksum is hash(concatenation of the parts' raw digests), written
 * "base64-N" with N the number of parts; a FULL_OBJECT checksum is the CRC of the whole object's
 * bytes, which the client derives from the parts' CRCs with s3x_checksum_value_combine.
 *
 * Incremental use (nothing goes through an s3xfer allocator; see s3x_checksum_init):
 *
 *   struct s3x_checksum_state st;
 *   int rc = s3x_checksum_init(&st, S3X_CHECKSUM_CRC32C);
 *   rc = s3x_checksum_update(&st, part, part_len);               // any number of times
 *   struct s3x_checksum_value v;
 *   rc = s3x_checksum_final_value(&st, &v);                     // or s3x_checksum_final
 *   char b64[S3X_CHECKSUM_VALUE_TEXT_MAX];
 *   rc = s3x_checksum_value_format(&v, b64, sizeof(b64));       // "4waSgw=="
 *   rc = s3x_checksum_reset(&st);                               // next part, same algorithm
 *   s3x_checksum_clean_up(&st);
 *
 * Thread safety: a state belongs to one thread at a time; every other function is pure and
 * thread-safe.
 */
#ifndef S3XFER_CHECKSUM_H
#define S3XFER_CHECKSUM_H

#include <s3xfer/exports.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum s3x_checksum_algorithm {
    S3X_CHECKSUM_NONE = 0,
    S3X_CHECKSUM_CRC32C = 1,
    S3X_CHECKSUM_CRC32 = 2,
    S3X_CHECKSUM_CRC64NVME = 3,
    S3X_CHECKSUM_SHA1 = 4,
    S3X_CHECKSUM_SHA256 = 5,
};
#define S3X_CHECKSUM_DEFAULT S3X_CHECKSUM_CRC32C

/* How a multipart object's checksum is formed (the x-amz-checksum-type header, the
 * ChecksumType XML element). */
enum s3x_checksum_type {
    S3X_CHECKSUM_TYPE_FULL_OBJECT = 0, /* CRC of every byte of the object: CRCs only */
    S3X_CHECKSUM_TYPE_COMPOSITE = 1,   /* hash of the parts' digests, "-N": not CRC64NVME */
};

/* The largest digest (SHA256). */
#define S3X_CHECKSUM_MAX_DIGEST_SIZE 32
/* Room for the text of any value: base64 of 32 bytes (44) + "-10000" + NUL, rounded up. */
#define S3X_CHECKSUM_VALUE_TEXT_MAX 64
/* S3's limit on the parts of a multipart upload, and so on N in a composite "-N". */
#define S3X_CHECKSUM_MAX_PARTS 10000u

/* --- names ----------------------------------------------------------------------------------
 * Every function returns NULL for an algorithm outside the enum; those marked "NULL for NONE"
 * return NULL for S3X_CHECKSUM_NONE too. */

/* "crc32c", "crc32", "crc64nvme", "sha1", "sha256", "none". */
S3X_API const char *s3x_checksum_algorithm_name(enum s3x_checksum_algorithm algorithm);
/* "x-amz-checksum-crc32c" ...; NULL for NONE. */
S3X_API const char *s3x_checksum_header_name(enum s3x_checksum_algorithm algorithm);
/* "ChecksumCRC32C" ...; NULL for NONE. */
S3X_API const char *s3x_checksum_xml_element(enum s3x_checksum_algorithm algorithm);
/* "CRC32C" ... (x-amz-checksum-algorithm, x-amz-sdk-checksum-algorithm, <ChecksumAlgorithm>);
 * NULL for NONE. */
S3X_API const char *s3x_checksum_api_name(enum s3x_checksum_algorithm algorithm);
/* Digest size in bytes (0 for NONE and for values outside the enum). */
S3X_API size_t s3x_checksum_digest_size(enum s3x_checksum_algorithm algorithm);

/* Parses an algorithm name (the CLI's --checksum, the S3 API name, a <ChecksumAlgorithm>),
 * ASCII case-insensitively: crc32c | crc32 | crc64nvme | sha1 | sha256 | none. `len` is the
 * length of `name` (use strlen for a C string); no surrounding spaces are accepted.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL pointers), S3X_ERR_NOT_FOUND (any other text). */
S3X_API int s3x_checksum_algorithm_parse(const char *name, size_t len, enum s3x_checksum_algorithm *out);
/* Maps a response header name ("X-Amz-Checksum-CRC32C", case-insensitive) to its algorithm.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_NOT_FOUND (not a checksum header; NONE never
 * matches). */
S3X_API int s3x_checksum_algorithm_from_header(const char *name, size_t len, enum s3x_checksum_algorithm *out);
/* Maps an XML element name ("ChecksumCRC32C", case-sensitive as XML is) to its algorithm.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_NOT_FOUND. */
S3X_API int s3x_checksum_algorithm_from_xml_element(const char *name, size_t len, enum s3x_checksum_algorithm *out);

/* "FULL_OBJECT", "COMPOSITE"; NULL for values outside the enum. */
S3X_API const char *s3x_checksum_type_name(enum s3x_checksum_type type);
/* ASCII case-insensitive. Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_NOT_FOUND. */
S3X_API int s3x_checksum_type_parse(const char *name, size_t len, enum s3x_checksum_type *out);
/* Whether S3 accepts this algorithm with this checksum type: FULL_OBJECT for the CRCs,
 * COMPOSITE for CRC32, CRC32C, SHA1, SHA256. False for NONE. */
S3X_API bool s3x_checksum_supports_type(enum s3x_checksum_algorithm algorithm, enum s3x_checksum_type type);

/* --- incremental computation ---------------------------------------------------------------- */

/* Caller-owned storage; every field is private to the library. A zero-filled state is a valid
 * argument to s3x_checksum_clean_up. Not copyable (a copy would share the SHA context): move the
 * struct only before init or after clean_up. Calling init again on a state that holds a SHA
 * context leaks that context: clean_up first, or reset. */
struct s3x_checksum_state {
    enum s3x_checksum_algorithm algorithm;
    int phase;          /* 0 not initialised, 1 accepting data, 2 finished */
    uint64_t bytes;     /* bytes hashed since init / reset */
    uint64_t crc;       /* CRC algorithms: the finalised CRC of the bytes so far */
    void *md_ctx;       /* SHA algorithms: OpenSSL's EVP_MD_CTX */
};

/* Starts a computation. CRCs and NONE allocate nothing, ever. SHA1 and SHA256 run on an OpenSSL
 * EVP digest context that OpenSSL allocates here with its own allocator (never through an s3xfer
 * allocator); update and final allocate nothing; reset keeps the context (OpenSSL 3.0 re-creates
 * its small per-digest state inside it, one allocation of its own); s3x_checksum_clean_up frees
 * it. Call clean_up for every state init returned 0 on, whatever the algorithm.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL state, algorithm outside the enum), S3X_ERR_OOM
 * (OpenSSL could not allocate its context), S3X_ERR_UNSUPPORTED (OpenSSL has no provider for the
 * digest, e.g. SHA1 under a strict FIPS configuration). On error the state needs no clean_up. */
S3X_API int s3x_checksum_init(struct s3x_checksum_state *state, enum s3x_checksum_algorithm algorithm);

/* Adds `len` bytes (data may be NULL when len is 0). Returns 0, S3X_ERR_INVALID_ARGUMENT,
 * S3X_ERR_INVALID_STATE (not initialised, or finished: reset first), S3X_ERR_UNKNOWN (OpenSSL
 * failed). */
S3X_API int s3x_checksum_update(struct s3x_checksum_state *state, const void *data, size_t len);

/* Writes the digest, big-endian, to `out` (at least S3X_CHECKSUM_MAX_DIGEST_SIZE bytes) and its
 * size to `*out_len` (0 for NONE). The state is then finished: update and final fail with
 * S3X_ERR_INVALID_STATE until s3x_checksum_reset. Returns 0, S3X_ERR_INVALID_ARGUMENT,
 * S3X_ERR_INVALID_STATE, S3X_ERR_UNKNOWN (OpenSSL failed). */
S3X_API int s3x_checksum_final(struct s3x_checksum_state *state, uint8_t out[S3X_CHECKSUM_MAX_DIGEST_SIZE],
    size_t *out_len);

/* Restarts the computation with the same algorithm, reusing everything init set up (the way to
 * checksum part after part with one state). Valid in the accepting and finished phases.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_INVALID_STATE (never initialised), S3X_ERR_UNKNOWN. */
S3X_API int s3x_checksum_reset(struct s3x_checksum_state *state);

/* Bytes added since init or the last reset (the length a CRC combine needs). 0 for NULL. */
S3X_API uint64_t s3x_checksum_bytes(const struct s3x_checksum_state *state);

/* Frees what init obtained and zero-fills the state. NULL, a zero-filled state and a state
 * already cleaned up are accepted. */
S3X_API void s3x_checksum_clean_up(struct s3x_checksum_state *state);

/* --- values: a digest with its algorithm, as S3 writes it ----------------------------------- */

struct s3x_checksum_value {
    enum s3x_checksum_algorithm algorithm;
    uint32_t part_count; /* 0: digest of the bytes; N > 0: COMPOSITE of N parts ("...-N") */
    size_t digest_len;   /* == s3x_checksum_digest_size(algorithm) */
    uint8_t digest[S3X_CHECKSUM_MAX_DIGEST_SIZE];
};

/* s3x_checksum_final into a value (part_count 0). Same errors as s3x_checksum_final. */
S3X_API int s3x_checksum_final_value(struct s3x_checksum_state *state, struct s3x_checksum_value *out);

/* Writes "base64" or, for a composite value, "base64-N" with a terminating NUL.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL, NONE, a digest_len that does not match the
 * algorithm), S3X_ERR_OVERFLOW (out_size too small; S3X_CHECKSUM_VALUE_TEXT_MAX always fits). */
S3X_API int s3x_checksum_value_format(const struct s3x_checksum_value *value, char *out, size_t out_size);

/* Parses a header or XML value ("4waSgw==" or "4waSgw==-3") for `algorithm`. The base64 must be
 * canonical (padded, no whitespace, unused bits zero) and decode to exactly the algorithm's digest
 * size; N must be 1..10000 without leading zeros. Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL,
 * NONE or unknown algorithm), S3X_ERR_PARSE (anything else). `*out` is zero-filled on error. */
S3X_API int s3x_checksum_value_parse(enum s3x_checksum_algorithm algorithm, const char *text, size_t len,
    struct s3x_checksum_value *out);

/* Same algorithm, same part count, same digest. False if either is NULL. */
S3X_API bool s3x_checksum_value_equal(const struct s3x_checksum_value *a, const struct s3x_checksum_value *b);

/* FULL_OBJECT from parts: turns `*ab`, the value of bytes A, into the value of A||B, given the
 * value of B and B's length. A value of an empty A (all zero digest for every CRC) is a valid
 * start, so folding the parts in order from an empty value yields the object's CRC. O(log len_b).
 * Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL, different algorithms, composite values),
 * S3X_ERR_UNSUPPORTED (not a CRC). */
S3X_API int s3x_checksum_value_combine(struct s3x_checksum_value *ab, const struct s3x_checksum_value *b,
    uint64_t len_b);

/* COMPOSITE from parts: hash(digest_1 || ... || digest_N) with the parts' algorithm, part_count N.
 * Every part must be a non-composite value of `algorithm`; 1 <= count <= 10000.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT, plus the errors of s3x_checksum_init (the hash's context). */
S3X_API int s3x_checksum_composite(enum s3x_checksum_algorithm algorithm, const struct s3x_checksum_value *parts,
    size_t count, struct s3x_checksum_value *out);

/* --- base64 (RFC 4648, standard alphabet, padded) -------------------------------------------- */

/* Encodes `len` bytes into `out` with a terminating NUL; *out_len (may be NULL) gets the text
 * length. Needs out_size >= 4 * ceil(len / 3) + 1. Returns 0, S3X_ERR_INVALID_ARGUMENT,
 * S3X_ERR_OVERFLOW. */
S3X_API int s3x_base64_encode(const uint8_t *data, size_t len, char *out, size_t out_size, size_t *out_len);
/* Decodes canonical padded base64 (length a multiple of 4, no whitespace, zero unused bits).
 * Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_PARSE, S3X_ERR_OVERFLOW (out_size too small). */
S3X_API int s3x_base64_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len);

/* --- raw CRCs ---------------------------------------------------------------------------------
 * zlib's convention: pass 0 to start and the previous result to continue, so
 * s3x_crc32c(s3x_crc32c(0, a, n), b, m) is the CRC32C of a||b. data may be NULL when len is 0.
 * The combine functions give crc(A||B) from crc(A), crc(B) and len(B), in O(log len_b). */
S3X_API uint32_t s3x_crc32(uint32_t crc, const void *data, size_t len);
S3X_API uint32_t s3x_crc32c(uint32_t crc, const void *data, size_t len);
S3X_API uint64_t s3x_crc64nvme(uint64_t crc, const void *data, size_t len);
S3X_API uint32_t s3x_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
S3X_API uint32_t s3x_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
S3X_API uint64_t s3x_crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b);

#endif
