"""Fixtures for the end-to-end tests: a beam-job-server process per test
module, driven by the real apache-beam Python SDK."""
import os
import tempfile

import pytest

from beam_suite_options import pytest_addoption  # noqa: F401  (Beam's --test-pipeline-options)
from job_server import DEFAULT_BINARY, JobServer, portable_options


@pytest.fixture(scope="module")
def job_server():
    binary = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)
    with tempfile.TemporaryDirectory(prefix="bjs-artifacts-") as artifacts_dir:
        server = JobServer(binary, artifacts_dir)
        try:
            yield server
        finally:
            code = server.stop()
            assert code == 0, "beam-job-server did not shut down cleanly:\n" + "".join(server.log_lines[-50:])


@pytest.fixture
def job_server_with(tmp_path):
    """Starts a server of its own with extra flags (`job_server_with("--flag", "value")`); each
    must shut down cleanly after the test."""
    started = []

    def start(*flags):
        server = JobServer(os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY),
                           str(tmp_path / f"artifacts-{len(started)}"), log_level="info", extra_args=flags)
        started.append(server)
        return server

    yield start
    for server in started:
        code = server.stop()
        assert code == 0, "beam-job-server did not shut down cleanly:\n" + "".join(server.log_lines[-50:])


@pytest.fixture(params=["beam-job-server", "DirectRunner"])
def streaming_options(request):
    """Streaming pipeline options for beam-job-server (LOOPBACK) and for Beam's
    DirectRunner: a test using them runs on both, so its expectations are Beam's."""
    if request.param == "DirectRunner":
        return ["--runner=DirectRunner", "--streaming"]
    return portable_options(request.getfixturevalue("job_server").endpoint) + ["--streaming"]
