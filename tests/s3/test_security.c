/* Security checks of the client (issue 9, point 6, library part), against the fault server:
 *   - secrets (the secret access key, the session token) never reach the log at any level, nor a
 *     transfer's result or a configuration error message: a sink captures every message at TRACE
 *     while uploads, downloads, retries and failures run with a session token set;
 *   - TLS certificates are verified by default: a self-signed HTTPS endpoint is refused
 *     (S3X_ERR_HTTP_TLS, not retried, nothing written), and works once the user opts out
 *     (tls_verify_disable) or trusts its certificate (ca_file). */
#include "fault_test_util.h"

#include <s3xfer/credentials.h>
#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SECRET "S3XFERsecretKEY/never+logged+0123456789"
#define TOKEN "S3XFERsessionTOKEN//never+logged+IQoJb3JpZ2luX2VjEXAMPLE=="

/* --- the capturing sink --------------------------------------------------------------------------- */

struct s_capture {
    pthread_mutex_t lock;
    long messages[S3X_LOG_NONE];
    long leaks;         /* messages holding a secret */
    long token_signed;  /* "session token" mentions: the token path ran */
    long canonical;     /* TRACE canonical requests: TRACE was really on */
    char first_leak[512];
};

static struct s_capture s_cap = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool s_has_secret(const char *text) {
    /* the whole values and any 16-byte piece of them (a truncated or split copy leaks too) */
    static const char *const secrets[] = {SECRET, TOKEN};
    for (size_t i = 0; i < 2; ++i) {
        size_t n = strlen(secrets[i]);
        for (size_t off = 0; off + 16 <= n; off += 4) {
            if (memmem(text, strlen(text), secrets[i] + off, 16) != NULL) {
                return true;
            }
        }
    }
    return false;
}

static void s_sink(enum s3x_log_level level, const char *subsystem, const char *message, void *user) {
    (void)user;
    pthread_mutex_lock(&s_cap.lock);
    if ((unsigned)level < S3X_LOG_NONE) {
        s_cap.messages[level]++;
    }
    if (s_has_secret(message) || s_has_secret(subsystem)) {
        if (s_cap.leaks++ == 0) {
            snprintf(s_cap.first_leak, sizeof(s_cap.first_leak), "[%s] %s", subsystem, message);
        }
    }
    if (strstr(message, "session token") != NULL) {
        s_cap.token_signed++;
    }
    if (level == S3X_LOG_TRACE && strstr(message, "canonical request") != NULL) {
        s_cap.canonical++;
    }
    pthread_mutex_unlock(&s_cap.lock);
}

static void s_assert_clean(const char *what, const struct ft_outcome *out) {
    assert_false(s_has_secret(out->message));
    assert_false(s_has_secret(out->s3_code));
    assert_false(s_has_secret(out->etag));
    (void)what;
}

static void s_round_trips(struct ft_env *e) {
    static const uint64_t sizes[] = {3000, 2 * FT_PART + 11};
    for (size_t i = 0; i < 2; ++i) {
        char key[32];
        snprintf(key, sizeof(key), "secret-%zu", i);
        ft_put_pattern(e, key, sizes[i], (uint32_t)(70 + i));
        ft_assert_object(e, key, sizes[i], (uint32_t)(70 + i), NULL, 0);
    }
    /* retries and failures log more: a 503 then success, a 403, a stall, a failed upload */
    ft_faults(e, "[{\"match\":{\"op\":\"GetObject\"},\"nth\":1,\"fault\":\"slowdown\"},"
                 "{\"match\":{\"op\":\"GetObject\"},\"nth\":3,\"fault\":\"denied\"},"
                 "{\"match\":{\"op\":\"UploadPart\"},\"fault\":\"internal\"}]");
    char dst[128];
    snprintf(dst, sizeof(dst), "%s/dst", e->dir);
    struct s3x_transfer_options o;
    struct ft_outcome out;
    ft_get_file_options(e, &o, "secret-1", dst);
    ft_run(e, &o, 60000, &out);
    assert_int_equal(out.error, S3X_ERR_S3_ACCESS_DENIED);
    s_assert_clean("download", &out);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", e->dir);
    s3x_test_write_pattern_file(src, 2 * FT_PART + 1, 9);
    ft_put_file_options(e, &o, "secret-fail", src);
    ft_run(e, &o, 60000, &out);
    assert_int_equal(out.error, S3X_ERR_S3_INTERNAL_ERROR);
    s_assert_clean("upload", &out);
    unlink(src);
    ft_faults(e, NULL);
    assert_int_equal(ft_uploads(e), 0);
}

