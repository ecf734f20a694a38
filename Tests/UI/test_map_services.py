"""The service map (/map) and the services pages (/services, /services/{name}).

Expectations are worked out from the dataset's own spans (dataset.build), not from the
API the pages call: which services call which, how often and how many of those calls
fail. Every page is opened with an explicit window (start/end around the dataset) so
rates are exact whatever the clock says.
"""
import collections
import urllib.parse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import dataset

WINDOW_SECONDS = 1000


def window(data):
    """start/end URL parameters: from 100 s before the dataset's first span, 1000 s long."""
    start = data["base_ns"] // 1_000_000 - 100_000
    return f"start={start}&end={start + WINDOW_SECONDS * 1000}"


@pytest.fixture(scope="module")
def truth(data):
    """Services, calls between services and operations, counted from the dataset's spans."""
    builder, _ = dataset.build(data["base_ns"] + 20 * 60 * 1000 * dataset.MS)
    service_of = {}
    spans = []
    for (service, _), group in builder.by_service.items():
        for span in group:
            service_of[(span["traceId"], span["spanId"])] = service
            spans.append((service, span))
    calls = collections.Counter()
    errors = collections.Counter()
    server_ops = collections.defaultdict(collections.Counter)
    for service, span in spans:
        if span["kind"] == dataset.SERVER:
            server_ops[service][span["name"]] += 1
        parent = service_of.get((span["traceId"], span.get("parentSpanId")))
        if parent is not None and parent != service:
            calls[(parent, service)] += 1
            if span["status"]["code"] == 2:
                errors[(parent, service)] += 1
    return {"services": set(service_of.values()), "calls": calls, "errors": errors, "server_ops": server_ops}


def format_rate(per_second):
    """lib/format.js formatRate."""
    if per_second >= 100:
        return f"{round(per_second)}/s"
    return f"{per_second:.1f}/s" if per_second >= 1 else f"{per_second:.3f}/s"


def format_percent(ratio):
    """lib/format.js formatPercent."""
    p = ratio * 100
    if p >= 10 or p == 0:
        text = f"{p:.1f}"
        return (text[:-2] if text.endswith(".0") else text) + "%"
    return f"{p:.2f}%"


def tid(name, **attrs):
    """A CSS selector for a data-testid and data- attributes."""
    return f'[data-testid="{name}"]' + "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())


def text(element):
    return element.get_attribute("textContent")


def query(driver):
    return urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)


@pytest.fixture(autouse=True)
def no_js_errors(ui):
    ui.js_errors()
    yield
    assert ui.js_errors() == []
    assert ui.driver.execute_script("return window.__xss === undefined")


# ---- the map ----

def test_map_shows_exactly_the_services_and_calls(ui, data, truth):
    ui.open(f"/map?{window(data)}", ready=tid("map-node"))
    nodes = [n.get_attribute("data-service") for n in ui.all(tid("map-node"))]
    assert sorted(nodes) == sorted(truth["services"])
    edges = [(e.get_attribute("data-parent"), e.get_attribute("data-child")) for e in ui.all(tid("map-edge"))]
    assert sorted(edges) == sorted(truth["calls"])
    assert set(data["edges"]) <= set(edges)
    labels = [(e.get_attribute("data-parent"), e.get_attribute("data-child")) for e in ui.all(tid("map-edge-label"))]
    assert sorted(labels) == sorted(edges)
    # Hostile names are text: the node carries the exact name and nothing ran.
    assert data["xss"]["service"] in nodes
    assert len(ui.all(f'{tid("service-map")} img, {tid("service-map")} script')) == 0
    ui.screenshot("map")


def test_map_edge_labels_show_rate_errors_and_p95(ui, data, truth):
    ui.open(f"/map?{window(data)}", ready=tid("map-edge-label"))
    labels = {(e.get_attribute("data-parent"), e.get_attribute("data-child")): text(e) for e in ui.all(tid("map-edge-label"))}
    for (parent, child), count in truth["calls"].items():
        content = labels[(parent, child)]
        assert format_rate(count / WINDOW_SECONDS) in content, (parent, child, content)
        assert format_percent(truth["errors"][(parent, child)] / count) + " err" in content, (parent, child, content)
        assert "p95 " in content
    # The failing call: 3 of 12 api -> payments calls fail, two of the twelve take 1.2 s.
    assert truth["calls"][("api", "payments")] == 12 and truth["errors"][("api", "payments")] == 3
    label = ui.driver.find_element(By.CSS_SELECTOR, tid("map-edge-label", parent="api", child="payments"))
    assert "0.012/s" in text(label) and "25% err" in text(label) and "p95 1.2 s" in text(label)
    assert text(label.find_element(By.CSS_SELECTOR, ".map-error")) == "25% err"
    # One bulk call in 110 fails.
    label = ui.driver.find_element(By.CSS_SELECTOR, tid("map-edge-label", parent="bulk-0", child="bulk-2"))
    assert "0.91% err" in text(label)
    clean = ui.driver.find_element(By.CSS_SELECTOR, tid("map-edge-label", parent="frontend", child="api"))
    assert "0% err" in text(clean) and not clean.find_elements(By.CSS_SELECTOR, ".map-error")


