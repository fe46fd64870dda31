"""Runs Beam's trigger transcript tests (apache_beam/transforms/trigger_test.py:
TestStreamTranscriptTest and WeakTestStreamTranscriptTest, 18 cases each from
apache_beam/testing/data/trigger_transcripts.yaml) against beam-job-server and
compares the outcome with trigger_transcripts_known_failures.txt.

Each case is a streaming pipeline: a TestStream of elements, watermark and
processing-time advances into WindowInto(windowfn, trigger, accumulation mode,
allowed lateness) + GroupByKey / CombinePerKey, with a stateful DoFn checking
every pane (values, window, timestamp, early/late/final, index) after each step.

We start the server (`--job-port 0`); Beam's TestPipeline reads
`--test-pipeline-options` from the pytest command line.
Exit status: 0 when every test outside the known-failures list passes (or is
skipped by Beam), 1 otherwise. Prints the counts and what changed."""
import argparse
import os
import shlex
import sys
import tempfile

import apache_beam

from job_server import DEFAULT_BINARY, JobServer, portable_options
from suite_report import compare, run_pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SUITE = os.path.join(os.path.dirname(apache_beam.__file__), "transforms", "trigger_test.py")
CLASSES = ("TestStreamTranscriptTest", "WeakTestStreamTranscriptTest")
KNOWN_FAILURES = os.path.join(HERE, "trigger_transcripts_known_failures.txt")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--environment-type", default="LOOPBACK", choices=["LOOPBACK", "PROCESS"])
    parser.add_argument("-k", default=None, help="only tests matching this pytest expression")
    parser.add_argument("--timeout", default=120, type=int, help="seconds per test")
    parser.add_argument("--extra-options", default="",
                        help="more pipeline options for every test, e.g. '--sdk_worker_parallelism=2'")
    args = parser.parse_args()

    report = os.path.join(REPO, ".build", "trigger-transcripts-report.xml")
    with tempfile.TemporaryDirectory(prefix="bjs-artifacts-") as artifacts_dir:
        server = JobServer(args.binary, artifacts_dir, log_level="info")
        try:
            options = shlex.join(portable_options(server.endpoint, args.environment_type) + shlex.split(args.extra_options))
            finished = run_pytest([f"{SUITE}::{c}" for c in CLASSES], report, options, k=args.k, timeout=args.timeout)
        finally:
            if server.stop() != 0:
                print("beam-job-server did not shut down cleanly:\n" + "".join(server.log_lines[-30:]))
    title = "Trigger transcripts on beam-job-server" + (f" ({args.extra_options})" if args.extra_options else "")
    return compare(title, report, KNOWN_FAILURES, finished)


if __name__ == "__main__":
    sys.exit(main())
