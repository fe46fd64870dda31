"""Batch pipelines the end-to-end tests run on beam-job-server and on Beam's
DirectRunner. Each builder takes a Pipeline (and a scratch folder) and returns
the PCollection whose elements are compared; elements are turned into sorted
repr strings, so any picklable, repr-stable value works."""
import glob
import os

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.io.restriction_trackers import OffsetRange
from apache_beam.io.restriction_trackers import OffsetRestrictionTracker
from apache_beam.coders import VarIntCoder
from apache_beam.transforms import userstate
from apache_beam.transforms import window
from apache_beam.transforms.core import RestrictionProvider

WORDS = ["the quick brown fox", "jumps over the lazy dog", "the dog barks", "", "fox and dog"]


def write_input(folder):
    path = os.path.join(folder, "input.txt")
    with open(path, "w") as out:
        out.write("\n".join(WORDS * 20) + "\n")
    return path


def wordcount(p, folder):
    return (p | beam.io.ReadFromText(write_input(folder))
            | beam.FlatMap(str.split)
            | beam.combiners.Count.PerElement()
            | beam.MapTuple(lambda word, count: f"{word}: {count}"))


def map_flatmap_filter(p, folder):
    return (p | beam.Create(range(20))
            | beam.Map(lambda x: x * 3)
            | beam.FlatMap(lambda x: [x, -x])
            | beam.Filter(lambda x: x % 2 == 0))


class SplitParity(beam.DoFn):
    def process(self, x):
        yield beam.pvalue.TaggedOutput("even" if x % 2 == 0 else "odd", x)
        yield x * 10


def tagged_outputs(p, folder):
    results = p | beam.Create(range(10)) | beam.ParDo(SplitParity()).with_outputs("even", "odd", main="main")
    return ((results.main | "M" >> beam.Map(lambda x: ("main", x)),
             results.even | "E" >> beam.Map(lambda x: ("even", x)),
             results.odd | "O" >> beam.Map(lambda x: ("odd", x))) | beam.Flatten())


