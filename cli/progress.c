/* Progress display on stderr.
 *
 * Writers: the transfers' progress callbacks, on the client's event thread, only add to atomics
 * (bytes_done, objects_done). Reader: the main thread's wait loop calls cli_progress_tick, which
 * draws when due. Nothing else is shared, so a callback costs one atomic add.
 *
 * On a terminal: one line redrawn in place at most 4 times a second,
 *   [########............] 412 MiB/1.00 GiB  40% 231 MiB/s ETA 0:03 pool 56.0/64.0 MiB
 * (the bar only when the terminal is wide enough; the line is cut to the width). Otherwise (a log file, a pipe): the same facts as a plain line
 * every 5 seconds, and a last line at the end if any was printed. --no-progress and --quiet
 * print nothing.
 *
 * The rate is measured over the last 8 draws (2 s on a terminal), so it follows changes; the
 * ETA divides what is left by it. Memory is the pool's allocated bytes (everything it has taken
 * from the system: in use, reserved, cached) against its hard limit.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define S_TTY_INTERVAL_NS 250000000ull   /* 4 redraws a second */
#define S_PLAIN_INTERVAL_NS 5000000000ull /* a log line every 5 s */
#define S_SAMPLES 8u
#define S_BAR_WIDTH 20

uint64_t cli_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cli_progress_init(struct cli_progress *p, const struct cli_options *opt, struct s3x_pool *pool) {
    memset(p, 0, sizeof(*p));
    p->enabled = !opt->no_progress && !opt->quiet;
    p->tty = isatty(STDERR_FILENO) != 0;
    p->pool = pool;
    atomic_init(&p->bytes_done, 0);
    atomic_init(&p->bytes_total, UINT64_MAX);
    atomic_init(&p->objects_done, 0);
    p->start_ns = cli_now_ns();
    p->last_draw_ns = p->start_ns;
}

static void s_format_eta(double seconds, char *out, size_t size) {
    if (!(seconds >= 0.0) || seconds > 359999.0) {
        snprintf(out, size, "--:--");
        return;
    }
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600) {
        snprintf(out, size, "%lu:%02lu:%02lu", s / 3600, (s / 60) % 60, s % 60);
    } else {
        snprintf(out, size, "%lu:%02lu", s / 60, s % 60);
    }
}

/* Bytes per second over the kept samples (or since the start for the first draw). */
static double s_rate(struct cli_progress *p, uint64_t now, uint64_t done) {
    unsigned oldest = p->sample_next % S_SAMPLES;
    uint64_t t0 = p->sample_ns[oldest], b0 = p->sample_bytes[oldest];
    if (t0 == 0) {
        t0 = p->start_ns;
        b0 = 0;
    }
    p->sample_ns[oldest] = now;
    p->sample_bytes[oldest] = done;
    p->sample_next++;
    if (now <= t0 || done < b0) {
        return 0.0;
    }
    return (double)(done - b0) * 1e9 / (double)(now - t0);
}

static size_t s_terminal_width(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) {
        return ws.ws_col;
    }
    return 80;
}

/* "512 KiB / 64.0 MiB", or "56.0/64.0 MiB" when both have the same unit. */
static void s_format_pair(uint64_t a, uint64_t b, char *out, size_t size) {
    char fa[32], fb[32];
    cli_format_bytes(a, fa, sizeof(fa));
    cli_format_bytes(b, fb, sizeof(fb));
    const char *ua = strchr(fa, ' '), *ub = strchr(fb, ' ');
    if (ua != NULL && ub != NULL && strcmp(ua, ub) == 0) {
        snprintf(out, size, "%.*s/%s", (int)(ua - fa), fa, fb);
    } else {
        snprintf(out, size, "%s/%s", fa, fb);
    }
}

