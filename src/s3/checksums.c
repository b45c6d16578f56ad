/* Checksums: the incremental state API, names, base64, S3 checksum values, CRC combine (with the
 * GF(2) arithmetic behind it) and COMPOSITE checksums. The contract is include/s3xfer/checksum.h;
 * CRC-64/NVME itself lives in crc64nvme.c. CRC32 and CRC32C come from ISA-L, SHA1/SHA256 from
 * OpenSSL's EVP interface (the low-level SHA256_* functions are deprecated in OpenSSL 3 and
 * warnings are errors here).
 *
 * State invariants (struct s3x_checksum_state):
 *   phase == 0  =>  nothing to free (md_ctx == NULL)
 *   phase >= 1  =>  algorithm valid; md_ctx != NULL  <=>  algorithm is SHA1 or SHA256
 *   phase == 1  =>  crc == the finalised CRC of the `bytes` bytes added since init/reset
 * CRCs keep the finalised value (zlib convention), so "continue" is just crc = s3x_crcX(crc, ...).
 *
 * Combine (CRC32, CRC32C, CRC64NVME all have init = xorout = all ones): with raw(S, M) the shift
 * register after M from S, crc(M) = raw(~0, M) ^ ~0 and raw is linear, which gives
 *     crc(A||B) = crc(A) * x^(8*len(B)) mod P  ^  crc(B).
 * Example: CRC32C, A = "1234", B = "56789": crc(A) = 0xF63AF4EE, crc(B) = 0x83B565D8 (see the tests),
 * x^40 mod P via square-and-multiply (x^8, then (x^8)^5 = x^8 * x^32: 2 squarings + 2
 * multiplications), and the result is 0xE3069283, the check value of "123456789".
 */
#include <s3xfer/checksum.h>
#include <s3xfer/error.h>

#include "../common/common.h"
#include "checksums.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { S_PHASE_NONE = 0, S_PHASE_OPEN = 1, S_PHASE_FINISHED = 2 };

/* ISA-L's crc32_iscsi takes an int length: feed it at most this much per call. */
#define S_ISCSI_MAX_CHUNK ((size_t)1 << 30)

struct s_algorithm_info {
    const char *name;
    const char *header;
    const char *xml;
    const char *api;
    size_t digest_size;
};

static const struct s_algorithm_info s_algorithms[] = {
    [S3X_CHECKSUM_NONE] = {"none", NULL, NULL, NULL, 0},
    [S3X_CHECKSUM_CRC32C] = {"crc32c", "x-amz-checksum-crc32c", "ChecksumCRC32C", "CRC32C", 4},
    [S3X_CHECKSUM_CRC32] = {"crc32", "x-amz-checksum-crc32", "ChecksumCRC32", "CRC32", 4},
    [S3X_CHECKSUM_CRC64NVME] = {"crc64nvme", "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", "CRC64NVME", 8},
    [S3X_CHECKSUM_SHA1] = {"sha1", "x-amz-checksum-sha1", "ChecksumSHA1", "SHA1", 20},
    [S3X_CHECKSUM_SHA256] = {"sha256", "x-amz-checksum-sha256", "ChecksumSHA256", "SHA256", 32},
};

static const struct s_algorithm_info *s_info(enum s3x_checksum_algorithm algorithm) {
    unsigned i = (unsigned)algorithm;
    return i < S3X_ARRAY_LEN(s_algorithms) ? &s_algorithms[i] : NULL;
}

static bool s_is_crc(enum s3x_checksum_algorithm algorithm) {
    return algorithm == S3X_CHECKSUM_CRC32C || algorithm == S3X_CHECKSUM_CRC32 || algorithm == S3X_CHECKSUM_CRC64NVME;
}

static bool s_is_sha(enum s3x_checksum_algorithm algorithm) {
    return algorithm == S3X_CHECKSUM_SHA1 || algorithm == S3X_CHECKSUM_SHA256;
}

/* --- names -------------------------------------------------------------------------------- */

static char s_ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Whether text[0..len) equals the NUL-terminated `word`, ASCII case-insensitively or exactly. */
static bool s_text_equals(const char *text, size_t len, const char *word, bool ignore_case) {
    size_t n = strlen(word);
    if (n != len) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        char a = ignore_case ? s_ascii_lower(text[i]) : text[i];
        char b = ignore_case ? s_ascii_lower(word[i]) : word[i];
        if (a != b) {
            return false;
        }
    }
    return true;
}