def test_clicking_a_service_opens_its_operations(ui, data, truth):
    ui.open(f"/map?{window(data)}", ready=tid("map-node"))
    assert not ui.all(tid("map-service-panel"))
    ui.driver.find_element(By.CSS_SELECTOR, tid("map-node", service="api")).click()
    panel = ui.wait_for(tid("map-service-panel"))
    assert panel.get_attribute("data-service") == "api"
    assert query(ui.driver)["service"] == ["api"]
    ui.wait_for(tid("map-operation"))
    rows = {r.get_attribute("data-operation"): r for r in ui.all(tid("map-operation"))}
    assert set(rows) == set(truth["server_ops"]["api"]) == {"POST /api/orders", "lookup"}
    assert "12" in rows["POST /api/orders"].text
    link = rows["POST /api/orders"].find_element(By.TAG_NAME, "a")
    target = urllib.parse.urlparse(link.get_attribute("href"))
    assert target.path == "/services/api"
    assert urllib.parse.parse_qs(target.query)["operation"] == ["POST /api/orders"]
    assert panel.find_element(By.CSS_SELECTOR, tid("map-search-link")).get_attribute("href").endswith("/search?service=api")
    assert ui.driver.find_element(By.CSS_SELECTOR, tid("map-node", service="api")).get_attribute("class").split().count("selected") == 1
    ui.screenshot("map-service-panel")

    # The URL restores the selection; the operation link opens the service page on it.
    ui.driver.refresh()
    panel = ui.wait_for(tid("map-service-panel"))
    assert panel.get_attribute("data-service") == "api"
    ui.wait_for(tid("map-operation", operation="lookup")).find_element(By.TAG_NAME, "a").click()
    ui.wait_for(tid("service-page"))
    assert urllib.parse.urlparse(ui.driver.current_url).path == "/services/api"
    assert Select(ui.wait_for(tid("service-operation-select"))).first_selected_option.get_attribute("value") == "lookup"


def test_clicking_a_call_shows_its_numbers(ui, data):
    ui.open(f"/map?{window(data)}", ready=tid("map-edge-label"))
    ui.driver.find_element(By.CSS_SELECTOR, tid("map-edge-label", parent="api", child="payments")).click()
    panel = ui.wait_for(tid("map-edge-panel"))
    assert (panel.get_attribute("data-parent"), panel.get_attribute("data-child")) == ("api", "payments")
    assert "3 (25%)" in panel.text
    assert query(ui.driver)["from"] == ["api"] and query(ui.driver)["to"] == ["payments"]
    panel.find_element(By.CSS_SELECTOR, ".map-panel-close").click()
    ui.wait_until(lambda: not ui.all(tid("map-edge-panel")), "the panel did not close")
    assert "from" not in query(ui.driver)


def test_range_select_puts_the_range_in_the_url(ui, data):
    ui.open(f"/map?{window(data)}", ready=tid("map-node"))
    select = Select(ui.wait_for(tid("range-select")))
    assert select.first_selected_option.get_attribute("value") == "custom"
    select.select_by_value("6h")
    ui.wait_until(lambda: query(ui.driver).get("range") == ["6h"], "the range did not reach the URL")
    assert "start" not in query(ui.driver)
    ui.wait_for(tid("map-node"))
    assert Select(ui.wait_for(tid("range-select"))).first_selected_option.get_attribute("value") == "6h"


# ---- the services pages ----

def test_services_table_lists_every_service(ui, data, truth):
    ui.open(f"/services?{window(data)}", ready=tid("services-table"))
    rows = {r.get_attribute("data-service"): r for r in ui.all(tid("service-row"))}
    assert set(rows) == truth["services"]
    payments = rows["payments"]
    ui.wait_until(lambda: "25%" in payments.text, "payments' error rate did not load")
    href = urllib.parse.urlparse(payments.find_element(By.TAG_NAME, "a").get_attribute("href"))
    assert href.path == "/services/payments"
    xss = rows[data["xss"]["service"]]
    assert urllib.parse.unquote(urllib.parse.urlparse(xss.find_element(By.TAG_NAME, "a").get_attribute("href")).path) \
        == "/services/" + data["xss"]["service"]
    ui.screenshot("services")


