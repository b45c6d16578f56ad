/* AWS configuration resolution, hermetic: the environment is a table given through the lookup
 * callback, HOME is a fresh temporary directory, the files are written there. Covers the
 * precedence matrix (explicit > environment > credentials file > config file), profiles, the
 * nested s3 section, malformed files (file:line in the message), missing profiles, session
 * tokens, anonymous access, logs without secrets, and a fail-the-Nth sweep. */
#include "harness.h"

#include "http/aws_config.h"
#include "http/credentials.h"

#include <s3xfer/credentials.h>
#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- fixture ------------------------------------------------------------------------------- */

struct s_fixture {
    char home[256];
    char cred[320];   /* <home>/.aws/credentials */
    char config[320]; /* <home>/.aws/config */
    const char *env[32][2];
    size_t env_count;
    struct s3x_aws_config_options opts;
};

static const char *s_lookup(const char *name, void *user) {
    struct s_fixture *f = user;
    for (size_t i = 0; i < f->env_count; ++i) {
        if (strcmp(f->env[i][0], name) == 0) {
            return f->env[i][1];
        }
    }
    return NULL;
}

static void s_setenv(struct s_fixture *f, const char *name, const char *value) {
    for (size_t i = 0; i < f->env_count; ++i) {
        if (strcmp(f->env[i][0], name) == 0) {
            f->env[i][1] = value;
            return;
        }
    }
    assert_true(f->env_count < 32);
    f->env[f->env_count][0] = name;
    f->env[f->env_count][1] = value;
    f->env_count++;
}

