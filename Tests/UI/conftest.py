"""Fixtures of Spindle's browser tests.

One `spindle serve` (memory storage, ports chosen by the system) is started for the
session and loaded with Tests/UI/dataset.py; one headless Chromium, driven by Selenium
through Debian's chromedriver, visits it. Screenshots go to SPINDLE_UI_ARTIFACTS
(default .build/ui-artifacts), which is not committed.

The binary is SPINDLE_BINARY, or the debug build from `swift build --product spindle`.
SPINDLE_UI_DIR serves the UI from files instead of the binary's copy (`--ui-dir`), for
working on the UI without rebuilding.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import dataset  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = pathlib.Path(os.environ.get("SPINDLE_UI_ARTIFACTS", ROOT / ".build/ui-artifacts"))
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def spindle_binary():
    path = os.environ.get("SPINDLE_BINARY")
    if path:
        return path
    subprocess.run(["swift", "build", "--product", "spindle"], cwd=ROOT, check=True)
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, "spindle")


class Server:
    """A running `spindle serve` and the ports it bound.

    extra_args are added to the command line (`--config FILE`, say); log_name names its
    log under ARTIFACTS, so that a test's own server does not overwrite the session's."""

    def __init__(self, extra_args=(), log_name="spindle-serve.log"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / log_name
        self.log = open(self.log_path, "w")
        command = [spindle_binary(), "serve", "--storage", "memory", "--otlp-grpc-port", "0", "--otlp-http-port", "0",
                   "--zipkin-port", "0", "--http-port", "0", "--tempo-port", "0", *extra_args]
        if os.environ.get("SPINDLE_UI_DIR"):
            command += ["--ui-dir", os.environ["SPINDLE_UI_DIR"]]
        self.process = subprocess.Popen(
            command,
            stdout=self.log, stderr=subprocess.STDOUT)
        self.ports = self._wait_for_ports()
        self.http = f"http://127.0.0.1:{self.ports['http']}"
        self.otlp_http = f"http://127.0.0.1:{self.ports['otlp-http']}"

    def _wait_for_ports(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"spindle serve exited with {self.process.returncode}: {self.log_path.read_text()}")
            match = re.search(r"listening: (.*)", self.log_path.read_text())
            if match:
                return {name: int(port) for name, port in re.findall(r"([a-z-]+) [^,]*:(\d+)", match.group(1))}
            time.sleep(0.1)
        raise RuntimeError("spindle serve did not report its ports within 60 s")

    def get_json(self, path):
        with urllib.request.urlopen(self.http + path, timeout=30) as response:
            return json.load(response)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def data(server):
    """The dataset's facts, once every trace is stored whole."""
    facts = dataset.load(server.otlp_http)
    expected = {i: facts["checkout_spans"] for i in facts["checkout_ids"]}
    expected[facts["big_id"]] = facts["big_spans"]
    deadline = time.monotonic() + 60
    while True:
        summaries = server.get_json("/api/spindle/search?limit=100")["traces"]
        counts = {t["traceID"]: t["spanCount"] for t in summaries}
        if all(counts.get(tid) == n for tid, n in expected.items()) and len(counts) == 17:
            return facts
        if time.monotonic() > deadline:
            raise RuntimeError(f"the dataset was not stored within 60 s: {counts}")
        time.sleep(0.2)


class UI:
    """The browser, pointed at the server."""

    def __init__(self, driver, server):
        self.driver = driver
        self.server = server

    def url(self, path):
        return self.server.http + path

    def open(self, path, ready="#view > :not(.loading)"):
        """Loads a page and waits until the view has rendered something other than its loading state.

        The console entries of earlier pages are dropped first: they were earlier tests' to check."""
        self.driver.get_log("browser")
        self.driver.get(self.url(path))
        return self.wait_for(ready)

    def wait_for(self, css, timeout=20):
        """The first element matching css, once it is displayed."""
        def found(driver):
            for element in driver.find_elements(By.CSS_SELECTOR, css):
                if element.is_displayed():
                    return element
            return False
        return self._wait(timeout).until(found, f"nothing matching {css!r} appeared")

    def wait_until(self, condition, message, timeout=20):
        return self._wait(timeout).until(lambda d: condition(), message)

    def _wait(self, timeout):
        # The page replaces elements as answers arrive: one read mid-replacement is retried.
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,))

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def testid(self, name):
        return f'[data-testid="{name}"]'

    def screenshot(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def js_errors(self):
        """Severe console entries (uncaught exceptions, failed loads) since the last call."""
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]


@pytest.fixture(scope="session")
def driver():
    options = webdriver.ChromeOptions()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.add_argument("--disable-gpu")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--window-size=1400,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not os.path.exists(CHROMEDRIVER):
        pytest.fail(f"chromedriver not found at {CHROMEDRIVER}: run scripts/ui-env.sh (installs Debian's chromium and chromium-driver)")
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


@pytest.fixture(scope="session")
def ui(driver, server, data):
    return UI(driver, server)
