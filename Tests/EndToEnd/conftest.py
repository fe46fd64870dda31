"""Fixtures for the end-to-end tests: a beam-job-server process per test
module, driven by the real apache-beam Python SDK."""
import os
import re
import signal
import subprocess
import tempfile
import threading

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(REPO, ".build", "debug", "beam-job-server")


from beam_suite_options import pytest_addoption  # noqa: F401  (Beam's --test-pipeline-options)


class JobServer:
    """A running beam-job-server with its endpoint, artifacts folder and log."""

    def __init__(self, binary, artifacts_dir):
        self.artifacts_dir = artifacts_dir
        self.log_lines = []
        self.process = subprocess.Popen(
            [binary, "--job-port", "0", "--artifacts-dir", artifacts_dir, "--log-level", "debug"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = self._wait_for_port()
        self.endpoint = f"localhost:{self.port}"
        threading.Thread(target=self._drain_log, daemon=True).start()

    def _wait_for_port(self):
        for line in self.process.stderr:
            self.log_lines.append(line)
            match = re.search(r"listening on [\d.]+:(\d+)", line)
            if match:
                return int(match.group(1))
        raise RuntimeError("beam-job-server exited before listening:\n" + "".join(self.log_lines))

    def _drain_log(self):
        for line in self.process.stderr:
            self.log_lines.append(line)

    def stop(self):
        """SIGTERM, then the exit code of a clean shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


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
