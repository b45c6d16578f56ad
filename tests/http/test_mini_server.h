/* t_mini: a scripted HTTP/1.1 server on 127.0.0.1 for the answers the fault server
 * (tests/servers/fault) cannot give: a body read until close, interim answers, a head a byte at a
 * time, chunk extensions and trailers, HTTP/1.0, 204, a kept connection the server closes while
 * idle or after reading the next request.
 *
 * It owns a listening socket, an acceptor thread and one thread per accepted connection (at most
 * T_MINI_CONNS; later ones are closed at once). Each request is answered by the mode in its
 * "x-fault" header; the path "/<n>" asks for n bytes of s3x_fault_pattern_byte(0 .. n-1).
 *
 *   ""                  200, Content-Length n, the connection kept
 *   "close-after"       the same, then closed without a "Connection: close"
 *   "http10"            an HTTP/1.0 200 with a length: the connection has ended (a later request
 *                       on it counts in `violations` and is not answered)
 *   "drop", "rst"       as "" when first on a connection; later, read and closed unanswered
 *                       (FIN, or RST through SO_LINGER 0)
 *   "until-close"       200 without a length, the body ended by the close ("-header": with
 *                       "Connection: close")
 *   "interim"           100 and 103 (with a Link header), then the 200, in one segment
 *   "excess"            8 bytes past Content-Length in the body's segment
 *   "trailers"          chunked, 7777-byte chunks, upper-case sizes with extensions, a trailer
 *   "dribble"           the head a byte per segment, "content-length:   n  ", an empty and a
 *                       spaced header
 *   "big-headers"       1000 headers of ~100 bytes; "huge-headers" 3000 (then closed); "long-header"
 *                       one 50 000-byte value
 *   "no-content"        204 with "X-Note: none", kept
 *   "error-chunked"     404 with its XML in two chunks, kept; "error-until-close" 403 until close
 *   "bad-chunk"         200 with the chunk size "zz", then closed
 *   "cut-head"          "HTTP/1.1 200 OK\r\nContent-Le", then closed (curl 7.88 calls that a success)
 *   "early-403"         a 403 (Connection: close) as soon as the head is read, the body never read;
 *                       closed 300 ms later
 *   "continue-read"     "HTTP/1.1 100 Continue\r\n", 100 ms, "\r\n" (an interim answer in two
 *                       segments, unasked for), then reads an n-byte request body, then 200, kept
 *
 * Invariants: connection i (0 <= i < accepted) has its own thread; fds[i] >= 0 until that thread
 * closes it; `accepted` counts a connection before its first answer can go out, so a client that
 * has an answer sees its connection counted. requests = request heads read, violations included.
 * base_url is fixed once t_mini_start returns; the counters are atomics, readable at any time.
 *
 * Example: GET /4000 with "x-fault: drop" as the first request of connection 1 gets 4000 pattern
 * bytes (requests 1, accepted 1); the same GET next on that connection is read (requests 2) and
 * the connection closed; the client's new connection (accepted 2) gets the 4000 bytes (requests 3).
 */
#ifndef S3XFER_TESTS_HTTP_MINI_SERVER_H
#define S3XFER_TESTS_HTTP_MINI_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define T_MINI_CONNS 32

struct t_mini;
struct t_mini_slot {
    struct t_mini *mini;
    int index;
    pthread_t thread;
};

struct t_mini {
    int listen_fd;
    char base_url[64]; /* "http://127.0.0.1:<port>" */
    pthread_t acceptor;
    pthread_mutex_t lock;
    int fds[T_MINI_CONNS]; /* under lock; -1 once the connection's thread closed it */
    struct t_mini_slot slots[T_MINI_CONNS];
    atomic_int accepted;
    atomic_bool stopping;
    atomic_int requests;   /* request heads read */
    atomic_int violations; /* requests on a connection that had ended (an HTTP/1.0 answer) */
};

/* Listens on an ephemeral loopback port and starts the acceptor; fails the test on error. */
void t_mini_start(struct t_mini *m);
/* Stops accepting, shuts every open connection down, joins every thread; the counters stay
 * readable. */
void t_mini_stop(struct t_mini *m);

#endif
