"""Faults made boring: harnesses that die mid-bundle (by their own hand after
emitting output, or SIGKILLed from outside), a stateful DoFn killed
mid-bundle, flaky and persistent user errors. Every job that can finish ends
DONE with DirectRunner's output (nothing lost, nothing duplicated), and its
messages report each retry. PROCESS workers (beam-boot), so a harness is a
process of its own."""
import os
import signal
import threading
import time

import pytest

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms import userstate

from job_server import DEFAULT_BINARY, JobServer, child_pids, job_ids, messages, portable_options, wait_for
from pipelines import run_and_collect

PAYLOAD = 40_000  # bytes per element: a bundle's output passes the SDK's flush size before the fault


def take_fault(folder, times):
    """True the first `times` times any harness asks (marker files shared on this machine)."""
    for index in range(times):
        try:
            os.close(os.open(os.path.join(folder, f"fault-{index}"), os.O_CREAT | os.O_EXCL))
            return True
        except FileExistsError:
            continue
    return False


class DieAt(beam.DoFn):
    """Emits big elements and SIGKILLs its own harness on element `at`, the first `times` times."""

    def __init__(self, folder, times, at):
        self.folder, self.times, self.at = folder, times, at

    def process(self, x):
        if x == self.at and take_fault(self.folder, self.times):
            time.sleep(0.2)  # let what was emitted reach the runner
            os.kill(os.getpid(), signal.SIGKILL)
        yield x % 7, "p" * PAYLOAD


class RaiseAt(DieAt):
    """As DieAt, but raises (a user error) instead of dying."""

    def process(self, x):
        if x == self.at and take_fault(self.folder, self.times):
            raise RuntimeError(f"flaky failure on {x}")
        yield x % 7, "p" * PAYLOAD


def counted(p, fault):
    """Elements through `fault`, then a GroupByKey: a duplicated or lost element changes the counts."""
    return (p | beam.Create(range(400)) | beam.Reshuffle() | beam.ParDo(fault) | beam.GroupByKey()
            | beam.MapTuple(lambda key, values: (key, len(values), sum(len(v) for v in values))))


class SumUntilWindowEnd(beam.DoFn):
    """Bag state per key and an end-of-window timer; dies mid-bundle after writing state the first time."""
    SEEN = userstate.BagStateSpec("seen", VarIntCoder())
    FLUSH = userstate.TimerSpec("flush", userstate.TimeDomain.WATERMARK)

    def __init__(self, folder, times):
        self.folder, self.times = folder, times

    def process(self, kv, seen=beam.DoFn.StateParam(SEEN), flush=beam.DoFn.TimerParam(FLUSH),
                w=beam.DoFn.WindowParam):
        seen.add(kv[1])
        flush.set(w.max_timestamp())
        if kv[1] == 150 and take_fault(self.folder, self.times):
            os.kill(os.getpid(), signal.SIGKILL)

    @userstate.on_timer(FLUSH)
    def on_flush(self, key=beam.DoFn.KeyParam, seen=beam.DoFn.StateParam(SEEN)):
        values = list(seen.read())
        yield key, len(values), sum(values)


def stateful(p, fault):
    return p | beam.Create([(i % 5, i) for i in range(300)]) | beam.Reshuffle() | beam.ParDo(fault)


def run_on_both(job_server, tmp_path, build_with_fault, build_clean, extra=()):
    expected = run_and_collect(lambda p, _: build_clean(p), ["--runner=DirectRunner"], str(tmp_path / "direct"))
    before = set(job_ids(job_server))
    actual = run_and_collect(lambda p, _: build_with_fault(p), portable_options(job_server.endpoint, "PROCESS") + list(extra),
                             str(tmp_path / "ours"))
    (job_id,) = set(job_ids(job_server)) - before
    return expected, actual, [m.message_text for m in messages(job_server, job_id)]


@pytest.mark.parametrize("times", [1, 3])
def test_a_harness_killing_itself_mid_bundle_loses_and_duplicates_nothing(job_server, tmp_path, times):
    faults = str(tmp_path / "faults")
    os.makedirs(faults)
    expected, actual, texts = run_on_both(
        job_server, tmp_path, lambda p: counted(p, DieAt(faults, times, at=300)), lambda p: counted(p, DieAt(faults, 0, 300)),
        extra=["--sdk_worker_parallelism=1"])
    assert actual == expected
    assert len(os.listdir(faults)) == times
    retries = [t for t in texts if "died while running" in t and "retrying the bundle" in t]
    assert len(retries) == times, texts


def test_a_harness_killed_from_outside_during_a_long_job(job_server, tmp_path):
    started = str(tmp_path / "started")
    os.makedirs(started)
    killed = []

    def kill_the_first_busy_harness():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            pids = os.listdir(started)
            if pids:
                os.kill(int(pids[0]), signal.SIGKILL)
                killed.append(int(pids[0]))
            time.sleep(0.05)

    expected = run_and_collect(lambda p, _: counted(p, SlowDown(None)), ["--runner=DirectRunner"], str(tmp_path / "direct"))
    killer = threading.Thread(target=kill_the_first_busy_harness)
    killer.start()
    before = set(job_ids(job_server))
    actual = run_and_collect(lambda p, _: counted(p, SlowDown(started)),
                             portable_options(job_server.endpoint, "PROCESS") + ["--sdk_worker_parallelism=2"],
                             str(tmp_path / "ours"))
    killer.join()
    (job_id,) = set(job_ids(job_server)) - before
    assert killed, "no busy harness was seen to kill"
    assert actual == expected
    assert any("died while running" in m.message_text for m in messages(job_server, job_id))


