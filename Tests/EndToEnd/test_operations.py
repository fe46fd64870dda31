"""Operations: SDK harness logs reaching the client's message stream, the job
history surviving a restart (and a crash), Prometheus /metrics parsed by a
real parser, the JSON API and the `beam-job-server jobs` CLI. Real Beam SDK,
PROCESS workers (beam-boot) where the harness is a separate process."""
import json
import logging
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import apache_beam as beam
from apache_beam.coders.coders import VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from job_server import DEFAULT_BINARY, JobServer, free_port, job_stub, messages, portable_options, wait_for

BINARY = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)


class WarnAndCount(beam.DoFn):
    """Logs a warning per element (through the harness's logging service) and counts."""

    def __init__(self):
        self.seen = Metrics.counter("ops", "seen")

    def process(self, element):
        self.seen.inc()
        logging.warning("user warning for %s", element)
        yield element


def run_wordcount(server, environment="PROCESS"):
    p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint, environment)))
    _ = (p | beam.Create(["a b", "b c", "c"]) | beam.FlatMap(str.split) | beam.ParDo(WarnAndCount())
         | beam.combiners.Count.PerElement())
    result = p.run()
    result.wait_until_finish()
    assert result.state == PipelineState.DONE
    return result._job_id


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def server(tmp_path):
    """A server with a job history in tmp_path/state and the web UI on a free port."""
    started = []

    def start():
        instance = JobServer(BINARY, str(tmp_path / "artifacts"), log_level="info",
                             state_dir=str(tmp_path / "state"), web_port=free_port())
        started.append(instance)
        return instance

    yield start
    for instance in started:
        if instance.process.poll() is None:
            instance.process.kill()
            instance.process.wait()


def test_harness_warnings_reach_the_message_stream_at_warning_importance(server):
    first = server()
    job_id = run_wordcount(first)
    warnings = [m for m in messages(first, job_id)
                if "user warning for" in m.message_text]
    assert len(warnings) == 5, [m.message_text for m in messages(first, job_id)]
    warning = beam_job_api_pb2.JobMessage.MessageImportance.Value("JOB_MESSAGE_WARNING")
    assert all(m.importance == warning for m in warnings)


def test_a_restarted_server_answers_for_old_jobs_through_the_job_api_and_the_ui(server):
    first = server()
    job_id = run_wordcount(first)
    before = messages(first, job_id)
    metrics_before = job_stub(first).GetJobMetrics(beam_job_api_pb2.GetJobMetricsRequest(job_id=job_id), timeout=10)
    assert first.stop() == 0

    second = server()
    stub = job_stub(second)
    listed = {info.job_id: info for info in stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=10).job_info}
    assert listed[job_id].state == beam_job_api_pb2.JobState.DONE
    assert stub.GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10).state == \
        beam_job_api_pb2.JobState.DONE
    pipeline = stub.GetPipeline(beam_job_api_pb2.GetJobPipelineRequest(job_id=job_id), timeout=10).pipeline
    assert any("WarnAndCount" in t.unique_name for t in pipeline.components.transforms.values())
    assert [m.message_text for m in messages(second, job_id)] == [m.message_text for m in before]
    metrics = stub.GetJobMetrics(beam_job_api_pb2.GetJobMetricsRequest(job_id=job_id), timeout=10)
    assert metrics == metrics_before
    user = get_json(f"{second.web_url}/api/jobs/{job_id}/metrics")["user"]
    assert [(m["name"], m["committed"]) for m in user] == [("seen", 5)]
    detail = get_json(f"{second.web_url}/api/jobs/{job_id}")
    assert detail["fromHistory"] is True and detail["state"] == "DONE"
    graph = get_json(f"{second.web_url}/api/jobs/{job_id}/graph")
    box = next(t for t in graph["transforms"] if "WarnAndCount" in t["name"])
    assert (box["elementsIn"], box["elementsOut"]) == (5, 5), box


def test_a_job_running_when_the_server_is_killed_is_failed_after_the_restart(server):
    first = server()
    p = beam.Pipeline(options=PipelineOptions(portable_options(first.endpoint, "LOOPBACK") + ["--streaming"]))
    _ = p | PeriodicImpulse(fire_interval=0.5) | beam.Map(lambda x: x)
    result = p.run()
    assert wait_for(lambda: result.state == PipelineState.RUNNING, 60), result.state
    job_id = result._job_id
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    second = server()
    state = job_stub(second).GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10)
    assert state.state == beam_job_api_pb2.JobState.FAILED
    assert any("stopped while this job was RUNNING" in m.message_text for m in messages(second, job_id))