const char *s3x_checksum_algorithm_name(enum s3x_checksum_algorithm algorithm) {
    const struct s_algorithm_info *info = s_info(algorithm);
    return info != NULL ? info->name : NULL;
}

const char *s3x_checksum_header_name(enum s3x_checksum_algorithm algorithm) {
    const struct s_algorithm_info *info = s_info(algorithm);
    return info != NULL ? info->header : NULL;
}

const char *s3x_checksum_xml_element(enum s3x_checksum_algorithm algorithm) {
    const struct s_algorithm_info *info = s_info(algorithm);
    return info != NULL ? info->xml : NULL;
}

const char *s3x_checksum_api_name(enum s3x_checksum_algorithm algorithm) {
    const struct s_algorithm_info *info = s_info(algorithm);
    return info != NULL ? info->api : NULL;
}

size_t s3x_checksum_digest_size(enum s3x_checksum_algorithm algorithm) {
    const struct s_algorithm_info *info = s_info(algorithm);
    return info != NULL ? info->digest_size : 0;
}

enum s_name_kind { S_NAME_PLAIN, S_NAME_HEADER, S_NAME_XML };

static int s_lookup(const char *name, size_t len, enum s_name_kind kind, enum s3x_checksum_algorithm *out) {
    if (name == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_algorithms); ++i) {
        const struct s_algorithm_info *info = &s_algorithms[i];
        const char *word = kind == S_NAME_PLAIN ? info->name : kind == S_NAME_HEADER ? info->header : info->xml;
        if (word != NULL && s_text_equals(name, len, word, kind != S_NAME_XML)) {
            *out = (enum s3x_checksum_algorithm)i;
            return 0;
        }
    }
    return S3X_ERR_NOT_FOUND;
}

int s3x_checksum_algorithm_parse(const char *name, size_t len, enum s3x_checksum_algorithm *out) {
    return s_lookup(name, len, S_NAME_PLAIN, out);
}

int s3x_checksum_algorithm_from_header(const char *name, size_t len, enum s3x_checksum_algorithm *out) {
    return s_lookup(name, len, S_NAME_HEADER, out);
}

int s3x_checksum_algorithm_from_xml_element(const char *name, size_t len, enum s3x_checksum_algorithm *out) {
    return s_lookup(name, len, S_NAME_XML, out);
}

const char *s3x_checksum_type_name(enum s3x_checksum_type type) {
    switch (type) {
    case S3X_CHECKSUM_TYPE_FULL_OBJECT:
        return "FULL_OBJECT";
    case S3X_CHECKSUM_TYPE_COMPOSITE:
        return "COMPOSITE";
    }
    return NULL;
}