class SlowDown(beam.DoFn):
    """~10 ms per element; with a folder, notes its harness's pid there once it is busy."""

    def __init__(self, folder):
        self.folder = folder

    def process(self, x):
        if self.folder:
            open(os.path.join(self.folder, str(os.getpid())), "w").close()
        time.sleep(0.01)
        yield x % 7, "p" * PAYLOAD


def test_a_stateful_dofn_killed_mid_bundle_keeps_exactly_once_state(job_server, tmp_path):
    faults = str(tmp_path / "faults")
    os.makedirs(faults)
    expected, actual, texts = run_on_both(
        job_server, tmp_path, lambda p: stateful(p, SumUntilWindowEnd(faults, 1)), lambda p: stateful(p, SumUntilWindowEnd(faults, 0)))
    assert actual == expected == sorted(repr((k, 60, sum(range(k, 300, 5)))) for k in range(5))
    assert os.listdir(faults) == ["fault-0"]
    assert any("died while running" in t for t in texts), texts


def test_a_flaky_user_error_is_retried_and_the_job_succeeds(job_server, tmp_path):
    faults = str(tmp_path / "faults")
    os.makedirs(faults)
    expected, actual, texts = run_on_both(
        job_server, tmp_path, lambda p: counted(p, RaiseAt(faults, 2, at=10)), lambda p: counted(p, RaiseAt(faults, 0, 10)))
    assert actual == expected
    retries = [t for t in texts if "RuntimeError: flaky failure on 10" in t and "retrying the bundle" in t]
    assert len(retries) == 2, texts
    assert "(attempt 3 of 4)" in retries[-1]


def test_a_persistent_user_error_fails_the_job_after_every_attempt(job_server):
    def explode(x):
        raise ValueError(f"always fails on {x}")

    p = beam.Pipeline(options=PipelineOptions(portable_options(job_server.endpoint, "PROCESS")))
    _ = p | beam.Create([5]) | beam.Map(explode)
    result = p.run()
    with pytest.raises(Exception, match="always fails on 5") as failure:
        result.wait_until_finish()
    assert result.state == PipelineState.FAILED
    assert "after 4 attempts" in str(failure.value)
    assert "Traceback" in str(failure.value)


class FreezeAt(DieAt):
    """As DieAt, but freezes its harness (SIGSTOP) instead: alive, answering nothing."""

    def process(self, x):
        if x == self.at and take_fault(self.folder, self.times):
            time.sleep(0.2)
            with open(self.folder + ".pid", "w") as note:
                note.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGSTOP)
        yield x % 7, "p" * PAYLOAD


def test_a_frozen_harness_is_stopped_after_the_instruction_timeout_and_its_bundle_retried(job_server_with, tmp_path):
    server = job_server_with("--instruction-timeout", "3")
    faults = str(tmp_path / "faults")
    os.makedirs(faults)
    expected, actual, texts = run_on_both(
        server, tmp_path, lambda p: counted(p, FreezeAt(faults, 1, at=300)), lambda p: counted(p, FreezeAt(faults, 0, 300)),
        extra=["--sdk_worker_parallelism=1"])
    assert actual == expected
    assert os.listdir(faults) == ["fault-0"]
    assert any("did not answer a bundle progress request within 3.0 seconds (--instruction-timeout)" in t
               and "retrying the bundle" in t for t in texts), texts
    # The frozen process was killed, not left stopped.
    with open(faults + ".pid") as note:
        frozen = int(note.read())

    def gone():
        try:
            with open(f"/proc/{frozen}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True
    assert wait_for(gone, 15)


class SpinForever(beam.DoFn):
    """Announces its harness's pid, then never returns (user code deaf to its control stream)."""

    def __init__(self, folder):
        self.folder = folder

    def process(self, element):
        os.close(os.open(os.path.join(self.folder, str(os.getpid())), os.O_CREAT))
        while True:
            time.sleep(0.05)


def process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_harness_stuck_in_user_code_does_not_outlive_a_killed_server(tmp_path):
    """beam-boot's runner watch: after the server's SIGKILL, the orphaned harness is stopped within seconds."""
    server = JobServer(os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY), str(tmp_path / "artifacts"), log_level="info")
    busy = str(tmp_path / "busy")
    os.makedirs(busy)
    try:
        pipeline = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS")))
        _ = pipeline | beam.Create([1]) | beam.ParDo(SpinForever(busy))
        pipeline.run()
        assert wait_for(lambda: os.listdir(busy), 120), "the harness never started the bundle"
        harness = int(os.listdir(busy)[0])
        watchers = child_pids(harness)
        assert len(watchers) == 1, "beam-boot left no runner watch beside the harness"

        server.process.kill()
        server.process.wait()
        started = time.time()
        assert wait_for(lambda: not process_alive(harness), 30), "the harness outlived its server"
        assert wait_for(lambda: not process_alive(watchers[0]), 10), "the runner watch outlived its harness"
        print(f"harness stopped {time.time() - started:.2f} s after the server's SIGKILL")
    finally:
        # Whatever failed, leave no server and no spinning harness behind.
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        for pid in map(int, os.listdir(busy)):
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_harness_ending_normally_takes_its_runner_watch_along(job_server, tmp_path):
    before = set(os.listdir("/proc"))
    assert run_and_collect(lambda p, _: p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * 2),
                           portable_options(job_server.endpoint, "PROCESS"),
                           str(tmp_path / "ours")) == ["2", "4", "6"]

    def watchers():
        found = []
        for entry in set(filter(str.isdigit, os.listdir("/proc"))) - before:
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"--watch-runner" in f.read():
                        found.append(entry)
            except OSError:
                continue
        return found
    assert wait_for(lambda: not watchers(), 30), watchers()
