/* SigV4 key material: SHA-256 and HMAC-SHA256 on OpenSSL 3, signing-key derivation and the
 * signing-key cache.
 *
 * Owns every byte of key material: the secret is read here, the derived signing key never
 * leaves this file (callers get only the final signature), and every buffer that held either is
 * wiped (OPENSSL_cleanse) before it is released.
 *
 * OpenSSL 3 "fetches" an algorithm implementation by name, under a lock, every time a context is
 * initialised from a name. To keep a signature cheap the algorithms are fetched once per
 * process: SHA-256 as an EVP_MD, and HMAC as a template EVP_MAC_CTX already bound to SHA-256;
 * each HMAC duplicates the template and re-keys it (EVP_MAC_init with no parameters keeps the
 * digest), so no per-call fetch happens.
 *
 * Derivation (AWS): kDate = HMAC("AWS4" + secret, "20150830"); kRegion = HMAC(kDate, region);
 * kService = HMAC(kRegion, service); kSigning = HMAC(kService, "aws4_request");
 * signature = hex(HMAC(kSigning, string_to_sign)). Five HMACs without the cache, one with it.
 * When "AWS4" + secret is longer than SHA-256's 64-byte block, HMAC uses SHA-256 of the key
 * instead (RFC 2104), so that digest is computed streaming, and no heap copy of the secret is
 * made for long secrets.
 *
 * Cache invariant: a used slot's key == derivation(slot.secret, slot.date8, slot.region,
 * slot.service); slots are replaced least recently used first (`last_use` is a counter bumped on
 * every hit or insert under the lock).
 */
#include "http/sigv4.h"

#include "common/common.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <pthread.h>
#include <string.h>

#define S_SHA256_LEN 32
#define S_SHA256_BLOCK 64

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static EVP_MD *s_sha256;
static EVP_MAC_CTX *s_hmac_template;

static void s_crypto_init(void) {
    s_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (s_sha256 != NULL && mac != NULL) {
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        char digest[] = "SHA2-256";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end(),
        };
        /* A placeholder key: HMAC cannot be initialised without one; every use re-keys. */
        static const unsigned char placeholder = 0;
        if (ctx != NULL && EVP_MAC_init(ctx, &placeholder, 1, params) == 1) {
            s_hmac_template = ctx;
        } else {
            EVP_MAC_CTX_free(ctx);
        }
    }
    EVP_MAC_free(mac); /* the template keeps its own reference */
    if (s_sha256 == NULL || s_hmac_template == NULL) {
        S3X_LOG_ERRORF("sigv4", "OpenSSL provides no SHA-256 or HMAC: requests cannot be signed");
    }
    ERR_clear_error();
}

static bool s_crypto_ready(void) {
    pthread_once(&s_once, s_crypto_init);
    return s_sha256 != NULL && s_hmac_template != NULL;
}

static void s_hex(const unsigned char *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0F];
    }
    out[2 * n] = '\0';
}

/* --- SHA-256 ------------------------------------------------------------------------------- */