/* Explicit credentials with a session token, and the same from a credentials file. */
static void test_secrets_never_logged(void **state) {
    struct ft_env e;
    ft_env_start(&e, state, false);
    s3x_log_set_sink(s_sink, NULL, S3X_LOG_TRACE);

    struct s3x_client_options opt;
    ft_client_options(&e, &opt);
    opt.config.secret_access_key = SECRET;
    opt.config.session_token = TOKEN;
    ft_env_client(&e, &opt);
    s_round_trips(&e);

    /* From a credentials file, through the resolver (which logs what it found at DEBUG). */
    char creds[128];
    snprintf(creds, sizeof(creds), "%s/credentials", e.dir);
    FILE *f = fopen(creds, "w");
    assert_non_null(f);
    fprintf(f, "[leaky]\naws_access_key_id = AKIDFILE\naws_secret_access_key = %s\naws_session_token = %s\n", SECRET,
        TOKEN);
    fclose(f);
    ft_client_options(&e, &opt);
    opt.config.access_key_id = NULL;
    opt.config.secret_access_key = NULL;
    opt.config.profile = "leaky";
    opt.config.credentials_file = creds;
    ft_env_client(&e, &opt);
    s_round_trips(&e);

    /* A malformed file right after the secret: the error message names the line, not its text. */
    f = fopen(creds, "w");
    assert_non_null(f);
    fprintf(f, "[leaky]\naws_secret_access_key = %s\n%s\n", SECRET, SECRET); /* line 3: no '=' */
    fclose(f);
    struct s3x_client *client = NULL;
    char message[512] = {0};
    opt.error_message = message;
    opt.error_message_size = sizeof(message);
    assert_int_equal(s3x_client_new(e.a, &opt, &client), S3X_ERR_CONFIG_PARSE);
    assert_null(client);
    assert_non_null(strstr(message, ":3:"));
    assert_false(s_has_secret(message));
    unlink(creds);

    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    ft_env_stop(&e);
    print_message("  captured %ld TRACE, %ld DEBUG, %ld INFO, %ld WARN, %ld ERROR messages; %ld mention the session "
                  "token; %ld canonical requests\n",
        s_cap.messages[S3X_LOG_TRACE], s_cap.messages[S3X_LOG_DEBUG], s_cap.messages[S3X_LOG_INFO],
        s_cap.messages[S3X_LOG_WARN], s_cap.messages[S3X_LOG_ERROR], s_cap.token_signed, s_cap.canonical);
    if (s_cap.leaks != 0) {
        fail_msg("%ld log messages hold a secret; the first: %s", s_cap.leaks, s_cap.first_leak);
    }
    /* the check saw real traffic at every level that matters */
    assert_true(s_cap.canonical >= 10);
    assert_true(s_cap.token_signed >= 10);
    assert_true(s_cap.messages[S3X_LOG_DEBUG] > 0 && s_cap.messages[S3X_LOG_INFO] > 0);
    assert_true(s_cap.messages[S3X_LOG_WARN] > 0);
}

/* --- TLS --------------------------------------------------------------------------------------- */

static int s_tls_round_trip(struct ft_env *e, const char *key, struct ft_outcome *put, struct ft_outcome *get) {
    char src[128], dst[128];
    snprintf(src, sizeof(src), "%s/src", e->dir);
    snprintf(dst, sizeof(dst), "%s/dst", e->dir);
    s3x_test_write_pattern_file(src, FT_PART + 5, 3);
    struct s3x_transfer_options o;
    ft_put_file_options(e, &o, key, src);
    ft_run(e, &o, 60000, put);
    ft_get_file_options(e, &o, key, dst);
    ft_run(e, &o, 60000, get);
    unlink(src);
    if (get->error == 0) {
        s3x_test_assert_pattern_file(dst, FT_PART + 5, 3);
        unlink(dst);
    }
    assert_int_equal(s3x_test_dir_entries(e->dir), 0);
    return put->error != 0 ? put->error : get->error;
}

static void test_tls_verified_by_default(void **state) {
    struct ft_env e;
    ft_env_start(&e, state, true);
    assert_non_null(strstr(e.server.base_url, "https://"));
    struct s3x_client_options opt;
    s3x_client_options_init(&opt);
    assert_false(opt.tls_verify_disable); /* the default */

    /* The default: the self-signed certificate is refused, at once (not retried). */
    long requests_before = s3x_fault_server_stat(&e.server, "requests"); /* CreateBucket */
    ft_client_options(&e, &opt);
    opt.ca_file = NULL;
    opt.max_attempts = 5;
    ft_env_client(&e, &opt);
    struct ft_outcome put, get;
    assert_int_equal(s_tls_round_trip(&e, "tls", &put, &get), S3X_ERR_HTTP_TLS);
    assert_int_equal(put.error, S3X_ERR_HTTP_TLS);
    assert_int_equal(get.error, S3X_ERR_HTTP_TLS);
    assert_int_equal(put.metrics.retries, 0);
    assert_int_equal(get.metrics.retries, 0);
    assert_int_equal(s3x_fault_server_stat(&e.server, "requests"), requests_before); /* none got through */
    assert_int_equal(s3x_fault_server_stat(&e.server, "objects"), 0);

    /* Opting out. */
    ft_client_options(&e, &opt);
    opt.ca_file = NULL;
    opt.tls_verify_disable = true;
    ft_env_client(&e, &opt);
    assert_int_equal(s_tls_round_trip(&e, "insecure", &put, &get), 0);

    /* Trusting the certificate. */
    ft_client_options(&e, &opt);
    assert_non_null(opt.ca_file);
    ft_env_client(&e, &opt);
    assert_int_equal(s_tls_round_trip(&e, "trusted", &put, &get), 0);
    assert_int_equal(s3x_fault_server_stat(&e.server, "objects"), 2);
    ft_env_stop(&e);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_secrets_never_logged),
        S3X_TEST(test_tls_verified_by_default),
    };
    return S3X_TEST_MAIN(argc, argv, "security", tests);
}
