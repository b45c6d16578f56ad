/* The s3xfer command: subcommand table and global options. Uses the public API only. */
#include <s3xfer/s3xfer.h>

#include <stdio.h>
#include <string.h>

static const char s_usage[] =
    "usage: s3xfer [--version] [--help] <command> [options]\n"
    "\n"
    "Moves large objects to and from S3 and S3-compatible stores inside a hard memory limit.\n"
    "\n"
    "Commands arrive with the transfer layer: cp, ls, rm, stat, mb.\n"
    "\n"
    "Options:\n"
    "  --version   print the version and exit\n"
    "  --help      print this help and exit\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(s_usage, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("s3xfer %s\n", s3x_version());
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(s_usage, stdout);
        return 0;
    }
    fprintf(stderr, "s3xfer: unknown command or option '%s' (see s3xfer --help)\n", argv[1]);
    return 2;
}
