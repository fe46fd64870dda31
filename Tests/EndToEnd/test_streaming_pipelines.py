"""Streaming pipelines on beam-job-server: TestStream-driven triggers (early,
on-time and late panes, both accumulation modes), session windows with late and
dropped data, user state with event-time and processing-time timers, and an
unbounded PeriodicImpulse job that runs until cancelled.

Each expected output is written out below and, where Beam's Python DirectRunner
implements the semantics (it runs TestStream pipelines in streaming mode), the
same pipeline and assertion also run on the DirectRunner, so the expectations
are Beam's and not ours. Outputs are checked inside the pipeline (assert_that),
never through module-level lists."""
import os
import time

import pytest

import apache_beam as beam
from apache_beam.coders import FloatCoder, VarIntCoder
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState
from apache_beam.testing import test_stream  # a module: pytest would try to collect a bare TestStream class
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import trigger, window
from apache_beam.transforms.periodicsequence import PeriodicImpulse, RebaseMode
from apache_beam.transforms.userstate import (BagStateSpec, ReadModifyWriteStateSpec, TimeDomain, TimerSpec,
                                              on_timer)
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Duration, Timestamp
from apache_beam.utils.windowed_value import PaneInfoTiming

from job_server import child_pids, portable_options, wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def our_streaming_options(job_server):
    """beam-job-server only: the DirectRunner has no real processing-time semantics."""
    return portable_options(job_server.endpoint) + ["--streaming"]


def run(options, build, expected):
    """Builds the pipeline and checks its output inside it, with `equal_to` or a callable."""
    with beam.Pipeline(options=PipelineOptions(options)) as p:
        assert_that(build(p), expected if callable(expected) else equal_to(expected))


def at(key, seconds):
    """(key, seconds) with event time `seconds`."""
    return TimestampedValue((key, seconds), seconds)


class DescribePane(beam.DoFn):
    """(key, values) -> (key, sorted values, window, output timestamp in ms, pane timing,
    pane index, nonspeculative index, is_first, is_last)."""

    def process(self, kv, w=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam, ts=beam.DoFn.TimestampParam):
        key, values = kv
        yield (key, tuple(sorted(values)), (int(w.start), int(w.end)), ts.micros // 1000,
               PaneInfoTiming.to_string(pane.timing), pane.index, pane.nonspeculative_index,
               pane.is_first, pane.is_last)


# (a) Early, on-time and late panes.

def early_on_time_late(mode):
    """FixedWindows(10), AfterWatermark(early=AfterCount(2), late=AfterCount(1)),
    allowed lateness 20. Each add_elements is one bundle; the trigger is evaluated
    after it, as Beam's trigger transcripts assume."""
    stream = (test_stream.TestStream().advance_watermark_to(0)
              .add_elements([at("k", 1), at("k", 2)])   # early pane of [0, 10)
              .add_elements([at("k", 3)])               # count 1: no pane
              .advance_watermark_to(10)                 # on-time pane of [0, 10)
              .add_elements([at("k", 4)])               # late pane of [0, 10)
              .add_elements([at("k", 12), at("k", 15)])  # early pane of [10, 20)
              .advance_watermark_to(25)                 # on-time pane of [10, 20), even if empty
              .add_elements([at("k", 5)])               # late again: [0, 10) expires at 30
              .advance_watermark_to(50)                 # both windows expire, nothing new: no pane
              .add_elements([at("k", 6), at("k", 17)])  # beyond allowed lateness: dropped
              .advance_watermark_to_infinity())

    def build(p):
        return (p | stream
                | beam.WindowInto(window.FixedWindows(10),
                                  trigger=trigger.AfterWatermark(early=trigger.AfterCount(2),
                                                                 late=trigger.AfterCount(1)),
                                  accumulation_mode=mode, allowed_lateness=20)
                | beam.GroupByKey()
                | beam.ParDo(DescribePane()))
    return build


