"""Parallel execution on several SDK workers, with the real Beam Python SDK as
client and harness (PROCESS workers: separate harness processes, told apart
by the pid each element reports): work spread over workers and rebalanced by
splitting a running bundle, keyed state and timers exactly as on Beam's
DirectRunner, warm harnesses reused by the next job."""
import json
import os
import sys
import time

import apache_beam as beam
import grpc
import pytest
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc
from apache_beam.runners.portability.portable_runner import PortableMetrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer

from job_server import BEAM_BOOT, HERE, portable_options
from pipelines import run_and_collect


def process_options(job_server, *extra, fresh=None):
    """PROCESS workers, two at most. `fresh` names an environment no warm worker matches."""
    options = portable_options(job_server.endpoint, "PROCESS") + ["--sdk_worker_parallelism=2", *extra]
    if fresh:
        config = {"command": BEAM_BOOT, "env": {"BEAM_PYTHON": sys.executable, "PYTHONPATH": HERE, "BJS_TEST": fresh}}
        options = [o for o in options if not o.startswith("--environment_config=")]
        options.append("--environment_config=" + json.dumps(config))
    return options


def tag_with_pid(line):
    # A little work per line, so the single read is still running when the other worker goes idle.
    time.sleep(0.004)
    return os.getpid(), len(line)


def test_one_file_read_is_rebalanced_onto_both_workers(job_server, tmp_path):
    # Under 1 MB: Beam's ReadFromText makes ONE initial restriction of it, so only
    # splitting the running bundle lets the second worker help.
    path = tmp_path / "input.txt"
    path.write_text("".join(f"{index:06d} " + "x" * 200 + "\n" for index in range(1500)))
    out = str(tmp_path / "pids")
    with beam.Pipeline(options=PipelineOptions(process_options(job_server))) as p:
        (p | beam.io.ReadFromText(str(path)) | beam.Map(tag_with_pid)
         | beam.combiners.Count.PerKey() | beam.MapTuple(lambda pid, n: f"{pid} {n}") | beam.io.WriteToText(out))
    counts = {}
    for name in os.listdir(tmp_path):
        if name.startswith("pids"):
            for line in open(tmp_path / name):
                pid, n = line.split()
                counts[int(pid)] = int(n)
    assert sum(counts.values()) == 1500, "every line read exactly once"
    assert len(counts) == 2, f"both workers read part of the one file: {counts}"


class CountAndFlush(beam.DoFn):
    """Per key: a bag of values and a running count; an event-time timer at
    the end of the window emits them (timers and state on every key)."""
    VALUES = BagStateSpec("values", VarIntCoder())
    COUNT = ReadModifyWriteStateSpec("count", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)

    def process(self, kv, window=beam.DoFn.WindowParam, values=beam.DoFn.StateParam(VALUES),
                count=beam.DoFn.StateParam(COUNT), flush=beam.DoFn.TimerParam(FLUSH)):
        values.add(kv[1])
        count.write((count.read() or 0) + 1)
        flush.set(window.end)

    @on_timer(FLUSH)
    def on_flush(self, key=beam.DoFn.KeyParam, values=beam.DoFn.StateParam(VALUES),
                 count=beam.DoFn.StateParam(COUNT)):
        yield key, count.read(), sum(values.read())


def many_keys_stateful(p, folder):
    return (p | beam.Create(range(20000)) | beam.Map(lambda i: (f"k{i % 500}", i))
            | beam.Reshuffle() | beam.ParDo(CountAndFlush()))


