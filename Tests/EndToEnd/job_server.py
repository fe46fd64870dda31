"""A beam-job-server process for the end-to-end tests and suite runners:
started with `--job-port 0`, its port parsed from the "listening on" log line;
without a job history and web UI unless a test asks for them. Also the
pipeline options that point the Beam Python SDK at it."""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.portability.api import beam_job_api_pb2_grpc

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BINARY = os.path.join(REPO, ".build", "debug", "beam-job-server")
BEAM_BOOT = os.environ.get("BEAM_BOOT_BIN", os.path.join(REPO, ".build", "debug", "beam-boot"))


class JobServer:
    """A running beam-job-server with its endpoint, artifacts folder and log."""

    def __init__(self, binary, artifacts_dir, log_level="debug", state_dir=None, web_port=None, extra_args=()):
        """`state_dir`: keep the job history there (default: none, --ephemeral).
        `web_port`: serve the web UI there (default: off); `web_url` is its address."""
        self.artifacts_dir = artifacts_dir
        self.log_lines = []
        command = [binary, "--job-port", "0", "--artifacts-dir", artifacts_dir, "--log-level", log_level,
                   "--web-port", str(web_port or 0)]
        command += ["--state-dir", state_dir] if state_dir else ["--ephemeral"]
        self.process = subprocess.Popen(command + list(extra_args),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = self._wait_for(r"beam-job-server listening on [\d.]+:(\d+)")
        self.endpoint = f"localhost:{self.port}"
        self.web_url = None
        if web_port:
            scheme = "https" if "--tls-cert-file" in extra_args else "http"
            self.web_url = "%s://127.0.0.1:%d" % (scheme, self._wait_for(r"web UI on https?://[^:]+:(\d+)"))
        threading.Thread(target=self._drain_log, daemon=True).start()

    def _wait_for(self, pattern):
        """The number the first log line matching `pattern` captures (lines already read count too)."""
        for line in self.log_lines:
            match = re.search(pattern, line)
            if match:
                return int(match.group(1))
        for line in self.process.stderr:
            self.log_lines.append(line)
            match = re.search(pattern, line)
            if match:
                return int(match.group(1))
        raise RuntimeError("beam-job-server exited before logging /%s/:\n%s" % (pattern, "".join(self.log_lines)))

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


def free_port():
    """A TCP port nothing listens on now (for servers that cannot pick their own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def isolated_binary(binary, folder, extra_args=()):
    """A wrapper script that starts `binary` with no job history and no web UI
    (and `extra_args`), for harnesses that start the server themselves with only
    `--job_port` (Beam's suite): so runs never share ~/.local/share or port 8074."""
    path = os.path.join(folder, "beam-job-server-isolated")
    extra = " ".join(shlex.quote(arg) for arg in extra_args)
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nexec "{binary}" --ephemeral --web-port 0 {extra} "$@"\n')
    os.chmod(path, 0o755)
    return path


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


def job_stub(server):
    """A Job API client for `server`."""
    return beam_job_api_pb2_grpc.JobServiceStub(grpc.insecure_channel(server.endpoint))


def job_ids(server):
    """The ids of every job the server knows."""
    return [info.job_id for info in job_stub(server).GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=30).job_info]


def messages(server, job_id):
    """The job's messages so far (a finished job's stream ends by itself)."""
    return [m.message_response for m in job_stub(server).GetMessageStream(
        beam_job_api_pb2.JobMessagesRequest(job_id=job_id), timeout=30) if m.HasField("message_response")]


def child_pids(pid):
    """Live direct children of `pid`, from /proc."""
    children = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # the process ended meanwhile
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            children.append(int(entry))
    return children