EARLY_ON_TIME_LATE_PANES = {
    # key, values, window, timestamp (end of window), timing, index, nonspeculative index, first, last
    trigger.AccumulationMode.ACCUMULATING: [
        ("k", (1, 2), (0, 10), 9999, "EARLY", 0, -1, True, False),
        ("k", (1, 2, 3), (0, 10), 9999, "ON_TIME", 1, 0, False, False),
        ("k", (1, 2, 3, 4), (0, 10), 9999, "LATE", 2, 1, False, False),
        ("k", (12, 15), (10, 20), 19999, "EARLY", 0, -1, True, False),
        ("k", (12, 15), (10, 20), 19999, "ON_TIME", 1, 0, False, False),
        ("k", (1, 2, 3, 4, 5), (0, 10), 9999, "LATE", 3, 2, False, False),
    ],
    trigger.AccumulationMode.DISCARDING: [
        ("k", (1, 2), (0, 10), 9999, "EARLY", 0, -1, True, False),
        ("k", (3,), (0, 10), 9999, "ON_TIME", 1, 0, False, False),
        ("k", (4,), (0, 10), 9999, "LATE", 2, 1, False, False),
        ("k", (12, 15), (10, 20), 19999, "EARLY", 0, -1, True, False),
        ("k", (), (10, 20), 19999, "ON_TIME", 1, 0, False, False),
        ("k", (5,), (0, 10), 9999, "LATE", 3, 2, False, False),
    ],
}


@pytest.mark.parametrize("mode", [trigger.AccumulationMode.ACCUMULATING, trigger.AccumulationMode.DISCARDING],
                         ids=["accumulating", "discarding"])
def test_early_on_time_and_late_panes(streaming_options, mode):
    run(streaming_options, early_on_time_late(mode), EARLY_ON_TIME_LATE_PANES[mode])


# (d) Session windows with late and dropped data.

def test_session_windows_with_late_and_dropped_data(streaming_options):
    """Sessions(10), default trigger, accumulating, allowed lateness 20. A late
    element merges into an already fired session: the merged session is a new
    window, so its LATE pane is its first (index 0)."""
    stream = (test_stream.TestStream().advance_watermark_to(0)
              .add_elements([at("k", 1), at("k", 5)])  # session [1, 15)
              .add_elements([at("k", 30)])             # session [30, 40)
              .advance_watermark_to(20)                # on time: [1, 15)
              .add_elements([at("k", 8)])              # late, merges: [1, 18)
              .advance_watermark_to(45)                # on time: [30, 40); [1, 18) expires at 38
              .add_elements([at("k", 2)])              # [2, 12) expired at 32: dropped
              .add_elements([at("k", 33)])             # late, merges: [30, 43)
              .advance_watermark_to_infinity())

    def build(p):
        return (p | stream
                | beam.WindowInto(window.Sessions(10), allowed_lateness=20,
                                  accumulation_mode=trigger.AccumulationMode.ACCUMULATING)
                | beam.GroupByKey()
                | beam.ParDo(DescribePane()))
    run(streaming_options, build, [
        ("k", (1, 5), (1, 15), 14999, "ON_TIME", 0, 0, True, False),
        ("k", (1, 5, 8), (1, 18), 17999, "LATE", 0, 0, True, False),
        ("k", (30,), (30, 40), 39999, "ON_TIME", 0, 0, True, False),
        ("k", (30, 33), (30, 43), 42999, "LATE", 0, 0, True, False),
    ])


# (b) Bag and value state with event-time timers.

class BufferUntilQuiet(beam.DoFn):
    """Buffers values per key (bag) and counts them (value state); an event-time
    timer, reset to 5 s after each element, emits the buffer and clears it (the
    count survives)."""
    BUFFER = BagStateSpec("buffer", VarIntCoder())
    COUNT = ReadModifyWriteStateSpec("count", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)

    def process(self, kv, ts=beam.DoFn.TimestampParam, buffer=beam.DoFn.StateParam(BUFFER),
                count=beam.DoFn.StateParam(COUNT), flush=beam.DoFn.TimerParam(FLUSH)):
        buffer.add(kv[1])
        count.write((count.read() or 0) + 1)
        flush.set(ts + 5)

    @on_timer(FLUSH)
    def on_flush(self, key=beam.DoFn.KeyParam, ts=beam.DoFn.TimestampParam,
                 buffer=beam.DoFn.StateParam(BUFFER), count=beam.DoFn.StateParam(COUNT)):
        yield key, tuple(sorted(buffer.read())), count.read(), ts.micros // 1000
        buffer.clear()