@pytest.mark.parametrize("cache", ["no cache", "state cache"])
def test_stateful_dofn_over_many_keys_matches_direct_runner(job_server, tmp_path, cache):
    extra = ["--max_cache_memory_usage_mb=16"] if cache == "state cache" else []
    expected = run_and_collect(many_keys_stateful, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    actual = run_and_collect(many_keys_stateful, process_options(job_server, *extra), str(tmp_path / "ours"))
    assert len(expected) == 500
    assert actual == expected


def pids_of_job(job_server, folder):
    return {int(pid) for pid in run_and_collect(lambda p, _: p | beam.Create(range(40)) | beam.Reshuffle()
                                                | beam.Map(lambda _: os.getpid()) | beam.Distinct(),
                                                process_options(job_server), folder)}


def harness_processes(job_server):
    """The server's child processes: its PROCESS harnesses (beam-boot execs the SDK harness)."""
    pid = job_server.process.pid
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found.update(int(child) for child in f.read().split())
    return found


def test_next_job_reuses_warm_workers(job_server, tmp_path):
    first = pids_of_job(job_server, str(tmp_path / "first"))
    running = harness_processes(job_server)
    assert first <= running, "the first job's harnesses wait, warm, for the next job"
    second = pids_of_job(job_server, str(tmp_path / "second"))
    assert second and second <= running, f"the second job started no harness: {second} ran, {running} were warm"


def busy_for_burst(element, burst_until):
    # The stream's first seconds (by element time, so however late the harness
    # starts: PeriodicImpulse catches up on them at once) carry a burst of work; the rest is light.
    if float(element) < burst_until:
        time.sleep(0.25)
    return 1


def test_autoscaling_grows_for_a_burst_and_shrinks_when_idle(job_server):
    from apache_beam.transforms.periodicsequence import PeriodicImpulse
    start = time.time()
    options = process_options(job_server, "--streaming", fresh="autoscaling")
    p = beam.Pipeline(options=PipelineOptions(options))
    # 12 elements of 0.25 s each at once, then a light trickle (4 a second) until 35 s: time to grow, then
    # to shrink after the 5 s cool-down (a denser trickle keeps both workers busy now and then, resetting it).
    (p | PeriodicImpulse(start_timestamp=start, stop_timestamp=start + 35, fire_interval=0.25)
     | beam.Reshuffle() | beam.Map(busy_for_burst, burst_until=start + 3))
    result = p.run()
    result.wait_until_finish()
    texts = [m.message_response.message_text for m in result._messages if m.HasField("message_response")]
    assert any("1 worker(s) each, autoscaling up to 2" in text for text in texts), texts
    assert any("Scaled environment" in text and "to 2 workers" in text for text in texts), texts
    assert any("down to 1 worker:" in text for text in texts), texts


def count_slowly(element):
    beam.metrics.Metrics.counter("progress", "seen").inc()
    time.sleep(0.02)
    return element


def test_running_bundles_report_progress_before_they_finish(job_server):
    # One bundle of 300 elements taking ~6 s: attempted metrics grow while it runs.
    options = portable_options(job_server.endpoint, "PROCESS") + ["--autoscaling_algorithm=NONE", "--max_num_workers=1"]
    p = beam.Pipeline(options=PipelineOptions(options))
    _ = p | beam.Create(list(range(300)), reshuffle=False) | beam.Map(count_slowly)
    result = p.run()
    channel = grpc.insecure_channel(job_server.endpoint)
    jobs = beam_job_api_pb2_grpc.JobServiceStub(channel)

    def seen():
        response = jobs.GetJobMetrics(beam_job_api_pb2.GetJobMetricsRequest(job_id=result._job_id))
        return PortableMetrics(response).query(beam.metrics.MetricsFilter().with_name("seen"))["counters"]

    seen_while_running = []
    deadline = time.time() + 60
    while time.time() < deadline and not seen_while_running and result.state not in ("DONE", "FAILED"):
        attempted = sum(c.attempted for c in seen())
        if 0 < attempted < 300:
            seen_while_running.append(attempted)
        time.sleep(0.3)
    result.wait_until_finish()
    channel.close()
    assert seen_while_running, "no partial count was reported while the bundle ran"
    counters = result.metrics().query(beam.metrics.MetricsFilter().with_name("seen"))["counters"]
    assert sum(c.committed for c in counters) == 300


def die_once(element, marker):
    # The first harness to reach element 7 exits mid-bundle; the retry runs on a fresh one.
    if element == 7 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return element * 10


def test_a_dying_worker_costs_only_its_own_bundle(job_server, tmp_path):
    marker = str(tmp_path / "died")
    build = lambda p, _: (p | beam.Create(range(40)) | beam.Reshuffle()
                          | beam.Map(die_once, marker=marker))
    actual = run_and_collect(build, process_options(job_server, "--autoscaling_algorithm=NONE"), str(tmp_path / "ours"))
    assert os.path.exists(marker), "a harness died"
    assert actual == sorted(repr(i * 10) for i in range(40)), "nothing lost, nothing duplicated"
