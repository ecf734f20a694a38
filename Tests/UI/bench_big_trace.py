#!/usr/bin/env python3
"""Measures the trace view on the dataset's 50,000-span trace in headless Chromium.

    scripts/ui-env.sh >/dev/null && SPINDLE_BINARY=.build/release/spindle \
        .venv/bin/python Tests/UI/bench_big_trace.py [--runs 5]

Reports, over the runs: the time from navigation until the waterfall shows its first
rows (the trace fetched, parsed and laid out: "interactive"), the size of the trace's
JSON, the number of row elements in the DOM, and frame times while scrolling through
the whole trace. Figures, not assertions: nothing here fails on a slow machine.
"""
import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import conftest  # noqa: E402
import dataset  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCROLL_SCRIPT = """
const done = arguments[arguments.length - 1];
const scroller = document.querySelector('[data-testid="waterfall-scroll"]');
const frames = [];
let last = performance.now();
let steps = 0;
function step() {
  const now = performance.now();
  frames.push(now - last);
  last = now;
  if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1 || steps > 2000) {
    done({frames, steps, rows: document.querySelectorAll('[data-testid="span-row"]').length});
    return;
  }
  scroller.scrollTop += scroller.clientHeight;
  steps++;
  requestAnimationFrame(step);
}
requestAnimationFrame(step);
"""


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = conftest.Server()
    try:
        facts = dataset.load(server.otlp_http)
        while server.get_json("/api/spindle/search?limit=100").get("traces", [{}])[0].get("spanCount") != facts["big_spans"]:
            time.sleep(0.2)
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(conftest.CHROMEDRIVER), options=options)
        driver.set_script_timeout(300)
        opens, scroll_frames, rows = [], [], []
        try:
            for _ in range(args.runs):
                driver.get(server.http + "/search")
                WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#view > :not(.loading)"))
                started = time.perf_counter()
                driver.get(server.http + f"/trace/{facts['big_id']}")
                WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="span-row"]'))
                opens.append((time.perf_counter() - started) * 1000)
                result = driver.execute_async_script(SCROLL_SCRIPT)
                scroll_frames.extend(result["frames"][1:])
                rows.append(result["rows"])
        finally:
            driver.quit()
        size = len(__import__("urllib.request").request.urlopen(server.http + f"/api/spindle/traces/{facts['big_id']}").read())
        print(f"50,000-span trace, {args.runs} runs, trace JSON {size:,} bytes")
        print(f"  open until rows shown: p50 {statistics.median(opens):.0f} ms, max {max(opens):.0f} ms")
        print(f"  row elements in the DOM after scrolling to the end: max {max(rows)}")
        print(f"  scrolling a screen per frame through all spans ({len(scroll_frames)} frames): "
              f"frame p50 {percentile(scroll_frames, 50):.1f} ms, p99 {percentile(scroll_frames, 99):.1f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
