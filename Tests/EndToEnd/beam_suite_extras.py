"""Tests of Beam's FnApiRunnerTest that PrismRunnerTest (or FnApiRunnerTest
itself) skips, run on beam-job-server with PrismRunnerTest's setup:

- test_custom_window_type: a non-standard WindowFn with its own window coder;
- test_custom_merging_window: a custom merging WindowFn (merged by the SDK);
- test_teststream_pardo_timers: TestStream feeding event-time timers.

run_beam_suite.py runs exactly these (EXTRA_TESTS), in the same pytest call as
PrismRunnerTest; the class inherits every other Prism test, so don't run it whole."""
from apache_beam.runners.portability.fn_api_runner.fn_runner_test import FnApiRunnerTest
from apache_beam.runners.portability.prism_runner_test import PrismRunnerTest

EXTRA_TESTS = ("test_custom_window_type", "test_custom_merging_window", "test_teststream_pardo_timers")


def _unskipped(name):
    """FnApiRunnerTest's own implementation, without a @unittest.skip wrapper."""
    function = getattr(FnApiRunnerTest, name)
    return getattr(function, "__wrapped__", function)


class PrismRunnerExtrasTest(PrismRunnerTest):
    test_custom_window_type = _unskipped("test_custom_window_type")
    test_custom_merging_window = _unskipped("test_custom_merging_window")
    test_teststream_pardo_timers = _unskipped("test_teststream_pardo_timers")
