/* The command line: options (global ones before or after the subcommand), SIZE values and
 * locations (local paths, "-", s3://bucket/key).
 *
 * Rules. Long options take their value as `--opt VALUE` or `--opt=VALUE`; short flags (-r, -q,
 * -h) may be grouped (-rq). `--` ends the options. A value that starts with "--" is refused (a
 * forgotten value would otherwise swallow the next option). Options given twice: the last wins.
 * An option that belongs to another subcommand is a usage error, as is an unknown one (with the
 * closest known name as a suggestion when one is within two edits).
 *
 * SIZE: "8MiB" = "8M" = "8m" = 8,388,608; "8MB" = 8,000,000 (the convention of GNU dd and
 * coreutils: a bare letter or "iB" is binary, "B" after the letter is decimal); "1.5GiB" =
 * 1,610,612,736 (up to 3 decimals, the result must be whole bytes); "1048576" = bytes. Anything
 * else (space inside, unknown unit, sign, overflow past 2^64-1) is refused with the reason.
 *
 * URLs: "s3://bucket", "s3://bucket/", "s3://bucket/key/with/slashes". The scheme is matched
 * case-insensitively. Text that starts with "s3:" without "//", or any other scheme
 * ("https://..."), is refused rather than read as a local path, so a typo cannot upload to or
 * download from an unexpected place ("./s3:x" names a local file of that name).
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* --- memory helpers ---------------------------------------------------------------------------- */

static void s_out_of_memory(void) {
    fputs("s3xfer: error: out of memory\n", stderr);
    exit(CLI_EXIT_FAILURE);
}

void *cli_calloc(size_t n, size_t size) {
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    if (p == NULL) {
        s_out_of_memory();
    }
    return p;
}

char *cli_strdup(const char *s) {
    char *p = strdup(s);
    if (p == NULL) {
        s_out_of_memory();
    }
    return p;
}

char *cli_strcat3(const char *a, const char *b, const char *c) {
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *p = cli_calloc(1, la + lb + lc + 1);
    memcpy(p, a, la);
    memcpy(p + la, b, lb);
    memcpy(p + la + lb, c, lc);
    return p;
}

/* --- the option table ---------------------------------------------------------------------------- */

enum s_opt {
    O_ENDPOINT_URL,
    O_REGION,
    O_PROFILE,
    O_PART_SIZE,
    O_MEMORY_LIMIT,
    O_MAX_CONNECTIONS,
    O_CHECKSUM,
    O_NO_CHECKSUM_IN_COMPLETE,
    O_NO_PROGRESS,
    O_QUIET,
    O_STATS_JSON,
    O_NO_VERIFY_SSL,
    O_NO_DIRECT,
    O_CA_BUNDLE,
    O_RECURSIVE,
    O_DRY_RUN,
    O_CONTENT_TYPE,
    O_RESUME_FILE,
    O_HUMAN,
    O_SUMMARIZE,
    O_HELP,
    O_VERSION,
};

struct s_spec {
    const char *name;
    char short_name;
    bool takes_value;
    unsigned commands; /* the subcommands it applies to */
    enum s_opt id;
};

