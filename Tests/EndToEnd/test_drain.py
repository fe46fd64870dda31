"""Drain (the Job API's `Drain`) on beam-job-server with the real Beam Python SDK.

An unbounded streaming job (PeriodicImpulse, which never stops by itself) is
drained while it runs: its splittable DoFn's restriction is truncated by the
SDK, the watermark reaches +inf, the 1-hour window that could not close yet
fires with every element read before the drain, an event-time timer set for
the end of that window fires, and the job ends DRAINED; nothing is read after
it. A splittable DoFn that never returns by itself is asked to checkpoint, and
its remainder is truncated. Beam's own drain tests (a drain from the start, with custom and default
truncation) run in run_beam_suite.py; the Job API's errors for jobs that
cannot be drained are checked here."""
import time

import grpc
import pytest

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.runners.portability.fn_api_runner.fn_runner_test import OffsetRangeProvider
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms import window
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import BagStateSpec, TimerSpec, TimeDomain, on_timer

from job_server import job_stub, messages, portable_options, wait_for
from test_streaming_pipelines import AppendTo, lines

pytestmark = pytest.mark.timeout(180)


class CountAtWindowEnd(beam.DoFn):
    """Counts each window's elements in bag state; an event-time timer at the
    window's end emits "timer <window start> <count>" (a drain makes it fire)."""
    SEEN = BagStateSpec("seen", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)

    def process(self, kv, w=beam.DoFn.WindowParam, seen=beam.DoFn.StateParam(SEEN),
                flush=beam.DoFn.TimerParam(FLUSH)):
        seen.add(1)
        flush.set(w.end)

    @on_timer(FLUSH)
    def on_flush(self, w=beam.DoFn.WindowParam, seen=beam.DoFn.StateParam(SEEN)):
        yield f"timer {float(w.start)} {sum(seen.read())}"
        seen.clear()


@pytest.mark.parametrize("environment", ["LOOPBACK", "PROCESS"])
def test_draining_an_unbounded_job_fires_its_windows_and_ends_drained(job_server, environment, tmp_path):
    raw, fired = str(tmp_path / "raw.txt"), str(tmp_path / "fired.txt")
    p = beam.Pipeline(options=PipelineOptions(portable_options(job_server.endpoint, environment) + ["--streaming"]))
    ticks = (p | PeriodicImpulse(fire_interval=0.2)
             | beam.WindowInto(window.FixedWindows(3600))
             | beam.Map(lambda t: ("k", 1)))
    _ = ticks | "Raw" >> beam.ParDo(AppendTo(raw))
    _ = ticks | beam.GroupByKey() | beam.MapTuple(lambda k, ones: f"window {sum(ones)}") | "Windows" >> beam.ParDo(AppendTo(fired))
    _ = ticks | beam.ParDo(CountAtWindowEnd()) | "Timers" >> beam.ParDo(AppendTo(fired))
    result = p.run()
    try:
        assert wait_for(lambda: len(lines(raw)) >= 5, 60), "the source produced nothing"
        assert result.state == PipelineState.RUNNING
        assert lines(fired) == [], "the 1-hour window fired before the drain"
        asked = time.time()
        answer = result._job_service.Drain(beam_job_api_pb2.DrainJobRequest(job_id=result._job_id), timeout=30)
        assert answer.state == beam_job_api_pb2.JobState.DRAINING
        assert wait_for(lambda: result.state == PipelineState.DRAINED, 60), result.state
        print(f"{environment}: DRAINED {time.time() - asked:.2f} s after Drain, {len(lines(raw))} elements read")
    finally:
        if result.state not in (PipelineState.DRAINED, PipelineState.FAILED):
            result.cancel()
    read = len(lines(raw))
    assert sorted(line.split()[0] + " " + line.split()[-1] for line in lines(fired)) == \
        [f"timer {read}", f"window {read}"], (read, lines(fired))
    time.sleep(1)
    assert len(lines(raw)) == read, "elements were read after the job was DRAINED"
    texts = [m.message_text for m in messages(job_server, result._job_id)]
    assert any(t.startswith("Draining:") and "truncate" in t for t in texts), texts


class EndlessReader(beam.DoFn):
    """A splittable DoFn over an unbounded restriction that never checkpoints by
    itself: only a split request from the runner ends its bundle."""

    def __init__(self, path):
        self.path = path

    def process(self, element, tracker=beam.DoFn.RestrictionParam(
            OffsetRangeProvider(use_bounded_offset_range=False))):
        position = tracker.current_restriction().start
        while tracker.try_claim(position):
            with open(self.path, "a") as out:
                out.write(f"{position}\n")
            yield position
            position += 1
            time.sleep(0.01)


def test_drain_checkpoints_a_splittable_dofn_that_never_returns(job_server, tmp_path):
    read = str(tmp_path / "read.txt")
    p = beam.Pipeline(options=PipelineOptions(portable_options(job_server.endpoint) + ["--streaming"]))
    _ = p | beam.Create([10 ** 9]) | beam.ParDo(EndlessReader(read))
    result = p.run()
    try:
        assert wait_for(lambda: len(lines(read)) >= 20, 60), "the reader produced nothing"
        result._job_service.Drain(beam_job_api_pb2.DrainJobRequest(job_id=result._job_id), timeout=30)
        assert wait_for(lambda: result.state == PipelineState.DRAINED, 30), result.state
    finally:
        if result.state not in (PipelineState.DRAINED, PipelineState.FAILED):
            result.cancel()
    positions = [int(line) for line in lines(read)]
    # Autoscaling may have split the restriction over two workers before the drain: distinct, not contiguous.
    assert positions and len(set(positions)) == len(positions), "a position was read twice"
    time.sleep(0.5)
    assert len(lines(read)) == len(positions), "the reader went on after DRAINED"


def test_drain_requests_the_job_api_refuses(job_server):
    stub = job_stub(job_server)
    with pytest.raises(grpc.RpcError) as unknown:
        stub.Drain(beam_job_api_pb2.DrainJobRequest(job_id="no-such-job"), timeout=30)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

    with beam.Pipeline(options=PipelineOptions(portable_options(job_server.endpoint))) as p:
        _ = p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x)
    finished = p.result._job_id
    with pytest.raises(grpc.RpcError) as done:
        stub.Drain(beam_job_api_pb2.DrainJobRequest(job_id=finished), timeout=30)
    assert done.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "DONE" in done.value.details() and "drained" in done.value.details(), done.value.details()

    prepared = stub.Prepare(beam_job_api_pb2.PrepareJobRequest(pipeline=p.to_runner_api(), job_name="never-run"),
                            timeout=30).preparation_id
    with pytest.raises(grpc.RpcError) as stopped:
        stub.Drain(beam_job_api_pb2.DrainJobRequest(job_id=prepared), timeout=30)
    assert stopped.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "has not been run" in stopped.value.details()
