"""Access control: a bearer token (--auth-token-file) on the Job, artifact and
web APIs, with callers on this machine's loopback exempt unless --auth-loopback
token; TLS (--tls-cert-file/--tls-key-file) for the web UI and a second Job API
listener. The clients are the real Beam SDK, grpcio (as any gRPC tool is), the
`jobs` CLI and urllib for the web UI."""
import http.client
import os
import re
import socket
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import grpc
import pytest

import apache_beam as beam
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.portability.api import beam_job_api_pb2_grpc

from job_server import DEFAULT_BINARY, JobServer, free_port, portable_options, wait_for
from pipelines import run_and_collect, wordcount

BINARY = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)


@pytest.fixture(scope="module")
def secrets(tmp_path_factory):
    """A token file and a self-signed certificate for localhost and 127.0.0.1 (openssl)."""
    folder = tmp_path_factory.mktemp("secrets")
    token = os.urandom(24).hex()
    (folder / "token").write_text(token + "\n")
    (folder / "wrong-token").write_text("not-the-server-token-at-all\n")
    for name in ("server", "other"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", str(folder / f"{name}-key.pem"), "-out", str(folder / f"{name}-cert.pem"),
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
    return {"token": token, "token_file": str(folder / "token"), "wrong_token_file": str(folder / "wrong-token"),
            "cert": str(folder / "server-cert.pem"), "key": str(folder / "server-key.pem"),
            "other_key": str(folder / "other-key.pem"), "folder": folder}


@pytest.fixture
def start_server(tmp_path):
    """Starts servers with extra flags; each must shut down cleanly after the test."""
    started = []

    def start(*flags, web_port=None):
        server = JobServer(BINARY, str(tmp_path / f"artifacts-{len(started)}"), log_level="info",
                           web_port=web_port, extra_args=flags)
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.stop() == 0, "beam-job-server did not shut down cleanly:\n" + "".join(server.log_lines[-50:])


def off_loopback_address():
    """This machine's address on a non-loopback interface, or None (no route is needed: UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def logged_port(server, pattern):
    """The port a log line matching `pattern` names (the server's log is read by its own thread)."""
    found = []
    assert wait_for(lambda: found.extend(m.group(1) for m in map(re.compile(pattern).search, server.log_lines) if m) or found, 30)
    return int(found[0])


def get_jobs(channel, token=None):
    metadata = [("authorization", f"Bearer {token}")] if token else None
    stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
    return stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), metadata=metadata, timeout=30).job_info


def refusal(call):
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code(), raised.value.details()


def tiny_pipeline_proto():
    pipeline = beam.Pipeline()
    _ = pipeline | beam.Create([1, 2]) | beam.Map(str)
    return pipeline.to_runner_api()


def test_the_sdk_submits_over_loopback_while_other_callers_need_the_token(start_server, secrets, tmp_path):
    server = start_server("--host", "0.0.0.0", "--auth-token-file", secrets["token_file"])
    expected = run_and_collect(wordcount, ["--runner=DirectRunner"], str(tmp_path / "direct"))
    assert run_and_collect(wordcount, portable_options(server.endpoint), str(tmp_path / "ours")) == expected
    with grpc.insecure_channel(server.endpoint) as local:
        assert len(get_jobs(local)) == 1

    address = off_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to call from")
    with grpc.insecure_channel(f"{address}:{server.port}") as remote:
        code, details = refusal(lambda: get_jobs(remote))
        assert code == grpc.StatusCode.UNAUTHENTICATED and "--auth-token-file" in details
        code, details = refusal(lambda: get_jobs(remote, token="not-the-server-token-at-all"))
        assert code == grpc.StatusCode.UNAUTHENTICATED and "does not match" in details
        assert len(get_jobs(remote, token=secrets["token"])) == 1
        # A remote client is sent to stage where it reached us, not to its own localhost.
        prepared = beam_job_api_pb2_grpc.JobServiceStub(remote).Prepare(
            beam_job_api_pb2.PrepareJobRequest(pipeline=tiny_pipeline_proto(), job_name="remote"),
            metadata=[("authorization", f"Bearer {secrets['token']}")], timeout=30)
        assert prepared.artifact_staging_endpoint.url == f"{address}:{server.port}"
    assert any("without TLS on 0.0.0.0" in line for line in server.log_lines)


