"""Does beam-job-server give back what a job used? Runs --sequential jobs one
after another, then --concurrent jobs at once, on one server, and prints the
server's RSS, threads and open fds before, along the way and after (each job a
small wordcount-like pipeline with a GroupByKey, PROCESS harnesses via
beam-boot, warm workers disabled so every job starts and stops its own, and
a job history of 10 so retained jobs do not count as growth).
Prints figures, asserts nothing. Not a test.

Usage: python Scripts/bench_job_memory.py [--binary PATH] [--sequential 50] [--concurrent 20]
"""
import argparse
import concurrent.futures
import os
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "Tests", "EndToEnd"))
from job_server import DEFAULT_BINARY, JobServer, portable_options  # noqa: E402


def process_figures(pid):
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status") if ":" in line)
    rss_mib = int(status["VmRSS"].split()[0]) / 1024
    return rss_mib, int(status["Threads"]), len(os.listdir(f"/proc/{pid}/fd"))


def one_job(endpoint, index):
    options = PipelineOptions(portable_options(endpoint, "PROCESS") + [f"--job_name=memory-{index}"])
    with beam.Pipeline(options=options) as p:
        _ = (p | beam.Create([f"w{i % 97} x{i % 13}" for i in range(5000)]) | beam.FlatMap(str.split)
             | beam.combiners.Count.PerElement())


def report(label, pid, started):
    rss, threads, fds = process_figures(pid)
    print(f"{label:28} RSS {rss:7.1f} MiB  threads {threads:4}  fds {fds:4}  at {time.time() - started:6.1f} s", flush=True)
    return rss


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--sequential", type=int, default=50)
    parser.add_argument("--concurrent", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # Only 10 finished jobs are kept, so growth beyond them is not the history's.
        server = JobServer(args.binary, folder, log_level="info",
                           extra_args=["--environment-cache-ms", "0", "--job-history", "10"])
        pid = server.process.pid
        started = time.time()
        try:
            one_job(server.endpoint, 0)
            first = report("after 1 job (warmed up)", pid, started)
            for index in range(1, args.sequential):
                one_job(server.endpoint, index)
                if (index + 1) % 10 == 0:
                    report(f"after {index + 1} sequential", pid, started)
            sequential = report(f"{args.sequential} sequential done", pid, started)
            with concurrent.futures.ThreadPoolExecutor(args.concurrent) as pool:
                list(pool.map(lambda i: one_job(server.endpoint, 1000 + i), range(args.concurrent)))
            time.sleep(2)
            final = report(f"+{args.concurrent} concurrent done", pid, started)
            print(f"RSS growth: {sequential - first:+.1f} MiB over {args.sequential - 1} sequential jobs "
                  f"({(sequential - first) / max(1, args.sequential - 1) * 1024:+.0f} KiB/job), "
                  f"{final - sequential:+.1f} MiB after {args.concurrent} concurrent")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
