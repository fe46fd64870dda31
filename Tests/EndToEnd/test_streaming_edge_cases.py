"""Edge cases of the watermark-driven engine, each compared with Beam's
DirectRunner where it implements them: a TestStream that ends on an element
batch (no final watermark advance), timers set at a window's end (Python's
GroupIntoBatches flushes with one), and a side input that is itself unbounded
(main elements read it window by window while both sources run)."""
import time

import pytest

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.window import TimestampedValue

from job_server import portable_options

pytestmark = pytest.mark.timeout(120)


def test_a_test_stream_ending_on_elements_still_fires_their_windows(streaming_options):
    stream = test_stream.TestStream().add_elements([TimestampedValue(("k", 1), 1), TimestampedValue(("k", 2), 12)])
    with beam.Pipeline(options=PipelineOptions(streaming_options)) as p:
        grouped = (p | stream | beam.Map(lambda kv: kv) | beam.WindowInto(window.FixedWindows(10))
                   | beam.GroupByKey() | beam.MapTuple(lambda k, vs: (k, sorted(vs))))
        assert_that(grouped, equal_to([("k", [1]), ("k", [2])]))


@pytest.mark.parametrize("runner", ["beam-job-server", "DirectRunner"])
def test_group_into_batches_flushes_each_window_at_its_end(job_server, runner):
    """GroupIntoBatches sets its flush timer at window.end, one past the window's
    max timestamp; the last partial batch of each window comes from that timer."""
    options = (["--runner=DirectRunner"] if runner == "DirectRunner" else portable_options(job_server.endpoint))
    elements = [("k", i) for i in range(7)] + [("k", 10 + i) for i in range(3)]
    with beam.Pipeline(options=PipelineOptions(options)) as p:
        batches = (p | beam.Create(elements) | beam.Map(lambda kv: TimestampedValue(kv, kv[1]))
                   | beam.WindowInto(window.FixedWindows(10)) | beam.GroupIntoBatches(3)
                   | beam.MapTuple(lambda k, vs: (k, sorted(vs))))
        assert_that(batches, equal_to([("k", [0, 1, 2]), ("k", [3, 4, 5]), ("k", [6]), ("k", [10, 11, 12])]))


def test_an_unbounded_side_input_is_read_window_by_window(job_server):
    """Main and side are both PeriodicImpulse in the same fixed windows: every main
    element must see the side value of its own window, while both sources run."""
    start = time.time()
    stop = start + 3
    opts = PipelineOptions(portable_options(job_server.endpoint) + ["--streaming"])
    with beam.Pipeline(options=opts) as p:
        side = (p | "Side" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=0.5,
                                              apply_windowing=True)
                | "SideValue" >> beam.Map(lambda t: round(float(t), 1)))
        pairs = (p | "Main" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=0.5,
                                               apply_windowing=True)
                 | beam.Map(lambda t, s: (round(float(t), 1), s), s=beam.pvalue.AsSingleton(side)))

        def check(actual):
            assert len(actual) >= 5, actual
            assert all(main == seen for main, seen in actual), actual
        assert_that(pairs, check)