def test_strict_loopback_refuses_the_sdk_before_any_job_exists(start_server, secrets, tmp_path):
    server = start_server("--auth-token-file", secrets["token_file"], "--auth-loopback", "token")
    with pytest.raises(grpc.RpcError) as raised:
        run_and_collect(wordcount, portable_options(server.endpoint), str(tmp_path / "ours"))
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "--auth-token-file" in raised.value.details()
    with grpc.insecure_channel(server.endpoint) as channel:
        assert get_jobs(channel, token=secrets["token"]) == []


def test_tls_listener_takes_the_token_and_stages_on_itself(start_server, secrets):
    server = start_server("--host", "0.0.0.0", "--auth-token-file", secrets["token_file"], "--auth-loopback", "token",
                          "--tls-cert-file", secrets["cert"], "--tls-key-file", secrets["key"], "--tls-job-port", "0")
    tls_port = logged_port(server, r"Job API with TLS listening on 0\.0\.0\.0:(\d+)")
    # The plaintext listener, which carries tokens in clear text, stays on this machine.
    assert any("beam-job-server listening on 127.0.0.1:" in line for line in server.log_lines)

    credentials = grpc.ssl_channel_credentials(open(secrets["cert"], "rb").read())
    with grpc.secure_channel(f"localhost:{tls_port}", credentials) as channel:
        code, details = refusal(lambda: get_jobs(channel))
        assert code == grpc.StatusCode.UNAUTHENTICATED and "--auth-token-file" in details
        stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
        prepared = stub.Prepare(beam_job_api_pb2.PrepareJobRequest(pipeline=tiny_pipeline_proto(), job_name="over-tls"),
                                metadata=[("authorization", f"Bearer {secrets['token']}")], timeout=30)
        # A client that came over TLS is sent to stage its artifacts over TLS too, where it reached us.
        assert prepared.artifact_staging_endpoint.url == f"127.0.0.1:{tls_port}"
        assert [job.job_name for job in get_jobs(channel, token=secrets["token"])] == ["over-tls"]
    with grpc.insecure_channel(f"localhost:{tls_port}") as plaintext:
        code, _ = refusal(lambda: get_jobs(plaintext, token=secrets["token"]))
        assert code == grpc.StatusCode.UNAVAILABLE

    jobs = [BINARY, "jobs", "list", "--endpoint", f"localhost:{tls_port}", "--tls-ca-file", secrets["cert"]]
    listed = subprocess.run(jobs + ["--token-file", secrets["token_file"]], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "over-tls" in listed.stdout
    refused = subprocess.run(jobs, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "unauthenticated" in refused.stderr and "--auth-token-file" in refused.stderr
    wrong = subprocess.run(jobs + ["--token-file", secrets["wrong_token_file"]], capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0 and "does not match" in wrong.stderr


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def web_request(server, context, path, token=None, cookie=None, data=None, headers=None):
    """(status, headers, body) of one request to the web UI; `data` makes it a form POST."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(server.web_url + path, headers=headers,
                                     data=urllib.parse.urlencode(data).encode() if data is not None else None)
    try:
        with opener.open(request, timeout=30) as reply:
            return reply.status, reply.headers, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_web_ui_serves_https_and_asks_for_the_token(start_server, secrets):
    server = start_server("--auth-token-file", secrets["token_file"], "--auth-loopback", "token",
                          "--tls-cert-file", secrets["cert"], "--tls-key-file", secrets["key"], "--tls-job-port", "0",
                          web_port=free_port())
    assert server.web_url.startswith("https://")
    context = ssl.create_default_context(cafile=secrets["cert"])
    token = secrets["token"]

    status, headers, body = web_request(server, context, "/api/jobs")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer") and "--auth-token-file" in body
    assert web_request(server, context, "/api/jobs", token="not-the-server-token-at-all")[0] == 401
    status, _, body = web_request(server, context, "/api/jobs", token=token)
    assert status == 200 and body == '{"jobs":[]}'
    status, _, body = web_request(server, context, "/metrics", token=token)
    assert status == 200 and "beam_jobs{" in body  # Prometheus scrapes with its bearer token
    assert web_request(server, context, "/metrics")[0] == 401

    # A browser: the page asks for the token, a wrong one is refused, the right one sets a session cookie.
    status, _, body = web_request(server, context, "/jobs/abc")
    assert status == 401 and 'action="/login"' in body and 'value="/jobs/abc"' in body
    status, _, body = web_request(server, context, "/login", data={"token": "wrong", "next": "/jobs/abc"})
    assert status == 401 and "not this server" in body
    status, headers, _ = web_request(server, context, "/login", data={"token": token, "next": "/jobs/abc"})
    assert status == 303 and headers["Location"] == "/jobs/abc"
    cookie = headers["Set-Cookie"]
    assert all(flag in cookie for flag in ("HttpOnly", "Secure", "SameSite=Strict")) and token not in cookie
    session = cookie.split(";")[0]
    assert web_request(server, context, "/api/jobs", cookie=session)[0] == 200
    assert web_request(server, context, "/", cookie=session)[0] == 200
    assert web_request(server, context, "/api/jobs", cookie=session[:-1] + ("0" if session[-1] != "0" else "1"))[0] == 401

    # Other sites may not cancel or drain, even with the cookie a browser would attach.
    status, _, body = web_request(server, context, "/api/jobs/none/cancel", cookie=session, data={},
                                  headers={"Origin": "https://evil.example"})
    assert status == 403 and "other sites" in body

    # No plaintext HTTP on the web port once it serves TLS.
    port = int(server.web_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        connection.request("GET", "/api/jobs")
        connection.getresponse()


@pytest.mark.parametrize("flags, message", [
    (["--auth-token-file", "{folder}/missing"], "cannot read the token file"),
    (["--auth-token-file", "{wrong_token_file}", "--auth-loopback", "sometimes"], "--auth-loopback must be open or token"),
    (["--tls-cert-file", "{cert}"], "--tls-cert-file and --tls-key-file go together"),
    (["--tls-cert-file", "{folder}/missing.pem", "--tls-key-file", "{key}"], "not a readable PEM certificate chain"),
    (["--tls-cert-file", "{cert}", "--tls-key-file", "{other_key}"], "does not fit --tls-cert-file"),
    (["--auth-loopback", "token"], "--auth-loopback token needs --auth-token-file"),
    (["--job-port", "8111", "--tls-job-port", "8111", "--tls-cert-file", "{cert}", "--tls-key-file", "{key}"],
     "--tls-job-port must differ from --job-port"),
])
def test_bad_security_flags_stop_the_server_at_start(secrets, tmp_path, flags, message):
    """Each mistake stops the server before it listens, naming the flag."""
    short = tmp_path / "short-token"
    short.write_text("abc\n")
    filled = [flag.format(**secrets) for flag in flags]
    result = subprocess.run([BINARY, "--ephemeral", "--web-port", "0"] + (["--job-port", "0"] if "--job-port" not in filled else []) + filled,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    short_result = subprocess.run([BINARY, "--ephemeral", "--job-port", "0", "--web-port", "0",
                                   "--auth-token-file", str(short)], capture_output=True, text=True, timeout=60)
    assert short_result.returncode != 0 and "at least 16 characters" in short_result.stderr


def test_other_sites_cannot_cancel_jobs_on_an_open_server(start_server, tmp_path):
    """No token at all (the default): a page on another site still cannot POST Cancel or Drain
    through the user's browser, while the UI's own requests and non-browser clients can."""
    server = start_server(web_port=free_port())
    port = int(server.web_url.rsplit(":", 1)[1])
    pipeline = beam.Pipeline()
    _ = pipeline | beam.Create([1]) | beam.Map(str)
    with grpc.insecure_channel(server.endpoint) as channel:
        job = beam_job_api_pb2_grpc.JobServiceStub(channel).Prepare(
            beam_job_api_pb2.PrepareJobRequest(pipeline=pipeline.to_runner_api(), job_name="target"), timeout=30)
    cancel = f"/api/jobs/{job.preparation_id}/cancel"

    def post(headers):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", cancel, body=b"", headers=headers)
        reply = connection.getresponse()
        return reply.status, reply.read().decode()

    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}):
        status, body = post(headers)
        assert status == 403 and "other sites" in body, (headers, status, body)
    # The UI's own fetch (same origin) cancels the job; a script then reaches Cancel too (409: already cancelled).
    assert post({"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"})[0] == 200
    assert post({})[0] == 409


def test_loopback_under_another_name_is_not_exempt(start_server, secrets):
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 reaches the
    web UI from loopback, but under its own Host name, so it needs the token like any remote caller."""
    server = start_server("--auth-token-file", secrets["token_file"], web_port=free_port())
    port = int(server.web_url.rsplit(":", 1)[1])

    def get(host, token=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Host": host}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request("GET", "/api/jobs", headers=headers)
        return connection.getresponse().status

    assert get(f"localhost:{port}") == 200 and get(f"127.0.0.1:{port}") == 200
    assert get(f"evil.example:{port}") == 401
    assert get(f"evil.example:{port}", token=secrets["token"]) == 200
