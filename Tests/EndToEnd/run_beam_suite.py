"""Runs Beam's own portable-runner suite (prism_runner_test.PrismRunnerTest,
shipped in the apache-beam wheel) against beam-job-server and compares the
outcome with beam_suite_known_failures.txt.

Beam's suite starts the job-server binary itself with `--job_port PORT`.
Exit status: 0 when every test outside the known-failures list passes (or is
skipped by Beam), 1 otherwise. Prints the counts and what changed."""
import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import apache_beam

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SUITE = os.path.join(os.path.dirname(apache_beam.__file__), "runners", "portability", "prism_runner_test.py")
KNOWN_FAILURES = os.path.join(HERE, "beam_suite_known_failures.txt")


def known_failures():
    with open(KNOWN_FAILURES) as f:
        return {line.split("#")[0].strip() for line in f if line.split("#")[0].strip()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "beam-job-server"))
    parser.add_argument("--environment-type", default="LOOPBACK")
    parser.add_argument("-k", default=None, help="only tests matching this pytest expression")
    args = parser.parse_args()

    report = os.path.join(REPO, ".build", "beam-suite-report.xml")
    command = [
        sys.executable, "-m", "pytest", f"{SUITE}::PrismRunnerTest", "-p", "beam_suite_options",
        "-p", "no:cacheprovider", "-q", "--timeout=300", f"--junitxml={report}",
        f"--test-pipeline-options=--prism_bin={args.binary} --environment_type={args.environment_type}",
    ]
    if args.k:
        command += ["-k", args.k]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
    subprocess.run(command, env=env, cwd=REPO, check=False)

    passed, failed, skipped = [], [], []
    for case in ElementTree.parse(report).iter("testcase"):
        name = case.get("name")
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped.append(name)
        else:
            passed.append(name)
    expected = known_failures()
    regressions = sorted(set(failed) - expected)
    fixed = sorted(expected & set(passed))
    print(f"\nBeam portable suite on beam-job-server: {len(passed)} passed, {len(failed)} failed, "
          f"{len(skipped)} skipped (known failures listed: {len(expected)})")
    for name in fixed:
        print(f"  now passing, remove from known failures: {name}")
    for name in regressions:
        print(f"  REGRESSION (fails, not a known failure): {name}")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