static void s_write(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void s_fixture_init(struct s_fixture *f) {
    memset(f, 0, sizeof(*f));
    snprintf(f->home, sizeof(f->home), "/tmp/s3x-config-XXXXXX");
    assert_non_null(mkdtemp(f->home));
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/.aws", f->home);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(f->cred, sizeof(f->cred), "%s/credentials", dir);
    snprintf(f->config, sizeof(f->config), "%s/config", dir);
    f->opts.env = s_lookup;
    f->opts.env_user_data = f;
    f->opts.home = f->home;
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_fixture_clean(struct s_fixture *f) {
    nftw(f->home, s_rm, 8, FTW_DEPTH | FTW_PHYS);
}

static int s_resolve(struct s_fixture *f, struct s3x_allocator *a, struct s3x_aws_config *out) {
    return s3x_aws_config_resolve(a, &f->opts, out);
}

/* --- precedence ------------------------------------------------------------------------------- */

/* Every combination of the four credential sources: the highest one present wins, and its token
 * comes with it (never mixed with another source's keys). */
static void test_credentials_precedence_matrix(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const char *const ids[] = {"AKID_EXPLICIT", "AKID_ENV", "AKID_CRED", "AKID_CONFIG"};
    static const enum s3x_config_source sources[] = {S3X_CONFIG_SOURCE_EXPLICIT, S3X_CONFIG_SOURCE_ENVIRONMENT,
        S3X_CONFIG_SOURCE_CREDENTIALS_FILE, S3X_CONFIG_SOURCE_CONFIG_FILE};
    for (unsigned mask = 0; mask < 16; ++mask) {
        struct s_fixture f;
        s_fixture_init(&f);
        if (mask & 1) {
            f.opts.access_key_id = ids[0];
            f.opts.secret_access_key = "secret-explicit";
        }
        if (mask & 2) {
            s_setenv(&f, "AWS_ACCESS_KEY_ID", ids[1]);
            s_setenv(&f, "AWS_SECRET_ACCESS_KEY", "secret-env");
            s_setenv(&f, "AWS_SESSION_TOKEN", "token-env");
        }
        if (mask & 4) {
            s_write(f.cred, "[default]\naws_access_key_id = AKID_CRED\naws_secret_access_key = secret-cred\n");
        }
        if (mask & 8) {
            s_write(f.config, "[default]\naws_access_key_id=AKID_CONFIG\naws_secret_access_key=secret-config\n"
                              "aws_session_token=token-config\n");
        }
        struct s3x_aws_config cfg;
        int rc = s_resolve(&f, a, &cfg);
        if (mask == 0) {
            assert_int_equal(rc, S3X_ERR_CREDENTIALS_NOT_FOUND);
            assert_null(cfg.credentials);
            assert_non_null(strstr(cfg.error_message, "profile 'default'"));
            assert_non_null(strstr(cfg.error_message, f.cred));
        } else {
            unsigned winner = (unsigned)__builtin_ctz(mask);
            assert_int_equal(rc, 0);
            assert_string_equal(s3x_credentials_access_key_id(cfg.credentials), ids[winner]);
            assert_int_equal(cfg.credentials_source, sources[winner]);
            /* the token belongs to the winning set only */
            assert_int_equal(s3x_credentials_has_session_token(cfg.credentials), winner == 1 || winner == 3);
            if (winner == 1) {
                assert_string_equal(cfg.credentials->session_token, "token-env");
            } else if (winner == 3) {
                assert_string_equal(cfg.credentials->session_token, "token-config");
            }
            assert_string_equal(cfg.error_message, "");
        }
        s3x_aws_config_clean_up(&cfg);
        s_fixture_clean(&f);
    }
}

static void test_region_precedence(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (int level = 0; level <= 5; ++level) {
        struct s_fixture f;
        s_fixture_init(&f);
        f.opts.anonymous = true;
        const char *want = "us-east-1";
        enum s3x_config_source source = S3X_CONFIG_SOURCE_DEFAULT;
        /* add the sources from the weakest up to `level`; the strongest added wins */
        if (level >= 1) {
            s_write(f.config, "[default]\nregion = r-config\n");
            want = "r-config";
            source = S3X_CONFIG_SOURCE_CONFIG_FILE;
        }
        if (level >= 2) {
            s_write(f.cred, "[default]\nregion = r-cred\n");
            want = "r-cred";
            source = S3X_CONFIG_SOURCE_CREDENTIALS_FILE;
        }
        if (level >= 3) {
            s_setenv(&f, "AWS_DEFAULT_REGION", "r-default-env");
            want = "r-default-env";
            source = S3X_CONFIG_SOURCE_ENVIRONMENT;
        }
        if (level >= 4) {
            s_setenv(&f, "AWS_REGION", "r-env");
            want = "r-env";
        }
        if (level >= 5) {
            f.opts.region = "r-explicit";
            want = "r-explicit";
            source = S3X_CONFIG_SOURCE_EXPLICIT;
        }
        struct s3x_aws_config cfg;
        assert_int_equal(s_resolve(&f, a, &cfg), 0);
        assert_string_equal(cfg.region, want);
        assert_int_equal(cfg.region_source, source);
        assert_null(cfg.credentials);
        assert_int_equal(cfg.credentials_source, S3X_CONFIG_SOURCE_NONE);
        s3x_aws_config_clean_up(&cfg);
        s_fixture_clean(&f);
    }
}

static void test_endpoint_precedence(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (int level = 0; level <= 6; ++level) {
        struct s_fixture f;
        s_fixture_init(&f);
        f.opts.anonymous = true;
        const char *want = NULL;
        enum s3x_config_source source = S3X_CONFIG_SOURCE_NONE;
        const char *config = "[profile dev]\n";
        if (level >= 1) {
            config = "[profile dev]\nendpoint_url = http://profile:1\n";
            want = "http://profile:1";
            source = S3X_CONFIG_SOURCE_CONFIG_FILE;
        }
        if (level >= 2) {
            config = "[profile dev]\nendpoint_url = http://profile:1\ns3 =\n  endpoint_url = http://nested:2\n";
            want = "http://nested:2";
        }
        if (level >= 3) {
            config = "[services local]\ns3 =\n  endpoint_url = http://services:3\n"
                     "[profile dev]\nservices = local\nendpoint_url = http://profile:1\n"
                     "s3 =\n  endpoint_url = http://nested:2\n";
            want = "http://services:3";
        }
        if (level >= 4) {
            s_setenv(&f, "AWS_ENDPOINT_URL", "http://env:4");
            want = "http://env:4";
            source = S3X_CONFIG_SOURCE_ENVIRONMENT;
        }
        if (level >= 5) {
            s_setenv(&f, "AWS_ENDPOINT_URL_S3", "http://env-s3:5");
            want = "http://env-s3:5";
        }
        if (level >= 6) {
            f.opts.endpoint_url = "http://explicit:6";
            want = "http://explicit:6";
            source = S3X_CONFIG_SOURCE_EXPLICIT;
        }
        s_write(f.config, config);
        f.opts.profile = "dev";
        struct s3x_aws_config cfg;
        assert_int_equal(s_resolve(&f, a, &cfg), 0);
        if (want == NULL) {
            assert_null(cfg.endpoint_url);
        } else {
            assert_string_equal(cfg.endpoint_url, want);
        }
        assert_int_equal(cfg.endpoint_source, source);
        s3x_aws_config_clean_up(&cfg);
        /* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS drops environment and files, not the explicit one */
        s_setenv(&f, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE");
        assert_int_equal(s_resolve(&f, a, &cfg), 0);
        if (level >= 6) {
            assert_string_equal(cfg.endpoint_url, "http://explicit:6");
        } else {
            assert_null(cfg.endpoint_url);
        }
        s3x_aws_config_clean_up(&cfg);
        s_fixture_clean(&f);
    }
}

static void test_addressing_style(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    f.opts.anonymous = true;
    struct s3x_aws_config cfg;
    assert_int_equal(s_resolve(&f, a, &cfg), 0);
    assert_int_equal(cfg.addressing_style, S3X_ADDRESSING_AUTO);
    assert_int_equal(cfg.addressing_source, S3X_CONFIG_SOURCE_DEFAULT);
    s3x_aws_config_clean_up(&cfg);

    s_write(f.config, "[default]\ns3 =\n    addressing_style = Path\n    other = x\nregion = eu-west-1\n");
    assert_int_equal(s_resolve(&f, a, &cfg), 0);
    assert_int_equal(cfg.addressing_style, S3X_ADDRESSING_PATH);
    assert_int_equal(cfg.addressing_source, S3X_CONFIG_SOURCE_CONFIG_FILE);
    assert_string_equal(cfg.region, "eu-west-1"); /* a top-level key after the nested block */
    s3x_aws_config_clean_up(&cfg);

    f.opts.addressing_style = S3X_ADDRESSING_VIRTUAL;
    assert_int_equal(s_resolve(&f, a, &cfg), 0);
    assert_int_equal(cfg.addressing_style, S3X_ADDRESSING_VIRTUAL);
    assert_int_equal(cfg.addressing_source, S3X_CONFIG_SOURCE_EXPLICIT);
    s3x_aws_config_clean_up(&cfg);

    f.opts.addressing_style = S3X_ADDRESSING_AUTO;
    s_write(f.config, "[default]\ns3 =\n  addressing_style = sideways\n");
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CONFIG_PARSE);
    char want[400];
    snprintf(want, sizeof(want), "%s:3: addressing_style must be auto, path or virtual", f.config);
    assert_string_equal(cfg.error_message, want);
    s3x_aws_config_clean_up(&cfg);

    enum s3x_addressing_style style;
    assert_int_equal(s3x_addressing_style_parse("VIRTUAL", &style), 0);
    assert_int_equal(style, S3X_ADDRESSING_VIRTUAL);
    assert_int_equal(s3x_addressing_style_parse("dns", &style), S3X_ERR_INVALID_ARGUMENT);
    assert_string_equal(s3x_addressing_style_name(S3X_ADDRESSING_PATH), "path");
    assert_string_equal(s3x_config_source_name(S3X_CONFIG_SOURCE_CREDENTIALS_FILE), "credentials file");
    s_fixture_clean(&f);
}

/* --- profiles --------------------------------------------------------------------------------- */

static const char *const s_profile_cred =
    "# comment\n"
    "; another comment\n"
    "[default]\n"
    "aws_access_key_id = AKID_DEFAULT\n"
    "aws_secret_access_key = secret-default\n"
    "\n"
    "[dev]\r\n"
    "AWS_Access_Key_ID: AKID_DEV\r\n"
    "aws_secret_access_key=secret-dev\r\n"
    "aws_session_token = token-dev\r\n"
    "[profile prod]\n" /* in the credentials file this is a profile named "profile prod" */
    "aws_access_key_id = AKID_WRONG\n"
    "aws_secret_access_key = wrong\n";

static const char *const s_profile_config =
    "[default]\n"
    "region = us-west-2\n"
    "[profile dev]\n"
    "region = eu-central-1\n"
    "[profile   prod]\n"
    "region = ap-south-1\n"
    "aws_access_key_id = AKID_PROD\n"
    "aws_secret_access_key = secret-prod\n"
    "[dev]\n" /* not a profile in the config file: ignored */
    "region = wrong\n"
    "[profile dev]\n" /* a repeated section merges; the last value wins */
    "region = eu-north-1\n";

static void s_expect(struct s_fixture *f, struct s3x_allocator *a, const char *profile, const char *akid,
    const char *region, const char *token) {
    struct s3x_aws_config cfg;
    int rc = s_resolve(f, a, &cfg);
    if (rc != 0) {
        fail_msg("resolve: %s: %s", s3x_error_name(rc), cfg.error_message);
    }
    assert_string_equal(cfg.profile, profile);
    assert_string_equal(s3x_credentials_access_key_id(cfg.credentials), akid);
    assert_string_equal(cfg.region, region);
    if (token == NULL) {
        assert_null(cfg.credentials->session_token);
    } else {
        assert_string_equal(cfg.credentials->session_token, token);
    }
    s3x_aws_config_clean_up(&cfg);
}

static void test_profile_selection(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    s_write(f.cred, s_profile_cred);
    s_write(f.config, s_profile_config);
    s_expect(&f, a, "default", "AKID_DEFAULT", "us-west-2", NULL);
    s_setenv(&f, "AWS_PROFILE", "dev");
    s_expect(&f, a, "dev", "AKID_DEV", "eu-north-1", "token-dev");
    s_setenv(&f, "AWS_PROFILE", "prod"); /* keys from the config file's [profile prod] */
    s_expect(&f, a, "prod", "AKID_PROD", "ap-south-1", NULL);
    f.opts.profile = "dev"; /* the explicit profile beats AWS_PROFILE */
    s_expect(&f, a, "dev", "AKID_DEV", "eu-north-1", "token-dev");
    /* environment credentials beat a profile from AWS_PROFILE, but not an explicit profile */
    s_setenv(&f, "AWS_ACCESS_KEY_ID", "AKID_ENV");
    s_setenv(&f, "AWS_SECRET_ACCESS_KEY", "secret-env");
    s_expect(&f, a, "dev", "AKID_DEV", "eu-north-1", "token-dev");
    f.opts.profile = NULL;
    s_expect(&f, a, "prod", "AKID_ENV", "ap-south-1", NULL);
    /* "" counts as unset */
    s_setenv(&f, "AWS_PROFILE", "");
    s_expect(&f, a, "default", "AKID_ENV", "us-west-2", NULL);
    s_fixture_clean(&f);
}

static void test_profile_not_found(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    s_write(f.cred, s_profile_cred);
    s_write(f.config, s_profile_config);
    s_setenv(&f, "AWS_ACCESS_KEY_ID", "AKID_ENV");
    s_setenv(&f, "AWS_SECRET_ACCESS_KEY", "secret-env");
    struct s3x_aws_config cfg;
    f.opts.profile = "nope";
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_PROFILE_NOT_FOUND);
    char want[800];
    snprintf(want, sizeof(want), "profile 'nope' not found in %s or %s", f.cred, f.config);
    assert_string_equal(cfg.error_message, want);
    assert_null(cfg.credentials);
    assert_null(cfg.region);
    s3x_aws_config_clean_up(&cfg);
    f.opts.profile = NULL;
    s_setenv(&f, "AWS_PROFILE", "nope");
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_PROFILE_NOT_FOUND);
    s3x_aws_config_clean_up(&cfg);
    s_setenv(&f, "AWS_PROFILE", "prod"); /* "profile prod" of the credentials file is not "prod"... */
    unlink(f.config);                    /* ...so without the config file prod does not exist */
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_PROFILE_NOT_FOUND);
    s3x_aws_config_clean_up(&cfg);
    /* no files at all and the default profile: not an error */
    unlink(f.cred);
    s_setenv(&f, "AWS_PROFILE", NULL);
    assert_int_equal(s_resolve(&f, a, &cfg), 0);
    assert_int_equal(cfg.credentials_source, S3X_CONFIG_SOURCE_ENVIRONMENT);
    s3x_aws_config_clean_up(&cfg);
    s_fixture_clean(&f);
}

