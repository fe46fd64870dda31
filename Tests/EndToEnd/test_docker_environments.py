"""DOCKER environments under a real container engine (podman): the image is
built by Scripts/build-sdk-image.sh (Debian rootfs, apache-beam, our static
beam-boot as its entrypoint), the server starts one container per SDK
worker, and the results equal Beam's DirectRunner's. Also what a user sees
with no engine (one clear error) and with --docker-fallback process."""
import os
import subprocess
import sys
import tempfile
import time

import pytest

import apache_beam as beam
from apache_beam.internal.cloudpickle import cloudpickle
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.periodicsequence import PeriodicImpulse

import pipelines
from job_server import DEFAULT_BINARY, JobServer, messages, wait_for
from test_beam_boot import build_probe_packages

BINARY = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINE = "podman"

# The container has apache-beam but not these test modules: their DoFns travel by value.
cloudpickle.register_pickle_by_value(pipelines)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def image():
    """The SDK image's name; building it (cached) must work here, else the tests fail saying why."""
    built = subprocess.run([os.path.join(REPO, "Scripts", "build-sdk-image.sh"), "--engine", ENGINE],
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, (
        "Scripts/build-sdk-image.sh failed (podman set up by Scripts/setup-podman.sh?):\n" + built.stderr[-4000:])
    return built.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="bjs-docker-") as folder:
        instance = JobServer(BINARY, folder, log_level="info", extra_args=["--container-engine", ENGINE])
        try:
            yield instance
        finally:
            assert instance.stop() == 0, "".join(instance.log_lines[-50:])


def docker_options(server, image, *extra):
    return ["--runner=PortableRunner", f"--job_endpoint={server.endpoint}",
            "--environment_type=DOCKER", f"--environment_config={image}", *extra]


def containers(job_id, all_states=False):
    """Names of the containers of this job (podman's view)."""
    listed = subprocess.run([ENGINE, "ps", "--format", "{{.Names}}"] + (["-a"] if all_states else []),
                            capture_output=True, text=True, check=True).stdout.split()
    tag = "".join(c for c in job_id if c.isalnum() or c == "-")
    return [name for name in listed if tag in name]


def container_wordcount(p, folder):
    # Files on this machine are not in the container: the input travels in the pipeline.
    return (p | beam.Create(pipelines.WORDS * 20) | beam.FlatMap(str.split)
            | beam.combiners.Count.PerElement() | beam.MapTuple(lambda word, count: f"{word}: {count}"))


@pytest.mark.parametrize("build", [container_wordcount, pipelines.side_inputs, pipelines.stateful_timers],
                         ids=["wordcount", "side_inputs", "stateful_timers"])
