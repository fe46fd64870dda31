"""Bounded pipelines on the Spark backend (`--spark-master`): each runs on a
real Spark cluster — `local-cluster[2,1,1024]` and a standalone master with 2
workers on 127.0.0.1 (Scripts/spark-cluster.sh) — and gives DirectRunner's
results. The work runs in 2 executor processes and crosses a real shuffle;
a stage executor killed mid-task is retried by Spark with exact output;
Cancel leaves no process behind; streaming jobs and --beam_engine=local stay
on the local engine. PROCESS workers (beam-boot) unless said otherwise."""
import glob
import os
import re
import signal
import subprocess
import time

import pytest

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

import pipelines
from job_server import REPO, job_ids, messages, portable_options, wait_for

CLUSTER_SCRIPT = os.path.join(REPO, "Scripts", "spark-cluster.sh")
LOCAL_CLUSTER = "local-cluster[2,1,1024]"


@pytest.fixture(scope="module")
def standalone_master(tmp_path_factory):
    """A standalone Spark master and 2 workers on 127.0.0.1, for the module."""
    folder = str(tmp_path_factory.mktemp("spark-cluster"))
    started = subprocess.run([CLUSTER_SCRIPT, "start", folder], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stdout + started.stderr
    master = re.search(r"spark://[\d.]+:\d+", started.stdout).group(0)
    yield master
    subprocess.run([CLUSTER_SCRIPT, "stop", folder], capture_output=True, timeout=60)


def spark_server(job_server_with, master, *flags):
    return job_server_with("--spark-master", master, *flags)


def job_messages(server):
    """The messages of every job `server` ran."""
    return [m.message_text for job_id in job_ids(server) for m in messages(server, job_id)]


@pytest.mark.parametrize("name", sorted(pipelines.ALL))
def test_batch_pipelines_on_a_local_cluster_match_direct_runner(name, job_server_with, tmp_path):
    server = spark_server(job_server_with, LOCAL_CLUSTER)
    build = pipelines.ALL[name]
    expected = pipelines.run_and_collect(build, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    actual = pipelines.run_and_collect(build, portable_options(server.endpoint, "PROCESS"), str(tmp_path / "spark"))
    assert expected, "the DirectRunner produced nothing; the pipeline is wrong"
    assert actual == expected
    assert any("Spark application" in text for text in job_messages(server)), "the job did not run on Spark"


@pytest.mark.parametrize("name", ["wordcount", "group_by_key", "side_inputs"])
@pytest.mark.parametrize("environment", ["PROCESS", "LOOPBACK"])
def test_a_standalone_cluster_runs_on_two_executors_across_a_shuffle(name, environment, standalone_master,
                                                                     job_server_with, tmp_path):
    server = spark_server(job_server_with, standalone_master)
    build = pipelines.ALL[name]
    expected = pipelines.run_and_collect(build, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    actual = pipelines.run_and_collect(build, portable_options(server.endpoint, environment), str(tmp_path / "spark"))
    assert actual == expected
    summary = [text for text in job_messages(server) if text.startswith("Spark ran")]
    assert summary, "no Spark summary message"
    figures = re.search(r"on (\d+) executors?.*shuffle read (\d+) bytes", summary[-1])
    assert figures, summary[-1]
    assert int(figures.group(1)) == 2, summary[-1]
    assert int(figures.group(2)) > 0, summary[-1]


class KillStageExecutorOnce(beam.DoFn):
    """SIGKILLs the Spark stage executor running it (its harness's ancestor), the first time any task gets here."""

    def __init__(self, marker):
        self.marker = marker

    def process(self, element):
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            yield element
            return
        os.kill(stage_executor_pid(), signal.SIGKILL)
        time.sleep(5)
        raise RuntimeError("the stage executor outlived SIGKILL")


def stage_executor_pid():
    """The Spark stage executor this SDK harness serves: its spark-stage ancestor."""
    pid = os.getpid()
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"spark-stage" in f.read():
                return pid
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    raise RuntimeError("no spark-stage ancestor found")


class CountGroups(beam.DoFn):
    def __init__(self):
        self.groups = Metrics.counter("spark_e2e", "groups")

    def process(self, element):
        self.groups.inc()
        yield element


def grouped(p, fault=None):
    groups = (p | beam.Create([(i % 5, i) for i in range(200)]) | beam.GroupByKey()
              | beam.ParDo(CountGroups()))
    if fault:
        groups = groups | beam.ParDo(fault)
    return groups | beam.MapTuple(lambda k, vs: (k, sorted(vs)))


def test_a_killed_stage_executor_is_retried_by_spark_and_the_output_is_exact(standalone_master, job_server_with, tmp_path):
    server = spark_server(job_server_with, standalone_master)
    marker = str(tmp_path / "killed-once")
    expected = pipelines.run_and_collect(lambda p, f: grouped(p), ["--runner=DirectRunner"], str(tmp_path / "direct"))
    out = str(tmp_path / "spark" / "result")
    p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS")))
    _ = grouped(p, KillStageExecutorOnce(marker)) | beam.Map(repr) | beam.io.WriteToText(out)
    result = p.run()
    assert result.wait_until_finish() == PipelineState.DONE
    assert os.path.exists(marker), "the fault never happened"
    lines = sorted(line for name in glob.glob(out + "*") for line in open(name).read().splitlines())
    assert lines == expected
    counters = result.metrics().query(MetricsFilter().with_name("groups"))["counters"]
    assert [c.committed for c in counters] == [5], "a retried task's metrics counted twice or lost"
    assert any("failed task attempt(s) retried" in text for text in job_messages(server))


class Slow(beam.DoFn):
    def process(self, element):
        time.sleep(1)
        yield element


def spark_processes():
    """Pids of processes this backend starts: spark-submit's JVM, drivers, executors, stage executors."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if b"beam_spark_driver.py" in command or b"spark-stage" in command or b"CoarseGrainedExecutorBackend" in command:
            found.append(int(entry))
    return found


def test_cancel_stops_the_spark_job_and_leaves_no_process(job_server_with):
    server = spark_server(job_server_with, LOCAL_CLUSTER)
    before = set(spark_processes())
    p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS")))
    _ = p | beam.Create(range(300)) | beam.Reshuffle() | beam.ParDo(Slow())
    result = p.run()
    assert wait_for(lambda: set(spark_processes()) - before and result.state == PipelineState.RUNNING, 120), \
        "the job never ran on Spark"
    time.sleep(3)
    result.cancel()
    assert wait_for(lambda: result.state == PipelineState.CANCELLED, 60), result.state
    assert wait_for(lambda: not (set(spark_processes()) - before), 30), \
        f"left behind: {sorted(set(spark_processes()) - before)}"


def test_streaming_and_local_engine_jobs_stay_on_the_local_engine(job_server_with, tmp_path):
    server = spark_server(job_server_with, LOCAL_CLUSTER)
    build = pipelines.ALL["group_by_key"]
    expected = pipelines.run_and_collect(build, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    options = portable_options(server.endpoint, "PROCESS")
    assert pipelines.run_and_collect(build, options + ["--beam_engine=local"], str(tmp_path / "local")) == expected
    assert not any("Spark" in text for text in job_messages(server))
    assert pipelines.run_and_collect(build, options + ["--streaming"], str(tmp_path / "streaming")) == expected
    assert any("Unbounded pipelines run on the local engine" in text for text in job_messages(server))


def test_asking_for_spark_without_a_master_fails_saying_so(job_server_with):
    server = job_server_with()
    p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS") + ["--beam_engine=spark"]))
    _ = p | beam.Create([1, 2, 3])
    with pytest.raises(Exception, match="without --spark-master"):
        p.run().wait_until_finish()


def test_a_spark_python_without_pyspark_stops_the_server_saying_so():
    binary = os.environ.get("BEAM_JOB_SERVER_BIN", os.path.join(REPO, ".build", "debug", "beam-job-server"))
    started = subprocess.run([binary, "serve", "--ephemeral", "--web-port", "0", "--job-port", "0",
                              "--spark-master", LOCAL_CLUSTER, "--spark-python", "/usr/bin/false"],
                             capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "/usr/bin/false has no pyspark" in started.stderr


class SplitInEight(pipelines.CountToRestriction):
    def split(self, element, restriction):
        return restriction.split(max(1, restriction.size() // 8))


class ReadByWhichExecutor(beam.DoFn):
    """A splittable DoFn over 0..n-1, split in 8 restrictions up front; yields who read each."""

    def process(self, n, tracker=beam.DoFn.RestrictionParam(SplitInEight())):
        position = tracker.current_restriction().start
        while tracker.try_claim(position):
            position += 1
        time.sleep(0.2)  # long enough that both partitions' tasks are running at once
        yield stage_executor_pid()


def test_a_splittable_dofns_restrictions_are_spread_over_the_partitions(job_server_with, tmp_path):
    server = spark_server(job_server_with, LOCAL_CLUSTER)
    out = str(tmp_path / "readers")
    with beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS"))) as p:
        # One element straight from an Impulse (no Create, whose Reshuffle would spread it).
        _ = (p | beam.Impulse() | beam.Map(lambda _: 64) | beam.ParDo(ReadByWhichExecutor())
             | beam.Distinct() | beam.io.WriteToText(out))
    readers = {line for name in glob.glob(out + "*") for line in open(name).read().split()}
    # One partition in, its 8 restrictions dealt over 2 partitions: 2 executors read them.
    assert len(readers) == 2, (readers, job_messages(server))


def test_a_partition_larger_than_the_feed_window_that_is_also_its_own_side_input(job_server_with, tmp_path):
    """20 MB of records, 10 MB per partition (the stage executor reads ahead at most 8 MB),
    read by a stage both as its main input and, whole, as its side input."""
    server = spark_server(job_server_with, LOCAL_CLUSTER)
    out = str(tmp_path / "sizes")
    with beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, "PROCESS"))) as p:
        big = (p | beam.Create(range(20)) | beam.Reshuffle()
               | beam.FlatMap(lambda shard: ("%05d" % shard + "x" * 1019 for _ in range(1000))))
        _ = (big | beam.Map(lambda record, side: len(side), side=beam.pvalue.AsList(big))
             | beam.CombineGlobally(sum) | beam.io.WriteToText(out))
    assert [line for name in glob.glob(out + "*") for line in open(name).read().split()] == [str(20000 * 20000)]
