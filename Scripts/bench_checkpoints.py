"""Streaming checkpoint benchmark: what checkpoints cost a streaming job and
how fast a crashed job resumes. Prints figures, asserts nothing. Not a test.

The job (PortableRunner, PROCESS harness via beam-boot, --streaming):

    PeriodicImpulse(--interval)  -> --keys keyed elements per tick
      -> WindowInto(FixedWindows(--window)) -> GroupByKey -> count (a counter)

runs --seconds on a server with --checkpoint-interval 0 (none) and again with
--checkpoint-interval --every, each on a fresh state folder. For each run it
prints the elements counted out of closed windows per second and, with
checkpoints, their count, size and time to take and write (from the server's
debug log). Then, on the checkpointed server, it SIGKILLs the server, starts
it again on the same folder and prints how long the job took to be running
again from its checkpoint and until new windows were counted.

Usage: python Scripts/bench_checkpoints.py [--seconds 30] [--binary PATH]
(default: the debug build, .build/debug/beam-job-server). Rates are measured
after --warmup seconds of steady state."""
import argparse
import os
import re
import signal
import statistics
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.transforms import window
from apache_beam.transforms.periodicsequence import PeriodicImpulse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "Tests", "EndToEnd"))
from job_server import JobServer, job_stub, portable_options, wait_for  # noqa: E402

NAMESPACE = "bench_checkpoints"


class Explode(beam.DoFn):
    def __init__(self, keys):
        self.keys = keys

    def process(self, tick):
        for key in range(self.keys):
            yield key, 1


class CountWindow(beam.DoFn):
    def __init__(self):
        self.counted = Metrics.counter(NAMESPACE, "counted")

    def process(self, kv):
        self.counted.inc(sum(kv[1]))


def counted(server, job_id):
    metrics = job_stub(server).GetJobMetrics(beam_job_api_pb2.GetJobMetricsRequest(job_id=job_id), timeout=30).metrics
    from apache_beam.coders import VarIntCoder
    return sum(VarIntCoder().decode(m.payload) for m in metrics.committed
               if m.urn == "beam:metric:user:sum_int64:v1" and m.labels.get("NAME") == "counted")


def submit(server, args):
    p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS") + ["--streaming"]))
    _ = (p | PeriodicImpulse(fire_interval=args.interval) | beam.ParDo(Explode(args.keys))
         | beam.WindowInto(window.FixedWindows(args.window)) | beam.GroupByKey() | beam.ParDo(CountWindow()))
    return p.run()._job_id


def resume_message(server, job_id):
    """The running job's "Resumed from the checkpoint ..." message (its stream stays open)."""
    stream = job_stub(server).GetMessageStream(beam_job_api_pb2.JobMessagesRequest(job_id=job_id), timeout=30)
    for response in stream:
        text = response.message_response.message_text
        if text.startswith("Resumed"):
            stream.cancel()
            return text
    return None


def state(server, job_id):
    return job_stub(server).GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=30).state


def run(args, every, folder, servers):
    server = JobServer(args.binary, os.path.join(folder, "artifacts"), log_level="debug",
                       state_dir=os.path.join(folder, "state"), extra_args=["--checkpoint-interval", str(every)])
    servers.append(server)
    job_id = submit(server, args)
    wait_for(lambda: state(server, job_id) == beam_job_api_pb2.JobState.RUNNING, 120)
    wait_for(lambda: counted(server, job_id) > 0, 120)
    time.sleep(args.warmup)  # past the start-up backlog: steady state
    start_count, started = counted(server, job_id), time.time()
    time.sleep(args.seconds)
    rate = (counted(server, job_id) - start_count) / (time.time() - started)
    written = [line for line in server.log_lines if "checkpoint written" in line]
    sizes = [int(m.group(1)) for m in (re.search(r"bytes=(\d+)", l) for l in written) if m]
    paused = [int(m.group(1)) for m in (re.search(r"pausedMillis=(\d+)", l) for l in written) if m]
    took = [float(m.group(1)) * (1e-3 if m.group(2) == "ms" else 1e-6 if m.group(2) == "µs" else 1)
            for m in (re.search(r"took=([\d.]+) ?(ms|µs|s|seconds)", l) for l in written) if m]
    label = f"--checkpoint-interval {every}"
    print(f"{label:28} {rate:10.0f} elements/s counted out of closed windows", flush=True)
    if every and not sizes:
        print(f"{'':28} no checkpoint written; server log: {[l for l in server.log_lines if 'heckpoint' in l][:3]}", flush=True)
    if sizes:
        print(f"{'':28} {len(sizes)} checkpoints, {statistics.median(sizes) / 1024:.1f} KiB median "
              f"(max {max(sizes) / 1024:.1f}), {statistics.median(took) * 1000:.1f} ms median to encode and write "
              f"(max {max(took) * 1000:.1f}); bundles paused {statistics.median(paused)} ms median "
              f"(max {max(paused)}) while running ones finished", flush=True)
    return server, job_id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "beam-job-server"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=0.01, help="PeriodicImpulse fire interval (s)")
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--window", type=float, default=1, help="fixed window size (s)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of steady state before measuring")
    parser.add_argument("--every", type=float, default=2, help="checkpoint interval of the checkpointed run (s)")
    args = parser.parse_args()
    os.environ.setdefault("BEAM_PYTHON", sys.executable)
    print(f"PeriodicImpulse every {args.interval} s x {args.keys} keys -> {args.window} s windows -> GroupByKey; "
          f"{args.seconds} s per run, PROCESS harness", flush=True)
    servers = []  # stopped cleanly (SIGTERM: jobs cancelled, harnesses stopped) however the run ends
    with tempfile.TemporaryDirectory(prefix="bench-checkpoints-") as folder:
        try:
            plain, _ = run(args, 0, os.path.join(folder, "plain"), servers)
            plain.stop()
            checkpointed, job_id = run(args, args.every, os.path.join(folder, "checkpointed"), servers)
            time.sleep(args.every)  # a checkpoint with the latest windows
            checkpointed.process.send_signal(signal.SIGKILL)
            checkpointed.process.wait()
            before = time.time()
            restarted = JobServer(args.binary, os.path.join(folder, "checkpointed", "artifacts"), log_level="info",
                                  state_dir=os.path.join(folder, "checkpointed", "state"),
                                  extra_args=["--checkpoint-interval", str(args.every)])
            servers.append(restarted)
            listening = time.time() - before
            wait_for(lambda: state(restarted, job_id) == beam_job_api_pb2.JobState.RUNNING, 120, interval=0.05)
            running = time.time() - before
            resumed = resume_message(restarted, job_id)  # the restored metrics are published by then
            resumed_count = counted(restarted, job_id)
            wait_for(lambda: counted(restarted, job_id) > resumed_count, 120, interval=0.05)
            counting = time.time() - before
            print(f"after SIGKILL: listening {listening:.2f} s, job RUNNING again {running:.2f} s, "
                  f"new windows counted {counting:.2f} s after the restart ({resumed or 'no resume message'})",
                  flush=True)
            print(f"committed count restored from the checkpoint: {resumed_count}", flush=True)
        finally:
            for server in servers:
                server.stop()

if __name__ == "__main__":
    main()