/* --- files ------------------------------------------------------------------------------------ */

static void test_file_locations(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    char other_cred[400], other_config[400];
    snprintf(other_cred, sizeof(other_cred), "%s/my-creds", f.home);
    snprintf(other_config, sizeof(other_config), "%s/my-config", f.home);
    s_write(f.cred, "[default]\naws_access_key_id=AKID_HOME\naws_secret_access_key=s\n");
    s_write(other_cred, "[default]\naws_access_key_id=AKID_OTHER\naws_secret_access_key=s\n");
    s_write(other_config, "[default]\nregion=r-other\n");
    s_expect(&f, a, "default", "AKID_HOME", "us-east-1", NULL);
    s_setenv(&f, "AWS_SHARED_CREDENTIALS_FILE", other_cred);
    s_setenv(&f, "AWS_CONFIG_FILE", "~/my-config"); /* "~/" is the home directory */
    s_expect(&f, a, "default", "AKID_OTHER", "r-other", NULL);
    f.opts.credentials_file = f.cred; /* options beat the variables */
    f.opts.config_file = "/nonexistent/config";
    s_expect(&f, a, "default", "AKID_HOME", "us-east-1", NULL);
    /* HOME from the environment when the option is not given */
    f.opts.credentials_file = NULL;
    f.opts.config_file = NULL;
    f.opts.home = NULL;
    s_setenv(&f, "AWS_SHARED_CREDENTIALS_FILE", NULL);
    s_setenv(&f, "AWS_CONFIG_FILE", NULL);
    s_setenv(&f, "HOME", f.home);
    s_expect(&f, a, "default", "AKID_HOME", "us-east-1", NULL);
    /* no HOME at all: no default files, so no credentials */
    s_setenv(&f, "HOME", NULL);
    struct s3x_aws_config cfg;
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CREDENTIALS_NOT_FOUND);
    s3x_aws_config_clean_up(&cfg);
    /* a directory where a file is expected is skipped */
    f.opts.credentials_file = f.home;
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CREDENTIALS_NOT_FOUND);
    s3x_aws_config_clean_up(&cfg);
    s_fixture_clean(&f);
}