def test_stateful_dofn_with_bag_value_state_and_event_time_timers(streaming_options):
    stream = (test_stream.TestStream().advance_watermark_to(0)
              .add_elements([at("a", 1), at("b", 2)])      # timers a@6, b@7
              .advance_watermark_to(5)
              .add_elements([at("a", 3)])                  # a's timer moves to 8
              .advance_watermark_to(7.5)                   # fires b@7 only
              .add_elements([at("a", 14), at("b", 15)])    # timers a@19, b@20
              .advance_watermark_to(30)                    # fires both
              .advance_watermark_to_infinity())
    run(streaming_options, lambda p: p | stream | beam.ParDo(BufferUntilQuiet()), [
        ("b", (2,), 1, 7000),
        ("a", (1, 3, 14), 3, 19000),
        ("b", (15,), 2, 20000),
    ])


def test_event_time_timers_fire_when_the_stream_ends(our_streaming_options):
    """The final watermark (+inf) fires every pending event-time timer, as batch
    stateful DoFns rely on. Beam's Python DirectRunner drops them in streaming
    mode, so it is not a reference here."""
    stream = (test_stream.TestStream().advance_watermark_to(0)
              .add_elements([at("a", 1), at("b", 2), at("a", 3)])
              .advance_watermark_to(4)
              .advance_watermark_to_infinity())
    run(our_streaming_options, lambda p: p | stream | beam.ParDo(BufferUntilQuiet()), [
        ("a", (1, 3), 2, 8000),
        ("b", (2,), 1, 7000),
    ])


# (c) Processing-time timers.

class FlushOneSecondLater(beam.DoFn):
    """Counts elements per key; the first element of a batch sets a processing-time
    timer one second later (wall clock, as user code does), which emits
    (key, count, wall-clock seconds since it was set) and starts a new batch."""
    SET_AT = ReadModifyWriteStateSpec("set_at", FloatCoder())
    COUNT = ReadModifyWriteStateSpec("count", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.REAL_TIME)

    def process(self, kv, set_at=beam.DoFn.StateParam(SET_AT), count=beam.DoFn.StateParam(COUNT),
                flush=beam.DoFn.TimerParam(FLUSH)):
        if set_at.read() is None:
            now = time.time()
            set_at.write(now)
            flush.set(Timestamp.of(now) + Duration(seconds=1))
        count.write((count.read() or 0) + 1)

    @on_timer(FLUSH)
    def on_flush(self, key=beam.DoFn.KeyParam, set_at=beam.DoFn.StateParam(SET_AT),
                 count=beam.DoFn.StateParam(COUNT)):
        yield key, count.read(), time.time() - set_at.read()
        set_at.clear()
        count.clear()


def test_processing_time_timer_fires_when_test_stream_advances_processing_time(our_streaming_options):
    """TestStream's processing-time advances drive processing-time timers; a timer
    set from the wall clock (now + 1 s) counts from the moment it was set, as in
    Prism (rebaseProcessingTime). Beam's DirectRunner starts TestStream's clock at
    the epoch instead, so it is not a reference here."""
    stream = (test_stream.TestStream().advance_watermark_to(0)
              .add_elements([("a", 1), ("b", 2), ("a", 3)])
              .advance_processing_time(2)   # both timers fire: (a, 2), (b, 1)
              .add_elements([("a", 4)])
              .advance_processing_time(2)   # (a, 1)
              .advance_watermark_to_infinity())
    run(our_streaming_options,
        lambda p: p | stream | beam.ParDo(FlushOneSecondLater()) | beam.MapTuple(lambda k, n, _: (k, n)),
        [("a", 2), ("b", 1), ("a", 1)])


