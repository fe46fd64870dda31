"""Random and mutated requests on every Job, artifact and Fn API method of a
running beam-job-server: each must get a gRPC status (any code, with the
server still up), never a dropped connection or a dead server. Mutations
start from valid messages (a real pipeline from the Beam SDK, real Fn API
messages), so many decode and reach the handlers' checks; prepared mutated
pipelines are also Run. Used by test_fuzz_requests.py (a few thousand
requests) and, as a script, for soak runs:

    python Tests/EndToEnd/fuzz_requests.py --binary .build/debug/beam-job-server --count 100000
"""
import argparse
import collections
import os
import random
import re
import sys
import tempfile
import time

import grpc

import apache_beam as beam
from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.portability.api import beam_provision_api_pb2
from apache_beam.portability.api import beam_artifact_api_pb2

JOB = "/org.apache.beam.model.job_management.v1.JobService/"
STAGING = "/org.apache.beam.model.job_management.v1.ArtifactStagingService/"
RETRIEVAL = "/org.apache.beam.model.job_management.v1.ArtifactRetrievalService/"
FN = "/org.apache.beam.model.fn_execution.v1."
IDENTITY = dict(request_serializer=None, response_deserializer=None)


def seed_pipeline():
    p = beam.Pipeline()
    _ = p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x + 1) | beam.GroupBy(lambda x: x % 2)
    return p.to_runner_api()


def seeds():
    """{method path: (kind, [valid serialized messages])}: the methods under test on each port."""
    pipeline = seed_pipeline()
    prepare = beam_job_api_pb2.PrepareJobRequest(job_name="fuzz", pipeline=pipeline)
    job_methods = {
        "Prepare": ("unary", [prepare]),
        "Run": ("unary", [beam_job_api_pb2.RunJobRequest(preparation_id="x", retrieval_token="t")]),
        "GetJobs": ("unary", [beam_job_api_pb2.GetJobsRequest()]),
        "GetState": ("unary", [beam_job_api_pb2.GetJobStateRequest(job_id="x")]),
        "GetPipeline": ("unary", [beam_job_api_pb2.GetJobPipelineRequest(job_id="x")]),
        "Cancel": ("unary", [beam_job_api_pb2.CancelJobRequest(job_id="x")]),
        "GetJobMetrics": ("unary", [beam_job_api_pb2.GetJobMetricsRequest(job_id="x")]),
        "DescribePipelineOptions": ("unary", [beam_job_api_pb2.DescribePipelineOptionsRequest()]),
        "GetStateStream": ("server_stream", [beam_job_api_pb2.GetJobStateRequest(job_id="x")]),
        "GetMessageStream": ("server_stream", [beam_job_api_pb2.JobMessagesRequest(job_id="x")]),
    }
    job = {JOB + name: value for name, value in job_methods.items()}
    job[STAGING + "ReverseArtifactRetrievalService"] = ("bidi", [
        beam_artifact_api_pb2.ArtifactResponseWrapper(staging_token="x", is_last=True)])
    job[RETRIEVAL + "ResolveArtifacts"] = ("unary", [beam_artifact_api_pb2.ResolveArtifactsRequest()])
    job[RETRIEVAL + "GetArtifact"] = ("server_stream", [beam_artifact_api_pb2.GetArtifactRequest()])
    fn = {
        FN + "BeamFnControl/Control": ("bidi", [beam_fn_api_pb2.InstructionResponse(instruction_id="x")]),
        FN + "BeamFnControl/GetProcessBundleDescriptor": ("unary", [
            beam_fn_api_pb2.GetProcessBundleDescriptorRequest(process_bundle_descriptor_id="x")]),
        FN + "BeamFnData/Data": ("bidi", [beam_fn_api_pb2.Elements(data=[
            beam_fn_api_pb2.Elements.Data(instruction_id="x", transform_id="t", data=b"\x01\x02", is_last=True)])]),
        FN + "BeamFnState/State": ("bidi", [beam_fn_api_pb2.StateRequest(
            id="1", instruction_id="x", get=beam_fn_api_pb2.StateGetRequest())]),
        FN + "BeamFnLogging/Logging": ("bidi", [beam_fn_api_pb2.LogEntry.List(log_entries=[
            beam_fn_api_pb2.LogEntry(message="m", severity=beam_fn_api_pb2.LogEntry.Severity.INFO)])]),
        FN + "ProvisionService/GetProvisionInfo": ("unary", [beam_provision_api_pb2.GetProvisionInfoRequest()]),
    }
    serialize = lambda table: {k: (kind, [m.SerializeToString() for m in msgs]) for k, (kind, msgs) in table.items()}
    return serialize(job), serialize(fn)


