"""Parallel-execution benchmark: in ONE invocation, the same Beam Python client
runs each workload on beam-job-server (release build) and on Beam's Python
portable job service (local_job_service_main, at its best: LOOPBACK), and
prints every figure with the ratio ours/theirs. Not a test: nothing is asserted.

  W1  wordcount of ~50 MB generated text (ReadFromText -> split -> Count -> WriteToText):
      ours with PROCESS workers at the default parallelism (cold, then warm), ours LOOPBACK,
      theirs LOOPBACK
  W2  GroupByKey of 1M KVs over 10k keys: wall time (ours cold, then warm), and the
      server's CPU seconds next to the harnesses' (a cold run includes harness start-up)
  W3  a tiny job (Create of 3 elements -> Map), submit -> DONE, median of 20 in one client
      (ours reuses warm PROCESS workers between jobs), and the job's time on the server
  and our server's peak RSS over all of it.

Usage: python Scripts/bench_parallel.py [--size-mb 50] [--server-bin PATH] [--boot-bin PATH]
(defaults: .build/release/beam-job-server and beam-boot: swift build -c release)."""
import argparse
import glob
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pid):
    """utime + stime of one process, from /proc (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except OSError:
        return 0.0


def children(pid):
    """Child processes of every thread of `pid` (the server spawns harnesses from any thread)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(child) for child in f.read().split())
    except OSError:
        pass
    return found


