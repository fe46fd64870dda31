"""Wordcount benchmark: the same Beam Python client and LOOPBACK harness run
ReadFromText -> split -> Count.PerElement -> WriteToText over a generated
text file on beam-job-server and on Beam's own Python portable job service
(local_job_service_main), and prints both wall times. Not a test.

Usage: python Scripts/bench_wordcount.py [--size-mb 50] [--server-bin PATH]
(the default binary is the release build: swift build -c release)."""
import argparse
import glob
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate_text(path, size_mb):
    rng = random.Random(42)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
                  for _ in range(20000)]
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like, as real text
    target = size_mb * 1024 * 1024
    written = 0
    with open(path, "w") as out:
        while written < target:
            line = " ".join(rng.choices(vocabulary, weights, k=12)) + "\n"
            out.write(line)
            written += len(line)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("job server exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("job server did not start")


def run_wordcount(endpoint, input_path, output_prefix):
    options = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={endpoint}",
                               "--environment_type=LOOPBACK"])
    start = time.time()
    with beam.Pipeline(options=options) as p:
        (p | beam.io.ReadFromText(input_path) | beam.FlatMap(lambda line: re.findall(r"[a-z]+", line))
         | beam.combiners.Count.PerElement() | beam.MapTuple(lambda w, c: f"{w}: {c}")
         | beam.io.WriteToText(output_prefix))
    return time.time() - start


def checksum(prefix):
    lines = []
    for name in glob.glob(prefix + "*"):
        with open(name) as f:
            lines.extend(f.read().splitlines())
    return len(lines), sum(int(line.rsplit(": ", 1)[1]) for line in lines)


def timed_server(name, command, port, input_path, folder):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        seconds = run_wordcount(f"localhost:{port}", input_path, os.path.join(folder, name))
        words, total = checksum(os.path.join(folder, name))
        print(f"{name:32s} {seconds:8.1f} s   ({words} distinct words, {total} total)", flush=True)
        return seconds
    finally:
        process.terminate()
        process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--server-bin", default=os.path.join(REPO, ".build", "release", "beam-job-server"))
    parser.add_argument("--skip-python", action="store_true", help="only time beam-job-server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wordcount-") as folder:
        input_path = os.path.join(folder, "input.txt")
        generate_text(input_path, args.size_mb)
        print(f"input: {os.path.getsize(input_path) / 1e6:.1f} MB of text", flush=True)
        port = free_port()
        ours = timed_server("beam-job-server", [args.server_bin, "--job-port", str(port)], port, input_path, folder)
        if not args.skip_python:
            port = free_port()
            python = timed_server("python local_job_service", [sys.executable, "-m",
                                  "apache_beam.runners.portability.local_job_service_main", "--port", str(port)],
                                  port, input_path, folder)
            print(f"speed-up: {python / ours:.2f}x")


if __name__ == "__main__":
    main()
