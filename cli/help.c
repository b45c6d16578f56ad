/* --help texts: the tool's and each subcommand's. Keep them in step with s3xfer.1. */
#include "cli.h"

#include <stdio.h>

static const char s_global_options[] =
    "Global options (before or after the command):\n"
    "  --endpoint-url URL     S3 endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the\n"
    "                         profile's endpoint_url, else AWS in the region)\n"
    "  --region REGION        signing region (default: AWS_REGION, AWS_DEFAULT_REGION, the\n"
    "                         profile, us-east-1)\n"
    "  --profile NAME         profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE,\n"
    "                         else \"default\"); credentials otherwise come from AWS_ACCESS_KEY_ID,\n"
    "                         AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN\n"
    "  --part-size SIZE       part size of multipart transfers, 5MiB to 5GiB (default 8MiB)\n"
    "  --memory-limit SIZE    hard cap on the memory of part buffers, at least one part (default:\n"
    "                         a quarter of the memory available, from 2 parts up to 2GiB)\n"
    "  --max-connections N    parallel connections, 1 to 1024 (default 16)\n"
    "  --checksum ALG         upload checksum: crc32c (default), crc32, crc64nvme, sha1, sha256, none\n"
    "  --no-checksum-in-complete\n"
    "                         leave the parts' checksums out of CompleteMultipartUpload (OpenStack\n"
    "                         Swift's S3 API rejects them)\n"
    "  --ca-bundle FILE       also trust the CA certificates in FILE (PEM)\n"
    "  --no-verify-ssl        accept any TLS certificate (test endpoints only)\n"
    "  --no-direct-connections\n"
    "                         move part bodies through libcurl's own transfers (one more copy\n"
    "                         per byte) instead of straight between buffers and sockets\n"
    "  --no-progress          no progress display\n"
    "  -q, --quiet            no progress, no per-object lines (errors are still printed)\n"
    "  --stats-json FILE      write a JSON summary of the run to FILE: bytes, seconds, MB/s,\n"
    "                         requests, retries, connections, memory limit, pool peak, time\n"
    "                         waiting for memory\n"
    "  -h, --help             this help; s3xfer COMMAND --help for a command's\n"
    "  --version              the version\n"
    "\n"
    "SIZE: 8MiB = 8M = 8388608 bytes, 8MB = 8000000 bytes (K, M, G, T and KiB, MiB, GiB, TiB are\n"
    "powers of 1024; KB, MB, GB, TB powers of 1000; case does not matter); 1.5GiB; plain bytes.\n";

static const char s_exit_codes[] =
    "Exit codes: 0 success, 1 other failure, 2 usage error, 3 not found (bucket, key, local file),\n"
    "4 credentials or access denied, 5 network (endpoint unreachable, TLS, timeout), 6 local I/O\n"
    "(cannot read or write a local file, disk full), 7 integrity (checksum mismatch, object\n"
    "changed during the transfer), 130 interrupted.\n";

static const char s_main[] =
    "usage: s3xfer [OPTIONS] COMMAND ARGS...\n"
    "\n"
    "Moves large objects to and from S3 and S3-compatible stores inside a hard memory limit.\n"
    "\n"
    "Commands:\n"
    "  cp SRC DST           copy: file or stdin (-) to S3, S3 to file or stdout (-), S3 to S3;\n"
    "                       --recursive copies a directory to a prefix and back\n"
    "  ls [s3://BUCKET[/PREFIX]]\n"
    "                       list buckets, or the objects and prefixes (PRE) under a prefix\n"
    "  rm s3://BUCKET/KEY...\n"
    "                       delete objects; --recursive deletes everything under a prefix\n"
    "  stat s3://BUCKET/KEY...\n"
    "                       size, ETag, last modified, content type and checksums of objects\n"
    "  mb s3://BUCKET       create a bucket\n"
    "\n";