def test_service_page_charts_histogram_and_examples(ui, data, truth, server):
    ui.open(f"/services/payments?operation=charge&{window(data)}", ready=tid("service-page"))
    assert Select(ui.wait_for(tid("service-operation-select"))).first_selected_option.get_attribute("value") == "charge"
    for name in ("chart-rate", "chart-errors", "chart-latency"):
        chart = ui.wait_for(tid(name))
        assert chart.find_elements(By.CSS_SELECTOR, "svg .chart-lines > *"), name
    latency_series = ui.driver.find_elements(By.CSS_SELECTOR, f'{tid("chart-latency")} .chart-legend-item')
    assert [s.text for s in latency_series] == ["p50", "p95", "p99"]

    histogram = ui.wait_for(tid("latency-histogram"))
    ui.wait_for(tid("histogram-bar"))
    counts = [int(b.get_attribute("data-count")) for b in ui.all(tid("histogram-bar"))]
    assert sum(counts) == truth["server_ops"]["payments"]["charge"] == 12

    slow = [a.get_attribute("href") for a in histogram.find_elements(By.CSS_SELECTOR, tid("example-trace"))]
    failing = [a.get_attribute("href") for a in histogram.find_elements(By.CSS_SELECTOR, tid("example-error-trace"))]
    assert slow and failing
    ids = lambda hrefs: [urllib.parse.urlparse(h).path.removeprefix("/trace/") for h in hrefs]
    assert set(ids(slow)) <= set(data["checkout_ids"])
    assert set(ids(failing)) <= set(data["checkout_error_ids"])
    for trace_id in set(ids(slow) + ids(failing)):
        assert server.get_json(f"/api/spindle/traces/{trace_id}")["resourceSpans"]
    slowest = histogram.find_element(By.CSS_SELECTOR, tid("slowest-trace"))
    assert ids([slowest.get_attribute("href")])[0] in data["checkout_slow_ids"]
    erroring = histogram.find_element(By.CSS_SELECTOR, tid("erroring-trace"))
    assert ids([erroring.get_attribute("href")])[0] in data["checkout_error_ids"]

    row = ui.wait_for(tid("operation-row", operation="charge"))
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2:5] == ["12", "3", "25%"]
    ui.screenshot("service-page")

    target = ids([slowest.get_attribute("href")])[0]
    slowest.click()
    ui.wait_until(lambda: urllib.parse.urlparse(ui.driver.current_url).path == f"/trace/{target}", "the example did not open")


def test_histogram_bar_selects_its_bucket(ui, data):
    ui.open(f"/services/payments?operation=charge&{window(data)}", ready=tid("histogram-bar"))
    bars = ui.all(tid("histogram-bar"))
    bars[-1].click()
    lower = bars[-1].get_attribute("data-lower")
    ui.wait_until(lambda: query(ui.driver).get("bucket") == [lower], "the bucket did not reach the URL")
    assert "selected" in ui.driver.find_element(By.CSS_SELECTOR, f'.buckets-table tr[data-lower="{lower}"]').get_attribute("class")
    ui.driver.refresh()
    ui.wait_for(tid("histogram-bar"))
    assert "selected" in ui.all(tid("histogram-bar"))[-1].get_attribute("class")


def test_operation_select_and_operations_table(ui, data, truth):
    ui.open(f"/services/frontend?{window(data)}", ready=tid("operations-table"))
    select = Select(ui.wait_for(tid("service-operation-select")))
    assert select.first_selected_option.get_attribute("value") == ""
    options = [o.get_attribute("value") for o in select.options]
    assert options[0] == "" and set(options[1:]) == set(truth["server_ops"]["frontend"])
    rows = {r.get_attribute("data-operation") for r in ui.all(tid("operation-row"))}
    assert rows == set(truth["server_ops"]["frontend"])
    select.select_by_value("GET /checkout")
    ui.wait_until(lambda: query(ui.driver).get("operation") == ["GET /checkout"], "the operation did not reach the URL")
    row = ui.wait_for(tid("operation-row", operation="GET /checkout"))
    assert "selected" in row.get_attribute("class")
    assert query(ui.driver)["start"]


def test_histogram_of_an_operation_with_a_space(ui, data, truth):
    ui.open(f"/services/frontend?operation={urllib.parse.quote('GET /checkout')}&{window(data)}", ready=tid("service-page"))
    ui.wait_for(tid("histogram-bar"), timeout=5)
    counts = [int(b.get_attribute("data-count")) for b in ui.all(tid("histogram-bar"))]
    assert sum(counts) == truth["server_ops"]["frontend"]["GET /checkout"] == 12


def test_hostile_service_page_is_text(ui, data):
    name = data["xss"]["service"]
    ui.open(f"/services/{urllib.parse.quote(name, safe='')}?{window(data)}", ready=tid("service-page"))
    page = ui.wait_for(tid("service-page"))
    assert page.get_attribute("data-service") == name
    assert name in page.find_element(By.TAG_NAME, "h1").get_attribute("title")
    assert not page.find_elements(By.CSS_SELECTOR, "h1 img, h1 script")