def test_processing_time_timer_fires_on_the_wall_clock(our_streaming_options):
    """PeriodicImpulse emits 8 elements over 4 s of wall clock; timers set one
    second after the first element of each batch fire during the run, never early."""
    def check(flushes):
        assert len(flushes) >= 2, f"expected several flushes during the run, got {flushes}"
        assert all(n >= 1 and waited >= 0.9 for _, n, waited in flushes), flushes
        assert sum(n for _, n, _ in flushes) <= 8, flushes

    def build(p):
        now = time.time()
        return (p | PeriodicImpulse(start_timestamp=now, stop_timestamp=now + 4, fire_interval=0.5)
                | beam.Map(lambda t: ("k", t))
                | beam.ParDo(FlushOneSecondLater()))
    run(our_streaming_options, build, check)


# (e) An unbounded job, cancelled.

class AppendTo(beam.DoFn):
    """Appends each element to a file (the harness may be another process)."""

    def __init__(self, path):
        self.path = path

    def process(self, element):
        with open(self.path, "a") as out:
            out.write(f"{element}\n")


def lines(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


@pytest.mark.parametrize("environment", ["LOOPBACK", "PROCESS"])
def test_unbounded_periodic_impulse_runs_until_cancelled(job_server, environment, tmp_path):
    out = str(tmp_path / "ticks.txt")
    p = beam.Pipeline(options=PipelineOptions(portable_options(job_server.endpoint, environment) + ["--streaming"]))
    _ = p | PeriodicImpulse(fire_interval=0.5) | beam.ParDo(AppendTo(out))
    result = p.run()
    try:
        assert wait_for(lambda: result.state == PipelineState.RUNNING, 60), result.state
        assert wait_for(lambda: len(lines(out)) >= 1, 30), "no element reached the sink"
        seen = len(lines(out))
        time.sleep(3)
        assert result.state == PipelineState.RUNNING
        assert len(lines(out)) >= seen + 3, "the unbounded source stopped producing"
        if environment == "PROCESS":
            assert child_pids(job_server.process.pid), "no SDK harness process under the server"
    finally:
        result.cancel()
    assert wait_for(lambda: result.state == PipelineState.CANCELLED, 10), result.state
    assert wait_for(lambda: not child_pids(job_server.process.pid), 10), \
        f"SDK harness processes left after cancel: {child_pids(job_server.process.pid)}"
    time.sleep(1)  # let an in-flight bundle finish
    produced = len(lines(out))
    time.sleep(1.5)
    assert len(lines(out)) == produced, "elements still processed after CANCELLED"


class DescribeWindow(beam.DoFn):
    """(key, impulse timestamps) -> "window start, count, last impulse, wall-clock now"."""

    def process(self, kv, w=beam.DoFn.WindowParam):
        _, ticks = kv
        ticks = list(ticks)
        yield f"{float(w.start)} {len(ticks)} {max(ticks)} {time.time()}"


def test_unbounded_windows_close_while_running(our_streaming_options, tmp_path):
    """PeriodicImpulse ticks every 0.2 s for 4 s of wall clock (from when the
    source starts) into 1 s fixed windows: the SDF's watermark estimates advance
    the watermark while it runs, so windows fire during the run, not all when the
    source ends, and together they hold every impulse exactly once."""
    out = str(tmp_path / "windows.txt")
    start = Timestamp.now()
    with beam.Pipeline(options=PipelineOptions(our_streaming_options)) as p:
        _ = (p | PeriodicImpulse(start_timestamp=start, stop_timestamp=start + Duration(seconds=4),
                                 fire_interval=0.2, rebase=RebaseMode.REBASE_ALL)
             | beam.WindowInto(window.FixedWindows(1))
             | beam.Map(lambda t: ("k", t))
             | beam.GroupByKey()
             | beam.ParDo(DescribeWindow())
             | beam.ParDo(AppendTo(out)))
    windows = sorted(tuple(float(field) for field in line.split()) for line in lines(out))
    assert sum(count for _, count, _, _ in windows) == 20, windows
    assert len({w_start for w_start, _, _, _ in windows}) == len(windows), f"a window fired twice: {windows}"
    last_impulse = max(last for _, _, last, _ in windows)  # emitted at that wall-clock time
    first_written = min(written for _, _, _, written in windows)
    assert first_written < last_impulse - 1.0, \
        f"first window written {first_written - last_impulse:+.2f} s after the last impulse: {windows}"
