/* Test helper: starts tests/servers/fault/fault_server.py as a child process on 127.0.0.1, port 0,
 * and stops it. The server exits by itself when its stdin closes, so a test that crashes never
 * leaves it running. Needs the compile definitions S3X_FAULT_SERVER_PYTHON (the interpreter),
 * S3X_FAULT_SERVER_SCRIPT (the script's path) and S3X_FAULT_SERVER_TLS_DIR (tls/).
 *
 *   struct s3x_fault_server fs;
 *   s3x_fault_server_start(&fs);                  // 0 or -1
 *   ... fs.base_url is "http://127.0.0.1:<port>" ...
 *   long n = s3x_fault_server_stat(&fs, "connections");
 *   s3x_fault_server_stop(&fs);
 */
#ifndef S3XFER_TESTS_FAULT_SERVER_H
#define S3XFER_TESTS_FAULT_SERVER_H

#include <stdint.h>
#include <sys/types.h>

struct s3x_fault_server {
    pid_t pid;
    int stdin_fd; /* our end of the server's stdin: closing it stops the server */
    unsigned port;
    int tls;
    char base_url[64];
};

/* Returns 0, or -1 (with a message on stderr) if the server did not start within 10 s. */
int s3x_fault_server_start(struct s3x_fault_server *server);
/* The same server over HTTPS with the self-signed certificate in tls/ (base_url "https://...");
 * s3x_fault_server_ca_file() is the certificate, to trust it. */
int s3x_fault_server_start_tls(struct s3x_fault_server *server);
const char *s3x_fault_server_ca_file(void);
/* Closes the server's stdin and reaps it (SIGKILL after 5 s). Safe on a zeroed struct. */
void s3x_fault_server_stop(struct s3x_fault_server *server);
/* GET /__stats/<name> ("connections", "requests", "uploaded_bytes", "counter/<id>"); -1 on error. */
long s3x_fault_server_stat(const struct s3x_fault_server *server, const char *name);

/* Byte `offset` of the server's /data/<size> pattern. */
static inline uint8_t s3x_fault_pattern_byte(uint64_t offset) {
    uint64_t block = offset / 4096u, o = offset % 4096u;
    if (o < 8) {
        return (uint8_t)(block >> (8u * (7u - o)));
    }
    return (uint8_t)((block % 251u + o - 8u) % 251u);
}

#endif
