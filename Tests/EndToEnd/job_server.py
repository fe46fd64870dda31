"""A beam-job-server process for the end-to-end tests and suite runners:
started with `--job-port 0`, its port parsed from the "listening on" log line.
Also the pipeline options that point the Beam Python SDK at it."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BINARY = os.path.join(REPO, ".build", "debug", "beam-job-server")
BEAM_BOOT = os.environ.get("BEAM_BOOT_BIN", os.path.join(REPO, ".build", "debug", "beam-boot"))


class JobServer:
    """A running beam-job-server with its endpoint, artifacts folder and log."""

    def __init__(self, binary, artifacts_dir, log_level="debug"):
        self.artifacts_dir = artifacts_dir
        self.log_lines = []
        self.process = subprocess.Popen(
            [binary, "--job-port", "0", "--artifacts-dir", artifacts_dir, "--log-level", log_level],
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


def environment_options(kind):
    """SDK harness flags: LOOPBACK (threads in this process) or PROCESS (beam-boot)."""
    if kind == "LOOPBACK":
        return ["--environment_type=LOOPBACK"]
    # The harness process imports this folder's modules (DoFns pickled by reference).
    config = {"command": BEAM_BOOT, "env": {"BEAM_PYTHON": sys.executable, "PYTHONPATH": HERE}}
    return ["--environment_type=PROCESS", "--environment_config=" + json.dumps(config)]


def portable_options(endpoint, kind="LOOPBACK"):
    return ["--runner=PortableRunner", f"--job_endpoint={endpoint}"] + environment_options(kind)


def wait_for(condition, timeout, interval=0.2):
    """Polls `condition` until it holds or `timeout` seconds pass; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
