"""Streaming checkpoints (`--checkpoint-interval`) with the real Beam Python SDK.

A streaming job (PeriodicImpulse every 0.1 s for 12 s into 2 s fixed windows,
a GroupByKey and a stateful DoFn whose event-time timer fires at each window's
end, PROCESS workers) runs on a server that is SIGKILLed mid-job. Restarted on
the same state folder, the server resumes the job from its last checkpoint and
the job ends DONE. Runner-side state is exactly once: every window's count is
the number of impulses in it, never a part or a double (a window that fired
between the last checkpoint and the crash may be written twice by the sink:
output is at-least-once). Jobs that cannot resume still fail saying why."""
import os
import signal
import time

import grpc
import pytest

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.transforms import window
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.utils.timestamp import Duration, Timestamp

from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.transforms.core import RestrictionProvider

from job_server import DEFAULT_BINARY, JobServer, job_stub, messages, portable_options, wait_for
from test_drain import CountAtWindowEnd
from test_streaming_pipelines import AppendTo, lines

pytestmark = pytest.mark.timeout(240)

BINARY = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)


@pytest.fixture
def server(tmp_path):
    """Starts servers on one state folder, checkpointing every second."""
    started = []

    def start():
        instance = JobServer(BINARY, str(tmp_path / "artifacts"), log_level="info", state_dir=str(tmp_path / "state"),
                             extra_args=["--checkpoint-interval", "1"])
        started.append(instance)
        return instance

    yield start
    for instance in started:
        # A clean stop cancels the jobs and stops their harnesses (a SIGKILL would orphan them).
        assert instance.stop() in (0, -signal.SIGKILL), "".join(instance.log_lines[-30:])


def state_of(server, job_id):
    return job_stub(server).GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10).state


def test_a_streaming_job_resumes_from_its_checkpoint_after_a_crash(server, tmp_path):
    out = str(tmp_path / "windows.txt")
    first = server()
    start = Timestamp.now()
    interval, seconds = 0.1, 12
    p = beam.Pipeline(options=PipelineOptions(portable_options(first.endpoint, "PROCESS") + ["--streaming"]))
    keyed = (p | PeriodicImpulse(start_timestamp=start, stop_timestamp=start + Duration(seconds=seconds),
                                 fire_interval=interval)
             | beam.WindowInto(window.FixedWindows(2))
             | beam.Map(lambda t: ("k", 1)))
    _ = (keyed | beam.GroupByKey()
         | beam.ParDo(lambda kv, w=beam.DoFn.WindowParam: [f"window {float(w.start)} {sum(kv[1])}"])
         | "Windows" >> beam.ParDo(AppendTo(out)))
    _ = keyed | beam.ParDo(CountAtWindowEnd()) | "Timers" >> beam.ParDo(AppendTo(out))
    job_id = p.run()._job_id
    checkpoint = tmp_path / "state" / "checkpoints" / f"{job_id}.checkpoint.json"
    assert wait_for(lambda: len(lines(out)) >= 2 and checkpoint.exists(), 60), (lines(out), checkpoint)
    time.sleep(1.5)  # a checkpoint with some windows fired and state buffered for the next
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    written_before_crash = len(lines(out))
    checkpoint_bytes = checkpoint.stat().st_size

    second = server()
    assert wait_for(lambda: state_of(second, job_id) in (beam_job_api_pb2.JobState.DONE,
                                                          beam_job_api_pb2.JobState.FAILED), 120)
    texts = [m.message_text for m in messages(second, job_id)]
    assert state_of(second, job_id) == beam_job_api_pb2.JobState.DONE, texts
    assert any("resuming it from its checkpoint" in t for t in texts), texts
    assert any(t.startswith("Resumed from the checkpoint taken") for t in texts), texts
    assert not checkpoint.exists(), "a finished job's checkpoint is deleted"

    # Every impulse timestamp is start + i * interval (i < 120), each counted in exactly one window.
    expected = {}
    for i in range(int(round(seconds / interval))):
        micros = start.micros + int(round(i * interval * 1e6))
        window_start = float(Timestamp(micros=micros - micros % 2_000_000))
        expected[window_start] = expected.get(window_start, 0) + 1
    written = lines(out)
    for kind in ("window", "timer"):
        seen = {}
        for line in written:
            name, window_start, count = line.split()
            if name == kind:
                seen.setdefault(float(window_start), set()).add(int(count))
        assert seen == {w: {n} for w, n in expected.items()}, (kind, seen, expected, written)
    print(f"{written_before_crash} lines before the crash, {len(written)} in all, "
          f"{len(written) - 2 * len(expected)} written twice; checkpoint {checkpoint_bytes} bytes")


