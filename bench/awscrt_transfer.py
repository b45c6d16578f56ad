#!/usr/bin/python3
"""aws-c-s3 through Debian's python3-awscrt: the same workloads and output as bench_transfer.

    /usr/bin/python3 bench/awscrt_transfer.py get --bucket bench --key obj2g --file /dev/null
    /usr/bin/python3 bench/awscrt_transfer.py put --bucket bench --key up --file /dev/shm/obj2g
    /usr/bin/python3 bench/awscrt_transfer.py get --bucket bench --key small/obj --count 2000 \
        --in-flight 32 --file /dev/null

GETs use recv_filepath (aws-c-s3 writes the body itself, in C; /dev/null is its discarding sink),
PUTs send_filepath: the fastest paths this binding has, no Python code per chunk. Python awscrt
0.16.8 connects to port 80 for plain http whatever the endpoint says, so the server must listen
on 127.0.0.1:80. Prints `name value` lines like bench_transfer; time and CPU are counted from just
before the client is made (the interpreter's start and the import are left out), peak RSS is the
whole process's (the interpreter included: about 10-20 MiB of it).
"""
import argparse
import os
import resource
import sys
import threading
import time

from awscrt.auth import AwsCredentialsProvider
from awscrt.http import HttpHeaders, HttpRequest
from awscrt.io import ClientBootstrap, DefaultHostResolver, EventLoopGroup
from awscrt.s3 import S3Client, S3RequestTlsMode, S3RequestType


def parse_bytes(text):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    if text[-1].lower() in mult:
        return int(text[:-1]) * mult[text[-1].lower()]
    return int(text)


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["get", "put"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--file", required=True, help="GET destination (/dev/null discards) or PUT source")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--in-flight", type=int, default=1)
    ap.add_argument("--part-size", type=parse_bytes, default=None)
    ap.add_argument("--throughput-gbps", type=float, default=None)
    a = ap.parse_args()

    cpu0 = cpu_seconds()
    t0 = time.monotonic()
    elg = EventLoopGroup()
    bootstrap = ClientBootstrap(elg, DefaultHostResolver(elg))
    creds = AwsCredentialsProvider.new_static("bench", "bench-secret")
    client = S3Client(bootstrap=bootstrap, region="us-east-1", credential_provider=creds,
                      tls_mode=S3RequestTlsMode.DISABLED, part_size=a.part_size,
                      throughput_target_gbps=a.throughput_gbps)
    size = os.path.getsize(a.file) if a.kind == "put" else 0
    slots = threading.BoundedSemaphore(a.in_flight)
    lock = threading.Lock()
    state = {"bytes": 0, "errors": [], "done": 0}
    all_done = threading.Event()

    def finished(fut, nbytes):
        with lock:
            exc = fut.exception()
            if exc is not None:
                state["errors"].append(repr(exc))
            else:
                state["bytes"] += nbytes
            state["done"] += 1
            if state["done"] == a.count:
                all_done.set()
        slots.release()

    def progress_counter(box):
        def on_progress(progress, **kwargs):
            box[0] += progress
        return on_progress

    requests = []
    for i in range(a.count):
        if state["errors"]:
            break
        slots.acquire()
        key = a.key if a.count == 1 else "%s.%d" % (a.key, i)
        path = "/%s/%s" % (a.bucket, key)
        if a.kind == "get":
            headers = HttpHeaders([("Host", a.host)])
            req = HttpRequest("GET", path, headers)
            box = [0]
            r = client.make_request(request=req, type=S3RequestType.GET_OBJECT, recv_filepath=a.file,
                                    on_progress=progress_counter(box))
            r.finished_future.add_done_callback(lambda f, box=box: finished(f, box[0]))
        else:
            headers = HttpHeaders([("Host", a.host), ("Content-Length", str(size)),
                                   ("Content-Type", "application/octet-stream")])
            req = HttpRequest("PUT", path, headers)
            r = client.make_request(request=req, type=S3RequestType.PUT_OBJECT, send_filepath=a.file)
            r.finished_future.add_done_callback(lambda f: finished(f, size))
        requests.append(r)
        if len(requests) > 4 * a.in_flight:
            requests = [q for q in requests if not q.finished_future.done()]
    if not state["errors"]:
        all_done.wait()
    seconds = time.monotonic() - t0
    if state["errors"]:
        print("awscrt_transfer: %d failed, first: %s" % (len(state["errors"]), state["errors"][0]), file=sys.stderr)
        return 1
    cpu = cpu_seconds() - cpu0
    nbytes = state["bytes"]
    gib = nbytes / float(1 << 30)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("objects %d" % a.count)
    print("bytes %d" % nbytes)
    print("seconds %.4f" % seconds)
    print("mb_per_s %.1f" % (nbytes / seconds / 1e6))
    print("cpu_s %.3f" % cpu)
    print("cpu_s_per_gib %.3f" % (cpu / gib if gib else 0))
    print("peak_rss_mib %.1f" % (rss / 1024.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
