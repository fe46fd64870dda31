"""Tests of Beam's FnApiRunnerTest that PrismRunnerTest (or FnApiRunnerTest
itself) skips, run on beam-job-server with PrismRunnerTest's setup:

- test_custom_window_type: a non-standard WindowFn with its own window coder;
- test_custom_merging_window: a custom merging WindowFn (merged by the SDK);
- test_teststream_pardo_timers: TestStream feeding event-time timers;
- the four drain tests (test_sdf_default_truncate_when_bounded/_unbounded,
  test_sdf_with_truncate, test_draining_sdf_with_sdf_initiated_checkpointing),
  which Beam skips for every portable runner. FnApiRunner runs them with
  `is_drain=True`, draining from the start; here `create_pipeline(is_drain=True)`
  submits the pipeline and at once calls the Job API's Drain on it (the job is
  still STARTING, so it drains from its first bundle), and accepts DRAINED as
  the outcome, which Beam's PortableRunner result reports as a failure.

run_beam_suite.py runs exactly these (EXTRA_TESTS), in the same pytest call as
PrismRunnerTest; the class inherits every other Prism test, so don't run it whole."""
import apache_beam as beam
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.runners.portability.fn_api_runner.fn_runner_test import FnApiRunnerTest
from apache_beam.runners.portability.prism_runner_test import PrismRunnerTest
from apache_beam.runners.runner import PipelineState

DRAIN_TESTS = ("test_sdf_default_truncate_when_bounded", "test_sdf_default_truncate_when_unbounded",
               "test_sdf_with_truncate", "test_draining_sdf_with_sdf_initiated_checkpointing")
EXTRA_TESTS = ("test_custom_window_type", "test_custom_merging_window", "test_teststream_pardo_timers", *DRAIN_TESTS)


def _unskipped(name):
    """FnApiRunnerTest's own implementation, without a @unittest.skip wrapper."""
    function = getattr(FnApiRunnerTest, name)
    return getattr(function, "__wrapped__", function)


class PrismRunnerExtrasTest(PrismRunnerTest):
    test_custom_window_type = _unskipped("test_custom_window_type")
    test_custom_merging_window = _unskipped("test_custom_merging_window")
    test_teststream_pardo_timers = _unskipped("test_teststream_pardo_timers")
    test_sdf_default_truncate_when_bounded = _unskipped("test_sdf_default_truncate_when_bounded")
    test_sdf_default_truncate_when_unbounded = _unskipped("test_sdf_default_truncate_when_unbounded")
    test_sdf_with_truncate = _unskipped("test_sdf_with_truncate")
    test_draining_sdf_with_sdf_initiated_checkpointing = _unskipped("test_draining_sdf_with_sdf_initiated_checkpointing")

    def create_pipeline(self, is_drain=False):
        if not is_drain:
            return super().create_pipeline()
        return DrainingPipeline(self.get_runner(), self.create_options())


class DrainingPipeline(beam.Pipeline):
    """A pipeline whose job is drained as soon as it is submitted."""

    def run(self, test_runner_api="AUTO"):
        result = super().run(test_runner_api)
        if isinstance(result, DrainedResult):
            return result  # the round trip through the runner API ran a DrainingPipeline already
        result._job_service.Drain(beam_job_api_pb2.DrainJobRequest(job_id=result._job_id))
        return DrainedResult(result)


class DrainedResult:
    """A PortableRunner result for which DRAINED is the successful end."""

    def __init__(self, result):
        self._result = result

    def wait_until_finish(self, duration=None):
        try:
            self._result.wait_until_finish(duration)
        except RuntimeError:
            if self._result.state != PipelineState.DRAINED:
                raise
        if self._result.state != PipelineState.DRAINED:
            raise AssertionError(f"the drained job ended {self._result.state}, not DRAINED")
        return self._result.state

    def __getattr__(self, name):
        return getattr(self._result, name)