class Server:
    """A job server process; samples its own CPU and RSS and its children's (the PROCESS harnesses) CPU."""

    def __init__(self, command, port):
        self.port = port
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.harness_cpu = {}
        self.peak_rss_kb = 0
        self._stop = threading.Event()
        self._wait_for_port()
        threading.Thread(target=self._sample, daemon=True).start()

    @property
    def endpoint(self):
        return f"localhost:{self.port}"

    def _wait_for_port(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("job server exited early")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("job server did not start")

    def _sample(self):
        while not self._stop.wait(0.2):
            for child in children(self.process.pid):
                self.harness_cpu[child] = max(self.harness_cpu.get(child, 0.0), cpu_seconds(child))
            try:
                with open(f"/proc/{self.process.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
            except OSError:
                pass

    def cpu(self):
        return cpu_seconds(self.process.pid)

    def harness_total(self):
        return sum(self.harness_cpu.values())

    def stop(self):
        self._stop.set()
        self.process.terminate()
        self.process.wait(timeout=60)


def client_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def environment(kind, boot_bin):
    if kind == "LOOPBACK":
        return ["--environment_type=LOOPBACK"]
    config = {"command": boot_bin, "env": {"BEAM_PYTHON": sys.executable}}
    return ["--environment_type=PROCESS", "--environment_config=" + json.dumps(config)]


def run(endpoint, env, build):
    return run_timed(endpoint, env, build)[0]


def run_timed(endpoint, env, build):
    """Wall time submit -> DONE in the client, and the job's own time on the
    server (first state after STOPPED -> DONE, from the job's state events)."""
    options = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={endpoint}"] + env)
    start = time.time()
    p = beam.Pipeline(options=options)
    build(p)
    result = p.run()
    result.wait_until_finish()
    wall = time.time() - start
    events = [m.state_response for m in result._messages if m.HasField("state_response")]
    stamps = [e.timestamp.seconds + e.timestamp.nanos / 1e9 for e in events if e.state != 1 and e.timestamp.seconds]
    return wall, (max(stamps) - min(stamps) if len(stamps) >= 2 else None)


def wordcount(input_path, output_prefix):
    def build(p):
        (p | beam.io.ReadFromText(input_path) | beam.FlatMap(lambda line: re.findall(r"[a-z]+", line))
         | beam.combiners.Count.PerElement() | beam.MapTuple(lambda w, c: f"{w}: {c}")
         | beam.io.WriteToText(output_prefix))
    return build


def wordcount_checksum(prefix):
    words = total = 0
    for name in glob.glob(prefix + "*"):
        with open(name) as f:
            for line in f:
                words += 1
                total += int(line.rsplit(": ", 1)[1])
    return words, total


def group_by_key(output_prefix, kvs=1_000_000, keys=10_000, shards=20):
    per_shard = kvs // shards

    def build(p):
        (p | beam.Create(range(shards)) | "Spread" >> beam.Reshuffle()
         | beam.FlatMap(lambda shard: ((i % keys, i) for i in range(shard * per_shard, (shard + 1) * per_shard)))
         | beam.GroupByKey() | beam.MapTuple(lambda key, values: f"{key} {len(values)} {sum(values)}")
         | beam.io.WriteToText(output_prefix))
    return build


def tiny(p):
    p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * 2)


def ratio(ours, theirs):
    return f"{ours / theirs:.2f}x" if theirs else "n/a"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--server-bin", default=os.path.join(REPO, ".build", "release", "beam-job-server"))
    parser.add_argument("--boot-bin", default=os.path.join(REPO, ".build", "release", "beam-boot"))
    parser.add_argument("--tiny-runs", type=int, default=20)
    args = parser.parse_args()

    ours_port, theirs_port = free_port(), free_port()
    ours = Server([args.server_bin, "--job-port", str(ours_port), "--ephemeral", "--web-port", "0"], ours_port)
    theirs = Server([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                     "--port", str(theirs_port)], theirs_port)
    process, loopback = environment("PROCESS", args.boot_bin), environment("LOOPBACK", args.boot_bin)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-parallel-") as folder:
            text = os.path.join(folder, "input.txt")
            generate_text(text, args.size_mb)
            print(f"W1 wordcount, {os.path.getsize(text) / 1e6:.1f} MB of text", flush=True)
            w1 = {}
            # The first PROCESS job starts its harnesses; the second finds them warm.
            for name, server, env in [("ours PROCESS", ours, process), ("ours PROCESS warm", ours, process),
                                      ("ours LOOPBACK", ours, loopback), ("theirs LOOPBACK", theirs, loopback)]:
                prefix = os.path.join(folder, "w1-" + name.replace(" ", "-"))
                w1[name] = run(server.endpoint, env, wordcount(text, prefix))
                words, total = wordcount_checksum(prefix)
                print(f"  {name:18s} {w1[name]:7.1f} s   ({words} distinct words, {total} total)", flush=True)
            print(f"  ours PROCESS / theirs: {ratio(w1['ours PROCESS'], w1['theirs LOOPBACK'])}   "
                  f"warm: {ratio(w1['ours PROCESS warm'], w1['theirs LOOPBACK'])}   "
                  f"ours LOOPBACK / theirs: {ratio(w1['ours LOOPBACK'], w1['theirs LOOPBACK'])}", flush=True)

            print("W2 GroupByKey, 1M KVs over 10k keys", flush=True)
            w2 = {}
            for name, server, env in [("ours PROCESS", ours, process), ("ours PROCESS warm", ours, process),
                                      ("theirs LOOPBACK", theirs, loopback)]:
                server_before, harness_before, client_before = server.cpu(), server.harness_total(), client_cpu()
                w2[name] = run(server.endpoint, env, group_by_key(os.path.join(folder, "w2-" + name.replace(" ", "-"))))
                time.sleep(0.5)  # a last CPU sample of the harnesses
                server_cpu = server.cpu() - server_before
                harness_cpu = server.harness_total() - harness_before
                loopback_cpu = client_cpu() - client_before if env is loopback else 0.0
                print(f"  {name:18s} {w2[name]:7.1f} s   server CPU {server_cpu:.1f} s, "
                      f"harness CPU {harness_cpu + loopback_cpu:.1f} s", flush=True)
            print(f"  ours / theirs: {ratio(w2['ours PROCESS'], w2['theirs LOOPBACK'])}   "
                  f"warm: {ratio(w2['ours PROCESS warm'], w2['theirs LOOPBACK'])}", flush=True)

            print(f"W3 tiny job submit -> DONE, median of {args.tiny_runs}", flush=True)
            # The client spends ~0.4 s of every submission on its own (staging, a pip freeze);
            # the job's time on the server is what a runner controls.
            w3, w3_server = {}, {}
            for name, server, env in [("ours PROCESS", ours, process), ("ours LOOPBACK", ours, loopback),
                                      ("theirs LOOPBACK", theirs, loopback)]:
                timed = [run_timed(server.endpoint, env, tiny) for _ in range(args.tiny_runs)]
                w3[name] = statistics.median(wall for wall, _ in timed)
                on_server = [job for _, job in timed if job is not None]
                w3_server[name] = statistics.median(on_server) if on_server else None
                job_text = f"{w3_server[name]:.3f} s on the server" if w3_server[name] is not None else "no job timestamps"
                print(f"  {name:18s} {w3[name]:7.2f} s   ({job_text}; first {timed[0][0]:.2f} s)", flush=True)
            print(f"  ours PROCESS / theirs: {ratio(w3['ours PROCESS'], w3['theirs LOOPBACK'])}   "
                  f"ours LOOPBACK / theirs: {ratio(w3['ours LOOPBACK'], w3['theirs LOOPBACK'])}", flush=True)
            if w3_server["ours PROCESS"] and w3_server["theirs LOOPBACK"]:
                print(f"  on the server, ours PROCESS / theirs: {ratio(w3_server['ours PROCESS'], w3_server['theirs LOOPBACK'])}",
                      flush=True)
        print(f"beam-job-server peak RSS: {ours.peak_rss_kb / 1024:.0f} MB", flush=True)
    finally:
        ours.stop()
        theirs.stop()


if __name__ == "__main__":
    main()
