"""Writes the pipeline protos the planner tests read. Run with a Python that
has apache-beam 2.77.0: `python make_fixtures.py` (from this folder)."""
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import window


def wordcount(p):
    lines = p | beam.io.ReadFromText("/nonexistent/input.txt", validate=False)
    counts = (lines | beam.FlatMap(str.split) | beam.combiners.Count.PerElement())
    side = p | "Side" >> beam.Create([1])
    out = counts | beam.Map(lambda kv, s: kv, s=beam.pvalue.AsSingleton(side))
    ((out, counts) | beam.Flatten() | beam.Reshuffle()
     | beam.Map(lambda kv: "%s: %d" % kv) | beam.io.WriteToText("/nonexistent/out"))


def mixed_flatten(p):
    ints = p | "Ints" >> beam.Create([1, 2])
    strs = p | "Strs" >> beam.Create(["a"])
    (ints, strs) | beam.Flatten() | beam.Map(print)


def sessions(p):
    (p | beam.Create([("k", 1), ("k", 5)])
     | beam.Map(lambda kv: window.TimestampedValue(kv, kv[1]))
     | beam.WindowInto(window.Sessions(3)) | beam.CombinePerKey(sum) | beam.Map(print))


def teststream_triggered(p):
    from apache_beam.testing.test_stream import TestStream
    from apache_beam.transforms import trigger
    events = (TestStream().add_elements([window.TimestampedValue(("k", 1), 1)])
              .advance_watermark_to(5).advance_processing_time(3).add_elements([("k", 2)])
              .advance_watermark_to_infinity())
    (p | events
     | beam.WindowInto(window.FixedWindows(10), trigger=trigger.AfterWatermark(early=trigger.AfterCount(1)),
                       accumulation_mode=trigger.AccumulationMode.ACCUMULATING)
     | beam.CombinePerKey(sum) | beam.Map(print))


for name, build in [("wordcount", wordcount), ("mixed_flatten", mixed_flatten), ("sessions", sessions),
                    ("teststream_triggered", teststream_triggered)]:
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner=PortableRunner"]))
    build(pipeline)
    with open(f"{name}.pb", "wb") as out:
        out.write(pipeline.to_runner_api().SerializeToString())
    print("wrote", name)
