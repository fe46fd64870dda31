"""Batch pipelines on beam-job-server, each compared with Beam's DirectRunner,
under LOOPBACK and PROCESS (beam-boot) environments."""
import json
import os
import sys

import pytest

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

import pipelines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEAM_BOOT = os.environ.get("BEAM_BOOT_BIN", os.path.join(REPO, ".build", "debug", "beam-boot"))


def environment_options(kind):
    if kind == "LOOPBACK":
        return ["--environment_type=LOOPBACK"]
    # The harness process imports this folder's modules (DoFns pickled by reference).
    config = {"command": BEAM_BOOT,
              "env": {"BEAM_PYTHON": sys.executable, "PYTHONPATH": os.path.dirname(os.path.abspath(__file__))}}
    return ["--environment_type=PROCESS", "--environment_config=" + json.dumps(config)]


def portable_options(job_server, kind):
    return ["--runner=PortableRunner", f"--job_endpoint={job_server.endpoint}"] + environment_options(kind)


@pytest.fixture(params=["LOOPBACK", "PROCESS"])
def environment(request):
    return request.param


@pytest.mark.parametrize("name", sorted(pipelines.ALL))
def test_matches_direct_runner(name, environment, job_server, tmp_path):
    build = pipelines.ALL[name]
    expected = pipelines.run_and_collect(build, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    actual = pipelines.run_and_collect(build, portable_options(job_server, environment), str(tmp_path / "ours"))
    assert expected, "the DirectRunner produced nothing; the pipeline is wrong"
    assert actual == expected


class CountingDoFn(beam.DoFn):
    def __init__(self):
        self.seen = Metrics.counter("e2e", "elements_seen")
        self.sizes = Metrics.distribution("e2e", "element_sizes")

    def process(self, x):
        self.seen.inc()
        self.sizes.update(x)
        yield x


def test_user_metrics_reach_the_client(job_server, environment):
    p = beam.Pipeline(options=PipelineOptions(portable_options(job_server, environment)))
    _ = p | beam.Create([1, 2, 3, 4]) | beam.ParDo(CountingDoFn())
    result = p.run()
    result.wait_until_finish()
    metrics = result.metrics().query(MetricsFilter().with_namespace("e2e"))
    counters = {c.key.metric.name: c.committed for c in metrics["counters"]}
    assert counters == {"elements_seen": 4}
    distribution = metrics["distributions"][0].committed
    assert (distribution.count, distribution.sum, distribution.min, distribution.max) == (4, 10, 1, 4)


def test_failing_dofn_fails_the_job_with_the_python_error(job_server, environment):
    def explode(x):
        raise ValueError(f"intentional failure on {x}")

    p = beam.Pipeline(options=PipelineOptions(portable_options(job_server, environment)))
    _ = p | beam.Create([7]) | beam.Map(explode)
    with pytest.raises(Exception, match="intentional failure on 7"):
        p.run().wait_until_finish()
