"""Access-control benchmark: what the bearer token and TLS cost a Job API call
and a submitted job. Prints figures, asserts nothing. Not a test.

Four servers (debug build unless --binary): no token; a token with loopback
exempt; a token required from loopback too (--auth-loopback token); and the
last with TLS (self-signed, openssl). For each it times --calls sequential
GetJobs calls on one channel (median and p99 latency, calls/s), the first
call on a fresh channel (connection and, with TLS, handshake), and, where
Beam's SDK can submit (the first two), a small LOOPBACK job end to end (median of 3 after a warm-up).

Usage: python Scripts/bench_access.py [--calls 2000] [--binary PATH]"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import grpc
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.portability.api import beam_job_api_pb2_grpc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "Tests", "EndToEnd"))
from job_server import DEFAULT_BINARY, JobServer, portable_options, wait_for  # noqa: E402


def secrets(folder):
    token = os.urandom(24).hex()
    with open(os.path.join(folder, "token"), "w") as f:
        f.write(token + "\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", os.path.join(folder, "key.pem"), "-out", os.path.join(folder, "cert.pem")],
                   check=True, capture_output=True)
    return token


def channel_to(server, tls_port, cert):
    if tls_port:
        credentials = grpc.ssl_channel_credentials(open(cert, "rb").read())
        return grpc.secure_channel(f"localhost:{tls_port}", credentials)
    return grpc.insecure_channel(server.endpoint)


def time_calls(make_channel, metadata, calls):
    first = []
    for _ in range(20):
        with make_channel() as channel:
            started = time.perf_counter()
            beam_job_api_pb2_grpc.JobServiceStub(channel).GetJobs(beam_job_api_pb2.GetJobsRequest(), metadata=metadata, timeout=30)
            first.append(time.perf_counter() - started)
    with make_channel() as channel:
        stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
        stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), metadata=metadata, timeout=30)
        latencies = []
        began = time.perf_counter()
        for _ in range(calls):
            started = time.perf_counter()
            stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), metadata=metadata, timeout=30)
            latencies.append(time.perf_counter() - started)
        elapsed = time.perf_counter() - began
    latencies.sort()
    return (statistics.median(latencies) * 1e3, latencies[int(len(latencies) * 0.99)] * 1e3, calls / elapsed,
            statistics.median(first) * 1e3)


def time_job(server):
    """Median of 3 runs, after one untimed run (the first pays for the SDK's imports and worker pool)."""
    times = []
    for _ in range(4):
        started = time.perf_counter()
        with beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint))) as p:
            _ = p | beam.Create(range(1000)) | beam.Map(lambda x: (x % 10, x)) | beam.GroupByKey()
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--binary", default=os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-access-") as folder:
        token = secrets(folder)
        bearer = [("authorization", f"Bearer {token}")]
        token_file, cert, key = (os.path.join(folder, name) for name in ("token", "cert.pem", "key.pem"))
        setups = [
            ("no token", [], None, True),
            ("token, loopback exempt", ["--auth-token-file", token_file], None, True),
            ("token from loopback too", ["--auth-token-file", token_file, "--auth-loopback", "token"], bearer, False),
            ("token + TLS", ["--auth-token-file", token_file, "--auth-loopback", "token", "--tls-cert-file", cert,
                             "--tls-key-file", key, "--tls-job-port", "0"], bearer, False),
        ]
        print(f"{'server':<26}{'GetJobs median ms':>18}{'p99 ms':>9}{'calls/s':>9}{'new channel ms':>16}{'job s':>8}")
        for index, (name, flags, metadata, sdk) in enumerate(setups):
            server = JobServer(args.binary, os.path.join(folder, f"artifacts-{index}"), log_level="info", extra_args=flags)
            try:
                tls_port = None
                if "--tls-cert-file" in flags:
                    assert wait_for(lambda: any("TLS listening on" in line for line in server.log_lines), 30)
                    line = next(line for line in server.log_lines if "TLS listening on" in line)
                    tls_port = int(line.rsplit(":", 1)[1])
                median, p99, rate, first = time_calls(lambda: channel_to(server, tls_port, cert), metadata, args.calls)
                job = f"{time_job(server):.2f}" if sdk else "-"
                print(f"{name:<26}{median:>18.3f}{p99:>9.3f}{rate:>9.0f}{first:>16.2f}{job:>8}")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