struct s_bad_file {
    const char *text;
    size_t line;
    const char *what;
};

static void test_malformed_files(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const struct s_bad_file cases[] = {
        {"[default]\naws_access_key_id = x\njust some words\n", 3, "expected 'key = value'"},
        {"# c\n\n[profile dev\nregion = x\n", 3, "section header without a closing ']'"},
        {"region = us-east-1\n[default]\n", 1, "'key = value' before any [section]"},
        {"[default]\n[  ]\n", 2, "empty section name"},
        {"[default]\n = value\n", 2, "empty key before '='"},
        {"[default]\nregion = x\n  continued\n", 3, "indented continuation line (multi-line values are not supported)"},
        {"[default]\ns3 =\n  addressing_style path\n", 3, "expected 'key = value' in the nested section"},
        {"[other]\nfine = 1\n[default]\nregion=x\n\n\n\nbroken\n", 8, "expected 'key = value'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        for (int which = 0; which < 2; ++which) {
            struct s_fixture f;
            s_fixture_init(&f);
            const char *path = which ? f.config : f.cred;
            s_write(path, cases[i].text);
            f.opts.access_key_id = "AKID"; /* a malformed file fails even when it is not needed */
            f.opts.secret_access_key = "s";
            struct s3x_aws_config cfg;
            assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CONFIG_PARSE);
            char want[600];
            snprintf(want, sizeof(want), "%s:%zu: %s", path, cases[i].line, cases[i].what);
            if (strcmp(cfg.error_message, want) != 0) {
                fail_msg("case %zu: message \"%s\", expected \"%s\"", i, cfg.error_message, want);
            }
            assert_null(cfg.credentials);
            s3x_aws_config_clean_up(&cfg);
            s_fixture_clean(&f);
        }
    }
}