int s3x__sha256_init(struct s3x_sha256 *h) {
    h->ctx = NULL;
    h->failed = false;
    if (!s_crypto_ready()) {
        return S3X_ERR_UNSUPPORTED;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return S3X_ERR_OOM;
    }
    if (EVP_DigestInit_ex2(ctx, s_sha256, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        ERR_clear_error();
        return S3X_ERR_UNSUPPORTED;
    }
    h->ctx = ctx;
    return 0;
}

void s3x__sha256_update(struct s3x_sha256 *h, const void *data, size_t len) {
    if (len > 0 && !h->failed && EVP_DigestUpdate(h->ctx, data, len) != 1) {
        h->failed = true;
    }
}

int s3x__sha256_finish(struct s3x_sha256 *h, char out_hex[65]) {
    unsigned char md[S_SHA256_LEN];
    unsigned int n = 0;
    bool ok = h->ctx != NULL && !h->failed && EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n == S_SHA256_LEN;
    s3x__sha256_discard(h);
    if (!ok) {
        ERR_clear_error();
        return S3X_ERR_UNSUPPORTED;
    }
    s_hex(md, S_SHA256_LEN, out_hex);
    return 0;
}

void s3x__sha256_discard(struct s3x_sha256 *h) {
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int s3x__sha256_hex(const void *data, size_t len, char out_hex[65]) {
    struct s3x_sha256 h;
    int rc = s3x__sha256_init(&h);
    if (rc != 0) {
        return rc;
    }
    s3x__sha256_update(&h, data, len);
    return s3x__sha256_finish(&h, out_hex);
}

/* --- HMAC and derivation ------------------------------------------------------------------- */

static int s_hmac(const void *key, size_t key_len, const void *data, size_t len, unsigned char out[S_SHA256_LEN]) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(s_hmac_template);
    if (ctx == NULL) {
        ERR_clear_error();
        return S3X_ERR_OOM;
    }
    size_t n = 0;
    bool ok = EVP_MAC_init(ctx, key, key_len, NULL) == 1 && EVP_MAC_update(ctx, data, len) == 1 &&
              EVP_MAC_final(ctx, out, &n, S_SHA256_LEN) == 1 && n == S_SHA256_LEN;
    EVP_MAC_CTX_free(ctx); /* OpenSSL clears the key copy it held */
    if (!ok) {
        ERR_clear_error();
        return S3X_ERR_UNSUPPORTED;
    }
    return 0;
}

static int s_derive(const char *secret, size_t secret_len, const char *date8, const char *region,
    const char *service, unsigned char key[S_SHA256_LEN]) {
    unsigned char k0[S_SHA256_BLOCK];
    size_t k0_len;
    int rc = 0;
    if (secret_len <= S_SHA256_BLOCK - 4) {
        memcpy(k0, "AWS4", 4);
        memcpy(k0 + 4, secret, secret_len);
        k0_len = 4 + secret_len;
    } else {
        struct s3x_sha256 h;
        rc = s3x__sha256_init(&h);
        if (rc != 0) {
            return rc;
        }
        s3x__sha256_update(&h, "AWS4", 4);
        s3x__sha256_update(&h, secret, secret_len);
        unsigned int n = 0;
        bool ok = !h.failed && EVP_DigestFinal_ex(h.ctx, k0, &n) == 1 && n == S_SHA256_LEN;
        s3x__sha256_discard(&h);
        if (!ok) {
            OPENSSL_cleanse(k0, sizeof(k0));
            return S3X_ERR_UNSUPPORTED;
        }
        k0_len = S_SHA256_LEN;
    }
    unsigned char a[S_SHA256_LEN];
    unsigned char b[S_SHA256_LEN];
    rc = s_hmac(k0, k0_len, date8, strlen(date8), a);
    if (rc == 0) {
        rc = s_hmac(a, sizeof(a), region, strlen(region), b);
    }
    if (rc == 0) {
        rc = s_hmac(b, sizeof(b), service, strlen(service), a);
    }
    if (rc == 0) {
        rc = s_hmac(a, sizeof(a), "aws4_request", 12, key);
    }
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    return rc;
}

/* --- cache --------------------------------------------------------------------------------- */

struct s_slot {
    bool used;
    uint64_t last_use;
    char date8[9];
    char *strings; /* region \0 service \0 secret: one allocation, wiped on release */
    size_t strings_size;
    const char *region;
    const char *service;
    const char *secret;
    size_t secret_len;
    unsigned char key[S_SHA256_LEN];
};

struct s3x_sigv4_key_cache {
    struct s3x_allocator *allocator; /* immutable */
    pthread_mutex_t lock;
    /* synced: under lock */
    uint64_t clock;
    uint64_t hits;
    uint64_t misses;
    struct s_slot slots[S3X_SIGV4_KEY_CACHE_SLOTS];
};

int s3x__sigv4_key_cache_new(struct s3x_allocator *allocator, struct s3x_sigv4_key_cache **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (allocator == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_sigv4_key_cache *c = s3x_mem_calloc(allocator, 1, sizeof(*c));
    if (c == NULL) {
        return S3X_ERR_OOM;
    }
    c->allocator = allocator;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        s3x_mem_release(allocator, c);
        return S3X_ERR_SYS;
    }
    *out = c;
    return 0;
}

static void s_slot_clear(struct s3x_allocator *a, struct s_slot *slot) {
    if (slot->strings != NULL) {
        OPENSSL_cleanse(slot->strings, slot->strings_size);
        s3x_mem_release(a, slot->strings);
    }
    OPENSSL_cleanse(slot, sizeof(*slot));
    memset(slot, 0, sizeof(*slot));
}

void s3x__sigv4_key_cache_destroy(struct s3x_sigv4_key_cache *cache) {
    if (cache == NULL) {
        return;
    }
    for (size_t i = 0; i < S3X_SIGV4_KEY_CACHE_SLOTS; ++i) {
        s_slot_clear(cache->allocator, &cache->slots[i]);
    }
    pthread_mutex_destroy(&cache->lock);
    s3x_mem_release(cache->allocator, cache);
}

void s3x__sigv4_key_cache_stats(struct s3x_sigv4_key_cache *cache, struct s3x_sigv4_key_cache_stats *out) {
    memset(out, 0, sizeof(*out));
    if (cache == NULL) {
        return;
    }
    pthread_mutex_lock(&cache->lock);
    out->hits = cache->hits;
    out->misses = cache->misses;
    pthread_mutex_unlock(&cache->lock);
}

static struct s_slot *s_find_synced(struct s3x_sigv4_key_cache *c, const char *secret, size_t secret_len,
    const char *date8, const char *region, const char *service) {
    for (size_t i = 0; i < S3X_SIGV4_KEY_CACHE_SLOTS; ++i) {
        struct s_slot *s = &c->slots[i];
        if (s->used && s->secret_len == secret_len && memcmp(s->date8, date8, 8) == 0 &&
            strcmp(s->region, region) == 0 && strcmp(s->service, service) == 0 &&
            CRYPTO_memcmp(s->secret, secret, secret_len) == 0) {
            return s;
        }
    }
    return NULL;
}

static bool s_lookup(struct s3x_sigv4_key_cache *c, const char *secret, size_t secret_len, const char *date8,
    const char *region, const char *service, unsigned char key[S_SHA256_LEN]) {
    pthread_mutex_lock(&c->lock);
    struct s_slot *s = s_find_synced(c, secret, secret_len, date8, region, service);
    if (s != NULL) {
        memcpy(key, s->key, S_SHA256_LEN);
        s->last_use = ++c->clock;
        ++c->hits;
    } else {
        ++c->misses;
    }
    pthread_mutex_unlock(&c->lock);
    return s != NULL;
}

/* Stores a derived key. Allocation failure only means the next call derives again. */
static void s_insert(struct s3x_sigv4_key_cache *c, const char *secret, size_t secret_len, const char *date8,
    const char *region, const char *service, const unsigned char key[S_SHA256_LEN]) {
    size_t region_len = strlen(region);
    size_t service_len = strlen(service);
    size_t size = region_len + service_len + secret_len + 3;
    char *strings = s3x_mem_acquire(c->allocator, size);
    if (strings == NULL) {
        S3X_LOG_DEBUGF("sigv4", "out of memory caching a signing key; it will be derived again");
        return;
    }
    memcpy(strings, region, region_len + 1);
    memcpy(strings + region_len + 1, service, service_len + 1);
    memcpy(strings + region_len + service_len + 2, secret, secret_len);
    strings[size - 1] = '\0';
    pthread_mutex_lock(&c->lock);
    struct s_slot *victim = NULL;
    if (s_find_synced(c, secret, secret_len, date8, region, service) == NULL) {
        /* The first free slot, else the least recently used one. */
        victim = &c->slots[0];
        for (size_t i = 0; i < S3X_SIGV4_KEY_CACHE_SLOTS; ++i) {
            struct s_slot *s = &c->slots[i];
            if (!s->used) {
                victim = s;
                break;
            }
            if (s->last_use < victim->last_use) {
                victim = s;
            }
        }
        s_slot_clear(c->allocator, victim);
        victim->used = true;
        victim->last_use = ++c->clock;
        memcpy(victim->date8, date8, 8);
        victim->date8[8] = '\0';
        victim->strings = strings;
        victim->strings_size = size;
        victim->region = strings;
        victim->service = strings + region_len + 1;
        victim->secret = strings + region_len + service_len + 2;
        victim->secret_len = secret_len;
        memcpy(victim->key, key, S_SHA256_LEN);
        strings = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (strings != NULL) { /* another thread inserted the same key meanwhile */
        OPENSSL_cleanse(strings, size);
        s3x_mem_release(c->allocator, strings);
    }
}

int s3x__sigv4_signature(struct s3x_sigv4_key_cache *cache, const char *secret, size_t secret_len,
    const char *date8, const char *region, const char *service, const char *string_to_sign, size_t sts_len,
    char out_hex[65]) {
    if (!s_crypto_ready()) {
        return S3X_ERR_UNSUPPORTED;
    }
    unsigned char key[S_SHA256_LEN];
    int rc = 0;
    if (cache == NULL || !s_lookup(cache, secret, secret_len, date8, region, service, key)) {
        rc = s_derive(secret, secret_len, date8, region, service, key);
        if (rc == 0 && cache != NULL) {
            s_insert(cache, secret, secret_len, date8, region, service, key);
        }
    }
    unsigned char sig[S_SHA256_LEN];
    if (rc == 0) {
        rc = s_hmac(key, sizeof(key), string_to_sign, sts_len, sig);
    }
    OPENSSL_cleanse(key, sizeof(key));
    if (rc == 0) {
        s_hex(sig, sizeof(sig), out_hex);
    }
    return rc;
}