static const struct s_spec s_specs[] = {
    {"endpoint-url", 0, true, CLI_CMD_ALL, O_ENDPOINT_URL},
    {"region", 0, true, CLI_CMD_ALL, O_REGION},
    {"profile", 0, true, CLI_CMD_ALL, O_PROFILE},
    {"part-size", 0, true, CLI_CMD_ALL, O_PART_SIZE},
    {"memory-limit", 0, true, CLI_CMD_ALL, O_MEMORY_LIMIT},
    {"max-connections", 0, true, CLI_CMD_ALL, O_MAX_CONNECTIONS},
    {"checksum", 0, true, CLI_CMD_ALL, O_CHECKSUM},
    {"no-checksum-in-complete", 0, false, CLI_CMD_ALL, O_NO_CHECKSUM_IN_COMPLETE},
    {"no-progress", 0, false, CLI_CMD_ALL, O_NO_PROGRESS},
    {"quiet", 'q', false, CLI_CMD_ALL, O_QUIET},
    {"stats-json", 0, true, CLI_CMD_ALL, O_STATS_JSON},
    {"no-verify-ssl", 0, false, CLI_CMD_ALL, O_NO_VERIFY_SSL},
    {"ca-bundle", 0, true, CLI_CMD_ALL, O_CA_BUNDLE},
    {"no-direct-connections", 0, false, CLI_CMD_ALL, O_NO_DIRECT},
    {"recursive", 'r', false, CLI_CMD_CP | CLI_CMD_LS | CLI_CMD_RM, O_RECURSIVE},
    {"dry-run", 0, false, CLI_CMD_CP | CLI_CMD_RM, O_DRY_RUN},
    {"content-type", 0, true, CLI_CMD_CP, O_CONTENT_TYPE},
    {"resume-file", 0, true, CLI_CMD_CP, O_RESUME_FILE},
    {"human-readable", 0, false, CLI_CMD_LS, O_HUMAN},
    {"summarize", 0, false, CLI_CMD_LS, O_SUMMARIZE},
    {"help", 'h', false, CLI_CMD_ALL, O_HELP},
    {"version", 0, false, CLI_CMD_ALL, O_VERSION},
};
#define S_NSPECS (sizeof(s_specs) / sizeof(s_specs[0]))

static const struct {
    const char *name;
    enum cli_command command;
} s_commands[] = {
    {"cp", CLI_CMD_CP}, {"ls", CLI_CMD_LS}, {"rm", CLI_CMD_RM}, {"stat", CLI_CMD_STAT}, {"mb", CLI_CMD_MB},
};

enum cli_command cli_command_from_name(const char *name) {
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); ++i) {
        if (strcmp(name, s_commands[i].name) == 0) {
            return s_commands[i].command;
        }
    }
    return CLI_CMD_NONE;
}

static const char *s_command_name(enum cli_command command) {
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); ++i) {
        if (s_commands[i].command == command) {
            return s_commands[i].name;
        }
    }
    return "?";
}

/* Levenshtein distance, capped: enough to suggest "--part-size" for "--partsize". */
static size_t s_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) {
        return 99;
    }
    size_t row[41];
    for (size_t j = 0; j <= lb; ++j) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; ++j) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0u : 1u);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *s_suggest_option(const char *name) {
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < S_NSPECS; ++i) {
        size_t d = s_distance(name, s_specs[i].name);
        if (d < best_d) {
            best_d = d;
            best = s_specs[i].name;
        }
    }
    return best;
}

static const char *s_suggest_command(const char *name) {
    for (size_t i = 0; i < sizeof(s_commands) / sizeof(s_commands[0]); ++i) {
        if (s_distance(name, s_commands[i].name) <= 1) {
            return s_commands[i].name;
        }
    }
    if (strcmp(name, "mv") == 0 || strcmp(name, "sync") == 0) {
        return "cp";
    }
    return NULL;
}

/* --- values ------------------------------------------------------------------------------------ */

static int s_parse_u32(const char *opt, const char *text, uint32_t min, uint32_t max, uint32_t *out) {
    uint64_t v = 0;
    const char *p = text;
    if (*p == '\0') {
        return cli_usage_error("--%s: empty value (expected a number from %u to %u)", opt, min, max);
    }
    for (; *p != '\0'; ++p) {
        if (!isdigit((unsigned char)*p)) {
            return cli_usage_error("--%s: '%s' is not a whole number (expected %u to %u)", opt, text, min, max);
        }
        v = v * 10u + (uint64_t)(*p - '0');
        if (v > max) {
            return cli_usage_error("--%s: %s is out of range (expected %u to %u)", opt, text, min, max);
        }
    }
    if (v < min) {
        return cli_usage_error("--%s: %s is out of range (expected %u to %u)", opt, text, min, max);
    }
    *out = (uint32_t)v;
    return 0;
}