static void test_partial_and_invalid_credentials(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    struct s3x_aws_config cfg;
    s_setenv(&f, "AWS_ACCESS_KEY_ID", "AKID");
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CREDENTIALS_NOT_FOUND);
    assert_string_equal(cfg.error_message, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    s3x_aws_config_clean_up(&cfg);
    s_setenv(&f, "AWS_ACCESS_KEY_ID", NULL);
    s_setenv(&f, "AWS_SESSION_TOKEN", "lonely-token"); /* a token alone is ignored */
    s_write(f.cred, "[default]\n\naws_secret_access_key = s3cr3t-value\n");
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CREDENTIALS_NOT_FOUND);
    char want[600];
    snprintf(want, sizeof(want), "%s:3: profile 'default' has aws_secret_access_key but no aws_access_key_id", f.cred);
    assert_string_equal(cfg.error_message, want);
    assert_null(strstr(cfg.error_message, "s3cr3t-value"));
    s3x_aws_config_clean_up(&cfg);
    s_write(f.cred, "[default]\naws_access_key_id = AK/ID\naws_secret_access_key = s3cr3t-value\n");
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CONFIG_PARSE);
    assert_null(strstr(cfg.error_message, "s3cr3t-value"));
    s3x_aws_config_clean_up(&cfg);
    /* contradictory options */
    f.opts.anonymous = true;
    f.opts.access_key_id = "AKID";
    f.opts.secret_access_key = "s";
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_INVALID_ARGUMENT);
    s3x_aws_config_clean_up(&cfg);
    f.opts.anonymous = false;
    f.opts.secret_access_key = NULL;
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_INVALID_ARGUMENT);
    s3x_aws_config_clean_up(&cfg);
    f.opts.access_key_id = NULL;
    f.opts.session_token = "t";
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_INVALID_ARGUMENT);
    s3x_aws_config_clean_up(&cfg);
    assert_int_equal(s3x_aws_config_resolve(a, NULL, &cfg), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_aws_config_resolve(a, &f.opts, NULL), S3X_ERR_INVALID_ARGUMENT);
    s3x_aws_config_clean_up(NULL);
    s_fixture_clean(&f);
}

