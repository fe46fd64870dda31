"""The web UI in a real browser (headless Chromium through Selenium and
chromedriver, from Debian's packages): the job list, a finished job's graph
with its counts and stage outlines, a failed job's traceback, Cancel of a
running job, and signing in with the token over HTTPS. Screenshots go to .build/web-ui/ for review."""
import os
import shutil
import subprocess

import grpc
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.portability.api import beam_job_api_pb2_grpc
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from job_server import DEFAULT_BINARY, REPO, JobServer, free_port, portable_options, wait_for
from test_operations import run_wordcount, server  # noqa: F401  (the server fixture)

SCREENSHOTS = os.path.join(REPO, ".build", "web-ui")


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("the browser test needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver); "
                    "Scripts/test.sh installs them")
    options = Options()
    options.binary_location = chromium
    # Certificate errors ignored: the access test serves HTTPS with a self-signed certificate.
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,1100",
                 "--ignore-certificate-errors"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    yield driver
    driver.quit()


def until(driver, condition, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: condition(d))


class Boom(beam.DoFn):
    def process(self, element):
        raise ValueError("boom from the DoFn")


def test_the_job_pages_show_the_graph_counts_errors_and_cancel(server, browser):  # noqa: F811
    web = server()
    done_id = run_wordcount(web)

    failing = beam.Pipeline(options=PipelineOptions(portable_options(web.endpoint, "LOOPBACK")))
    _ = failing | beam.Create([1]) | beam.ParDo(Boom())
    failed = failing.run()
    with pytest.raises(Exception):
        failed.wait_until_finish()
    failed_id = failed._job_id

    streaming = beam.Pipeline(options=PipelineOptions(portable_options(web.endpoint, "LOOPBACK") + ["--streaming"]))
    _ = streaming | PeriodicImpulse(fire_interval=0.5) | beam.Map(lambda x: x)
    running = streaming.run()
    assert wait_for(lambda: running.state == PipelineState.RUNNING, 60), running.state
    try:
        # The list: three jobs, newest first, with their states.
        browser.get(web.web_url + "/")
        until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.job-row")) == 3)
        rows = browser.find_elements(By.CSS_SELECTOR, "tr.job-row")
        states = {row.get_attribute("data-job-id"): row.find_element(By.CSS_SELECTOR, "td.job-state").text for row in rows}
        assert states[done_id] == "DONE" and states[failed_id] == "FAILED" and states[running._job_id] == "RUNNING"
        assert rows[0].get_attribute("data-job-id") == running._job_id
        browser.save_screenshot(os.path.join(SCREENSHOTS, "jobs.png"))

        # A finished job: boxes with counts, a fused stage outlined, composites expand.
        browser.get(f"{web.web_url}/jobs/{done_id}")
        until(browser, lambda d: d.find_element(By.ID, "job-state").text == "DONE")
        box = until(browser, lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, "g.transform")
                                             if "WarnAndCount" in b.text), None))
        assert "in 5" in box.find_element(By.CSS_SELECTOR, ".counts").text, box.text
        assert browser.find_elements(By.CSS_SELECTOR, "rect.stage-outline")
        assert not browser.find_elements(By.ID, "cancel-button")
        collapsed = len(browser.find_elements(By.CSS_SELECTOR, "g.transform"))
        composite = browser.find_element(By.CSS_SELECTOR, "g.transform.composite.collapsed")
        composite.click()
        until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "g.transform")) > collapsed)
        metrics = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#user-metrics tr.metric-row"))
        assert "seen" in metrics[0].text and "5" in metrics[0].text
        until(browser, lambda d: any("user warning for" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".log-entry")))
        browser.save_screenshot(os.path.join(SCREENSHOTS, "job-done.png"))

        # A failed job shows the SDK's traceback.
        browser.get(f"{web.web_url}/jobs/{failed_id}")
        error = until(browser, lambda d: d.find_elements(By.ID, "job-error"))[0]
        assert "boom from the DoFn" in error.text and "Traceback" in error.text
        browser.save_screenshot(os.path.join(SCREENSHOTS, "job-failed.png"))

        # A running job: its workers and stages are listed, with Drain and Cancel; Cancel ends it.
        browser.get(f"{web.web_url}/jobs/{running._job_id}")
        until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#workers tr.worker-row"))
        until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#stages tr.stage-row"))
        browser.save_screenshot(os.path.join(SCREENSHOTS, "job-running.png"))
        assert until(browser, lambda d: d.find_elements(By.ID, "drain-button"))[0].text == "Drain"
        until(browser, lambda d: d.find_elements(By.ID, "cancel-button"))[0].click()
        until(browser, lambda d: d.find_element(By.ID, "job-state").text == "CANCELLED")
        assert wait_for(lambda: running.state == PipelineState.CANCELLED, 30), running.state
        browser.save_screenshot(os.path.join(SCREENSHOTS, "job-cancelled.png"))
    finally:
        if running.state not in (PipelineState.CANCELLED, PipelineState.DONE, PipelineState.FAILED):
            running.cancel()


BINARY = os.environ.get("BEAM_JOB_SERVER_BIN", DEFAULT_BINARY)


def test_a_browser_signs_in_with_the_token_over_https(tmp_path, browser):
    """--auth-token-file with --auth-loopback token and TLS: the page asks for the token, a wrong one
    is refused, the right one opens the jobs list, whose script reads the API with the session cookie."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    token = os.urandom(24).hex()
    (folder / "token").write_text(token + "\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    web = JobServer(BINARY, str(tmp_path / "artifacts"), log_level="info", web_port=free_port(), extra_args=[
        "--auth-token-file", str(folder / "token"), "--auth-loopback", "token", "--tls-job-port", "0",
        "--tls-cert-file", str(folder / "cert.pem"), "--tls-key-file", str(folder / "key.pem")])
    try:
        pipeline = beam.Pipeline()
        _ = pipeline | beam.Create([1]) | beam.Map(str)
        stub = beam_job_api_pb2_grpc.JobServiceStub(grpc.insecure_channel(web.endpoint))
        prepared = stub.Prepare(beam_job_api_pb2.PrepareJobRequest(pipeline=pipeline.to_runner_api(), job_name="signed-in"),
                                metadata=[("authorization", "Bearer " + token)], timeout=30)

        browser.get(web.web_url + "/")
        field = until(browser, lambda d: d.find_elements(By.NAME, "token"))[0]
        field.send_keys("not-the-server-token")
        field.submit()
        until(browser, lambda d: "not this server" in d.page_source)
        field = until(browser, lambda d: d.find_elements(By.NAME, "token"))[0]
        field.send_keys(token)
        field.submit()
        row = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.job-row"))[0]
        assert row.get_attribute("data-job-id") == prepared.preparation_id
        assert browser.current_url.startswith("https://")
        browser.save_screenshot(os.path.join(SCREENSHOTS, "signed-in.png"))
    finally:
        assert web.stop() == 0, "".join(web.log_lines[-50:])