def mutate(data, rng):
    """Random bytes, or `data` with bytes flipped, inserted, deleted or cut."""
    roll = rng.random()
    if roll < 0.15 or not data:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
    out = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        op = rng.random()
        position = rng.randrange(0, len(out) + 1)
        if op < 0.5 and out:
            out[min(position, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif op < 0.7:
            out[position:position] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 8)))
        elif op < 0.9 and out:
            del out[position:position + rng.randrange(1, 8)]
        else:
            out = out[:position]
    return bytes(out)


def call(channel, path, kind, payloads, timeout):
    """One call; returns its status code (OK included)."""
    try:
        if kind == "unary":
            channel.unary_unary(path, **IDENTITY)(payloads[0], timeout=timeout)
        elif kind == "server_stream":
            for _ in channel.unary_stream(path, **IDENTITY)(payloads[0], timeout=timeout):
                pass
        else:
            for _ in channel.stream_stream(path, **IDENTITY)(iter(payloads), timeout=timeout):
                pass
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def fuzz(job_endpoint, fn_endpoint, count, seed=0, timeout=2.0, run_prepared=True):
    """Sends `count` requests spread over every method; returns Counter{(method, code name)}.
    A successful Prepare of a mutated pipeline is followed by its Run."""
    rng = random.Random(seed)
    job_seeds, fn_seeds = seeds()
    targets = [(job_endpoint, path, spec) for path, spec in job_seeds.items()]
    targets += [(fn_endpoint, path, spec) for path, spec in fn_seeds.items()]
    channels = {endpoint: grpc.insecure_channel(endpoint) for endpoint in (job_endpoint, fn_endpoint)}
    codes = collections.Counter()
    for index in range(count):
        endpoint, path, (kind, valid) = targets[index % len(targets)]
        payloads = [mutate(rng.choice(valid), rng) for _ in range(rng.randrange(1, 4))]
        if path.endswith("/Prepare") and run_prepared:
            try:
                raw = channels[endpoint].unary_unary(path, **IDENTITY)(payloads[0], timeout=timeout)
                prepared = beam_job_api_pb2.PrepareJobResponse.FromString(raw)
                run = beam_job_api_pb2.RunJobRequest(preparation_id=prepared.preparation_id).SerializeToString()
                codes[("Run(prepared)", call(channels[endpoint], JOB + "Run", "unary", [run], timeout).name)] += 1
                code = grpc.StatusCode.OK
            except grpc.RpcError as error:
                code = error.code()
        else:
            code = call(channels[endpoint], path, kind, payloads, timeout)
        codes[(path.rsplit("/", 1)[-1], code.name)] += 1
    for channel in channels.values():
        channel.close()
    return codes


def fn_endpoint_of(server):
    """The Fn API server's endpoint, from the log (it starts with the first job)."""
    for line in server.log_lines:
        match = re.search(r"endpoint=(\S+:\d+).*Fn API server listening", line)
        if match:
            return match.group(1)
    raise RuntimeError("the Fn API server has not started")


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from job_server import DEFAULT_BINARY, JobServer, portable_options

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = JobServer(args.binary, folder, log_level="info")
        try:
            with beam.Pipeline(options=beam.options.pipeline_options.PipelineOptions(
                    portable_options(server.endpoint))) as p:
                _ = p | beam.Create([1])
            started = time.time()
            codes = fuzz(server.endpoint, fn_endpoint_of(server), args.count, seed=args.seed)
            elapsed = time.time() - started
            for (method, code), n in sorted(codes.items()):
                print(f"{method:32} {code:20} {n}")
            alive = server.process.poll() is None
            print(f"{args.count} requests (seed {args.seed}) in {elapsed:.1f} s; server {'up' if alive else 'DOWN'}")
        finally:
            print("server exit code", server.stop())


if __name__ == "__main__":
    main()