static int s_parse_size_opt(const char *opt, const char *text, uint64_t *out) {
    char err[256];
    if (cli_parse_size(text, out, err, sizeof(err)) != 0) {
        return cli_usage_error("--%s: %s", opt, err);
    }
    return 0;
}

static int s_check_text(const char *opt, const char *text) {
    if (text[0] == '\0') {
        return cli_usage_error("--%s: empty value", opt);
    }
    for (const char *p = text; *p != '\0'; ++p) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            return cli_usage_error("--%s: the value contains a control character", opt);
        }
    }
    return 0;
}

static int s_check_endpoint(const char *url) {
    const char *host = NULL;
    if (strncasecmp(url, "http://", 7) == 0) {
        host = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        host = url + 8;
    }
    if (host == NULL || host[0] == '\0' || host[0] == '/' || host[0] == ':') {
        return cli_usage_error("--endpoint-url: '%s' is not an http:// or https:// URL with a host "
                               "(example: http://127.0.0.1:9000)",
            url);
    }
    for (const char *p = url; *p != '\0'; ++p) {
        if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20) {
            return cli_usage_error("--endpoint-url: '%s' contains a space or control character", url);
        }
    }
    return 0;
}

static int s_apply(struct cli_options *o, const struct s_spec *spec, const char *value) {
    switch (spec->id) {
    case O_ENDPOINT_URL:
        o->endpoint_url = value;
        return s_check_endpoint(value);
    case O_REGION:
        o->region = value;
        return s_check_text(spec->name, value);
    case O_PROFILE:
        o->profile = value;
        return s_check_text(spec->name, value);
    case O_PART_SIZE:
        return s_parse_size_opt(spec->name, value, &o->part_size_bytes);
    case O_MEMORY_LIMIT:
        return s_parse_size_opt(spec->name, value, &o->memory_limit_bytes);
    case O_MAX_CONNECTIONS:
        return s_parse_u32(spec->name, value, 1, 1024, &o->max_connections);
    case O_CHECKSUM:
        if (s3x_checksum_algorithm_parse(value, strlen(value), &o->checksum) != 0) {
            return cli_usage_error("--checksum: unknown algorithm '%s' (use crc32c, crc32, crc64nvme, sha1, sha256 "
                                   "or none)",
                value);
        }
        o->checksum_set = true;
        return 0;
    case O_NO_CHECKSUM_IN_COMPLETE:
        o->no_checksum_in_complete = true;
        return 0;
    case O_NO_PROGRESS:
        o->no_progress = true;
        return 0;
    case O_QUIET:
        o->quiet = true;
        return 0;
    case O_STATS_JSON:
        o->stats_json = value;
        return s_check_text(spec->name, value);
    case O_NO_VERIFY_SSL:
        o->no_verify_ssl = true;
        return 0;
    case O_NO_DIRECT:
        o->no_direct = true;
        return 0;
    case O_CA_BUNDLE:
        o->ca_bundle = value;
        return s_check_text(spec->name, value);
    case O_RECURSIVE:
        o->recursive = true;
        return 0;
    case O_DRY_RUN:
        o->dry_run = true;
        return 0;
    case O_RESUME_FILE:
        o->resume_file = value;
        return s_check_text(spec->name, value);
    case O_CONTENT_TYPE:
        o->content_type = value;
        return s_check_text(spec->name, value);
    case O_HUMAN:
        o->human = true;
        return 0;
    case O_SUMMARIZE:
        o->summarize = true;
        return 0;
    case O_HELP:
        o->help = true;
        return 0;
    case O_VERSION:
        o->version = true;
        return 0;
    }
    return cli_usage_error("internal error: unhandled option --%s", spec->name);
}

/* --- the parser ----------------------------------------------------------------------------------- */

struct s_parser {
    int argc;
    char **argv;
    int i;
    struct cli_options *o;
    bool help_command; /* "s3xfer help [cmd]" */
    const struct s_spec *given[64];
    size_t ngiven;
};