def group_by_key(p, folder):
    return (p | beam.Create([("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)] * 3)
            | beam.GroupByKey()
            | beam.MapTuple(lambda k, vs: (k, sorted(vs))))


def co_group_by_key(p, folder):
    emails = p | "Emails" >> beam.Create([("amy", "amy@x"), ("carl", "carl@x"), ("julia", "julia@x")])
    phones = p | "Phones" >> beam.Create([("amy", "111"), ("james", "222"), ("amy", "333")])
    return ({"emails": emails, "phones": phones} | beam.CoGroupByKey()
            | beam.MapTuple(lambda k, v: (k, sorted(v["emails"]), sorted(v["phones"]))))


class AverageFn(beam.CombineFn):
    def create_accumulator(self):
        return (0.0, 0)

    def add_input(self, acc, x):
        return acc[0] + x, acc[1] + 1

    def merge_accumulators(self, accs):
        sums, counts = zip(*accs)
        return sum(sums), sum(counts)

    def extract_output(self, acc):
        return acc[0] / acc[1] if acc[1] else float("nan")


def combiners(p, folder):
    nums = p | beam.Create([(k, v) for k in "abc" for v in range(1, 8)])
    values = nums | beam.Values()
    return ((nums | "SumPerKey" >> beam.CombinePerKey(sum) | "T1" >> beam.Map(lambda kv: ("sum", kv)),
             values | "Global" >> beam.CombineGlobally(sum) | "T2" >> beam.Map(lambda s: ("global", s)),
             values | "Count" >> beam.combiners.Count.Globally() | "T3" >> beam.Map(lambda c: ("count", c)),
             values | "Top" >> beam.combiners.Top.Of(3) | "T4" >> beam.Map(lambda t: ("top", t)),
             values | "Mean" >> beam.combiners.Mean.Globally() | "T5" >> beam.Map(lambda m: ("mean", m)),
             nums | "Avg" >> beam.CombinePerKey(AverageFn()) | "T6" >> beam.Map(lambda kv: ("avg", kv)))
            | beam.Flatten())


def side_inputs(p, folder):
    main = p | "Main" >> beam.Create([1, 2, 3])
    single = p | "Single" >> beam.Create([10])
    many = p | "Many" >> beam.Create([4, 5, 6])
    pairs = p | "Pairs" >> beam.Create([("a", 1), ("b", 2), ("a", 3)])
    views = main | beam.Map(
        lambda x, s, it, lst, d, mm: (x, x + s, sorted(it), sorted(lst), sorted(d.items()),
                                      [sorted(mm[k]) for k in ("a", "b", "missing")]),
        s=beam.pvalue.AsSingleton(single), it=beam.pvalue.AsIter(many), lst=beam.pvalue.AsList(many),
        d=beam.pvalue.AsDict(pairs | "Dedupe" >> beam.Filter(lambda kv: kv != ("a", 3))),
        mm=beam.pvalue.AsMultiMap(pairs))
    # One PCollection as both main input (spread over partitions) and side input (whole).
    spread = main | "Spread" >> beam.Reshuffle()
    crossed = spread | "Cross" >> beam.FlatMap(lambda x, all_: [(x, y) for y in all_], all_=beam.pvalue.AsList(spread))
    return (views, crossed) | "Both" >> beam.Flatten()


def large_side_input(p, folder):
    """About 6 MB of side input: served in pages linked by continuation tokens."""
    big = p | "Big" >> beam.Create(range(150000)) | beam.Map(lambda i: "value-%034d" % i)
    return (p | "One" >> beam.Create([1])
            | beam.Map(lambda _, values: (len(values), sum(len(v) for v in values), min(values), max(values)),
                       values=beam.pvalue.AsList(big)))


def flatten_mixed(p, folder):
    ints = p | "Ints" >> beam.Create([1, 2, 3])
    strs = p | "Strs" >> beam.Create(["x", "y"])
    tuples = p | "Tuples" >> beam.Create([(1, "a")])
    return (ints, strs, tuples) | beam.Flatten()


def reshuffle(p, folder):
    return p | beam.Create(range(50)) | beam.Reshuffle() | beam.Map(lambda x: x + 1)


class FormatWindow(beam.DoFn):
    def process(self, kv, w=beam.DoFn.WindowParam, ts=beam.DoFn.TimestampParam):
        key, values = kv
        yield (key, float(w.start), float(w.end), float(ts), sorted(values))


def _timestamped(p):
    events = [("k1", 1), ("k1", 2), ("k1", 9), ("k2", 4), ("k1", 30), ("k2", 31), ("k2", 45)]
    return p | beam.Create(events) | beam.Map(lambda kv: window.TimestampedValue(kv, kv[1]))


def fixed_windows(p, folder):
    return _timestamped(p) | beam.WindowInto(window.FixedWindows(10)) | beam.GroupByKey() | beam.ParDo(FormatWindow())


def sliding_windows(p, folder):
    return (_timestamped(p) | beam.WindowInto(window.SlidingWindows(20, 10)) | beam.GroupByKey()
            | beam.ParDo(FormatWindow()))


def session_windows(p, folder):
    return (_timestamped(p) | beam.WindowInto(window.Sessions(5)) | beam.GroupByKey()
            | beam.ParDo(FormatWindow()))


def windowed_combine(p, folder):
    return (_timestamped(p) | beam.WindowInto(window.FixedWindows(10)) | beam.CombinePerKey(sum)
            | beam.Map(lambda kv, w=beam.DoFn.WindowParam: (kv, float(w.start))))


class BufferUntilWindowEnd(beam.DoFn):
    """Bag + combining-value state per key and window, flushed by an event-time timer."""
    BUFFER = userstate.BagStateSpec("buffer", VarIntCoder())
    COUNT = userstate.CombiningValueStateSpec("count", sum)
    FLUSH = userstate.TimerSpec("flush", userstate.TimeDomain.WATERMARK)

    def process(self, kv, buffer=beam.DoFn.StateParam(BUFFER), count=beam.DoFn.StateParam(COUNT),
                flush=beam.DoFn.TimerParam(FLUSH), w=beam.DoFn.WindowParam):
        buffer.add(kv[1])
        count.add(1)
        flush.set(w.max_timestamp())

    @userstate.on_timer(FLUSH)
    def on_flush(self, key=beam.DoFn.KeyParam, buffer=beam.DoFn.StateParam(BUFFER),
                 count=beam.DoFn.StateParam(COUNT), ts=beam.DoFn.TimestampParam):
        yield (key, sorted(buffer.read()), count.read(), float(ts))
        buffer.clear()
        count.clear()


def stateful_timers(p, folder):
    return _timestamped(p) | beam.WindowInto(window.FixedWindows(10)) | beam.ParDo(BufferUntilWindowEnd())


class CountToRestriction(RestrictionProvider):
    def initial_restriction(self, element):
        return OffsetRange(0, element)

    def create_tracker(self, restriction):
        return OffsetRestrictionTracker(restriction)

    def restriction_size(self, element, restriction):
        return restriction.size()


class EmitRange(beam.DoFn):
    """A splittable DoFn emitting 0..n-1 for each n."""

    def process(self, n, tracker=beam.DoFn.RestrictionParam(CountToRestriction())):
        position = tracker.current_restriction().start
        while tracker.try_claim(position):
            yield (n, position)
            position += 1


def splittable_dofn(p, folder):
    return p | beam.Create([3, 5, 1]) | beam.ParDo(EmitRange())


ALL = {
    "wordcount": wordcount,
    "map_flatmap_filter": map_flatmap_filter,
    "tagged_outputs": tagged_outputs,
    "group_by_key": group_by_key,
    "co_group_by_key": co_group_by_key,
    "combiners": combiners,
    "side_inputs": side_inputs,
    "large_side_input": large_side_input,
    "flatten_mixed": flatten_mixed,
    "reshuffle": reshuffle,
    "fixed_windows": fixed_windows,
    "sliding_windows": sliding_windows,
    "session_windows": session_windows,
    "windowed_combine": windowed_combine,
    "splittable_dofn": splittable_dofn,
    "stateful_timers": stateful_timers,
}


def run_and_collect(build, options, folder):
    """Runs `build` and returns the repr of every output element, sorted."""
    os.makedirs(folder, exist_ok=True)
    out = os.path.join(folder, "result")
    with beam.Pipeline(options=PipelineOptions(options)) as p:
        _ = build(p, folder) | "Repr" >> beam.Map(repr) | "Write" >> beam.io.WriteToText(out)
    lines = []
    for name in glob.glob(out + "*"):
        with open(name) as f:
            lines.extend(f.read().splitlines())
    return sorted(lines)
