"""Runs Beam's own portable-runner suite (prism_runner_test.PrismRunnerTest,
shipped in the apache-beam wheel) plus the tests it skips that we also want
(beam_suite_extras.py) against beam-job-server, and compares the outcome with
beam_suite_known_failures.txt.

Beam's suite starts the job-server binary itself with `--job_port PORT`; it
gets a wrapper that adds `--ephemeral --web-port 0`, so suite runs keep no job
history and never contend for port 8074, and `--max-bundle-attempts 4`, so a
streaming test whose assertion fails ends instead of retrying forever.
`--environment-type PROCESS` runs every harness through beam-boot.
Exit status: 0 when every test outside the known-failures list passes (or is
skipped by Beam), 1 otherwise. Prints the counts and what changed."""
import argparse
import os
import shlex
import sys
import tempfile

import apache_beam

from beam_suite_extras import EXTRA_TESTS
from job_server import BEAM_BOOT, isolated_binary
from suite_report import compare, run_pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SUITE = os.path.join(os.path.dirname(apache_beam.__file__), "runners", "portability", "prism_runner_test.py")
KNOWN_FAILURES = os.path.join(HERE, "beam_suite_known_failures.txt")
PROCESS_KNOWN_FAILURES = os.path.join(HERE, "beam_suite_process_known_failures.txt")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "beam-job-server"))
    parser.add_argument("--environment-type", default="LOOPBACK")
    parser.add_argument("-k", default=None, help="only tests matching this pytest expression")
    parser.add_argument("--extra-options", default="",
                        help="more pipeline options for every test, e.g. '--sdk_worker_parallelism=2'")
    parser.add_argument("--server-args", default="",
                        help="more beam-job-server flags, e.g. '--spark-master local-cluster[2,1,1024]'")
    parser.add_argument("--known-failures", action="append",
                        help=f"a known-failures file (repeatable; default {os.path.basename(KNOWN_FAILURES)}, "
                             f"with PROCESS also {os.path.basename(PROCESS_KNOWN_FAILURES)})")
    args = parser.parse_args()

    report = os.path.join(REPO, ".build", "beam-suite-report.xml")
    extras = [f"{os.path.join(HERE, 'beam_suite_extras.py')}::PrismRunnerExtrasTest::{name}" for name in EXTRA_TESTS]
    # Streaming jobs retry a failing bundle forever by default (as Dataflow does); the suite's
    # streaming tests whose assertions fail must fail, not hang until pytest's timeout.
    binary = isolated_binary(os.path.abspath(args.binary), tempfile.mkdtemp(prefix="beam-suite-"),
                             ["--max-bundle-attempts", "4", *shlex.split(args.server_args)])
    finished = run_pytest([f"{SUITE}::PrismRunnerTest", *extras], report,
               f"--prism_bin={binary} --environment_type={args.environment_type} "
               f"{environment_options(args.environment_type)} {args.extra_options}".strip(),
               k=args.k)
    harnesses = f"{args.environment_type} harnesses" if args.environment_type != "LOOPBACK" else ""
    settings = " ".join(filter(None, [harnesses, args.server_args, args.extra_options]))
    title = "Beam portable suite on beam-job-server" + (f" ({settings})" if settings else "")
    known = args.known_failures or [KNOWN_FAILURES] + ([PROCESS_KNOWN_FAILURES] if args.environment_type == "PROCESS" else [])
    return compare(title, report, known, finished)


def environment_options(kind):
    """PROCESS harnesses are beam-boot with this Python; the suite's test class passes these on."""
    if kind != "PROCESS":
        return ""
    variables = f"BEAM_PYTHON={sys.executable},PYTHONPATH={HERE}"
    return shlex.join([f"--environment_option=process_command={BEAM_BOOT}",
                       f"--environment_option=process_variables={variables}"])


if __name__ == "__main__":
    sys.exit(main())