static int s_take(struct s_parser *ps, const struct s_spec *spec, const char *inline_value) {
    const char *value = NULL;
    if (spec->takes_value) {
        if (inline_value != NULL) {
            value = inline_value;
        } else if (ps->i + 1 < ps->argc && strncmp(ps->argv[ps->i + 1], "--", 2) != 0) {
            value = ps->argv[++ps->i];
        } else {
            return cli_usage_error("option --%s needs a value", spec->name);
        }
    } else if (inline_value != NULL) {
        return cli_usage_error("option --%s takes no value (got '--%s=%s')", spec->name, spec->name, inline_value);
    }
    if (ps->ngiven < sizeof(ps->given) / sizeof(ps->given[0])) {
        ps->given[ps->ngiven++] = spec;
    }
    return s_apply(ps->o, spec, value);
}

static int s_long(struct s_parser *ps, const char *arg) {
    char name[64];
    const char *eq = strchr(arg, '=');
    size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    if (len >= sizeof(name)) {
        return cli_usage_error("unknown option '--%.40s...' (see s3xfer --help)", arg);
    }
    memcpy(name, arg, len);
    name[len] = '\0';
    for (size_t i = 0; i < S_NSPECS; ++i) {
        if (strcmp(s_specs[i].name, name) == 0) {
            return s_take(ps, &s_specs[i], eq != NULL ? eq + 1 : NULL);
        }
    }
    const char *suggestion = s_suggest_option(name);
    if (suggestion != NULL) {
        return cli_usage_error("unknown option '--%s' (did you mean '--%s'?)", name, suggestion);
    }
    return cli_usage_error("unknown option '--%s' (see s3xfer --help)", name);
}

