"""beam-boot against a fake runner: a small Python gRPC server plays the
Provision and ArtifactRetrieval services (test scaffolding only), and
BEAM_PYTHON is a wrapper that runs pip for real in a throwaway venv but, in
place of the SDK harness, records the environment and argv it was started with.

Nothing touches PyPI: the probe packages are built here (a hand-made wheel
and an sdist with an in-tree PEP 517 backend) and PIP_NO_INDEX is set.
"""
import hashlib
import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import textwrap
from concurrent import futures

import grpc
import pytest
from google.protobuf import struct_pb2

from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_artifact_api_pb2
from apache_beam.portability.api import beam_artifact_api_pb2_grpc
from apache_beam.portability.api import beam_provision_api_pb2
from apache_beam.portability.api import beam_provision_api_pb2_grpc
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.portability.api import endpoints_pb2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOT = os.environ.get("BEAM_BOOT_BIN", os.path.join(REPO, ".build", "debug", "beam-boot"))
HARNESS = "apache_beam.runners.worker.sdk_worker_main"
CHUNK = 64 * 1024

# A PEP 517 backend with no build requirements, so pip can build the sdist
# offline; the test also uses its make_wheel for the plain wheels.
BACKEND = textwrap.dedent('''
    import base64, hashlib, os, zipfile

    def make_wheel(directory, name, version, module_source):
        dist = f"{name}-{version}.dist-info"
        files = {
            f"{name}.py": module_source.encode(),
            f"{dist}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n".encode(),
            f"{dist}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: bjs-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
        }
        record = []
        for path, data in files.items():
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{dist}/RECORD,,")
        files[f"{dist}/RECORD"] = ("\\n".join(record) + "\\n").encode()
        filename = f"{name}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(os.path.join(directory, filename), "w") as out:
            for path, data in files.items():
                out.writestr(path, data)
        return filename

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bjs_workflow_probe.py")) as f:
            return make_wheel(wheel_directory, "bjs_workflow_probe", "0.1", f.read())
''')

# Stands in for the SDK harness: proves what beam-boot exec'd and installed.
RECORDER = textwrap.dedent('''
    import importlib, json, os, sys
    from google.protobuf import text_format
    from apache_beam.portability.api import endpoints_pb2
    from apache_beam.runners.worker import sdk_worker_main

    record = {"argv": sys.argv, "pid": os.getpid(), "env": dict(os.environ), "modules": {}}
    for name in ("bjs_req_probe", "bjs_extra_probe", "bjs_workflow_probe"):
        try:
            module = importlib.import_module(name)
            record["modules"][name] = {"file": module.__file__, "value": module.VALUE}
        except ImportError as error:
            record["modules"][name] = {"error": str(error)}
    # Parse the variables the way the real harness does.
    options = sdk_worker_main._parse_pipeline_options(os.environ["PIPELINE_OPTIONS"])
    record["options"] = options.get_all_options(drop_default=True)
    record["descriptors"] = {}
    for key in ("CONTROL", "LOGGING", "STATUS", "ARTIFACT", "PROVISION"):
        text = os.environ.get(key + "_API_SERVICE_DESCRIPTOR")
        if text is not None:
            record["descriptors"][key] = text_format.Parse(text, endpoints_pb2.ApiServiceDescriptor()).url
    with open(os.environ["BOOT_RECORD"], "w") as out:
        json.dump(record, out, default=str)
''')


# MARK: fake runner

class FakeRunner(beam_provision_api_pb2_grpc.ProvisionServiceServicer,
                 beam_artifact_api_pb2_grpc.ArtifactRetrievalServiceServicer):
    """Serves one ProvisionInfo and the bytes of its FILE artifacts by path."""

    def __init__(self, info, files):
        self.info = info
        self.files = files
        self.worker_ids = []

    def _note_worker(self, context):
        self.worker_ids.append(dict(context.invocation_metadata()).get("worker_id"))

    def GetProvisionInfo(self, request, context):
        self._note_worker(context)
        return beam_provision_api_pb2.GetProvisionInfoResponse(info=self.info)

    def GetArtifact(self, request, context):
        self._note_worker(context)
        path = beam_runner_api_pb2.ArtifactFilePayload.FromString(request.artifact.type_payload).path
        if path not in self.files:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no artifact at {path}")
        data = self.files[path]
        for start in range(0, max(len(data), 1), CHUNK):
            yield beam_artifact_api_pb2.GetArtifactResponse(data=data[start:start + CHUNK])