/* The INI reader on its own: entries, nested entries, line numbers. */
struct s_ini_seen {
    char text[1024];
};

static int s_ini_collect(const struct s3x_ini_entry *e, void *user) {
    struct s_ini_seen *s = user;
    char line[200];
    if (e->key == NULL) {
        snprintf(line, sizeof(line), "%zu[%.*s]\n", e->line, (int)e->section_len, e->section);
    } else if (e->sub_key != NULL) {
        snprintf(line, sizeof(line), "%zu %.*s.%.*s=%.*s\n", e->line, (int)e->key_len, e->key, (int)e->sub_key_len,
            e->sub_key, (int)e->value_len, e->value);
    } else {
        snprintf(line, sizeof(line), "%zu %.*s=%.*s\n", e->line, (int)e->key_len, e->key, (int)e->value_len, e->value);
    }
    strcat(s->text, line);
    return 0;
}

static void test_ini_parser(void **state) {
    (void)state;
    const char *text = "  # indented comment\n[ a b ]\nk = v = w\nc: d:e\r\ns3 =\n\tx = 1\n\n  y=2\nz =\n[q]";
    struct s_ini_seen seen = {{0}};
    size_t line = 0;
    const char *what = NULL;
    assert_int_equal(s3x__ini_parse(text, strlen(text), s_ini_collect, &seen, &line, &what), 0);
    assert_string_equal(seen.text, "2[a b]\n3 k=v = w\n4 c=d:e\n5 s3=\n6 s3.x=1\n8 s3.y=2\n9 z=\n10[q]\n");
}

