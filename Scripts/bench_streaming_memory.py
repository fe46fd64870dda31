"""Streaming memory benchmark: does beam-job-server's memory stay flat in a
steady-state streaming job whose windows keep closing? Prints figures, asserts
nothing. Not a test.

The job (PortableRunner, LOOPBACK harness, --streaming), left running for
--seconds and then cancelled:

    PeriodicImpulse(fire_interval)                  unbounded, from when it starts
      -> Explode (a FlatMap DoFn): --keys keyed elements per tick, --payload-bytes each
      -> WindowInto(FixedWindows(--window))
      -> GroupByKey -> stateful DoFn: bag state + an event-time timer per
         key and window; the timer sums the bag, clears it, counts the elements
      -> Count.PerKey -> counts the elements again

Every --sample-every seconds it prints the server's RSS (/proc/PID/status
VmRSS), its threads, open fds and child processes, this process's RSS (the
LOOPBACK harness runs here), and the job's committed counters (GetJobMetrics):
elements generated, elements out of closed windows (stateful sink and combine)
and key-windows closed; "in flight" is generated - sink. At the end: the RSS
slope over the second half of the run (MiB/min, least squares), the throughput
(elements/s through the sink), how much of the asked-for rate the source
produced, and the RSS after the cancel.

If no window closes during the run (downstream stages starved, or watermarks
stuck), a NOTE line says so: any RSS growth is then buffered input, not a
steady state. Before commit b8a175d (downstream-first bundle order) that was
the case at the default 1 ms interval.

Usage: python Scripts/bench_streaming_memory.py [--seconds 60] [--binary PATH]
(the default binary is the release build in .build-release, built or brought
up to date first unless --no-build)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms import window
from apache_beam.transforms.periodicsequence import PeriodicImpulse, RebaseMode
from apache_beam.transforms.userstate import BagStateSpec, TimeDomain, TimerSpec, on_timer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "Tests", "EndToEnd"))
from job_server import JobServer, portable_options, wait_for  # noqa: E402  (the end-to-end tests' server wrapper)

RELEASE_SCRATCH = os.path.join(REPO, ".build-release")
RELEASE_BINARY = os.path.join(RELEASE_SCRATCH, "release", "beam-job-server")
NAMESPACE = "bench_streaming_memory"


def build_release_binary():
    """`swift build -c release --scratch-path .build-release` (incremental: quick when up to date)."""
    print("building the release binary (swift build -c release --scratch-path .build-release) ...", flush=True)
    build = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", RELEASE_SCRATCH,
                            "--product", "beam-job-server"], cwd=REPO, capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit(f"swift build failed:\n{build.stdout}{build.stderr}")
    return RELEASE_BINARY


# The pipeline.

class Explode(beam.DoFn):
    """A tick -> `keys` (key, payload) elements."""

    def __init__(self, keys, payload_bytes):
        self.keys = keys
        self.payload_bytes = payload_bytes
        self.generated = Metrics.counter(NAMESPACE, "generated")

    def setup(self):
        self.payload = "x" * self.payload_bytes
        self.names = [f"key-{k:03d}" for k in range(self.keys)]

    def process(self, tick):
        self.generated.inc(self.keys)
        for name in self.names:
            yield name, self.payload


class CountPerWindow(beam.DoFn):
    """Per key and window: adds each GroupByKey output's size to a bag, and an
    event-time timer at the end of the window sums the bag, clears it and counts."""
    SIZES = BagStateSpec("sizes", VarIntCoder())
    CLOSE = TimerSpec("close", TimeDomain.WATERMARK)

    def __init__(self):
        self.elements = Metrics.counter(NAMESPACE, "sink_elements")
        self.windows = Metrics.counter(NAMESPACE, "windows_closed")

    def process(self, kv, w=beam.DoFn.WindowParam, sizes=beam.DoFn.StateParam(SIZES),
                close=beam.DoFn.TimerParam(CLOSE)):
        sizes.add(sum(1 for _ in kv[1]))
        close.set(w.max_timestamp())

    @on_timer(CLOSE)
    def on_close(self, key=beam.DoFn.KeyParam, w=beam.DoFn.WindowParam, sizes=beam.DoFn.StateParam(SIZES)):
        total = sum(sizes.read())
        sizes.clear()
        self.elements.inc(total)
        self.windows.inc()
        yield key, float(w.start), total


class CountCombined(beam.DoFn):
    def __init__(self):
        self.elements = Metrics.counter(NAMESPACE, "combined_elements")

    def process(self, kv):
        self.elements.inc(kv[1])


def build(p, args):
    windowed = (p | PeriodicImpulse(fire_interval=args.fire_interval, rebase=RebaseMode.REBASE_START)
                | "Explode" >> beam.ParDo(Explode(args.keys, args.payload_bytes))
                | beam.WindowInto(window.FixedWindows(args.window)))
    _ = (windowed | beam.GroupByKey() | "CountPerWindow" >> beam.ParDo(CountPerWindow())
         | "DropClosed" >> beam.Filter(lambda _: False))
    _ = (windowed | beam.combiners.Count.PerKey() | "CountCombined" >> beam.ParDo(CountCombined()))


# Sampling.

def proc_status(pid):
    """VmRSS (MiB) and Threads from /proc/PID/status."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return int(fields["VmRSS"][0]) / 1024, int(fields["Threads"][0])


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def child_count(pid):
    """Direct children of `pid`, from /proc/PID/task/*/children."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += len(f.read().split())
        except OSError:
            pass
    return total


def counters(result):
    """The job's committed counters, fresh (PortableRunner's result.metrics() caches its first answer)."""
    result._metrics = None
    values = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        values[counter.key.metric.name] = values.get(counter.key.metric.name, 0) + (counter.committed or 0)
    return values


def slope_per_minute(points):
    """Least-squares slope of (seconds, MiB) points, in MiB/min."""
    n = len(points)
    if n < 2:
        return float("nan")
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in points) / var if var else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the job runs before it is cancelled")
    parser.add_argument("--fire-interval", type=float, default=0.001, help="PeriodicImpulse interval (s)")
    parser.add_argument("--keys", type=int, default=20, help="elements (distinct keys) per tick")
    parser.add_argument("--payload-bytes", type=int, default=300)
    parser.add_argument("--window", type=float, default=2, help="fixed window size (s)")
    parser.add_argument("--sample-every", type=float, default=3, help="seconds between samples")
    parser.add_argument("--binary", help="beam-job-server to run (default: the release build in .build-release)")
    parser.add_argument("--no-build", action="store_true", help="use the release binary as it is")
    parser.add_argument("--log-level", default="info", help="the server's --log-level")
    args = parser.parse_args()

    binary = args.binary or (RELEASE_BINARY if args.no_build else build_release_binary())
    print(f"server: {binary}")
    print(f"job: PeriodicImpulse every {args.fire_interval * 1000:g} ms x {args.keys} keys x "
          f"{args.payload_bytes} B -> FixedWindows({args.window:g} s) -> GroupByKey + stateful DoFn "
          f"(bag + event-time timer) and Count.PerKey, for {args.seconds:g} s", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as artifacts_dir:
        server = JobServer(binary, artifacts_dir, log_level=args.log_level)
        pid = server.process.pid
        try:
            idle_rss, idle_threads = proc_status(pid)
            print(f"server pid {pid}: idle RSS {idle_rss:.1f} MiB, {idle_threads} threads", flush=True)
            p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint) + ["--streaming"]))
            build(p, args)
            result = p.run()
            if not wait_for(lambda: result.state == PipelineState.RUNNING, 60):
                raise RuntimeError(f"the job did not start: {result.state}")
            start = time.time()
            print(f"\n{'t (s)':>6} {'RSS MiB':>8} {'threads':>7} {'fds':>5} {'kids':>4} {'harness MiB':>11} "
                  f"{'generated':>10} {'sink elems':>10} {'combined':>10} {'in flight':>9} {'key-wins':>8}", flush=True)
            samples = []  # (elapsed, server RSS MiB, sink elements)
            next_sample = start
            while True:
                now = time.time()
                if now < next_sample:
                    time.sleep(next_sample - now)
                elapsed = time.time() - start
                state = result.state
                rss, threads = proc_status(pid)
                harness_rss, _ = proc_status(os.getpid())
                values = counters(result)
                generated, sink = values.get("generated", 0), values.get("sink_elements", 0)
                samples.append((elapsed, rss, sink))
                print(f"{elapsed:6.1f} {rss:8.1f} {threads:7d} {open_fds(pid):5d} {child_count(pid):4d} "
                      f"{harness_rss:11.1f} {generated:10d} {sink:10d} "
                      f"{values.get('combined_elements', 0):10d} {generated - sink:9d} "
                      f"{values.get('windows_closed', 0):8d}", flush=True)
                if state != PipelineState.RUNNING:
                    print(f"the job left RUNNING: {state}")
                    break
                if elapsed >= args.seconds:
                    break
                next_sample += args.sample_every

            result.cancel()
            cancelled = wait_for(lambda: result.state == PipelineState.CANCELLED, 30)
            time.sleep(2)
            after_rss, after_threads = proc_status(pid)
        finally:
            code = server.stop()

    elapsed = samples[-1][0]
    second_half = [(t, m) for t, m, _ in samples if t >= elapsed / 2]
    half = [s for s in samples if s[0] >= elapsed / 2]
    print()
    print(f"RSS: start {samples[0][1]:.1f} MiB, end {samples[-1][1]:.1f} MiB, peak {max(m for _, m, _ in samples):.1f} MiB")
    print(f"RSS slope over the second half ({len(second_half)} samples, "
          f"{second_half[0][0]:.0f}-{second_half[-1][0]:.0f} s): {slope_per_minute(second_half):+.2f} MiB/min")
    print(f"throughput: {samples[-1][2] / elapsed:,.0f} elements/s through the sink over {elapsed:.0f} s"
          + (f"; {(half[-1][2] - half[0][2]) / (half[-1][0] - half[0][0]):,.0f} elements/s over the second half"
             if len(half) >= 2 and half[-1][0] > half[0][0] else ""))
    expected = elapsed / args.fire_interval * args.keys
    print(f"source: {generated:,} elements generated, {generated / expected:.0%} of the {expected:,.0f} "
          f"the fire interval asks for in {elapsed:.0f} s")
    if sink == 0:
        print("NOTE: no window closed during the run (the stateful sink and Count.PerKey saw nothing): "
              "the growth above is buffered, unfired input, not a steady state")
    print(f"after cancel: {'CANCELLED' if cancelled else result.state}, RSS {after_rss:.1f} MiB, "
          f"{after_threads} threads; server exit code {code}")


if __name__ == "__main__":
    main()