static const char s_cp[] =
    "usage: s3xfer cp [OPTIONS] SRC DST\n"
    "\n"
    "Copies one object or, with --recursive, a tree. SRC and DST are each a local path, '-' (stdin\n"
    "as SRC, stdout as DST) or s3://BUCKET/KEY; at least one is an S3 URL.\n"
    "  file -> s3://b/k       upload (s3://b/ or s3://b/dir/ as DST appends the file's name)\n"
    "  s3://b/k -> file       download (into DIR/k's last component when DST is a directory); a\n"
    "                         failed download leaves no file behind\n"
    "  s3://b/k -> s3://c/k2  server-side copy of any size (the data does not pass through this\n"
    "                         machine; CopyObject below the part size, else UploadPartCopy of\n"
    "                         parts in parallel); keeps the content type and metadata\n"
    "  - -> s3://b/k          upload stdin, a stream of unknown length (at most 10,000 parts)\n"
    "  s3://b/k -> -          download to stdout, in order\n"
    "\n"
    "Options:\n"
    "  -r, --recursive        copy a directory to a prefix, a prefix to a directory, or a prefix\n"
    "                         to a prefix; keys with '..' or empty path components, or starting\n"
    "                         with '/', are refused rather than written outside the directory\n"
    "  --dry-run              print what would be copied, copy nothing\n"
    "  --content-type TYPE    Content-Type of uploaded objects (default binary/octet-stream); a\n"
    "                         server-side copy keeps the source's\n"
    "  --resume-file FILE     one file up or down: Ctrl-C pauses instead of cancelling and saves\n"
    "                         the state in FILE; the same command again resumes from it, sending\n"
    "                         only what is missing, and removes FILE when done\n"
    "\n"
    "Examples:\n"
    "  s3xfer cp --memory-limit 64MiB big.iso s3://media/big.iso\n"
    "  s3xfer cp s3://media/big.iso - | sha256sum\n"
    "  s3xfer cp -r ./photos s3://media/photos/\n"
    "  s3xfer cp --resume-file big.state big.iso s3://media/big.iso\n"    "  s3xfer cp s3://media/big.iso s3://archive/2024/big.iso\n"
    "\n";

static const char s_ls[] =
    "usage: s3xfer ls [OPTIONS] [s3://BUCKET[/PREFIX]]\n"
    "\n"
    "Without an argument, lists the buckets. With a bucket or prefix, lists the objects directly\n"
    "under it and the common prefixes as 'PRE name/' lines; with --recursive, every object under\n"
    "it. Columns: last modified (local time), size in bytes, key.\n"
    "\n"
    "Options:\n"
    "  -r, --recursive        list every object under the prefix\n"
    "  --human-readable       sizes as KiB, MiB, GiB\n"
    "  --summarize            print the number of objects and their total size at the end\n"
    "\n";

static const char s_rm[] =
    "usage: s3xfer rm [OPTIONS] s3://BUCKET/KEY...\n"
    "\n"
    "Deletes objects. With --recursive, each argument is a prefix and every object under it is\n"
    "deleted.\n"
    "\n"
    "Options:\n"
    "  -r, --recursive        delete every object under each prefix\n"
    "  --dry-run              print what would be deleted, delete nothing\n"
    "\n";

static const char s_stat[] =
    "usage: s3xfer stat [OPTIONS] s3://BUCKET/KEY...\n"
    "\n"
    "Prints an object's size, ETag, last modified time, content type, storage class and checksums\n"
    "(HeadObject with checksum mode enabled).\n"
    "\n";

static const char s_mb[] =
    "usage: s3xfer mb [OPTIONS] s3://BUCKET\n"
    "\n"
    "Creates a bucket in the region (--region). The name must follow S3's rules: 3 to 63\n"
    "lowercase letters, digits, '.' and '-', beginning and ending with a letter or digit.\n"
    "\n";

void cli_print_help(enum cli_command command, FILE *out) {
    switch (command) {
    case CLI_CMD_CP:
        fputs(s_cp, out);
        break;
    case CLI_CMD_LS:
        fputs(s_ls, out);
        break;
    case CLI_CMD_RM:
        fputs(s_rm, out);
        break;
    case CLI_CMD_STAT:
        fputs(s_stat, out);
        break;
    case CLI_CMD_MB:
        fputs(s_mb, out);
        break;
    case CLI_CMD_NONE:
        fputs(s_main, out);
        break;
    }
    fputs(s_global_options, out);
    fputc('\n', out);
    fputs(s_exit_codes, out);
    if (command == CLI_CMD_NONE) {
        fputs("\nSee s3xfer(1) for details.\n", out);
    }
}