def test_a_loopback_streaming_job_is_not_checkpointed_and_fails_after_a_crash(server):
    first = server()
    p = beam.Pipeline(options=PipelineOptions(portable_options(first.endpoint, "LOOPBACK") + ["--streaming"]))
    _ = p | PeriodicImpulse(fire_interval=0.2) | beam.Map(lambda x: x)
    result = p.run()
    job_id = result._job_id
    assert wait_for(lambda: state_of(first, job_id) == beam_job_api_pb2.JobState.RUNNING, 60)
    time.sleep(2)
    assert not os.listdir(os.path.join(os.path.dirname(first.artifacts_dir), "state", "checkpoints"))
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    second = server()
    assert state_of(second, job_id) == beam_job_api_pb2.JobState.FAILED
    assert any("LOOPBACK or EXTERNAL" in m.message_text for m in messages(second, job_id))


class UnsplittableTracker(OffsetRestrictionTracker):
    """Refuses every split request, so its bundle neither ends nor checkpoints."""

    def try_split(self, fraction_of_remainder):
        return None

    def is_bounded(self):
        return False


class Unsplittable(RestrictionProvider):
    def initial_restriction(self, element):
        return OffsetRange(0, element)

    def create_tracker(self, restriction):
        return UnsplittableTracker(restriction)

    def restriction_size(self, element, restriction):
        return restriction.size()


class EndlessUnsplittableReader(beam.DoFn):
    def process(self, element, tracker=beam.DoFn.RestrictionParam(Unsplittable())):
        position = tracker.current_restriction().start
        while tracker.try_claim(position):
            yield position
            position += 1
            time.sleep(0.01)


def test_a_bundle_that_never_checkpoints_skips_the_checkpoint_instead_of_stopping_the_job(server, tmp_path):
    out = str(tmp_path / "read.txt")
    first = server()
    p = beam.Pipeline(options=PipelineOptions(portable_options(first.endpoint, "PROCESS") + ["--streaming"]))
    _ = p | beam.Create([10 ** 9]) | beam.ParDo(EndlessUnsplittableReader()) | beam.ParDo(AppendTo(out))
    job_id = p.run()._job_id
    try:
        skipped = lambda: any(t.startswith("A checkpoint was skipped") for t in texts_so_far(first, job_id))
        assert wait_for(skipped, 60), texts_so_far(first, job_id)
        assert state_of(first, job_id) == beam_job_api_pb2.JobState.RUNNING
        read = len(lines(out))
        assert wait_for(lambda: len(lines(out)) > read + 10, 30), "the job stopped reading after the skipped checkpoint"
    finally:
        job_stub(first).Cancel(beam_job_api_pb2.CancelJobRequest(job_id=job_id), timeout=10)


def texts_so_far(server, job_id):
    """The messages of a running job so far (its stream stays open: read what is there)."""
    stream = job_stub(server).GetMessageStream(beam_job_api_pb2.JobMessagesRequest(job_id=job_id), timeout=2)
    texts = []
    try:
        for response in stream:
            if response.HasField("message_response"):
                texts.append(response.message_response.message_text)
    except grpc.RpcError:
        pass  # the deadline ends the replay
    return texts
