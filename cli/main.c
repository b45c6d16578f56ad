/* The s3xfer command: parses the command line, builds the client, runs one subcommand, writes
 * --stats-json, and exits with a code that tells the class of failure (cli.h, enum cli_exit).
 * Uses the public API only (linked to the shared library).
 *
 * Example: `s3xfer --memory-limit 64MiB cp big s3://b/big --stats-json /tmp/s.json` parses to
 * command cp, args {big, s3://b/big}, memory limit 67,108,864; the client's pool then never
 * holds more than 64 MiB of part buffers, and /tmp/s.json records the pool's peak.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int s_dispatch(struct cli_session *s) {
    switch (s->opt->command) {
    case CLI_CMD_CP:
        return cli_cmd_cp(s);
    case CLI_CMD_LS:
        return cli_cmd_ls(s);
    case CLI_CMD_RM:
        return cli_cmd_rm(s);
    case CLI_CMD_STAT:
        return cli_cmd_stat(s);
    case CLI_CMD_MB:
        return cli_cmd_mb(s);
    case CLI_CMD_NONE:
        break;
    }
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        cli_print_help(CLI_CMD_NONE, stderr);
        return CLI_EXIT_USAGE;
    }
    struct cli_options opt;
    int rc = cli_parse_args(argc, argv, &opt);
    if (rc != 0) {
        return rc;
    }
    if (opt.help) {
        cli_print_help(opt.command, stdout);
        return CLI_EXIT_OK;
    }
    if (opt.version) {
        printf("s3xfer %s\n", s3x_version());
        return CLI_EXIT_OK;
    }
    cli_install_signal_handlers();
    struct cli_session session;
    cli_session_open(&session, &opt);
    rc = s_dispatch(&session);
    if (rc == CLI_EXIT_INTERRUPTED && !session.paused) {
        fputs("s3xfer: interrupted; running transfers were cancelled and partial files removed\n", stderr);
    }
    int stats_rc = cli_stats_write(&session, rc);
    if (rc == 0) {
        rc = stats_rc;
    }
    cli_session_close(&session);
    return rc;
}