def test_prometheus_scrape_parses_and_has_the_series(server):
    first = server()
    job_id = run_wordcount(first)
    with urllib.request.urlopen(f"{first.web_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    samples = {family: [(s.name, s.labels, s.value) for s in f.samples] for family, f in families.items()}
    assert ("beam_jobs", {"state": "DONE"}, 1.0) in samples["beam_jobs"]
    assert any(labels.get("outcome") == "succeeded" and value >= 1 for _, labels, value in samples["beam_bundles"])
    assert any(labels.get("job") == job_id and value == 5.0
               for _, labels, value in samples["beam_pcollection_elements"]), samples["beam_pcollection_elements"]
    assert any(labels.get("method") == "JobService/Run" and labels.get("status") == "ok"
               for _, labels, _ in samples["beam_grpc_requests"])
    assert any(name == "beam_job_duration_seconds_count" and value == 1.0
               for name, _, value in samples["beam_job_duration_seconds"])
    assert "beam_bundle_duration_seconds" in families
    assert samples["process_resident_memory_bytes"][0][2] > 1e6
    assert "beam_workers_live" in families


def test_the_jobs_cli_lists_shows_prints_logs_metrics_and_cancels(server):
    first = server()
    job_id = run_wordcount(first)
    endpoint = ["--endpoint", first.endpoint]

    def cli(*args):
        done = subprocess.run([BINARY, "jobs", *args, *endpoint], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = json.loads(cli("list", "--json"))
    assert {"id": job_id, "name": listed[0]["name"], "state": "DONE"} in listed
    assert job_id in cli("list") and "DONE" in cli("list")
    assert json.loads(cli("show", job_id, "--json"))["state"] == "DONE"
    assert "user warning for a" in cli("logs", job_id)
    metrics = json.loads(cli("metrics", job_id, "--json"))
    assert [(m["name"], m["committed"], m["attempted"]) for m in metrics["user"]] == [("seen", 5, 5)]
    refused = subprocess.run([BINARY, "jobs", "cancel", job_id, *endpoint], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "already finished" in refused.stderr
    missing = subprocess.run([BINARY, "jobs", "show", "nope", *endpoint], capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "notFound" in missing.stderr or "not found" in missing.stderr.lower()


def test_a_second_server_on_the_same_state_folder_fails_at_startup_saying_why(server, tmp_path):
    server()
    done = subprocess.run([BINARY, "--job-port", "0", "--web-port", "0", "--state-dir", str(tmp_path / "state")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "in use by another beam-job-server" in done.stderr


class SlowCount(beam.DoFn):
    """Takes 0.1 s per element, so the job is still running when the server is killed."""

    def __init__(self):
        self.seen = Metrics.counter("ops", "slow_seen")

    def process(self, element):
        time.sleep(0.1)
        self.seen.inc()
        yield element


def test_a_batch_job_running_when_the_server_is_killed_runs_again_after_the_restart(server, tmp_path):
    first = server()
    out = str(tmp_path / "out" / "counts")
    p = beam.Pipeline(options=PipelineOptions(portable_options(first.endpoint, "PROCESS")))
    _ = (p | beam.Create([f"w{i % 7}" for i in range(80)]) | beam.ParDo(SlowCount())
         | beam.combiners.Count.PerElement() | beam.MapTuple(lambda word, n: f"{word} {n}")
         | beam.io.WriteToText(out, num_shards=1, shard_name_template=""))
    result = p.run()
    job_id = result._job_id
    stub = job_stub(first)
    assert wait_for(lambda: stub.GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10).state
                    == beam_job_api_pb2.JobState.RUNNING, 60)
    time.sleep(3)  # well inside the 8 s of slow elements
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    assert not os.path.exists(out)

    second = server()
    stub = job_stub(second)
    state = lambda: stub.GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10).state
    assert wait_for(lambda: state() in (beam_job_api_pb2.JobState.DONE, beam_job_api_pb2.JobState.FAILED), 120)
    texts = [m.message_text for m in messages(second, job_id)]
    assert state() == beam_job_api_pb2.JobState.DONE, texts
    assert any("stopped while this job was RUNNING; running it again from its pipeline (restart 1 of at most 3)" in t
               for t in texts), texts
    with open(out) as lines:
        assert sorted(lines.read().splitlines()) == sorted(f"w{i} {len(range(i, 80, 7))}" for i in range(7))
    # Only the second run's work is committed: the lost run's counts are gone with it.
    metrics = stub.GetJobMetrics(beam_job_api_pb2.GetJobMetricsRequest(job_id=job_id), timeout=10).metrics
    committed = [m for m in metrics.committed if m.urn == "beam:metric:user:sum_int64:v1"
                 and m.labels.get("NAME") == "slow_seen"]
    assert sum(VarIntCoder().decode(m.payload) for m in committed) == 80, committed
    history = [s.state for s in stub.GetStateStream(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10)]
    assert history[-3:] == [beam_job_api_pb2.JobState.STARTING, beam_job_api_pb2.JobState.RUNNING,
                            beam_job_api_pb2.JobState.DONE], history


def test_a_job_that_opts_out_is_failed_after_the_restart_saying_so(server):
    first = server()
    p = beam.Pipeline(options=PipelineOptions(portable_options(first.endpoint, "PROCESS")
                                              + ["--experiments=no_recover_after_restart"]))
    _ = p | beam.Create(range(100)) | beam.ParDo(SlowCount())
    job_id = p.run()._job_id
    stub = job_stub(first)
    assert wait_for(lambda: stub.GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10).state
                    == beam_job_api_pb2.JobState.RUNNING, 60)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    second = server()
    state = job_stub(second).GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=10)
    assert state.state == beam_job_api_pb2.JobState.FAILED
    assert any("is not run again: the job asked not to be (--experiments=no_recover_after_restart)" in m.message_text
               for m in messages(second, job_id))