/* --- logs and sweeps ------------------------------------------------------------------------- */

struct s_log_capture {
    char text[8192];
    int messages;
};

static void s_sink(enum s3x_log_level level, const char *subsystem, const char *message, void *user) {
    (void)level;
    struct s_log_capture *c = user;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof(c->text) - n, "%s: %s\n", subsystem, message);
    c->messages++;
}

static void test_resolve_logs_no_secrets(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    s_write(f.cred, "[default]\naws_access_key_id = AKIDEXAMPLE1234\naws_secret_access_key = s3cr3t-value\n"
                    "aws_session_token = t0ken-value\n");
    static struct s_log_capture cap;
    memset(&cap, 0, sizeof(cap));
    s3x_log_set_sink(s_sink, &cap, S3X_LOG_TRACE);
    struct s3x_aws_config cfg;
    assert_int_equal(s_resolve(&f, a, &cfg), 0);
    s3x_aws_config_clean_up(&cfg);
    s_write(f.config, "[default]\naws_secret_access_key s3cr3t-value\n"); /* malformed: WARN */
    assert_int_equal(s_resolve(&f, a, &cfg), S3X_ERR_CONFIG_PARSE);
    s3x_aws_config_clean_up(&cfg);
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    assert_true(cap.messages >= 2);
    assert_non_null(strstr(cap.text, "credentials file (access key id ****1234, with session token)"));
    assert_non_null(strstr(cap.text, "expected 'key = value'"));
    assert_null(strstr(cap.text, "s3cr3t-value"));
    assert_null(strstr(cap.text, "t0ken-value"));
    assert_null(strstr(cap.text, "AKIDEXAMPLE1234"));
    s_fixture_clean(&f);
}

struct s_sweep {
    struct s_fixture *f;
};

static int s_resolve_block(struct s3x_allocator *a, void *p) {
    struct s_sweep *s = p;
    struct s3x_aws_config cfg;
    int rc = s_resolve(s->f, a, &cfg);
    if (rc == 0 && (cfg.credentials == NULL || strcmp(cfg.region, "eu-north-1") != 0 ||
                       strcmp(cfg.endpoint_url, "http://127.0.0.1:9000") != 0)) {
        rc = S3X_ERR_UNKNOWN;
    }
    s3x_aws_config_clean_up(&cfg);
    return rc;
}

static void test_resolve_fail_nth(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_fixture f;
    s_fixture_init(&f);
    s_write(f.cred, s_profile_cred);
    s_write(f.config, "[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n"
                      "[profile dev]\nservices = local\nregion = eu-north-1\ns3 =\n  addressing_style = path\n");
    s_setenv(&f, "AWS_PROFILE", "dev");
    struct s_sweep ctx = {&f};
    /* 2 paths, 2 files, profile, credentials, scratch copy, region, endpoint = 9 allocations */
    assert_int_equal(s3x_test_sweep_fail_nth(a, s_resolve_block, &ctx, 0), 9);
    s_fixture_clean(&f);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_credentials_precedence_matrix),
        S3X_TEST(test_region_precedence),
        S3X_TEST(test_endpoint_precedence),
        S3X_TEST(test_addressing_style),
        S3X_TEST(test_profile_selection),
        S3X_TEST(test_profile_not_found),
        S3X_TEST(test_file_locations),
        S3X_TEST(test_malformed_files),
        S3X_TEST(test_partial_and_invalid_credentials),
        S3X_TEST(test_ini_parser),
        S3X_TEST(test_resolve_logs_no_secrets),
        S3X_TEST(test_resolve_fail_nth),
    };
    return S3X_TEST_MAIN(argc, argv, "credentials", tests);
}
