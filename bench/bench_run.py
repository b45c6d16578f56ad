#!/usr/bin/python3
"""The measurements behind bench/run: workloads, alternation, statistics, the report.

bench/run installs, builds, picks the data directory and starts the server (and stops it on any
exit); this script prepares the objects, runs every workload against s3xfer and the alternatives
in alternation, and writes bench/results/<date>.md, the memory-sweep PNG and raw/<date>.jsonl.

Alternation: in round r the clients of a workload run in their list order rotated by r
(A B C, B C A, C A B, ...), so no client always runs first or right after the same neighbour.
Figures: throughput = bytes / the client's own clock where it has one (s3xfer, aws-c-s3: from
client creation to the last completion, without process or interpreter start), else the wall time
of the command (curl, whose start costs milliseconds). CPU (user + system) and peak RSS come from
/usr/bin/time -v for every client alike: the whole process, interpreter included.
Each table gives the median over rounds, min-max, CPU s/GiB (median), peak RSS (the largest of
the rounds) and the same-round ratio to s3xfer (median over rounds of client / s3xfer).
A spread (max - min) / median above 20 % is flagged.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

BASELINE = "s3xfer (baseline)"
MIB = 1 << 20
GIB = 1 << 30
NOISE = 0.20


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_busy_s():
    """Busy CPU seconds of the whole machine so far: user + nice + system + irq + softirq + steal.
    (Tick-based accounting charges softirq ticks to the interrupted task too, so a process's
    rusage includes the loopback softirq work it happened to run.)"""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / hz


def server_cpu_s(pid_file):
    """CPU seconds used so far by the nginx master and its workers."""
    if not pid_file or not os.path.exists(pid_file):
        return 0.0
    with open(pid_file) as f:
        master = f.read().strip()
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == master or st[1] == master:
            total += int(st[11]) + int(st[12])
    return total / hz


def parse_pairs(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def parse_time_v(path):
    t = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().rpartition(": ")
            t[k] = v
    return {
        "cpu_s": float(t.get("User time (seconds)", 0)) + float(t.get("System time (seconds)", 0)),
        "rss_mib": int(t.get("Maximum resident set size (kbytes)", 0)) / 1024.0,
    }


class Client:
    """One way of doing a workload: a command, how many bytes it moves, optional clean-up."""

    def __init__(self, name, cmd, nbytes, own_clock, after=None, rss_note=""):
        self.name, self.cmd, self.nbytes, self.own_clock = name, cmd, nbytes, own_clock
        self.after, self.rss_note = after, rss_note


class Runner:
    def __init__(self, args):
        self.a = args
        self.raw = open(args.raw, "a")
        self.failures = []
        self.records = []

    def run(self, workload, client, rnd):
        fd, tfile = tempfile.mkstemp(prefix="s3xbench-time-")
        os.close(fd)
        busy0, srv0 = cpu_busy_s(), server_cpu_s(self.a.server_pid)
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tfile] + client.cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        busy, srv = cpu_busy_s() - busy0, server_cpu_s(self.a.server_pid) - srv0
        rec = {"workload": workload, "client": client.name, "round": rnd, "wall_s": wall, "ok": p.returncode == 0,
               "load1": loadavg(), "server_cpu_s": srv}
        try:
            rec.update(parse_time_v(tfile))
        finally:
            os.unlink(tfile)
        # Other work on the machine during this run, in cores: what was busy minus client and server.
        rec["other_cores"] = max(0.0, busy - srv - rec["cpu_s"]) / wall if wall > 0 else 0.0
        if client.after:
            client.after()
        if p.returncode != 0:
            rec["error"] = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:300]
            self.failures.append("%s / %s round %d: %s" % (workload, client.name, rnd, rec["error"]))
            log("  %-22s FAILED: %s" % (client.name, rec["error"]))
        else:
            vals = parse_pairs(p.stdout)
            rec["values"] = vals
            nbytes = int(vals.get("bytes", client.nbytes))
            if nbytes != client.nbytes:
                rec["ok"] = False
                rec["error"] = "moved %d bytes, expected %d" % (nbytes, client.nbytes)
                self.failures.append("%s / %s round %d: %s" % (workload, client.name, rnd, rec["error"]))
            secs = vals["seconds"] if client.own_clock and "seconds" in vals else wall
            rec["seconds"] = secs
            rec["mb_per_s"] = nbytes / secs / 1e6
            rec["cpu_s_per_gib"] = rec["cpu_s"] / (nbytes / GIB)
            log("  %-22s %8.1f MB/s  cpu %.2f s/GiB  rss %.1f MiB" % (client.name, rec["mb_per_s"],
                rec["cpu_s_per_gib"], rec["rss_mib"]))
        self.records.append(rec)
        self.raw.write(json.dumps(rec) + "\n")
        self.raw.flush()
        return rec

    def workload(self, name, clients, no_warmup=False):
        """Runs every client `rounds` times, rotated each round. Returns {client: [records]}."""
        log("%s: %d clients x %d rounds (load %.2f)" % (name, len(clients), self.a.rounds, loadavg()))
        recs = {c.name: [] for c in clients}
        if self.a.warmup and not no_warmup:
            log("  warm-up (not counted)")
            for c in clients:
                self.run(name, c, -1)
        for rnd in range(self.a.rounds):
            k = rnd % len(clients)
            for c in clients[k:] + clients[:k]:
                recs[c.name].append(self.run(name, c, rnd))
        return recs


def summarize(recs, base="s3xfer"):
    """Rows: client, median, min, max, cpu, rss, ratio, spread flag, failures."""
    rows = []
    base_by_round = {r["round"]: r["mb_per_s"] for r in recs.get(base, []) if r["ok"]}
    for name, rs in recs.items():
        ok = [r for r in rs if r["ok"]]
        row = {"client": name, "runs": len(rs), "failed": len(rs) - len(ok)}
        if ok:
            mbs = [r["mb_per_s"] for r in ok]
            row["median"] = statistics.median(mbs)
            row["min"], row["max"] = min(mbs), max(mbs)
            row["spread"] = (row["max"] - row["min"]) / row["median"]
            row["cpu"] = statistics.median(r["cpu_s_per_gib"] for r in ok)
            row["rss"] = max(r["rss_mib"] for r in ok)
            ratios = [r["mb_per_s"] / base_by_round[r["round"]] for r in ok if r["round"] in base_by_round]
            row["ratio"] = statistics.median(ratios) if ratios else None
            row["other"] = statistics.median(r.get("other_cores", 0) for r in ok)
            row["server"] = statistics.median(r.get("server_cpu_s", 0) / (r["mb_per_s"] * r["seconds"] * 1e6 / GIB)
                                              for r in ok)
        rows.append(row)
    return rows


def table(rows, rss_notes=None):
    rss_notes = rss_notes or {}
    out = ["| client | MB/s (median) | min–max | × s3xfer (same-round) | CPU s/GiB | peak RSS MiB | server CPU s/GiB | other work (cores) | note |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if "median" not in r:
            out.append("| %s | failed | | | | | | | %d of %d runs failed |" % (r["client"], r["failed"], r["runs"]))
            continue
        notes = []
        if r["spread"] > NOISE:
            notes.append("**noisy: spread %.0f %%**" % (100 * r["spread"]))
        if r["failed"]:
            notes.append("%d of %d runs failed" % (r["failed"], r["runs"]))
        ratio = "—" if r["ratio"] is None else "%.2f×" % r["ratio"]
        out.append("| %s | %.0f | %.0f–%.0f | %s | %.2f | %.1f%s | %.2f | %.2f | %s |" % (
            r["client"], r["median"], r["min"], r["max"], ratio, r["cpu"], r["rss"],
            rss_notes.get(r["client"], ""), r["server"], r["other"], "; ".join(notes)))
    return "\n".join(out)


def sh(cmd):
    return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.strip()


class Bench:
    def __init__(self, a):
        self.a = a
        self.r = Runner(a)
        self.bt = os.path.join(a.bin, "bench_transfer")
        self.crt = [sys.executable, os.path.join(a.here, "awscrt_transfer.py")]
        self.url = "http://127.0.0.1:%d" % a.port
        self.obj = os.path.join(a.data, "bench", "big")
        self.small = os.path.join(a.data, "small-src")
        self.parts = os.path.join(a.data, "parts")
        self.out = os.path.join(a.data, "out")
        self.sections = {}
        self.rows = {}
        self.sweep_rows = []

    # ---- data -------------------------------------------------------------------------------
    def prepare(self):
        a = self.a
        os.makedirs(os.path.join(a.data, "bench", "small"), exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        if not os.path.exists(self.obj) or os.path.getsize(self.obj) != a.size:
            log("writing the %d MiB object (random bytes) to %s" % (a.size // MIB, self.obj))
            subprocess.run("head -c %d /dev/urandom > %s.tmp && mv %s.tmp %s" % (a.size, self.obj, self.obj, self.obj),
                           shell=True, check=True)
        if not os.path.exists(self.small) or os.path.getsize(self.small) != a.small_size:
            subprocess.run("head -c %d /dev/urandom > %s" % (a.small_size, self.small), shell=True, check=True)
        # The small objects: hard links to one file (nginx serves each as its own object).
        for i in range(a.small_count):
            p = os.path.join(a.data, "bench", "small", "obj.%d" % i)
            if not os.path.exists(p):
                os.link(self.small, p)
        if "put" in a.only and not os.path.isdir(self.parts):
            os.makedirs(self.parts)
            subprocess.run(["split", "-b", str(a.part_size), "-d", "-a", "4", self.obj, os.path.join(self.parts, "p")],
                           check=True)

    def rm_out(self):
        for f in os.listdir(self.out):
            os.unlink(os.path.join(self.out, f))

    # ---- workloads --------------------------------------------------------------------------
    def s3x(self, kind, *extra, bt=None):
        return [bt or self.bt, kind, "--endpoint", self.url, "--bucket", "bench", "--part-size", str(self.a.part_size),
                "--connections", str(self.a.connections)] + list(extra)

    def get_big(self, dest):
        a, sink = self.a, dest == "sink"
        outf = os.path.join(self.out, "dl")
        s3 = self.s3x("get", "--key", "big", *(["--sink"] if sink else ["--file", outf]))
        crt = self.crt + ["get", "--bucket", "bench", "--key", "big", "--file", "/dev/null" if sink else outf]
        curl1 = ["curl", "-sf", "-o", "/dev/null" if sink else outf, self.url + "/bench/big"]
        curl8 = [os.path.join(a.here, "curl_ranged"), self.url + "/bench/big", str(a.size), "8",
                 "/dev/null" if sink else outf]
        after = None if sink else self.rm_out
        clients = [Client("s3xfer", s3, a.size, True, after), Client("aws-c-s3 (awscrt)", crt, a.size, True, after),
                   Client("curl", curl1, a.size, False, after), Client("8×curl ranged", curl8, a.size, False, after)]
        clients += self.baseline(s3, a.size, after)
        title = "GET %s to %s" % (human(a.size), "a discarding sink" if sink else "a file")
        recs = self.r.workload(title, clients)
        notes = {"8×curl ranged": " (per process; 8 processes)"}
        self.section(title, recs, notes, self.get_note(sink))

    def baseline(self, cmd, nbytes, after=None):
        """The same s3xfer command run by the baseline build (--baseline), or nothing."""
        if not self.a.baseline_bin:
            return []
        return [Client(BASELINE, [os.path.join(self.a.baseline_bin, "bench_transfer")] + cmd[1:], nbytes, True, after)]

    def get_note(self, sink):
        if sink:
            return ("s3xfer: ordered write callback that discards; aws-c-s3: `recv_filepath=/dev/null`; "
                    "curl: `-o /dev/null`; 8×curl: 8 processes, one contiguous range each.")
        return ("Destination on the data directory (%s). s3xfer writes a temp file at offsets and renames it; "
                "aws-c-s3 `recv_filepath`; 8×curl writes 8 files of 1/8 each (curl cannot share one file). "
                "The file is deleted after each run, outside the timing." % self.a.data_kind)

    def put_big(self):
        a = self.a
        s3 = self.s3x("put", "--key", "up", "--file", self.obj)
        s3c = self.s3x("put", "--key", "up", "--file", self.obj, "--checksum", "crc32c")
        crt = self.crt + ["put", "--bucket", "bench", "--key", "up", "--file", self.obj]
        curl8 = [os.path.join(a.here, "curl_parts_put"), self.url + "/bench/up", self.parts, "8"]
        clients = [Client("s3xfer", s3, a.size, True), Client("s3xfer + CRC32C", s3c, a.size, True),
                   Client("aws-c-s3 (awscrt)", crt, a.size, True), Client("8×curl UploadPart", curl8, a.size, False)]
        clients += self.baseline(s3, a.size)
        title = "PUT %s (multipart, %s parts)" % (human(a.size), human(a.part_size))
        recs = self.r.workload(title, clients)
        self.section(title, recs, {"8×curl UploadPart": " (per process; 8 processes)"},
                     "To the njs sink, which reads every body byte before answering. s3xfer without checksum "
                     "(aws-c-s3 0.16 sends none by default) and with its default CRC32C. 8×curl uploads pre-split "
                     "part files (split outside the timing): the sink's ceiling.")

    def small_objects(self, kind):
        a = self.a
        n, sz, m = a.small_count, a.small_size, a.in_flight
        total = n * sz
        if kind == "get":
            s3 = self.s3x("get", "--key", "small/obj", "--count", str(n), "--in-flight", str(m), "--sink")
            crt = self.crt + ["get", "--bucket", "bench", "--key", "small/obj", "--count", str(n), "--in-flight",
                              str(m), "--file", "/dev/null"]
            cfg = os.path.join(self.a.data, "curl-get.cfg")
            with open(cfg, "w") as f:
                for i in range(n):
                    f.write('url = "%s/bench/small/obj.%d"\noutput = "/dev/null"\n' % (self.url, i))
        else:
            s3 = self.s3x("put", "--key", "small/up", "--count", str(n), "--in-flight", str(m), "--file", self.small)
            crt = self.crt + ["put", "--bucket", "bench", "--key", "small/up", "--count", str(n), "--in-flight",
                              str(m), "--file", self.small]
            cfg = os.path.join(self.a.data, "curl-put.cfg")
            with open(cfg, "w") as f:
                for i in range(n):
                    f.write('url = "%s/bench/small/up.%d"\nupload-file = "%s"\noutput = "/dev/null"\n'
                            % (self.url, i, self.small))
        curl = ["curl", "-sf", "--parallel", "--parallel-max", str(m), "-K", cfg]
        clients = [Client("s3xfer", s3, total, True), Client("aws-c-s3 (awscrt)", crt, total, True),
                   Client("curl --parallel", curl, total, False)] + self.baseline(s3, total)
        title = "%s %d × %s objects, %d in flight" % (kind.upper(), n, human(sz), m)
        recs = self.r.workload(title, clients)
        self.section(title, recs, {}, "One client (one process) for all objects in each case; curl: one process "
                     "with `--parallel --parallel-max %d`%s." % (m, " (PutObject to the sink)" if kind == "put" else ""))

    def sweep(self):
        a = self.a
        limits = [2 * a.part_size]
        x = 32 * MIB
        while x <= 1024 * MIB:
            if x > limits[-1]:
                limits.append(x)
            x *= 2
        clients = [Client("%d" % (l // MIB), self.s3x("get", "--key", "big", "--sink", "--memory-limit", str(l)),
                          a.size, True) for l in limits]
        title = "s3xfer GET %s to a discarding sink against --memory-limit" % human(a.size)
        recs = self.r.workload(title, clients, no_warmup=True)
        rows = []
        for l, c in zip(limits, clients):
            ok = [r for r in recs[c.name] if r["ok"]]
            if not ok:
                rows.append((l, None))
                continue
            mbs = [r["mb_per_s"] for r in ok]
            pool = max(r["values"].get("pool_peak_allocated_bytes", 0) for r in ok) / MIB
            rows.append((l, {"median": statistics.median(mbs), "min": min(mbs), "max": max(mbs),
                             "rss": max(r["rss_mib"] for r in ok), "pool": pool,
                             "cpu": statistics.median(r["cpu_s_per_gib"] for r in ok)}))
        self.sweep_rows = rows
        best = max((r["median"] for _, r in rows if r), default=0)
        lines = ["| limit MiB | MB/s (median) | min–max | % of best | CPU s/GiB | pool peak MiB | peak RSS MiB | RSS − limit MiB |",
                 "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        dat = os.path.join(a.outdir, "raw", "%s-sweep.dat" % a.stamp)
        with open(dat, "w") as f:
            f.write("# limit_mib median min max rss_mib pool_mib\n")
            for l, r in rows:
                if r is None:
                    lines.append("| %d | failed | | | | | | |" % (l // MIB))
                    continue
                over = r["rss"] - l / MIB
                flag = " **over limit + 16**" if over > 16 else ""
                lines.append("| %d | %.0f | %.0f–%.0f | %.0f %% | %.2f | %.0f | %.1f | %+.1f%s |" % (
                    l // MIB, r["median"], r["min"], r["max"], 100 * r["median"] / best, r["cpu"], r["pool"],
                    r["rss"], over, flag))
                f.write("%d %.1f %.1f %.1f %.1f %.1f\n" % (l // MIB, r["median"], r["min"], r["max"], r["rss"],
                                                         r["pool"]))
        png = "%s-memory-sweep.png" % a.stamp
        self.plot(dat, os.path.join(a.outdir, png))
        spread = [(l, r) for l, r in rows if r and (r["max"] - r["min"]) / r["median"] > NOISE]
        body = "\n".join(lines)
        if spread:
            body += "\n\nNoisy (spread > 20 %%): limits %s MiB." % ", ".join(str(l // MIB) for l, _ in spread)
        body += "\n\n![memory sweep](%s)\n" % png
        self.sections[title] = ("Part size %s, %d connections; RSS is the whole process (/usr/bin/time). "
                                "Target: peak RSS ≤ limit + 16 MiB, ≥ 90 %% of the best throughput at 64 MiB."
                                % (human(a.part_size), a.connections), body)

    def plot(self, dat, png):
        gp = """