int s3x_checksum_type_parse(const char *name, size_t len, enum s3x_checksum_type *out) {
    if (name == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (s_text_equals(name, len, "FULL_OBJECT", true)) {
        *out = S3X_CHECKSUM_TYPE_FULL_OBJECT;
        return 0;
    }
    if (s_text_equals(name, len, "COMPOSITE", true)) {
        *out = S3X_CHECKSUM_TYPE_COMPOSITE;
        return 0;
    }
    return S3X_ERR_NOT_FOUND;
}

bool s3x_checksum_supports_type(enum s3x_checksum_algorithm algorithm, enum s3x_checksum_type type) {
    switch (type) {
    case S3X_CHECKSUM_TYPE_FULL_OBJECT:
        return s_is_crc(algorithm);
    case S3X_CHECKSUM_TYPE_COMPOSITE:
        return algorithm == S3X_CHECKSUM_CRC32 || algorithm == S3X_CHECKSUM_CRC32C || s_is_sha(algorithm);
    }
    return false;
}

/* --- GF(2) arithmetic and combine ---------------------------------------------------------- */

uint64_t s3x__crc_mul_mod(uint64_t a, uint64_t b, uint64_t poly_reflected, unsigned width) {
    uint64_t product = 0;
    /* m walks a's coefficients from x^0 (the top bit) upwards while b becomes b * x^i. */
    for (uint64_t m = (uint64_t)1 << (width - 1); m != 0; m >>= 1) {
        if ((a & m) != 0) {
            product ^= b;
        }
        if ((a & (m - 1)) == 0) {
            break; /* no higher coefficient left in a */
        }
        b = (b & 1u) != 0 ? (b >> 1) ^ poly_reflected : b >> 1;
    }
    return product;
}

/* base^e mod P by square-and-multiply. */
static uint64_t s_pow_mod(uint64_t base, uint64_t e, uint64_t poly_reflected, unsigned width) {
    uint64_t result = (uint64_t)1 << (width - 1); /* x^0 */
    while (e != 0) {
        if ((e & 1u) != 0) {
            result = s3x__crc_mul_mod(result, base, poly_reflected, width);
        }
        e >>= 1;
        if (e != 0) {
            base = s3x__crc_mul_mod(base, base, poly_reflected, width);
        }
    }
    return result;
}

uint64_t s3x__crc_x_pow_mod(uint64_t n, uint64_t poly_reflected, unsigned width) {
    return s_pow_mod((uint64_t)1 << (width - 2), n, poly_reflected, width); /* base x^1 */
}

uint64_t s3x__crc_x_pow_8n_mod(uint64_t len_bytes, uint64_t poly_reflected, unsigned width) {
    uint64_t x8 = (uint64_t)1 << (width - 9); /* x^8, below x^width for width 32 and 64 */
    return s_pow_mod(x8, len_bytes, poly_reflected, width);
}

uint64_t s3x__crc_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b, uint64_t poly_reflected, unsigned width) {
    if (len_b == 0) {
        return crc_a; /* crc(B) of nothing is 0 */
    }
    uint64_t shift = s3x__crc_x_pow_8n_mod(len_b, poly_reflected, width);
    return s3x__crc_mul_mod(crc_a, shift, poly_reflected, width) ^ crc_b;
}

uint32_t s3x_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
    return (uint32_t)s3x__crc_combine(crc_a, crc_b, len_b, S3X__CRC32_POLY_REFLECTED, 32);
}

uint32_t s3x_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
    return (uint32_t)s3x__crc_combine(crc_a, crc_b, len_b, S3X__CRC32C_POLY_REFLECTED, 32);
}

/* --- CRC32 and CRC32C through ISA-L ------------------------------------------------------- */

uint32_t s3x_crc32(uint32_t crc, const void *data, size_t len) {
    if (len == 0) {
        return crc;
    }
    /* crc32_gzip_refl inverts on entry and exit: zlib's convention already. */
    return crc32_gzip_refl(crc, data, (uint64_t)len);
}

uint32_t s3x_crc32c(uint32_t crc, const void *data, size_t len) {
    /* crc32_iscsi is the bare shift register (no inversions), takes an int length and a
     * non-const pointer it only reads. */
    unsigned int raw = ~crc;
    unsigned char *p = (unsigned char *)(uintptr_t)data;
    while (len > 0) {
        size_t n = S3X_MIN(len, S_ISCSI_MAX_CHUNK);
        raw = crc32_iscsi(p, (int)n, raw);
        p += n;
        len -= n;
    }
    return ~raw;
}

/* --- SHA through OpenSSL EVP -------------------------------------------------------------- */

/* Fetched once: an explicit fetch saves EVP_DigestInit_ex2 a provider lookup per init. Kept for
 * the life of the process. */
static EVP_MD *s_sha1_md;
static EVP_MD *s_sha256_md;
static pthread_once_t s_md_once = PTHREAD_ONCE_INIT;