static int s_short(struct s_parser *ps, const char *arg) {
    for (const char *p = arg; *p != '\0'; ++p) {
        const struct s_spec *spec = NULL;
        for (size_t i = 0; i < S_NSPECS; ++i) {
            if (s_specs[i].short_name != 0 && s_specs[i].short_name == *p) {
                spec = &s_specs[i];
            }
        }
        if (spec == NULL) {
            return cli_usage_error("unknown option '-%c'%s (see s3xfer --help)", *p,
                p == arg && p[1] != '\0' ? " (long options take two dashes)" : "");
        }
        int rc = s_take(ps, spec, NULL);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int s_positional(struct s_parser *ps, const char *arg) {
    struct cli_options *o = ps->o;
    if (o->command == CLI_CMD_NONE) {
        if (!ps->help_command && strcmp(arg, "help") == 0) {
            ps->help_command = true;
            o->help = true;
            return 0;
        }
        o->command = cli_command_from_name(arg);
        o->command_name = arg;
        if (o->command == CLI_CMD_NONE) {
            const char *suggestion = s_suggest_command(arg);
            if (suggestion != NULL) {
                return cli_usage_error("unknown command '%s' (did you mean '%s'?)", arg, suggestion);
            }
            return cli_usage_error("unknown command '%s' (commands: cp, ls, rm, stat, mb; see s3xfer --help)", arg);
        }
        return 0;
    }
    if (o->nargs >= CLI_MAX_ARGS) {
        return cli_usage_error("too many arguments (at most %d)", CLI_MAX_ARGS);
    }
    o->args[o->nargs++] = arg;
    return 0;
}

static int s_check_counts(const struct cli_options *o) {
    const char *name = s_command_name(o->command);
    size_t n = o->nargs;
    switch (o->command) {
    case CLI_CMD_CP:
        if (n != 2) {
            return cli_usage_error("cp needs a source and a destination (got %zu argument%s): s3xfer cp SRC DST", n,
                n == 1 ? "" : "s");
        }
        return 0;
    case CLI_CMD_LS:
        return n <= 1 ? 0 : cli_usage_error("ls takes at most one s3:// URL (got %zu)", n);
    case CLI_CMD_RM:
    case CLI_CMD_STAT:
        return n >= 1 ? 0 : cli_usage_error("%s needs at least one s3://bucket/key", name);
    case CLI_CMD_MB:
        return n == 1 ? 0 : cli_usage_error("mb needs exactly one s3://bucket (got %zu)", n);
    case CLI_CMD_NONE:
        break;
    }
    return 0;
}

static int s_validate(const struct s_parser *ps) {
    const struct cli_options *o = ps->o;
    for (size_t i = 0; i < ps->ngiven; ++i) {
        if ((ps->given[i]->commands & (unsigned)o->command) == 0) {
            return cli_usage_error("option --%s does not apply to '%s'", ps->given[i]->name, s_command_name(o->command));
        }
    }
    char a[32], b[32];
    if (o->part_size_bytes != 0 && o->part_size_bytes < S3X_PART_SIZE_MIN) {
        cli_format_bytes(o->part_size_bytes, a, sizeof(a));
        return cli_usage_error("--part-size: %s is below S3's minimum part size of 5 MiB", a);
    }
    if (o->part_size_bytes > S3X_PART_SIZE_MAX) {
        cli_format_bytes(o->part_size_bytes, a, sizeof(a));
        return cli_usage_error("--part-size: %s is above S3's maximum part size of 5 GiB", a);
    }
    uint64_t part = o->part_size_bytes != 0 ? o->part_size_bytes : S3X_PART_SIZE_DEFAULT;
    long page = sysconf(_SC_PAGESIZE);
    uint64_t page_bytes = page > 0 ? (uint64_t)page : 4096u;
    uint64_t part_pages = (part + page_bytes - 1) / page_bytes * page_bytes; /* buffers are page-aligned */
    if (o->memory_limit_bytes != 0 && o->memory_limit_bytes < part_pages) {
        cli_format_bytes(o->memory_limit_bytes, a, sizeof(a));
        cli_format_bytes(part, b, sizeof(b));
        return cli_usage_error("--memory-limit: %s is below one part (%s%s); raise the limit or lower --part-size", a,
            b, o->part_size_bytes != 0 ? "" : ", the default part size");
    }
    if (o->memory_limit_bytes > (uint64_t)SIZE_MAX) {
        return cli_usage_error("--memory-limit: too large for this machine");
    }
    return s_check_counts(o);
}

int cli_parse_args(int argc, char **argv, struct cli_options *o) {
    memset(o, 0, sizeof(*o));
    o->checksum = S3X_CHECKSUM_DEFAULT;
    struct s_parser ps = {.argc = argc, .argv = argv, .o = o};
    bool options_done = false;
    for (ps.i = 1; ps.i < argc; ++ps.i) {
        const char *arg = argv[ps.i];
        int rc;
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] == '-') {
            rc = s_long(&ps, arg + 2);
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            rc = s_short(&ps, arg + 1);
        } else {
            rc = s_positional(&ps, arg);
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (o->help || o->version) {
        if (ps.help_command && o->nargs > 0 && o->command == CLI_CMD_NONE) {
            return cli_usage_error("unknown command '%s'", o->args[0]);
        }
        return 0;
    }
    if (o->command == CLI_CMD_NONE) {
        return cli_usage_error("missing command (cp, ls, rm, stat or mb; see s3xfer --help)");
    }
    if (o->quiet) {
        o->no_progress = true;
    }
    return s_validate(&ps);
}

/* --- SIZE ------------------------------------------------------------------------------------------ */

static const struct {
    const char *unit;
    uint64_t multiplier;
} s_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1ull << 10},
    {"kib", 1ull << 10},
    {"kb", 1000ull},
    {"m", 1ull << 20},
    {"mib", 1ull << 20},
    {"mb", 1000000ull},
    {"g", 1ull << 30},
    {"gib", 1ull << 30},
    {"gb", 1000000000ull},
    {"t", 1ull << 40},
    {"tib", 1ull << 40},
    {"tb", 1000000000000ull},
};

