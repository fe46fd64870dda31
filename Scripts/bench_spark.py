"""Spark backend benchmark: the same Beam Python client runs W1 (wordcount of
generated text) and W2 (GroupByKey of 1M KVs over 10k keys) on beam-job-server's
local engine and on a standalone Spark cluster of 2 one-core workers on
127.0.0.1 (Scripts/spark-cluster.sh), PROCESS workers both, and prints the wall
times and the Spark run's cost model: application start-up, time per Spark
stage and per task (from the job's messages), and the largest RSS of a stage
executor process (sampled every 0.2 s). Not a test: nothing is asserted.
On 2 cores Spark is not expected to be faster; the figures say what it costs.

Usage: python Scripts/bench_spark.py [--size-mb 10] [--server-bin PATH] [--boot-bin PATH]
(defaults: .build/release/beam-job-server and beam-boot: swift build -c release)."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_parallel import REPO, Server, environment, free_port, generate_text, group_by_key, wordcount, wordcount_checksum  # noqa: E402


def through_side_input_reader(output_prefix, shards=20, per_shard=20_000, size=500):
    """A segment whose input is a big partition (a side-input reader starts one): what its tasks hold."""
    def build(p):
        factor = p | "Factor" >> beam.Create([3])
        (p | beam.Create(range(shards)) | "Spread" >> beam.Reshuffle()
         | beam.FlatMap(lambda shard: (b"x" * size for _ in range(per_shard)))
         | beam.Map(lambda record, f: len(record) * f, f=beam.pvalue.AsSingleton(factor))
         | beam.CombineGlobally(sum) | beam.io.WriteToText(output_prefix))
    return build


def stage_executor_peak_rss(stop, peak):
    """Samples the RSS of every `beam-job-server spark-stage` process until `stop` is set; keeps the largest."""
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"spark-stage" not in f.read():
                        continue
                with open(f"/proc/{pid}/status") as f:
                    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                peak[0] = max(peak[0], rss * 1024)
            except (OSError, ValueError, StopIteration):
                continue
        stop.wait(0.2)


def run(endpoint, env, build):
    """Wall time submit -> DONE, the job's message texts, and the largest stage-executor RSS seen."""
    p = beam.Pipeline(options=PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={endpoint}"] + env))
    build(p)
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=stage_executor_peak_rss, args=(stop, peak), daemon=True)
    sampler.start()
    start = time.time()
    result = p.run()
    result.wait_until_finish()
    wall = time.time() - start
    stop.set()
    sampler.join()
    texts = [m.message_response.message_text for m in result._messages if m.HasField("message_response")]
    return wall, texts, peak[0]


def spark_costs(texts, wall):
    """Start-up (submit -> application started, from the wall clock left over), per stage, per task."""
    stages = [(int(tasks), float(seconds)) for tasks, seconds in
              re.findall(r"Spark stage \d+ of \d+ done: (\d+) task\(s\) in ([\d.]+) s", "\n".join(texts))]
    if not stages:
        return "no Spark stage messages"
    in_stages = sum(seconds for _, seconds in stages)
    tasks = sum(count for count, _ in stages)
    summary = next((t for t in texts if t.startswith("Spark ran")), "")
    return (f"{len(stages)} Spark stages, {tasks} tasks; outside stages (spark-submit, JVM, app start) "
            f"{wall - in_stages:.1f} s; first stage {stages[0][1]:.1f} s; later stages median "
            f"{statistics.median(s for _, s in stages[1:]) if len(stages) > 1 else 0:.2f} s, "
            f"{(in_stages - stages[0][1]) / max(1, tasks - stages[0][0]):.2f} s per task\n      {summary}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=10)
    parser.add_argument("--server-bin", default=os.path.join(REPO, ".build", "release", "beam-job-server"))
    parser.add_argument("--boot-bin", default=os.path.join(REPO, ".build", "release", "beam-boot"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-spark-") as folder:
        cluster = os.path.join(folder, "cluster")
        started = subprocess.run([os.path.join(REPO, "Scripts", "spark-cluster.sh"), "start", cluster],
                                 capture_output=True, text=True, check=True)
        master = re.search(r"spark://[\d.]+:\d+", started.stdout).group(0)
        local_port, spark_port = free_port(), free_port()
        local = Server([args.server_bin, "--job-port", str(local_port), "--ephemeral", "--web-port", "0"], local_port)
        spark = Server([args.server_bin, "--job-port", str(spark_port), "--ephemeral", "--web-port", "0",
                        "--spark-master", master], spark_port)
        env = environment("PROCESS", args.boot_bin)
        try:
            text = os.path.join(folder, "input.txt")
            generate_text(text, args.size_mb)
            workloads = [("W1 wordcount, %.1f MB of text" % (os.path.getsize(text) / 1e6),
                          lambda prefix: wordcount(text, prefix)),
                         ("W2 GroupByKey, 1M KVs over 10k keys", group_by_key),
                         ("W3 200 MB of records through a side-input reader (a streamed partition)", through_side_input_reader)]
            for title, workload in workloads:
                print(title, flush=True)
                walls = {}
                for name, server in [("local engine", local), ("Spark 2 workers", spark)]:
                    prefix = os.path.join(folder, re.sub(r"\W", "-", title + name))
                    walls[name], texts, peak = run(server.endpoint, env, workload(prefix))
                    check = f"   ({wordcount_checksum(prefix)[0]} distinct words)" if title.startswith("W1") else ""
                    print(f"  {name:16s} {walls[name]:7.1f} s{check}", flush=True)
                    if server is spark:
                        print("    " + spark_costs(texts, walls[name]), flush=True)
                        print(f"    largest stage-executor RSS: {peak / 1e6:.0f} MB", flush=True)
                print(f"  Spark / local: {walls['Spark 2 workers'] / walls['local engine']:.2f}x", flush=True)
        finally:
            local.stop()
            spark.stop()
            subprocess.run([os.path.join(REPO, "Scripts", "spark-cluster.sh"), "stop", cluster], capture_output=True)


if __name__ == "__main__":
    main()
