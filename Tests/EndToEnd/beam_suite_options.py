"""pytest plugin: the `--test-pipeline-options` option that Beam's own test
classes read. Beam defines it in a conftest.py that the apache-beam wheel does
not ship; load this with `-p beam_suite_options` (Tests/EndToEnd on PYTHONPATH)."""


def pytest_addoption(parser):
    parser.addoption("--test-pipeline-options", action="store", default=None,
                     help="Pipeline options for Beam's own test suites.")