/* The facts of one progress line (without the bar); returns the completed fraction, or -1. */
static double s_compose(struct cli_progress *p, uint64_t now, bool final, char *line, size_t size) {
    uint64_t done = atomic_load(&p->bytes_done);
    uint64_t total = atomic_load(&p->bytes_total);
    double rate = final ? (now > p->start_ns ? (double)done * 1e9 / (double)(now - p->start_ns) : 0.0)
                        : s_rate(p, now, done);
    char bytes[64], brate[32], eta[32];
    cli_format_bytes((uint64_t)rate, brate, sizeof(brate));
    double frac = -1.0;
    size_t n;
    if (total != UINT64_MAX) {
        frac = total == 0 ? 1.0 : (double)done / (double)total;
        frac = frac > 1.0 ? 1.0 : frac;
        s_format_pair(done, total, bytes, sizeof(bytes));
        if (final) {
            snprintf(eta, sizeof(eta), "in %.1fs", (double)(now - p->start_ns) / 1e9);
        } else {
            char t[24];
            s_format_eta(rate > 0.0 ? (double)(total - (done < total ? done : total)) / rate : -1.0, t, sizeof(t));
            snprintf(eta, sizeof(eta), "ETA %s", t);
        }
        n = (size_t)snprintf(line, size, "%s %3d%% %s/s %s", bytes, (int)(frac * 100.0), brate, eta);
    } else {
        cli_format_bytes(done, bytes, sizeof(bytes));
        n = (size_t)snprintf(line, size, "%s %s/s%s", bytes, brate,
            final ? "" : " (size unknown until the end of the stream)");
    }
    if (n < size && p->objects_total > 1) {
        n += (size_t)snprintf(line + n, size - n, " [%llu/%llu objects]",
            (unsigned long long)atomic_load(&p->objects_done), (unsigned long long)p->objects_total);
    }
    struct s3x_pool_stats st;
    memset(&st, 0, sizeof(st));
    st.struct_size = sizeof(st);
    if (n < size && p->pool != NULL && s3x_pool_stats(p->pool, &st) == 0) {
        char mem[64];
        s_format_pair(final ? st.peak_allocated_bytes : st.allocated_bytes, st.memory_limit_bytes, mem, sizeof(mem));
        snprintf(line + n, size - n, " %s %s", final ? "pool peak" : "pool", mem);
    }
    return frac;
}

static void s_draw(struct cli_progress *p, uint64_t now, bool final) {
    char facts[400];
    double frac = s_compose(p, now, final, facts, sizeof(facts));
    if (p->tty) {
        /* A bar when the terminal has room for it; the facts are cut to the width otherwise. */
        size_t width = s_terminal_width() - 1;
        char line[512];
        if (frac >= 0.0 && strlen(facts) + S_BAR_WIDTH + 3 <= width) {
            char bar[S_BAR_WIDTH + 1];
            int fill = (int)(frac * S_BAR_WIDTH);
            for (int i = 0; i < S_BAR_WIDTH; ++i) {
                bar[i] = i < fill ? '#' : '.';
            }
            bar[S_BAR_WIDTH] = '\0';
            snprintf(line, sizeof(line), "[%s] %s", bar, facts);
        } else {
            snprintf(line, sizeof(line), "%s", facts);
        }
        if (strlen(line) > width) {
            line[width] = '\0';
        }
        fprintf(stderr, "\r%s\x1b[K", line);
    } else {
        fprintf(stderr, "s3xfer: %s\n", facts);
    }
    p->line_shown = true;
    fflush(stderr);
    p->last_draw_ns = now;
}

void cli_progress_tick(struct cli_progress *p) {
    if (!p->enabled) {
        return;
    }
    uint64_t now = cli_now_ns();
    uint64_t interval = p->tty ? S_TTY_INTERVAL_NS : S_PLAIN_INTERVAL_NS;
    if (now - p->last_draw_ns >= interval) {
        s_draw(p, now, false);
    }
}

void cli_progress_clear(struct cli_progress *p) {
    if (p->enabled && p->tty && p->line_shown) {
        fputs("\r\x1b[K", stderr);
        fflush(stderr);
        p->line_shown = false; /* drawn again at the next due tick */
    }
}

void cli_progress_finish(struct cli_progress *p) {
    if (!p->enabled || p->finished) {
        return;
    }
    p->finished = true;
    if (p->tty) {
        s_draw(p, cli_now_ns(), true);
        fputc('\n', stderr);
        p->line_shown = false;
    } else if (p->line_shown) {
        s_draw(p, cli_now_ns(), true);
    }
    fflush(stderr);
}