@pytest.fixture
def fake_runner():
    """Starts a FakeRunner; call it with (info, files), get (runner, 'host:port')."""
    servers = []

    def start(info, files):
        runner = FakeRunner(info, files)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        beam_provision_api_pb2_grpc.add_ProvisionServiceServicer_to_server(runner, server)
        beam_artifact_api_pb2_grpc.add_ArtifactRetrievalServiceServicer_to_server(runner, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return runner, f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(grace=None)


def file_artifact(staged_name, path, data=None, with_sha=False, sha=None):
    """A FILE + STAGING_TO dependency, hashed when asked to."""
    if with_sha:
        sha = hashlib.sha256(data).hexdigest()
    return beam_runner_api_pb2.ArtifactInformation(
        type_urn=common_urns.artifact_types.FILE.urn,
        type_payload=beam_runner_api_pb2.ArtifactFilePayload(path=path, sha256=sha or "").SerializeToString(),
        role_urn=common_urns.artifact_roles.STAGING_TO.urn,
        role_payload=beam_runner_api_pb2.ArtifactStagingToRolePayload(staged_name=staged_name).SerializeToString())


def provision_info(dependencies, **endpoints):
    options = struct_pb2.Struct()
    options.update({
        "beam:option:job_name:v1": "boot-probe",
        "beam:option:experiments:v1": ["alpha", "beta"],
        "beam:option:max_cache_memory_usage_mb:v1": 17,
    })
    info = beam_provision_api_pb2.ProvisionInfo(
        pipeline_options=options, dependencies=dependencies,
        runner_capabilities=["beam:protocol:control_response_elements_embedding:v1", "beam:protocol:data_sampling:v1"],
        metadata={"job_id": "job-42", "job_name": "boot-probe"})
    for field, url in endpoints.items():
        getattr(info, field).CopyFrom(endpoints_pb2.ApiServiceDescriptor(url=url))
    return info


# MARK: python side

@pytest.fixture(scope="module")
def throwaway_python(tmp_path_factory):
    """A venv seeing the test Python's packages (apache-beam, pip) through a .pth
    file, wrapped so that only the harness module is replaced by the recorder."""
    root = tmp_path_factory.mktemp("boot-python")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    venv_python = venv / "bin" / "python"
    purelib = subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    beam_site = os.path.dirname(os.path.dirname(importlib.util.find_spec("apache_beam").origin))
    with open(os.path.join(purelib, "beam_env.pth"), "w") as out:
        out.write(beam_site + "\n")
    recorder = root / "record_harness.py"
    recorder.write_text(RECORDER)
    wrapper = root / "python"
    wrapper.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        if [ "$1" = "-m" ] && [ "$2" = "{HARNESS}" ]; then
            exec "{venv_python}" "{recorder}" "$@"
        fi
        exec "{venv_python}" "$@"
        """))
    wrapper.chmod(0o755)
    return {"wrapper": str(wrapper), "venv": str(venv), "python": str(venv_python)}


def build_probe_packages(folder):
    """{staged name: bytes} for a requirements wheel, an extra-package wheel and
    a workflow sdist, plus the backend module used to build them."""
    (folder / "probe_backend.py").write_text(BACKEND)
    spec = importlib.util.spec_from_file_location("probe_backend", folder / "probe_backend.py")
    backend = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backend)
    built = {}
    for name in ("bjs_req_probe", "bjs_extra_probe"):
        filename = backend.make_wheel(str(folder), name, "0.1", f"VALUE = {name!r}\n")
        built[filename] = (folder / filename).read_bytes()
    sdist = io.BytesIO()
    with tarfile.open(fileobj=sdist, mode="w:gz") as tar:
        members = {
            "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "probe_backend"\nbackend-path = ["."]\n',
            "PKG-INFO": "Metadata-Version: 2.1\nName: bjs_workflow_probe\nVersion: 0.1\n",
            "probe_backend.py": BACKEND,
            "bjs_workflow_probe.py": "VALUE = 'bjs_workflow_probe'\n",
        }
        for name, text in members.items():
            data = text.encode()
            entry = tarfile.TarInfo(f"bjs_workflow_probe-0.1/{name}")
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    built["workflow.tar.gz"] = sdist.getvalue()
    return built


def run_boot(args, python, tmp_path, extra_env=None, timeout=180):
    env = dict(os.environ)
    env.update({
        "BEAM_PYTHON": python["wrapper"],
        "BOOT_RECORD": str(tmp_path / "record.json"),
        "PIP_NO_INDEX": "1",  # never reach PyPI from a test
        "BEAM_BOOT_CONNECT_TIMEOUT": "5",
    })
    env.pop("PIP_FIND_LINKS", None)
    env.update(extra_env or {})
    process = subprocess.Popen([BOOT] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate(timeout=timeout)
    record_path = tmp_path / "record.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else None
    return process, stdout, stderr, record


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# MARK: tests

def test_boot_fetches_installs_and_execs_the_harness(fake_runner, throwaway_python, tmp_path):
    packages = build_probe_packages(tmp_path)
    requirements = b"bjs_req_probe==0.1\n"
    extra_list = b"bjs_extra_probe-0.1-py3-none-any.whl\n"
    session = b"not really a pickled session"
    files = {
        "/srv/requirements.txt": requirements,
        "/srv/req.whl": packages["bjs_req_probe-0.1-py3-none-any.whl"],
        "/srv/extra_packages.txt": extra_list,
        "/srv/extra.whl": packages["bjs_extra_probe-0.1-py3-none-any.whl"],
        "/srv/workflow.tar.gz": packages["workflow.tar.gz"],
        "/srv/session": session,
        "/srv/evil": b"kept inside the staged folder",
    }
    dependencies = [
        file_artifact("requirements.txt", "/srv/requirements.txt", requirements, with_sha=True),
        file_artifact("bjs_req_probe-0.1-py3-none-any.whl", "/srv/req.whl"),
        file_artifact("extra_packages.txt", "/srv/extra_packages.txt", extra_list, with_sha=True),
        file_artifact("bjs_extra_probe-0.1-py3-none-any.whl", "/srv/extra.whl", files["/srv/extra.whl"], with_sha=True),
        file_artifact("workflow.tar.gz", "/srv/workflow.tar.gz", files["/srv/workflow.tar.gz"], with_sha=True),
        file_artifact("pickled_main_session", "/srv/session", session, with_sha=True),
        file_artifact("../../evil.txt", "/srv/evil"),
        # Missing on the server: Beam's boot shrugs this one off.
        file_artifact("submission_environment_dependencies.txt", "/srv/missing"),
    ]
    info = provision_info(dependencies, control_endpoint="localhost:7001", status_endpoint="localhost:7003")
    runner, endpoint = fake_runner(info, files)
    semi = tmp_path / "semi"

    process, stdout, stderr, record = run_boot([
        "--id", "worker-7",                      # space-separated form
        f"--provision_endpoint={endpoint}",
        f"--artifact_endpoint={endpoint}",
        "--control_endpoint=localhost:9",        # ProvisionInfo's control endpoint wins
        "--logging_endpoint=localhost:7002",
        f"--semi_persist_dir={semi}",
        "--some_future_flag=1", "--another", "value",  # unknown flags are ignored
    ], throwaway_python, tmp_path)
    print(stderr)  # shown with -s or on failure

    assert process.returncode == 0, stderr
    assert record is not None, stderr
    # exec, not spawn: the recorder is the very process we started.
    assert record["pid"] == process.pid
    assert record["argv"][1:] == ["-m", HARNESS]
    assert set(runner.worker_ids) == {"worker-7"}

    staged = semi / "staged"
    assert (staged / "pickled_main_session").read_bytes() == session
    assert (staged / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not (staged / "submission_environment_dependencies.txt").exists()
    assert not [name for name in os.listdir(staged) if name.endswith(".partial")]

    # Installed by pip into the throwaway venv, in Beam's order of kinds.
    for name in ("bjs_req_probe", "bjs_extra_probe", "bjs_workflow_probe"):
        module = record["modules"][name]
        assert module.get("value") == name, module
        assert module["file"].startswith(throwaway_python["venv"]), module

    env = record["env"]
    assert env["WORKER_ID"] == "worker-7"
    assert env["SEMI_PERSISTENT_DIRECTORY"] == str(semi)
    assert env["RUNNER_CAPABILITIES"].split() == list(info.runner_capabilities)
    assert env["JOB_ID"] == "job-42" and env["JOB_NAME"] == "boot-probe"
    assert record["descriptors"] == {
        "CONTROL": "localhost:7001", "LOGGING": "localhost:7002", "STATUS": "localhost:7003",
        "ARTIFACT": endpoint, "PROVISION": endpoint,
    }
    assert env["CONTROL_API_SERVICE_DESCRIPTOR"].strip() == 'url: "localhost:7001"'
    assert json.loads(env["PIPELINE_OPTIONS"])["beam:option:job_name:v1"] == "boot-probe"
    options = record["options"]
    assert options["job_name"] == "boot-probe"
    assert options["experiments"] == ["alpha", "beta"]
    assert options["max_cache_memory_usage_mb"] == 17


def test_boot_without_dependencies_uses_a_fresh_temp_folder(fake_runner, throwaway_python, tmp_path):
    runner, endpoint = fake_runner(provision_info([], control_endpoint="localhost:7001",
                                                  logging_endpoint="localhost:7002"), {})
    port = endpoint.rsplit(":", 1)[1]
    process, _, stderr, record = run_boot(
        ["--id=w1", f"--provision_endpoint=localhost:{port}"], throwaway_python, tmp_path,  # resolved by DNS
        extra_env={"TMPDIR": str(tmp_path)})
    assert process.returncode == 0, stderr
    semi = record["env"]["SEMI_PERSISTENT_DIRECTORY"]
    assert os.path.dirname(semi) == str(tmp_path) and os.path.basename(semi).startswith("beam-boot-w1-")
    assert "ARTIFACT" not in record["descriptors"]


def test_unreachable_provision_endpoint_fails_with_one_clear_line(throwaway_python, tmp_path):
    process, _, stderr, record = run_boot(
        ["--id=w1", f"--provision_endpoint=127.0.0.1:{free_port()}"], throwaway_python, tmp_path,
        extra_env={"BEAM_BOOT_CONNECT_TIMEOUT": "1"}, timeout=60)
    assert process.returncode == 1
    assert record is None
    failures = [line for line in stderr.splitlines() if line.startswith("beam-boot: ")]
    assert len(failures) == 1 and failures[0].startswith("beam-boot: provision failed:"), stderr
    assert "Connection refused" in failures[0]


def test_missing_required_flag_fails(tmp_path, throwaway_python):
    process, _, stderr, _ = run_boot(["--provision_endpoint=127.0.0.1:1"], throwaway_python, tmp_path)
    assert process.returncode == 1
    assert "beam-boot: argument parsing failed: no --id given" in stderr


def test_python_without_apache_beam_fails_the_install_step(fake_runner, tmp_path):
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    _, endpoint = fake_runner(provision_info([], control_endpoint="localhost:1", logging_endpoint="localhost:2"), {})
    process, _, stderr, record = run_boot(
        ["--id=w1", f"--provision_endpoint={endpoint}", f"--semi_persist_dir={tmp_path / 'semi'}"],
        {"wrapper": str(bare / "bin" / "python")}, tmp_path)
    assert process.returncode == 1 and record is None
    assert "beam-boot: install failed: apache-beam is not installed" in stderr


def test_sha256_mismatch_fails_artifact_retrieval(fake_runner, throwaway_python, tmp_path):
    files = {"/srv/a": b"the real bytes"}
    dependencies = [file_artifact("a.txt", "/srv/a", sha=hashlib.sha256(b"other bytes").hexdigest())]
    _, endpoint = fake_runner(provision_info(dependencies, control_endpoint="localhost:1", logging_endpoint="localhost:2"), files)
    process, _, stderr, record = run_boot(
        ["--id=w1", f"--provision_endpoint={endpoint}", f"--artifact_endpoint={endpoint}",
         f"--semi_persist_dir={tmp_path / 'semi'}"], throwaway_python, tmp_path)
    assert process.returncode == 1 and record is None
    assert "beam-boot: artifact retrieval failed: sha256 mismatch for a.txt" in stderr
    assert not (tmp_path / "semi" / "staged" / "a.txt").exists()


def test_artifact_missing_on_server_fails_artifact_retrieval(fake_runner, throwaway_python, tmp_path):
    dependencies = [file_artifact("gone.whl", "/srv/gone")]
    _, endpoint = fake_runner(provision_info(dependencies, control_endpoint="localhost:1", logging_endpoint="localhost:2"), {})
    process, _, stderr, _ = run_boot(
        ["--id=w1", f"--provision_endpoint={endpoint}", f"--artifact_endpoint={endpoint}",
         f"--semi_persist_dir={tmp_path / 'semi'}"], throwaway_python, tmp_path)
    assert process.returncode == 1
    assert "beam-boot: artifact retrieval failed: GetArtifact for gone.whl: notFound" in stderr


def test_pip_failure_fails_the_boot(fake_runner, throwaway_python, tmp_path):
    extra_list = b"broken-0.1-py3-none-any.whl\n"
    files = {"/srv/list": extra_list, "/srv/broken": b"this is not a zip file"}
    dependencies = [
        file_artifact("extra_packages.txt", "/srv/list"),
        file_artifact("broken-0.1-py3-none-any.whl", "/srv/broken"),
    ]
    _, endpoint = fake_runner(provision_info(dependencies, control_endpoint="localhost:1", logging_endpoint="localhost:2"), files)
    process, _, stderr, record = run_boot(
        ["--id=w1", f"--provision_endpoint={endpoint}", f"--artifact_endpoint={endpoint}",
         f"--semi_persist_dir={tmp_path / 'semi'}"], throwaway_python, tmp_path)
    assert process.returncode == 1 and record is None
    assert "beam-boot: install failed: failed to install extra package broken-0.1-py3-none-any.whl" in stderr
