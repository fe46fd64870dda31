"""Thousands of random and mutated requests on every Job, artifact and Fn API
method (fuzz_requests.py) get a clean gRPC status, the jobs that mutated
pipelines became all end, and the server still runs a real pipeline after."""
import os
import tempfile

import pytest

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2

import fuzz_requests
from job_server import DEFAULT_BINARY, JobServer, job_stub, portable_options, wait_for

BINARY = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)
TERMINAL = {beam_job_api_pb2.JobState.DONE, beam_job_api_pb2.JobState.FAILED, beam_job_api_pb2.JobState.CANCELLED}
# What a request may get back: a handler's answer. UNKNOWN or INTERNAL would be
# an unhandled error, UNAVAILABLE a dropped connection or a dead server.
CLEAN = {"OK", "INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION", "UNIMPLEMENTED", "ALREADY_EXISTS",
         "RESOURCE_EXHAUSTED", "OUT_OF_RANGE"}
STREAMS_MAY_OUTLIVE_THE_DEADLINE = {"GetStateStream", "GetMessageStream", "Control", "Data", "State", "Logging",
                                    "ReverseArtifactRetrievalService"}


def run_a_real_pipeline(server):
    p = beam.Pipeline(options=PipelineOptions(portable_options(server.endpoint)))
    _ = p | beam.Create([1, 2]) | beam.Map(lambda x: x)
    p.run().wait_until_finish()


@pytest.fixture
def server():
    with tempfile.TemporaryDirectory(prefix="bjs-fuzz-") as folder:
        instance = JobServer(BINARY, folder, log_level="info")
        try:
            yield instance
        finally:
            assert instance.stop() == 0, "".join(instance.log_lines[-40:])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_and_mutated_requests_get_clean_statuses(server, seed):
    run_a_real_pipeline(server)  # starts the Fn API server
    codes = fuzz_requests.fuzz(server.endpoint, fuzz_requests.fn_endpoint_of(server), 3000, seed=seed)
    assert sum(codes.values()) >= 3000
    unclean = {key: n for key, n in codes.items()
               if key[1] not in CLEAN and not (key[1] == "DEADLINE_EXCEEDED" and key[0] in STREAMS_MAY_OUTLIVE_THE_DEADLINE)}
    assert not unclean, unclean
    assert server.process.poll() is None, "the server died"
    # Jobs made of mutated pipelines all end (FAILED, mostly), none hangs.
    def states():
        return [info.state for info in job_stub(server).GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=30).job_info]
    assert wait_for(lambda: all(state in TERMINAL for state in states()), 120, interval=1), states()
    run_a_real_pipeline(server)