static void s_md_fetch_once(void) {
    s_sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
    s_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *s_md(enum s3x_checksum_algorithm algorithm) {
    pthread_once(&s_md_once, s_md_fetch_once);
    return algorithm == S3X_CHECKSUM_SHA1 ? s_sha1_md : s_sha256_md;
}

/* --- incremental state -------------------------------------------------------------------- */

int s3x_checksum_init(struct s3x_checksum_state *state, enum s3x_checksum_algorithm algorithm) {
    if (state == NULL || s_info(algorithm) == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(state, 0, sizeof(*state));
    if (s_is_sha(algorithm)) {
        const EVP_MD *md = s_md(algorithm);
        if (md == NULL) {
            S3X_LOG_WARNF("checksum", "OpenSSL offers no %s digest", s3x_checksum_api_name(algorithm));
            return S3X_ERR_UNSUPPORTED;
        }
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (ctx == NULL) {
            return S3X_ERR_OOM;
        }
        if (EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
            EVP_MD_CTX_free(ctx);
            return S3X_ERR_UNKNOWN;
        }
        state->md_ctx = ctx;
    }
    state->algorithm = algorithm;
    state->phase = S_PHASE_OPEN;
    return 0;
}

int s3x_checksum_update(struct s3x_checksum_state *state, const void *data, size_t len) {
    if (state == NULL || (data == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (state->phase != S_PHASE_OPEN) {
        return S3X_ERR_INVALID_STATE;
    }
    uint64_t bytes = 0;
    if (__builtin_add_overflow(state->bytes, (uint64_t)len, &bytes)) {
        return S3X_ERR_OVERFLOW;
    }
    switch (state->algorithm) {
    case S3X_CHECKSUM_CRC32C:
        state->crc = s3x_crc32c((uint32_t)state->crc, data, len);
        break;
    case S3X_CHECKSUM_CRC32:
        state->crc = s3x_crc32((uint32_t)state->crc, data, len);
        break;
    case S3X_CHECKSUM_CRC64NVME:
        state->crc = s3x_crc64nvme(state->crc, data, len);
        break;
    case S3X_CHECKSUM_SHA1:
    case S3X_CHECKSUM_SHA256:
        if (len > 0 && EVP_DigestUpdate(state->md_ctx, data, len) != 1) {
            return S3X_ERR_UNKNOWN;
        }
        break;
    case S3X_CHECKSUM_NONE:
        break;
    }
    state->bytes = bytes;
    return 0;
}

static void s_store_be(uint64_t v, uint8_t *out, size_t size) {
    for (size_t i = 0; i < size; ++i) {
        out[size - 1 - i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t s_load_be(const uint8_t *in, size_t size) {
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) {
        v = (v << 8) | in[i];
    }
    return v;
}

int s3x_checksum_final(struct s3x_checksum_state *state, uint8_t out[S3X_CHECKSUM_MAX_DIGEST_SIZE], size_t *out_len) {
    if (state == NULL || out == NULL || out_len == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out_len = 0;
    if (state->phase != S_PHASE_OPEN) {
        return S3X_ERR_INVALID_STATE;
    }
    size_t size = s3x_checksum_digest_size(state->algorithm);
    if (s_is_sha(state->algorithm)) {
        unsigned int n = 0;
        int ok = EVP_DigestFinal_ex(state->md_ctx, out, &n);
        state->phase = S_PHASE_FINISHED;
        if (ok != 1 || n != size) {
            return S3X_ERR_UNKNOWN;
        }
    } else {
        s_store_be(state->crc, out, size);
        state->phase = S_PHASE_FINISHED;
    }
    *out_len = size;
    return 0;
}

int s3x_checksum_reset(struct s3x_checksum_state *state) {
    if (state == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (state->phase != S_PHASE_OPEN && state->phase != S_PHASE_FINISHED) {
        return S3X_ERR_INVALID_STATE;
    }
    state->crc = 0;
    state->bytes = 0;
    if (s_is_sha(state->algorithm)) {
        /* Same digest, same EVP_MD_CTX; OpenSSL 3.0 re-creates its per-digest state inside it (one
         * allocation of its own, measured with CRYPTO_set_mem_functions on 3.0.22). */
        if (EVP_DigestInit_ex2(state->md_ctx, NULL, NULL) != 1) {
            state->phase = S_PHASE_FINISHED;
            return S3X_ERR_UNKNOWN;
        }
    }
    state->phase = S_PHASE_OPEN;
    return 0;
}

uint64_t s3x_checksum_bytes(const struct s3x_checksum_state *state) {
    return state != NULL ? state->bytes : 0;
}

void s3x_checksum_clean_up(struct s3x_checksum_state *state) {
    if (state == NULL) {
        return;
    }
    if (state->md_ctx != NULL) {
        EVP_MD_CTX_free(state->md_ctx);
    }
    memset(state, 0, sizeof(*state));
}

/* --- base64 ------------------------------------------------------------------------------- */

static const char s_b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int s3x_base64_encode(const uint8_t *data, size_t len, char *out, size_t out_size, size_t *out_len) {
    if ((data == NULL && len > 0) || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t groups = len / 3 + (len % 3 != 0);
    if (groups > (SIZE_MAX - 1) / 4 || out_size < groups * 4 + 1) {
        return S3X_ERR_OVERFLOW;
    }
    char *o = out;
    for (size_t i = 0; i < len; i += 3) {
        size_t rest = len - i;
        uint32_t v = (uint32_t)data[i] << 16;
        if (rest > 1) {
            v |= (uint32_t)data[i + 1] << 8;
        }
        if (rest > 2) {
            v |= data[i + 2];
        }
        *o++ = s_b64_alphabet[(v >> 18) & 63u];
        *o++ = s_b64_alphabet[(v >> 12) & 63u];
        *o++ = rest > 1 ? s_b64_alphabet[(v >> 6) & 63u] : '=';
        *o++ = rest > 2 ? s_b64_alphabet[v & 63u] : '=';
    }
    *o = '\0';
    if (out_len != NULL) {
        *out_len = (size_t)(o - out);
    }
    return 0;
}

/* 0..63, or -1 for a character outside the alphabet. */
static int s_b64_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes one 4-character group; `last` allows padding. Returns the byte count (1..3) or -1. */
static int s_b64_group(const char *g, bool last, uint8_t bytes[3]) {
    int pad = 0;
    if (last && g[3] == '=') {
        pad = g[2] == '=' ? 2 : 1;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4 - pad; ++i) {
        int d = s_b64_value(g[i]);
        if (d < 0) {
            return -1;
        }
        v = (v << 6) | (uint32_t)d;
    }
    v <<= 6 * pad;
    /* Canonical form: the bits a padded group does not carry are zero. */
    if ((pad == 1 && (v & 0xffu) != 0) || (pad == 2 && (v & 0xffffu) != 0)) {
        return -1;
    }
    bytes[0] = (uint8_t)(v >> 16);
    bytes[1] = (uint8_t)(v >> 8);
    bytes[2] = (uint8_t)v;
    return 3 - pad;
}

int s3x_base64_decode(const char *text, size_t len, uint8_t *out, size_t out_size, size_t *out_len) {
    if ((text == NULL && len > 0) || (out == NULL && out_size > 0) || out_len == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out_len = 0;
    if (len % 4 != 0) {
        return S3X_ERR_PARSE;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint8_t bytes[3];
        int got = s_b64_group(text + i, i + 4 == len, bytes);
        if (got < 0) {
            return S3X_ERR_PARSE;
        }
        if ((size_t)got > out_size - n) {
            return S3X_ERR_OVERFLOW;
        }
        memcpy(out + n, bytes, (size_t)got);
        n += (size_t)got;
    }
    *out_len = n;
    return 0;
}

/* --- values ------------------------------------------------------------------------------- */

static bool s_value_valid(const struct s3x_checksum_value *v) {
    return v != NULL && v->algorithm != S3X_CHECKSUM_NONE && s_info(v->algorithm) != NULL &&
           v->digest_len == s3x_checksum_digest_size(v->algorithm) && v->part_count <= S3X_CHECKSUM_MAX_PARTS;
}

int s3x_checksum_final_value(struct s3x_checksum_state *state, struct s3x_checksum_value *out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    size_t len = 0;
    int rc = s3x_checksum_final(state, out->digest, &len);
    if (rc != 0) {
        return rc;
    }
    out->algorithm = state->algorithm;
    out->digest_len = len;
    return 0;
}

int s3x_checksum_value_format(const struct s3x_checksum_value *value, char *out, size_t out_size) {
    if (!s_value_valid(value) || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t n = 0;
    int rc = s3x_base64_encode(value->digest, value->digest_len, out, out_size, &n);
    if (rc != 0 || value->part_count == 0) {
        return rc;
    }
    int w = snprintf(out + n, out_size - n, "-%u", (unsigned)value->part_count);
    if (w < 0 || (size_t)w >= out_size - n) {
        out[0] = '\0';
        return S3X_ERR_OVERFLOW;
    }
    return 0;
}

/* "1".."10000", no sign, no leading zero. */
static bool s_parse_part_count(const char *s, size_t len, uint32_t *out) {
    if (len == 0 || len > 5 || s[0] == '0') {
        return false;
    }
    uint32_t n = 0;
    for (size_t i = 0; i < len; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        n = n * 10u + (uint32_t)(s[i] - '0');
    }
    if (n > S3X_CHECKSUM_MAX_PARTS) {
        return false;
    }
    *out = n;
    return true;
}

int s3x_checksum_value_parse(enum s3x_checksum_algorithm algorithm, const char *text, size_t len,
    struct s3x_checksum_value *out) {
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (out == NULL || (text == NULL && len > 0) || algorithm == S3X_CHECKSUM_NONE || s_info(algorithm) == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    const char *dash = len > 0 ? memchr(text, '-', len) : NULL;
    size_t b64_len = dash != NULL ? (size_t)(dash - text) : len;
    uint32_t parts = 0;
    if (dash != NULL && !s_parse_part_count(dash + 1, len - b64_len - 1, &parts)) {
        return S3X_ERR_PARSE;
    }
    size_t size = s3x_checksum_digest_size(algorithm);
    size_t got = 0;
    if (s3x_base64_decode(text, b64_len, out->digest, sizeof(out->digest), &got) != 0 || got != size) {
        memset(out, 0, sizeof(*out));
        return S3X_ERR_PARSE;
    }
    out->algorithm = algorithm;
    out->part_count = parts;
    out->digest_len = size;
    return 0;
}

bool s3x_checksum_value_equal(const struct s3x_checksum_value *a, const struct s3x_checksum_value *b) {
    if (a == NULL || b == NULL || a->digest_len > S3X_CHECKSUM_MAX_DIGEST_SIZE) {
        return false;
    }
    return a->algorithm == b->algorithm && a->part_count == b->part_count && a->digest_len == b->digest_len &&
           memcmp(a->digest, b->digest, a->digest_len) == 0;
}

int s3x_checksum_value_combine(struct s3x_checksum_value *ab, const struct s3x_checksum_value *b, uint64_t len_b) {
    if (!s_value_valid(ab) || !s_value_valid(b) || ab->algorithm != b->algorithm) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (!s_is_crc(ab->algorithm)) {
        return S3X_ERR_UNSUPPORTED;
    }
    if (ab->part_count != 0 || b->part_count != 0) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t size = ab->digest_len;
    uint64_t crc_a = s_load_be(ab->digest, size);
    uint64_t crc_b = s_load_be(b->digest, size);
    uint64_t crc = 0;
    switch (ab->algorithm) {
    case S3X_CHECKSUM_CRC32C:
        crc = s3x_crc32c_combine((uint32_t)crc_a, (uint32_t)crc_b, len_b);
        break;
    case S3X_CHECKSUM_CRC32:
        crc = s3x_crc32_combine((uint32_t)crc_a, (uint32_t)crc_b, len_b);
        break;
    default:
        crc = s3x_crc64nvme_combine(crc_a, crc_b, len_b);
        break;
    }
    s_store_be(crc, ab->digest, size);
    return 0;
}

int s3x_checksum_composite(enum s3x_checksum_algorithm algorithm, const struct s3x_checksum_value *parts,
    size_t count, struct s3x_checksum_value *out) {
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (out == NULL || parts == NULL || count == 0 || count > S3X_CHECKSUM_MAX_PARTS ||
        algorithm == S3X_CHECKSUM_NONE || s_info(algorithm) == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < count; ++i) {
        if (!s_value_valid(&parts[i]) || parts[i].algorithm != algorithm || parts[i].part_count != 0) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
    }
    struct s3x_checksum_state state;
    int rc = s3x_checksum_init(&state, algorithm);
    for (size_t i = 0; rc == 0 && i < count; ++i) {
        rc = s3x_checksum_update(&state, parts[i].digest, parts[i].digest_len);
    }
    if (rc == 0) {
        rc = s3x_checksum_final_value(&state, out);
    }
    s3x_checksum_clean_up(&state);
    if (rc != 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->part_count = (uint32_t)count;
    return 0;
}