static const char s_size_help[] = "examples: 8MiB or 8M (8 x 1024^2), 8MB (8 x 1000^2), 1GiB, 512KiB, 1048576";

int cli_parse_size(const char *text, uint64_t *out, char *err, size_t err_size) {
    const char *p = text;
    if (*p == '\0') {
        snprintf(err, err_size, "empty size (%s)", s_size_help);
        return -1;
    }
    if (*p == '-' || *p == '+') {
        snprintf(err, err_size, "'%s' is not a size: no sign allowed (%s)", text, s_size_help);
        return -1;
    }
    if (!isdigit((unsigned char)*p)) {
        snprintf(err, err_size, "'%s' is not a size (%s)", text, s_size_help);
        return -1;
    }
    uint64_t whole = 0;
    bool overflow = false;
    for (; isdigit((unsigned char)*p); ++p) {
        uint64_t d = (uint64_t)(*p - '0');
        if (whole > (UINT64_MAX - d) / 10u) {
            overflow = true;
        } else {
            whole = whole * 10u + d;
        }
    }
    uint64_t frac = 0, denom = 1;
    if (*p == '.') {
        ++p;
        if (!isdigit((unsigned char)*p)) {
            snprintf(err, err_size, "'%s' is not a size: digits must follow the '.' (%s)", text, s_size_help);
            return -1;
        }
        for (; isdigit((unsigned char)*p); ++p) {
            if (denom == 1000) {
                snprintf(err, err_size, "'%s': at most 3 decimals", text);
                return -1;
            }
            frac = frac * 10u + (uint64_t)(*p - '0');
            denom *= 10u;
        }
    }
    uint64_t mult = 0;
    for (size_t i = 0; i < sizeof(s_units) / sizeof(s_units[0]); ++i) {
        if (strcasecmp(p, s_units[i].unit) == 0) {
            mult = s_units[i].multiplier;
        }
    }
    if (mult == 0) {
        snprintf(err, err_size, "'%s' is not a size: unknown unit '%s' (%s)", text, p, s_size_help);
        return -1;
    }
    if (overflow || whole > UINT64_MAX / mult) {
        snprintf(err, err_size, "'%s' is too large (the most is 16 EiB)", text);
        return -1;
    }
    uint64_t value = whole * mult;
    uint64_t frac_bytes = frac * mult; /* frac < 1000 and mult <= 2^40: no overflow */
    if (frac_bytes % denom != 0) {
        snprintf(err, err_size, "'%s' is not a whole number of bytes", text);
        return -1;
    }
    if (value > UINT64_MAX - frac_bytes / denom) {
        snprintf(err, err_size, "'%s' is too large (the most is 16 EiB)", text);
        return -1;
    }
    *out = value + frac_bytes / denom;
    return 0;
}

void cli_format_bytes(uint64_t bytes, char *out, size_t size) {
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(out, size, "%llu B", (unsigned long long)bytes);
        return;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        ++u;
    }
    if (v < 10.0) {
        snprintf(out, size, "%.2f %s", v, units[u]);
    } else if (v < 100.0) {
        snprintf(out, size, "%.1f %s", v, units[u]);
    } else {
        snprintf(out, size, "%.0f %s", v, units[u]);
    }
}

/* --- locations ------------------------------------------------------------------------------------ */

static bool s_valid_utf8(const unsigned char *s) {
    while (*s != 0) {
        unsigned c = *s;
        size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 99;
        if (n == 99 || (n == 1 && c < 0xc2)) {
            return false;
        }
        uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1fu) : n == 2 ? (c & 0x0fu) : (c & 0x07u);
        for (size_t i = 1; i <= n; ++i) {
            if ((s[i] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i] & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return false;
        }
        s += n + 1;
    }
    return true;
}

