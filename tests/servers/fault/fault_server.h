/* Test helper: starts tests/servers/fault/fault_server.py as a child process on 127.0.0.1, port 0,
 * and stops it. The server exits by itself when its stdin closes, so a test that crashes never
 * leaves it running. Needs the compile definitions S3X_FAULT_SERVER_PYTHON (the interpreter),
 * S3X_FAULT_SERVER_SCRIPT (the script's path) and S3X_FAULT_SERVER_TLS_DIR (tls/).
 *
 *   struct s3x_fault_server fs;
 *   s3x_fault_server_start(&fs);                  // 0 or -1
 *   ... fs.base_url is "http://127.0.0.1:<port>" ...
 *   long n = s3x_fault_server_stat(&fs, "connections");
 *   s3x_fault_server_create_bucket(&fs, "b");     // its S3 store: path-style, any signature
 *   s3x_fault_server_set_faults(&fs, "[{\"match\":{\"op\":\"GetObject\"},\"nth\":1,\"fault\":\"slowdown\"}]");
 *   s3x_fault_server_stop(&fs);
 */
#ifndef S3XFER_TESTS_FAULT_SERVER_H
#define S3XFER_TESTS_FAULT_SERVER_H

#include <stddef.h>
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
/* GET /__stats/<name> ("connections", "requests", "uploaded_bytes", "counter/<id>",
 * "rule/<i>/matched", "rule/<i>/fired", "buckets", "objects", "uploads"); -1 on error. */
long s3x_fault_server_stat(const struct s3x_fault_server *server, const char *name);

/* One plain (unsigned) request to the server: `body` (NUL-terminated, NULL for none) is sent as
 * is; up to out_size - 1 bytes of the answer go to `out` (NUL-terminated; may be NULL). Returns
 * the HTTP status, or -1 when the request failed. */
long s3x_fault_server_request(const struct s3x_fault_server *server, const char *method, const char *path,
    const char *body, char *out, size_t out_size);
/* Replaces the fault rules (POST /__faults; the JSON format is at the top of fault_server.py):
 *   s3x_fault_server_set_faults(&fs, "[{\"match\":{\"op\":\"UploadPart\"},\"nth\":2,"
 *                                    "\"fault\":\"reset\"}]");
 * Returns 0, or -1 (with the server's message on stderr) for a rule it refused. */
int s3x_fault_server_set_faults(const struct s3x_fault_server *server, const char *json);
/* Removes every rule. Returns 0 or -1. */
int s3x_fault_server_clear_faults(const struct s3x_fault_server *server);
/* Creates a bucket in the server's S3 store. Returns 0 or -1. */
int s3x_fault_server_create_bucket(const struct s3x_fault_server *server, const char *bucket);

/* Byte `offset` of the server's /data/<size> pattern. */
static inline uint8_t s3x_fault_pattern_byte(uint64_t offset) {
    uint64_t block = offset / 4096u, o = offset % 4096u;
    if (o < 8) {
        return (uint8_t)(block >> (8u * (7u - o)));
    }
    return (uint8_t)((block % 251u + o - 8u) % 251u);
}

#endif