set terminal pngcairo size 900,700 font ",10"
set output '%s'
set multiplot layout 2,1 title 's3xfer GET %s to a sink: throughput and peak RSS against --memory-limit'
set logscale x 2
set xrange [12:1400]
set xlabel 'memory limit (MiB)'
set grid
set key bottom right
set ylabel 'MB/s'
set yrange [0:*]
plot '%s' using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'throughput (median, min-max)'
set ylabel 'MiB'
set key top left
set logscale y 2
set yrange [*:*]
plot '%s' using 1:5 with linespoints lw 2 pt 7 title 'peak RSS (process)', \\
     '' using 1:6 with linespoints lw 1 pt 6 title 'pool peak allocated', \\
     '' using 1:1 with lines dt 2 lw 2 lc rgb 'red' title 'limit', \\
     '' using 1:($1+16) with lines dt 3 lw 1 lc rgb 'red' title 'limit + 16 MiB'
unset multiplot
""" % (png, human(self.a.size), dat, dat)
        p = subprocess.run(["gnuplot"], input=gp, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            log("gnuplot failed: %s" % p.stdout)

    def pool(self):
        p = subprocess.run([os.path.join(self.a.bin, "bench_pool"), "1"], stdout=subprocess.PIPE, text=True)
        vals = parse_pairs(p.stdout)
        lines = ["| measurement | ops/s |", "|---|---:|"]
        for k, v in vals.items():
            lines.append("| %s | %s |" % (k, "{:,.0f}".format(v)))
        self.sections["Buffer pool (bench_pool)"] = (
            "reserve → claim → release of 8 MiB tickets per second (bench/bench_pool.c), against malloc/free.",
            "\n".join(lines))

    def datapath(self):
        """s3xfer against a bare libcurl multi loop (bench_curl_multi) with and without the copy."""
        a = self.a
        probe = os.path.join(a.bin, "bench_curl_multi")
        url = self.url + "/bench/big"
        def pc(copy, buf, threads=1):
            return [probe, url, str(a.size), "--connections", str(a.connections), "--part-size", str(a.part_size),
                    copy, "--buffer-size", str(buf), "--threads", str(threads)]
        # s3xfer's engine gives each handle 3 MiB / connections (192 KiB at 16), at most 512 KiB.
        buf = min(512 << 10, max(64 << 10, (3 << 20) // a.connections))
        kib = "%d KiB" % (buf >> 10)
        s3 = self.s3x("get", "--key", "big", "--sink")
        clients = [Client("s3xfer", s3, a.size, True)] + self.baseline(s3, a.size) + [
                   Client("libcurl loop, copy, " + kib, pc("--copy", buf), a.size, True),
                   Client("libcurl loop, non-temporal copy, " + kib, pc("--nt-copy", buf), a.size, True),
                   Client("2 libcurl loops (2 threads), copy, " + kib, pc("--copy", buf, 2), a.size, True),
                   Client("libcurl loop, no copy, " + kib, pc("--no-copy", buf), a.size, True),
                   Client("libcurl loop, no copy, 512 KiB", pc("--no-copy", 512 << 10), a.size, True)]
        title = "Data path: s3xfer against a bare libcurl loop (GET %s to a sink)" % human(a.size)
        recs = self.r.workload(title, clients)
        self.section(title, recs, {}, (
            "bench_curl_multi: one thread, one curl multi handle, %d connections each fetching the next %s range, "
            "like s3xfer's event thread but with nothing else. \"copy\": the write callback memcpy's into a "
            "per-connection part buffer (what s3xfer's libcurl path does, page faults of first touch included); "
            "\"non-temporal copy\": the same copy with streaming stores (the libcurl path's buffer sink); "
            "\"2 loops\": the connections split over two threads with a multi handle each (sharded event "
            "threads); \"no copy\": the callback discards (about what s3xfer's direct connections cost: they "
            "receive straight into part buffers, src/http/direct.c). The size is CURLOPT_BUFFERSIZE: s3xfer gives each handle %s (3 MiB over its connections; "
            "64 KiB in the reports of 2026-11-25 15:55 and before); libcurl's default is 16 KiB." % (a.connections, human(a.part_size), kib)))

    def profile(self):
        """perf record of one s3xfer GET to the sink: where the client's CPU goes."""
        if subprocess.run("command -v perf", shell=True, stdout=subprocess.DEVNULL).returncode != 0:
            self.sections["Where s3xfer's GET time goes (perf)"] = ("perf is not installed: skipped.", "")
            return
        data = os.path.join(self.a.data, "perf.data")
        cmd = self.s3x("get", "--key", "big", "--sink")
        log("profile: perf record of %s" % " ".join(cmd[1:3]))
        p = subprocess.run(["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,16384", "-o", data] + cmd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            self.sections["Where s3xfer's GET time goes (perf)"] = ("perf record failed: %s" % p.stderr[-300:], "")
            return
        vals = parse_pairs(p.stdout)
        tids = {}
        for line in sh("perf script -i %s -F tid 2>/dev/null" % data).splitlines():
            tids[line.strip()] = tids.get(line.strip(), 0) + 1
        total = sum(tids.values()) or 1
        busiest = max(tids.values()) if tids else 0
        rep = sh("perf report -i %s --children --sort sym --stdio -g none --percent-limit 0.3 2>/dev/null" % data)
        pct = {}
        for line in rep.splitlines():
            f = line.split()
            if len(f) >= 4 and f[0].endswith("%") and f[2] in ("[.]", "[k]"):
                pct.setdefault(f[3], float(f[0][:-1]))
        def first(*names):
            for n in names:
                if n in pct:
                    return "%.1f %%" % pct[n]
            return "n/a"
        rows = [
            ("busiest thread (the event thread) / all samples", "%.1f %%" % (100.0 * busiest / total)),
            ("recv() syscalls: kernel copy socket → part buffer (direct connections), TCP",
             first("__libc_recv", "__x64_sys_recvfrom")),
            ("  of which the kernel's copy (_copy_to_iter)", first("_copy_to_iter")),
            ("direct connections: answer parsing and reads (s_service_one)", first("s_service_one")),
            ("libcurl write callback: copies into part buffers (s_write_cb; none on direct connections)",
             first("s_write_cb", "s_write")),
            ("  of which memcpy itself", first("__memmove_avx512_unaligned_erms", "__memmove_avx_unaligned_erms",
                                             "__memcpy_avx_unaligned_erms")),
            ("page faults (first touch of pool memory)", first("asm_exc_page_fault")),
            ("poll()", first("__x64_sys_poll", "__GI___poll")),
            ("softirq (loopback TCP delivery, ACKs)", first("handle_softirqs", "__do_softirq")),
        ]
        lines = ["| where | share of s3xfer's CPU samples |", "|---|---:|"] + ["| %s | %s |" % r for r in rows]
        lines.append("")
        lines.append("That run: %.0f MB/s, %.2f CPU s/GiB (under perf at 499 Hz with DWARF call graphs, "
                     "so somewhat slower than above). Shares are inclusive (a function with what it calls)."
                     % (vals.get("mb_per_s", 0), vals.get("cpu_s_per_gib", 0)))
        self.sections["Where s3xfer's GET time goes (perf)"] = (
            "`perf record -F 499 --call-graph dwarf` of one s3xfer GET of %s to the sink (default limit)."
            % human(self.a.size), "\n".join(lines))
        os.unlink(data)

    def section(self, title, recs, rss_notes, note):
        rows = summarize(recs)
        self.rows[title] = rows
        self.sections[title] = (note, table(rows, rss_notes))

    def targets(self):
        """The issue's targets, checked against this run's medians (a summary, never a test)."""
        def row(prefix, client):
            for title, rows in self.rows.items():
                if title.startswith(prefix):
                    for r in rows:
                        if r["client"] == client and "median" in r:
                            return r
            return None
        out = ["| target | this run | met? |", "|---|---|---|"]
        s3 = row("GET %s to a discarding" % human(self.a.size), "s3xfer")
        c8 = row("GET %s to a discarding" % human(self.a.size), "8×curl ranged")
        crt = row("GET %s to a discarding" % human(self.a.size), "aws-c-s3 (awscrt)")
        if s3 and c8:
            out.append("| GET at the 8-stream ceiling | s3xfer %.0f MB/s, 8×curl %.0f MB/s: %.2f× of it (same-round) "
                       "| %s |" % (s3["median"], c8["median"], 1 / c8["ratio"], "yes" if c8["ratio"] <= 1.05 else "no"))
        if s3 and crt:
            out.append("| GET ≥ 2× aws-c-s3 | %.2f× (same-round) | %s |" % (1 / crt["ratio"],
                       "yes" if crt["ratio"] <= 0.5 else "no"))
        if s3:
            out.append("| client CPU ≤ 0.3 s/GiB (GET) | %.2f s/GiB | %s |" % (s3["cpu"], "yes" if s3["cpu"] <= 0.3 else "no"))
        if self.sweep_rows:
            worst = max(r["rss"] - l / MIB for l, r in self.sweep_rows if r)
            out.append("| peak RSS ≤ limit + 16 MiB (sweep) | worst: limit %+.1f MiB | %s |" % (
                worst, "yes" if worst <= 16 else "no"))
            ok = [(l, r) for l, r in self.sweep_rows if r]
            top_l, top = ok[-1] if ok else (0, None)
            at64 = [r for l, r in ok if l == 64 * MIB]
            if at64 and top:
                out.append("| ≥ 90 %% of the throughput at a 64 MiB limit | %.0f %% of the %d MiB limit's | %s |" % (
                    100 * at64[0]["median"] / top["median"], top_l // MIB,
                    "yes" if at64[0]["median"] >= 0.9 * top["median"] else "no"))
        return "\n".join(out)


def human(n):
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return "%d %s" % (n // size, unit)
    return "%d B" % n


def machine_info(a):
    cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
    mem = sh("free -g | awk '/Mem:/{print $2}'")
    awscrt = sh("dpkg-query -W -f='${Version}' python3-awscrt")
    return [
        "- Machine: %s, %d cores, %s GiB RAM, Linux %s; client and server share the cores." % (
            cpu, os.cpu_count(), mem, platform.release()),
        "- Server: %s on 127.0.0.1:%d (static files with sendfile for GET; njs sink for PUT), 2 workers." % (
            sh("nginx -v 2>&1 | sed 's/.*: //'"), a.port),
        "- Clients: s3xfer %s (bench_transfer, Release), aws-c-s3 via python3-awscrt %s, %s." % (
            sh("git -C %s describe --always --dirty 2>/dev/null" % a.repo) or "?", awscrt,
            sh("curl --version | head -1 | cut -d' ' -f1-2")),
        "- Data: %s (%s). Part size %s; s3xfer %d connections; aws-c-s3 defaults." % (
            a.data, a.data_kind, human(a.part_size), a.connections),
    ] + (["- Baseline: \"%s\" is bench_transfer built from %s (%s), run in the same rounds as s3xfer "
          "(the working tree): before/after in alternation." % (BASELINE, a.baseline_name or a.baseline_bin,
          sh("git -C %s rev-parse --short %s 2>/dev/null" % (a.repo, a.baseline_name)) or a.baseline_bin)]
         if a.baseline_bin else [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--data-kind", default="")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1, help="1: one uncounted run of each client first")
    ap.add_argument("--size", type=int, default=2 * GIB)
    ap.add_argument("--small-count", type=int, default=2000)
    ap.add_argument("--small-size", type=int, default=MIB)
    ap.add_argument("--in-flight", type=int, default=32)
    ap.add_argument("--part-size", type=int, default=8 * MIB)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--only", default="get,put,small,datapath,sweep,pool,profile")
    ap.add_argument("--wait-idle", type=int, default=300, help="seconds to wait for the 1-min load < 0.5")
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--server-pid", default="", help="nginx pid file: its CPU is counted apart")
    ap.add_argument("--baseline-bin", default="", help="bin dir of another s3xfer build, run as a client too")
    ap.add_argument("--baseline-name", default="", help="what the baseline is (a git revision), for the report")
    a = ap.parse_args()
    a.here = os.path.dirname(os.path.abspath(__file__))
    a.only = set(a.only.split(","))
    a.stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    os.makedirs(os.path.join(a.outdir, "raw"), exist_ok=True)
    a.raw = os.path.join(a.outdir, "raw", "%s.jsonl" % a.stamp)

    b = Bench(a)
    b.prepare()
    waited = 0
    while loadavg() >= 0.5 and waited < a.wait_idle:
        if waited == 0:
            log("1-min load %.2f: waiting up to %d s for it to drop below 0.5" % (loadavg(), a.wait_idle))
        time.sleep(min(30, a.wait_idle - waited))
        waited += 30
    load_start = loadavg()
    t0 = time.monotonic()
    if "get" in a.only:
        b.get_big("sink")
        b.get_big("file")
    if "put" in a.only:
        b.put_big()
    if "small" in a.only:
        b.small_objects("get")
        b.small_objects("put")
    if "datapath" in a.only:
        b.datapath()
    if "sweep" in a.only:
        b.sweep()
    if "pool" in a.only:
        b.pool()
    if "profile" in a.only:
        b.profile()
    load_end = loadavg()
    others = [r.get("other_cores", 0) for r in b.r.records if r["ok"]] or [0]
    other_med, other_max = statistics.median(others), max(others)

    md = ["# s3xfer benchmarks, %s %s:%s" % (a.stamp[:10], a.stamp[11:13], a.stamp[13:15]), ""]
    md += machine_info(a)
    md += ["- Command: `%s`; %d rounds per workload (%s), clients alternated (order rotated each "
           "round); %.0f s of measurements." % (a.command, a.rounds,
           "after one uncounted warm-up run of each client" if a.warmup else "no warm-up", time.monotonic() - t0),
           "- 1-minute load average %.2f at the start (after waiting %d s), %.2f at the end (the benchmark's own "
           "client and server count in it). Other work during the runs: median %.2f, max %.2f cores of %d.%s" % (
               load_start, min(waited, a.wait_idle), load_end, other_med, other_max, os.cpu_count() or 0,
               " **The machine was busy: other work shared the cores; read the figures as noisy.**"
               if load_start >= 0.5 or other_med >= 0.25 else ""),
           "- MB/s = 10^6 bytes/s. × s3xfer: the client's throughput divided by s3xfer's in the same round "
           "(median over rounds); above 1 means faster than s3xfer. CPU: user + system of the whole process "
           "per GiB moved. Peak RSS: /usr/bin/time -v, largest over the rounds. Server CPU: nginx's, per "
           "GiB. Other work: CPU used during the runs by neither the client nor nginx, in cores (of 2; "
           "median over rounds; approximate): how much the figures were disturbed.", ""]
    md += ["## Against the targets (issue 8)", "", b.targets(), ""]
    for title, (note, body) in b.sections.items():
        md += ["## " + title, "", note, "", body, ""]
    if b.r.failures:
        md += ["## Failures", ""] + ["- " + f for f in b.r.failures] + [""]
    path = os.path.join(a.outdir, "%s.md" % a.stamp)
    with open(path, "w") as f:
        f.write("\n".join(md))
    log("report: %s" % path)
    print("\n".join(md))
    return 1 if b.r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
