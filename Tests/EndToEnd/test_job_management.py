"""Job Management and artifact staging, driven by the real apache-beam client."""
import base64
import glob
import os

import grpc
import pytest

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_artifact_api_pb2_grpc
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.portability.api import beam_job_api_pb2_grpc
from apache_beam.runners.portability import artifact_service

JOB_SERVICE = "org.apache.beam.model.job_management.v1.JobService"


def write_package(folder):
    """A small file to stage with --extra_package; its bytes are checked later."""
    path = os.path.join(folder, "bjs_probe-0.1.tar.gz")
    with open(path, "wb") as out:
        out.write(os.urandom(300_000))
    return path


def submit_pipeline(job_server, extra_package):
    options = PipelineOptions([
        "--runner=PortableRunner",
        f"--job_endpoint={job_server.endpoint}",
        "--environment_type=LOOPBACK",
        f"--extra_package={extra_package}",
    ])
    pipeline = beam.Pipeline(options=options)
    _ = pipeline | beam.Create(["a", "b"]) | beam.Map(str.upper)
    return pipeline


def job_history(job_server, job_id):
    """The job's state stream and messages, replayed from the start."""
    stub = beam_job_api_pb2_grpc.JobServiceStub(grpc.insecure_channel(job_server.endpoint))
    request = beam_job_api_pb2.GetJobStateRequest(job_id=job_id)
    states = [beam_job_api_pb2.JobState.Enum.Name(e.state) for e in stub.GetStateStream(request, timeout=30)]
    messages = [
        m.message_response.message_text
        for m in stub.GetMessageStream(beam_job_api_pb2.JobMessagesRequest(job_id=job_id), timeout=30)
        if m.HasField("message_response")
    ]
    return states, messages


def test_python_client_sees_prepare_staging_run_and_terminal_state(job_server, tmp_path):
    package = write_package(str(tmp_path))
    result = submit_pipeline(job_server, package).run()  # Prepare, stage, Run
    result.wait_until_finish()
    job_id = result._job_id
    states, messages = job_history(job_server, job_id)
    assert states[:2] == ["STOPPED", "STARTING"]
    assert states[-1] == "DONE"
    assert result.state == states[-1]
    assert any(text.startswith("Staged ") for text in messages)

    # The staged package arrived intact in this job's folder.
    stored = glob.glob(os.path.join(job_server.artifacts_dir, job_id, "*-bjs_probe-0.1.tar.gz"))
    assert len(stored) == 1
    with open(stored[0], "rb") as got, open(package, "rb") as want:
        assert got.read() == want.read()


def test_unsupported_transform_fails_at_run_naming_its_urn(job_server):
    from apache_beam.testing.test_stream import TestStream
    options = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={job_server.endpoint}",
                               "--environment_type=LOOPBACK", "--streaming"])
    pipeline = beam.Pipeline(options=options)
    # Events served by a remote TestStreamService are not supported (events in the payload are).
    _ = pipeline | TestStream(endpoint="localhost:1") | beam.Map(str.upper)
    with pytest.raises(RuntimeError, match="beam:transform:teststream:v1"):
        pipeline.run().wait_until_finish()


def test_garbage_bytes_to_prepare_are_invalid_argument_and_server_survives(job_server):
    channel = grpc.insecure_channel(job_server.endpoint)
    raw_prepare = channel.unary_unary(f"/{JOB_SERVICE}/Prepare")  # no serializers: raw bytes
    for garbage in (b"\xff\xff\xff\xff garbage", b"\x0a\xff\xff\xff\xff\x0f"):
        with pytest.raises(grpc.RpcError) as failure:
            raw_prepare(garbage, timeout=10)
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
    stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=10)


def test_unknown_ids_and_tokens_are_not_found(job_server):
    channel = grpc.insecure_channel(job_server.endpoint)
    stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
    with pytest.raises(grpc.RpcError) as failure:
        stub.GetState(beam_job_api_pb2.GetJobStateRequest(job_id="missing"), timeout=10)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as failure:
        stub.Run(beam_job_api_pb2.RunJobRequest(preparation_id="missing"), timeout=10)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    staging = beam_artifact_api_pb2_grpc.ArtifactStagingServiceStub(channel)
    with pytest.raises(grpc.RpcError) as failure:
        artifact_service.offer_artifacts(
            staging, artifact_service.ArtifactRetrievalService(None), "no-such-token")
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_pipeline_with_tens_of_megabytes_of_inline_data_runs(job_server):
    from apache_beam.testing.util import assert_that, equal_to
    # Random text does not compress: the pipeline proto carries ~30 MB (Create's data, pickled more than once).
    rows = [base64.b64encode(os.urandom(750)).decode() for _ in range(10_000)]
    options = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint={job_server.endpoint}",
                               "--environment_type=LOOPBACK"])
    with beam.Pipeline(options=options) as pipeline:
        counted = pipeline | beam.Create(rows, reshuffle=False) | beam.Map(len) | beam.CombineGlobally(sum)
        assert_that(counted, equal_to([10_000 * 1000]))
        assert pipeline.to_runner_api().ByteSize() > 20 << 20


def test_a_request_above_max_message_size_is_resource_exhausted_naming_the_flag(job_server_with):
    server = job_server_with("--max-message-size", str(4 << 20))
    channel = grpc.insecure_channel(server.endpoint)
    stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
    pipeline = beam.Pipeline()
    _ = pipeline | beam.Create([base64.b64encode(os.urandom(750)).decode() for _ in range(2000)], reshuffle=False)
    request = beam_job_api_pb2.PrepareJobRequest(pipeline=pipeline.to_runner_api(), job_name="big")
    assert request.ByteSize() > 4 << 20
    with pytest.raises(grpc.RpcError) as failure:
        stub.Prepare(request, timeout=30)
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "more than this server's limit of 4194304 bytes (--max-message-size)" in failure.value.details()
    # The same connection and server go on answering.
    small = beam.Pipeline()
    _ = small | beam.Create([1])
    stub.Prepare(beam_job_api_pb2.PrepareJobRequest(pipeline=small.to_runner_api(), job_name="small"), timeout=10)


def test_artifacts_beyond_the_per_job_quota_fail_the_job_naming_the_flag(job_server_with, tmp_path):
    server = job_server_with("--max-artifact-bytes", "200000")
    with pytest.raises(Exception) as failure:
        submit_pipeline(server, write_package(str(tmp_path))).run().wait_until_finish()
    assert "limit of 200000 bytes per job (--max-artifact-bytes)" in str(failure.value)
    stub = beam_job_api_pb2_grpc.JobServiceStub(grpc.insecure_channel(server.endpoint))
    (job,) = stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=10).job_info
    states, messages = job_history(server, job.job_id)
    assert states == ["STOPPED", "FAILED"]
    assert any("Artifact staging failed, so the job cannot run: The job's artifacts exceed" in text
               for text in messages), messages
    assert not glob.glob(os.path.join(server.artifacts_dir, job.job_id, "*"))  # nothing kept of it