/* S3's rules for a new bucket's name (general purpose buckets). */
static const char *s_strict_bucket_problem(const char *b) {
    size_t n = strlen(b);
    if (n < 3 || n > 63) {
        return "must be 3 to 63 characters long";
    }
    for (const char *p = b; *p != '\0'; ++p) {
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '-')) {
            return "may hold only lowercase letters, digits, '.' and '-'";
        }
    }
    if (!isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1])) {
        return "must begin and end with a letter or a digit";
    }
    if (strstr(b, "..") != NULL || strstr(b, ".-") != NULL || strstr(b, "-.") != NULL) {
        return "must not hold '..', '.-' or '-.'";
    }
    unsigned a1, a2, a3, a4;
    char tail;
    if (sscanf(b, "%u.%u.%u.%u%c", &a1, &a2, &a3, &a4, &tail) == 4) {
        return "must not be formatted as an IP address";
    }
    return NULL;
}

static int s_parse_s3(const char *text, const char *rest, bool strict, struct cli_location *out, char *err,
    size_t err_size) {
    const char *slash = strchr(rest, '/');
    size_t blen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
    if (blen == 0) {
        snprintf(err, err_size, "'%s': missing bucket name (expected s3://BUCKET/KEY)", text);
        return CLI_EXIT_USAGE;
    }
    if (blen > 255) {
        snprintf(err, err_size, "'%.60s...': the bucket name is longer than 255 characters", text);
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < blen; ++i) {
        unsigned char c = (unsigned char)rest[i];
        if (!(isalnum(c) || c == '.' || c == '-' || c == '_')) {
            snprintf(err, err_size, "'%s': the bucket name holds '%c', which S3 does not allow (letters, digits, '.', "
                                    "'-' and '_' only)",
                text, isprint(c) ? c : '?');
            return CLI_EXIT_USAGE;
        }
    }
    out->kind = CLI_LOC_S3;
    out->bucket = cli_calloc(1, blen + 1);
    memcpy(out->bucket, rest, blen);
    out->key = cli_strdup(slash != NULL ? slash + 1 : "");
    const char *problem = strict ? s_strict_bucket_problem(out->bucket) : NULL;
    if (problem != NULL) {
        snprintf(err, err_size, "'%s': the bucket name %s", text, problem);
        cli_location_clean_up(out);
        return CLI_EXIT_USAGE;
    }
    if (strlen(out->key) > 1024) {
        snprintf(err, err_size, "'%.60s...': the key is longer than S3's limit of 1024 bytes", text);
        cli_location_clean_up(out);
        return CLI_EXIT_USAGE;
    }
    if (!s_valid_utf8((const unsigned char *)out->key)) {
        snprintf(err, err_size, "'%s': the key is not valid UTF-8", text);
        cli_location_clean_up(out);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_location_parse(const char *text, bool strict_bucket, struct cli_location *out, char *err, size_t err_size) {
    memset(out, 0, sizeof(*out));
    out->text = text;
    if (text[0] == '\0') {
        snprintf(err, err_size, "empty path");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(text, "-") == 0) {
        out->kind = CLI_LOC_STDIO;
        return 0;
    }
    if (strncasecmp(text, "s3://", 5) == 0) {
        return s_parse_s3(text, text + 5, strict_bucket, out, err, err_size);
    }
    if (strncasecmp(text, "s3:", 3) == 0) {
        snprintf(err, err_size, "'%s' is not a valid S3 URL (expected s3://BUCKET/KEY; write ./%s for a local file)",
            text, text);
        return CLI_EXIT_USAGE;
    }
    const char *p = text;
    while (isalpha((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.') {
        ++p;
    }
    if (p != text && strncmp(p, "://", 3) == 0) {
        snprintf(err, err_size, "'%s': only s3:// URLs and local paths are supported (set the server with "
                                "--endpoint-url)",
            text);
        return CLI_EXIT_USAGE;
    }
    out->kind = CLI_LOC_LOCAL;
    return 0;
}

void cli_location_clean_up(struct cli_location *l) {
    free(l->bucket);
    free(l->key);
    l->bucket = NULL;
    l->key = NULL;
}
