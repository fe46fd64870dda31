"""Writes the Beam model schema shipped in the apache-beam wheel as one
FileDescriptorSet (with its google/protobuf imports), so protoc can generate
Swift from it without .proto sources. Run with a Python that has apache-beam."""
import importlib
import sys

from google.protobuf import descriptor_pb2

MODULES = [
    "pipeline.v1.beam_runner_api",
    "pipeline.v1.endpoints",
    "pipeline.v1.external_transforms",
    "pipeline.v1.metrics",
    "pipeline.v1.schema",
    "pipeline.v1.standard_window_fns",
    "job_management.v1.beam_job_api",
    "job_management.v1.beam_artifact_api",
    "job_management.v1.beam_expansion_api",
    "fn_execution.v1.beam_fn_api",
    "fn_execution.v1.beam_provision_api",
]


def collect(file_descriptor, seen, ordered):
    """Depth-first so every file follows its imports, as protoc expects."""
    if file_descriptor.name in seen:
        return
    seen.add(file_descriptor.name)
    for dep in file_descriptor.dependencies:
        collect(dep, seen, ordered)
    proto = descriptor_pb2.FileDescriptorProto()
    file_descriptor.CopyToProto(proto)
    ordered.append(proto)


def main(out_path):
    seen, ordered = set(), []
    for name in MODULES:
        module = importlib.import_module(
            f"apache_beam.portability.api.org.apache.beam.model.{name}_pb2")
        collect(module.DESCRIPTOR, seen, ordered)
    file_set = descriptor_pb2.FileDescriptorSet(file=ordered)
    with open(out_path, "wb") as out:
        out.write(file_set.SerializeToString(deterministic=True))
    for proto in ordered:
        print(proto.name)


if __name__ == "__main__":
    main(sys.argv[1])
