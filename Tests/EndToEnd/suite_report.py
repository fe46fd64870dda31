"""Reads a pytest JUnit XML report of one of Beam's suites and compares it with
a known-failures file (used by run_beam_suite.py and run_trigger_transcripts.py).

Known-failures format: one test per line, `#` starts a comment. An entry is
`Class::test_name` for one class, or a bare `test_name` for that test in any class."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


INTERNAL_ERROR = 3  # pytest's exit status when pytest itself crashed


def run_pytest(node_ids, report, pipeline_options, k=None, timeout=300):
    """Runs Beam's tests `node_ids` with `--test-pipeline-options`, writing a JUnit report.
    When pytest itself crashes (INTERNALERROR: CPython 3.11 has crashed formatting a
    timed-out test's traceback), the tests the report does not have run once more and
    their results are merged in. Returns False if pytest crashed again."""
    if os.path.exists(report):
        os.remove(report)
    status = _pytest(node_ids, report, pipeline_options, k, timeout)
    if status != INTERNAL_ERROR:
        return True
    done = sorted(outcomes(report)) if os.path.exists(report) else []
    print(f"pytest crashed (INTERNALERROR) after {len(done)} tests; running the rest again", flush=True)
    files = {node.split("::")[1]: node.split("::")[0] for node in node_ids if "::" in node}
    deselect = [f"--deselect={files[name.split('::')[0]]}::{name}" for name in done if name.split("::")[0] in files]
    rest = report + ".rest.xml"
    status = _pytest(node_ids, rest, pipeline_options, k, timeout, deselect)
    _merge(report, rest)
    return status != INTERNAL_ERROR


def _merge(report, rest):
    """Appends `rest`'s test cases to `report` (either may be missing)."""
    if not os.path.exists(rest):
        return
    if not os.path.exists(report):
        os.replace(rest, report)
        return
    tree = ElementTree.parse(report)
    suite = next(tree.getroot().iter("testsuite"), tree.getroot())
    for case in ElementTree.parse(rest).iter("testcase"):
        suite.append(case)
    tree.write(report)
    os.remove(rest)


def _pytest(node_ids, report, pipeline_options, k, timeout, extra=()):
    command = [
        sys.executable, "-m", "pytest", *node_ids, "-p", "beam_suite_options", "-p", "no:cacheprovider",
        "--noconftest", "-q", f"--timeout={timeout}", f"--junitxml={report}",
        f"--test-pipeline-options={pipeline_options}", *extra,
    ]
    if k:
        command += ["-k", k]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(command, env=env, cwd=REPO, check=False).returncode


def known_failures(paths):
    """The entries of one known-failures file, or of several together."""
    entries = set()
    for path in [paths] if isinstance(paths, str) else paths:
        with open(path) as f:
            entries |= {line.split("#")[0].strip() for line in f if line.split("#")[0].strip()}
    return entries


def outcomes(report):
    """{"Class::test_name": "passed" | "failed" | "skipped"} from a JUnit XML report."""
    result = {}
    for case in ElementTree.parse(report).iter("testcase"):
        if not case.get("name"):
            continue  # what pytest writes for its own internal error, not a test
        name = case.get("classname", "").split(".")[-1] + "::" + case.get("name")
        if case.find("failure") is not None or case.find("error") is not None:
            result[name] = "failed"
        elif case.find("skipped") is not None:
            result[name] = "skipped"
        else:
            result[name] = "passed"
    return result


def compare(title, report, known_failures_paths, finished=True):
    """Prints counts and changes against the known failures; returns the exit status
    (1 when a test outside the known failures failed, nothing ran, or pytest crashed twice)."""
    results = outcomes(report) if os.path.exists(report) else {}
    expected = known_failures(known_failures_paths)

    def matches(entry):
        return [results[n] for n in results if entry in (n, n.split("::")[-1])]

    count = {kind: sum(1 for v in results.values() if v == kind) for kind in ("passed", "failed", "skipped")}
    regressions = sorted(n for n, v in results.items()
                         if v == "failed" and n not in expected and n.split("::")[-1] not in expected)
    fixed = sorted(e for e in expected if "passed" in matches(e) and "failed" not in matches(e))
    print(f"\n{title}: {count['passed']} passed, {count['failed']} failed, {count['skipped']} skipped "
          f"(known failures listed: {len(expected)})")
    for name in fixed:
        print(f"  now passing, remove from known failures: {name}")
    for name in regressions:
        print(f"  REGRESSION (fails, not a known failure): {name}")
    if not results:
        print("  no test ran")
    if not finished:
        print("  pytest crashed twice (INTERNALERROR): the results above are incomplete")
    return 1 if regressions or not results or not finished else 0