def test_pipelines_in_containers_match_the_direct_runner(build, server, image, tmp_path):
    expected = pipelines.run_and_collect(build, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    assert expected
    p = beam.Pipeline(options=PipelineOptions(docker_options(server, image)))
    # Checked inside the harness (its files stay in the container); a mismatch fails the job.
    assert_that(build(p, str(tmp_path)) | beam.Map(repr), equal_to(expected))
    result = p.run()
    result.wait_until_finish()
    assert result.state == PipelineState.DONE
    assert any("starting SDK harness container" in line and image in line for line in server.log_lines)


def test_an_extra_package_is_installed_in_the_container(server, image, tmp_path):
    wheel = "bjs_extra_probe-0.1-py3-none-any.whl"
    (tmp_path / wheel).write_bytes(build_probe_packages(tmp_path)[wheel])
    p = beam.Pipeline(options=PipelineOptions(docker_options(server, image, f"--extra_package={tmp_path / wheel}")))
    found = p | beam.Create(["x"]) | beam.Map(lambda x: (x, __import__("bjs_extra_probe").VALUE))
    assert_that(found, equal_to([("x", "bjs_extra_probe")]))
    result = p.run()
    result.wait_until_finish()
    assert result.state == PipelineState.DONE


def test_a_failing_dofn_fails_the_job_with_the_python_traceback(server, image):
    def explode(x):
        raise ValueError(f"intentional failure in a container on {x}")

    p = beam.Pipeline(options=PipelineOptions(docker_options(server, image)))
    _ = p | beam.Create([7]) | beam.Map(explode)
    with pytest.raises(Exception, match="intentional failure in a container on 7") as failure:
        p.run().wait_until_finish()
    assert "Traceback" in str(failure.value)


def test_two_containers_run_a_streaming_job_and_cancel_removes_them(server, image):
    options = docker_options(server, image, "--streaming", "--sdk_worker_parallelism=2", "--autoscaling_algorithm=NONE")
    p = beam.Pipeline(options=PipelineOptions(options))
    _ = p | PeriodicImpulse(fire_interval=0.2) | beam.Reshuffle() | beam.Map(lambda x: x)
    result = p.run()
    job_id = result._job_id
    try:
        assert wait_for(lambda: result.state == PipelineState.RUNNING, 120), result.state
        assert wait_for(lambda: len(containers(job_id)) == 2, 60), containers(job_id)
        time.sleep(2)
        assert result.state == PipelineState.RUNNING
    finally:
        result.cancel()
    assert wait_for(lambda: result.state == PipelineState.CANCELLED, 30), result.state
    assert wait_for(lambda: not containers(job_id, all_states=True), 30), \
        f"containers left after cancel: {containers(job_id, all_states=True)}"


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_no_container_outlives_the_server(how, image):
    """SIGTERM: shutdown stops and removes them; SIGKILL: each harness ends with its control stream (--rm)."""
    with tempfile.TemporaryDirectory(prefix="bjs-docker-end-") as folder:
        own = JobServer(BINARY, folder, log_level="info", extra_args=["--container-engine", ENGINE])
        try:
            p = beam.Pipeline(options=PipelineOptions(docker_options(own, image, "--streaming")))
            _ = p | PeriodicImpulse(fire_interval=0.5) | beam.Map(lambda x: x)
            job_id = p.run()._job_id
            assert wait_for(lambda: len(containers(job_id)) == 1, 120), containers(job_id, all_states=True)
        finally:
            if how == "SIGTERM":
                assert own.stop() == 0, "".join(own.log_lines[-30:])
            else:
                own.process.kill()
                own.process.wait(30)
        assert wait_for(lambda: not containers(job_id, all_states=True), 30), \
            f"containers left after {how}: {containers(job_id, all_states=True)}"


def test_a_missing_image_fails_the_job_naming_it(server):
    p = beam.Pipeline(options=PipelineOptions(docker_options(server, "localhost/bjs-no-such-image:1")))
    _ = p | beam.Create([1])
    with pytest.raises(Exception, match="localhost/bjs-no-such-image:1"):
        p.run().wait_until_finish()


def test_without_an_engine_the_fallback_runs_beams_default_image_as_a_process(tmp_path):
    """No --environment_type: the SDK asks for apache/beam_python3.X_sdk:2.77.0, as a newcomer's job does."""
    with tempfile.TemporaryDirectory(prefix="bjs-fallback-") as folder:
        args = ["--container-engine", "/bin/false"]
        plain = JobServer(BINARY, os.path.join(folder, "plain"), log_level="info", extra_args=args)
        fallback = JobServer(BINARY, os.path.join(folder, "fallback"), log_level="info",
                             extra_args=args + ["--docker-fallback", "process", "--docker-fallback-python",
                                                os.environ.get("BEAM_PYTHON", "python3")])
        try:
            p = beam.Pipeline(options=PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={plain.endpoint}"]))
            _ = p | beam.Create([1])
            with pytest.raises(Exception, match="no container engine can run the DOCKER environment") as failure:
                p.run().wait_until_finish()
            assert "--environment_type=LOOPBACK" in str(failure.value)

            p = beam.Pipeline(options=PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={fallback.endpoint}"]))
            assert_that(p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * 10), equal_to([10, 20, 30]))
            result = p.run()
            result.wait_until_finish()
            assert result.state == PipelineState.DONE
            texts = [m.message_text for m in messages(fallback, result._job_id)]
            assert any("--docker-fallback process runs the DOCKER environment 'apache/beam_python" in t for t in texts), texts
        finally:
            assert plain.stop() == 0
            assert fallback.stop() == 0
