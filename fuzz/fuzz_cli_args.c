/* libFuzzer target: the command line of the s3xfer command (cli/args.c, linked in with
 * cli/errors.c for its usage messages): SIZE values, locations (s3:// URLs, local paths, "-") and
 * whole argument vectors.
 *
 * Input: cut at NUL bytes into up to 32 arguments. Checked, any violation traps:
 *   - every argument through cli_parse_size agrees with an independent reference parser written
 *     here (128-bit arithmetic: digits, up to 3 decimals, the unit table, whole bytes, < 2^64), and
 *     an error always comes with a message;
 *   - every argument through cli_location_parse (lenient and strict): a result kind that matches
 *     the text ("-", "s3://" case-insensitive, else local), for s3:// the bucket and key that put
 *     back together give the text again, a bucket of S3's characters, a key of at most 1024 bytes;
 *     strict never accepts what lenient refuses;
 *   - the vector through cli_parse_args: CLI_EXIT_OK or CLI_EXIT_USAGE; on success a known command
 *     (or help/version), at most CLI_MAX_ARGS positional arguments, each one of the inputs. */
#include "cli.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

#define S_MAX_ARGS 32

/* --- SIZE: the reference ------------------------------------------------------------------------ */

static unsigned __int128 s_unit(const char *u) {
    static const struct {
        const char *name;
        unsigned long long mult;
    } units[] = {{"", 1}, {"b", 1}, {"k", 1ull << 10}, {"kib", 1ull << 10}, {"kb", 1000ull}, {"m", 1ull << 20},
        {"mib", 1ull << 20}, {"mb", 1000000ull}, {"g", 1ull << 30}, {"gib", 1ull << 30}, {"gb", 1000000000ull},
        {"t", 1ull << 40}, {"tib", 1ull << 40}, {"tb", 1000000000000ull}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); ++i) {
        if (strcasecmp(u, units[i].name) == 0) {
            return units[i].mult;
        }
    }
    return 0;
}

/* 0 and *out, or -1. */
static int s_ref_size(const char *s, uint64_t *out) {
    const char *p = s;
    if (!isdigit((unsigned char)*p)) {
        return -1;
    }
    unsigned __int128 whole = 0;
    bool big = false;
    for (; isdigit((unsigned char)*p); ++p) {
        whole = whole * 10u + (unsigned)(*p - '0');
        if (whole > UINT64_MAX) {
            big = true;
            whole = (unsigned __int128)UINT64_MAX + 1u; /* stays too large */
        }
    }
    unsigned __int128 frac = 0, denom = 1;
    if (*p == '.') {
        ++p;
        if (!isdigit((unsigned char)*p)) {
            return -1;
        }
        for (; isdigit((unsigned char)*p); ++p) {
            if (denom == 1000) {
                return -1;
            }
            frac = frac * 10u + (unsigned)(*p - '0');
            denom *= 10u;
        }
    }
    unsigned __int128 mult = s_unit(p);
    if (mult == 0 || big) {
        return -1;
    }
    unsigned __int128 value = whole * mult;
    if (frac * mult % denom != 0) {
        return -1;
    }
    value += frac * mult / denom;
    if (value > UINT64_MAX) {
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

static void s_check_size(const char *arg) {
    uint64_t got = 0, want = 0;
    char err[256] = {0};
    int rc = cli_parse_size(arg, &got, err, sizeof(err));
    int ref = s_ref_size(arg, &want);
    S_CHECK(rc == ref);
    S_CHECK(rc != 0 || got == want);
    S_CHECK(rc == 0 || err[0] != '\0');
}

/* --- locations -------------------------------------------------------------------------------------- */

static void s_check_location(const char *arg, bool strict, int lenient_rc) {
    struct cli_location loc;
    char err[512] = {0};
    int rc = cli_location_parse(arg, strict, &loc, err, sizeof(err));
    S_CHECK(rc == 0 || rc == CLI_EXIT_USAGE);
    S_CHECK(rc == 0 || err[0] != '\0');
    S_CHECK(!(strict && rc == 0 && lenient_rc != 0));
    if (rc == 0) {
        S_CHECK(loc.text == arg);
        if (strcmp(arg, "-") == 0) {
            S_CHECK(loc.kind == CLI_LOC_STDIO);
        } else if (strncasecmp(arg, "s3://", 5) == 0) {
            S_CHECK(loc.kind == CLI_LOC_S3 && loc.bucket != NULL && loc.key != NULL);
            size_t blen = strlen(loc.bucket);
            S_CHECK(blen > 0 && blen <= 255 && strchr(loc.bucket, '/') == NULL);
            for (size_t i = 0; i < blen; ++i) {
                unsigned char c = (unsigned char)loc.bucket[i];
                S_CHECK(isalnum(c) || c == '.' || c == '-' || c == '_');
            }
            S_CHECK(strlen(loc.key) <= 1024);
            /* s3://BUCKET[/KEY] back together */
            S_CHECK(strncmp(arg + 5, loc.bucket, blen) == 0);
            const char *rest = arg + 5 + blen;
            S_CHECK(rest[0] == '\0' ? loc.key[0] == '\0' : (rest[0] == '/' && strcmp(rest + 1, loc.key) == 0));
        } else {
            S_CHECK(loc.kind == CLI_LOC_LOCAL && loc.bucket == NULL && strncasecmp(arg, "s3:", 3) != 0);
        }
    } else {
        S_CHECK(loc.bucket == NULL && loc.key == NULL);
    }
    cli_location_clean_up(&loc);
}

/* --- whole vectors ------------------------------------------------------------------------------- */

static void s_check_args(int argc, char **argv) {
    struct cli_options o;
    int rc = cli_parse_args(argc, argv, &o);
    S_CHECK(rc == CLI_EXIT_OK || rc == CLI_EXIT_USAGE);
    if (rc != CLI_EXIT_OK) {
        return;
    }
    S_CHECK(o.help || o.version || o.command != CLI_CMD_NONE);
    S_CHECK(o.nargs <= CLI_MAX_ARGS);
    for (size_t i = 0; i < o.nargs; ++i) {
        bool found = false;
        for (int j = 1; j < argc && !found; ++j) {
            found = o.args[i] == argv[j];
        }
        S_CHECK(found);
    }
    if (o.command != CLI_CMD_NONE && !o.help && !o.version) {
        S_CHECK(o.part_size_bytes == 0 ||
                (o.part_size_bytes >= S3X_PART_SIZE_MIN && o.part_size_bytes <= S3X_PART_SIZE_MAX));
        S_CHECK(o.memory_limit_bytes == 0 ||
                o.memory_limit_bytes >= (o.part_size_bytes != 0 ? o.part_size_bytes : S3X_PART_SIZE_DEFAULT));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 16384) {
        return 0;
    }
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[S_MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"s3xfer";
    for (size_t start = 0; start <= size && argc <= S_MAX_ARGS;) {
        argv[argc++] = text + start;
        start += strlen(text + start) + 1;
    }
    argv[argc] = NULL;
    for (int i = 1; i < argc; ++i) {
        s_check_size(argv[i]);
        struct cli_location loc;
        char err[512];
        int lenient = cli_location_parse(argv[i], false, &loc, err, sizeof(err));
        cli_location_clean_up(&loc);
        s_check_location(argv[i], false, lenient);
        s_check_location(argv[i], true, lenient);
    }
    s_check_args(argc, argv);
    free(text);
    return 0;
}
