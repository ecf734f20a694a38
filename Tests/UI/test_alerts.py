"""The alerts view (/alerts) and the live span-metrics columns of /services.

The module starts its own `spindle serve --config FILE` with four alert rules over span
metrics (docs/alerts.md), evaluated every second, and sends it the dataset. Span metrics
count spans as they arrive, so the rules see the dataset at once, and each rule's window
(10 minutes) keeps seeing it for the whole module. What each rule must find, from the
dataset itself:
- payments-errors: 3 of the 12 payments requests fail, 25% > 5%, `for: 0s` -> firing.
- HOSTILE_RULE: the hostile service's only span fails, 100% > 50% -> firing.
- payments-latency: two of the 12 payments requests take 1.2 s, p99 > 500 ms, but
  `for: 1h` -> pending.
- inventory-errors: inventory never fails -> inactive.
States are waited for by polling the API with a generous guard; nothing asserts timing.
"""
import json
import re
import time
import urllib.parse

import pytest
from selenium.webdriver.common.by import By

import dataset
from conftest import UI, Server

HOSTILE_RULE = "<script>window.__xss=21</script>\"quoted\" 'single' <img src=x onerror=\"window.__xss=22\">"

RULES = [
    {"name": "inventory-errors", "service": "inventory", "error_rate": {"above": 0.05}, "window": "10m", "for": "0s"},
    {"name": HOSTILE_RULE, "service": dataset.XSS_SERVICE, "error_rate": {"above": 0.5}, "window": "10m", "for": "0s",
     "annotations": {"summary": HOSTILE_RULE}},
    {"name": "payments-latency", "service": "payments", "kind": "server", "latency": {"quantile": 0.99, "above": "500ms"},
     "window": "10m", "for": "1h"},
    {"name": "payments-errors", "service": "payments", "error_rate": {"above": 0.05}, "window": "10m", "for": "0s",
     "annotations": {"summary": "Payments are failing"}},
]
BEFORE_DATA = {rule["name"]: "inactive" for rule in RULES}
AFTER_DATA = {"inventory-errors": "inactive", HOSTILE_RULE: "firing", "payments-latency": "pending", "payments-errors": "firing"}
# Firing first, then pending, then the rest; the configuration's order within a state.
AFTER_DATA_ORDER = [HOSTILE_RULE, "payments-errors", "payments-latency", "inventory-errors"]

# Elements or attributes that only exist if a hostile string became markup (as test_xss.py).
INJECTED = "script:not([src]), iframe, object, embed, img:not([src^='/ui/']), [onerror], [onload], [onmouseover], [onclick]"
GUARD_SECONDS = 90


def tid(name, **attrs):
    return f'[data-testid="{name}"]' + "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())


def text(element):
    return element.get_attribute("textContent")


def write_config(directory, rules=RULES):
    """The rules as YAML: each rule a flow mapping, its strings JSON-quoted (valid YAML)."""
    path = directory / "spindle.yaml"
    lines = ["alerts:", "  evaluation_interval: 1s", "  rules:"] + [f"    - {json.dumps(rule)}" for rule in rules]
    path.write_text("\n".join(lines) + "\n")
    return path


def states(server):
    return {a["rule"]: a["state"] for a in server.get_json("/api/spindle/alerts")["alerts"]}


def wait_for_states(server, expected):
    deadline = time.monotonic() + GUARD_SECONDS
    while True:
        found = states(server)
        if found == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the alerts did not reach {expected} within {GUARD_SECONDS} s: {found}")
        time.sleep(0.2)


def send_checkouts(server):
    """Only the dataset's twelve checkout traces (3 fail in payments, 2 slow)."""
    builder = dataset.Builder()
    base = time.time_ns() - 60_000 * dataset.MS
    for i in range(12):
        dataset.checkout(builder, i, base + i * 1000 * dataset.MS)
    for request in builder.requests():
        dataset.post(server.otlp_http + "/v1/traces", request)


def rows(ui):
    return [(r.get_attribute("data-rule"), r.get_attribute("data-state")) for r in ui.all(tid("alert-row"))]


def row(ui, rule):
    return next(r for r in ui.all(tid("alert-row")) if r.get_attribute("data-rule") == rule)


def cell(row_element, name):
    return row_element.find_element(By.CSS_SELECTOR, tid(name))


@pytest.fixture(scope="module")
def alert_server(tmp_path_factory):
    s = Server(["--config", str(write_config(tmp_path_factory.mktemp("alerts")))], log_name="spindle-serve-alerts.log")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def alert_data(alert_server):
    """The whole dataset, sent once the rules are seen inactive; returns its facts."""
    wait_for_states(alert_server, BEFORE_DATA)
    facts = dataset.load(alert_server.otlp_http)
    wait_for_states(alert_server, AFTER_DATA)
    return facts


@pytest.fixture
def alert_ui(driver, alert_server):
    return UI(driver, alert_server)


@pytest.fixture(autouse=True)
def no_js_errors(driver):
    driver.get_log("browser")
    yield
    assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []
    assert driver.execute_script("return window.__xss === undefined")


# ---- the alerts view ----

def test_alerts_has_a_path_and_a_nav_entry(alert_ui, alert_server):
    ui = alert_ui
    ui.open("/compare")
    ui.driver.execute_script("window.__spindleMarker = 7")
    ui.driver.find_element(By.CSS_SELECTOR, '.topnav a[data-section="alerts"]').click()
    ui.wait_for(tid("alerts-page"))
    assert urllib.parse.urlparse(ui.driver.current_url).path == "/alerts"
    ui.wait_for('.topnav a.active[data-section="alerts"]')
    # The router changed the view in place.
    assert ui.driver.execute_script("return window.__spindleMarker") == 7
    # The path also answers the page when opened directly.
    ui.open("/alerts", ready=tid("alerts-table"))
    assert ui.driver.title == "Spindle"


def test_rules_are_listed_with_their_states_firing_first(alert_ui, alert_data):
    ui = alert_ui
    ui.open("/alerts", ready=tid("alert-row"))
    assert rows(ui) == [(rule, AFTER_DATA[rule]) for rule in AFTER_DATA_ORDER]
    assert [text(cell(r, "alert-rule")) for r in ui.all(tid("alert-row"))] == AFTER_DATA_ORDER
    assert [text(cell(r, "alert-state")) for r in ui.all(tid("alert-row"))] == ["firing", "firing", "pending", "inactive"]
    assert text(ui.wait_for(tid("alerts-summary"))) == "2 firing · 1 pending · 4 rules"
    # Firing is red, pending amber, inactive neutral.
    background = lambda rule: cell(row(ui, rule), "alert-state").value_of_css_property("background-color")
    assert background("payments-errors") == "rgba(214, 39, 40, 1)"
    assert background("payments-latency") == "rgba(245, 182, 66, 1)"
    assert background("inventory-errors") == "rgba(238, 241, 245, 1)"
    ui.screenshot("alerts")


def test_each_rule_shows_its_scope_window_value_and_message(alert_ui, alert_data, alert_server):
    ui = alert_ui
    ui.open("/alerts", ready=tid("alert-row"))
    answer = {a["rule"]: a for a in alert_server.get_json("/api/spindle/alerts")["alerts"]}

    errors = row(ui, "payments-errors")
    assert text(cell(errors, "alert-value")) == "0.25"
    message = text(cell(errors, "alert-message"))
    assert message == answer["payments-errors"]["message"]
    assert "(3 errors in 12 requests)" in message
    service = cell(errors, "alert-service")
    assert text(service) == "payments"
    assert urllib.parse.urlparse(service.find_element(By.TAG_NAME, "a").get_attribute("href")).path == "/services/payments"
    assert text(cell(errors, "alert-operation")) == "all"
    assert (text(cell(errors, "alert-window")), text(cell(errors, "alert-for"))) == ("10m", "0s")
    since = cell(errors, "alert-since")
    assert re.fullmatch(r"\d+[smhd] ago", text(since)), text(since)
    assert "last evaluated" in since.get_attribute("title")

    latency = row(ui, "payments-latency")
    assert (text(cell(latency, "alert-window")), text(cell(latency, "alert-for"))) == ("10m", "1h")
    value = answer["payments-latency"]["value"]
    assert value > 0.5
    assert float(text(cell(latency, "alert-value"))) == pytest.approx(value, rel=1e-3)
    assert re.fullmatch(r"\d+[smhd] ago", text(cell(latency, "alert-since")))

    quiet = row(ui, "inventory-errors")
    # Never active: no time to show.
    assert text(cell(quiet, "alert-since")) == "–"
    assert text(cell(quiet, "alert-value")) == "0"
    assert text(cell(quiet, "alert-message")) == answer["inventory-errors"]["message"]
    assert "0 errors in 12 requests" in text(cell(quiet, "alert-message"))


def test_hostile_rule_names_and_messages_are_text(alert_ui, alert_data):
    ui = alert_ui
    ui.open("/alerts", ready=tid("alert-row"))
    hostile = row(ui, HOSTILE_RULE)
    assert text(cell(hostile, "alert-rule")) == HOSTILE_RULE
    assert cell(hostile, "alert-rule").get_attribute("title") == HOSTILE_RULE
    assert dataset.XSS_SERVICE in text(cell(hostile, "alert-message"))
    service_link = cell(hostile, "alert-service").find_element(By.TAG_NAME, "a")
    assert service_link.get_attribute("title") == dataset.XSS_SERVICE
    assert urllib.parse.unquote(urllib.parse.urlparse(service_link.get_attribute("href")).path) == "/services/" + dataset.XSS_SERVICE
    assert ui.driver.find_elements(By.CSS_SELECTOR, INJECTED) == []
    assert ui.driver.execute_script("return window.__xss") is None


def test_the_list_refreshes_itself(driver, tmp_path):
    """A fresh server: the page opens on inactive rules and shows the firing one without a reload."""
    server = Server(["--config", str(write_config(tmp_path))], log_name="spindle-serve-alerts-refresh.log")
    try:
        ui = UI(driver, server)
        wait_for_states(server, BEFORE_DATA)
        ui.open("/alerts", ready=tid("alert-row"))
        assert rows(ui) == [(rule["name"], "inactive") for rule in RULES]
        assert text(ui.wait_for(tid("alerts-summary"))) == "0 firing · 0 pending · 4 rules"
        ui.driver.execute_script("window.__spindleMarker = 11")
        send_checkouts(server)
        ui.wait_until(lambda: ("payments-errors", "firing") in rows(ui),
                      "the page did not show payments-errors firing by itself", timeout=GUARD_SECONDS)
        assert ui.driver.execute_script("return window.__spindleMarker") == 11
        assert int(ui.wait_for(tid("alerts-page")).get_attribute("data-loads")) > 1
        # Only checkouts were sent: the hostile service has no requests, so its rule stays inactive.
        ui.wait_until(lambda: ("payments-latency", "pending") in rows(ui), "payments-latency did not turn pending", timeout=GUARD_SECONDS)
        assert rows(ui) == [("payments-errors", "firing"), ("payments-latency", "pending"),
                            ("inventory-errors", "inactive"), (HOSTILE_RULE, "inactive")]
    finally:
        server.stop()


def test_refresh_button_asks_again(alert_ui, alert_data):
    ui = alert_ui
    ui.open("/alerts", ready=tid("alert-row"))
    loads = int(ui.wait_for(tid("alerts-page")).get_attribute("data-loads"))
    ui.driver.find_element(By.CSS_SELECTOR, tid("alerts-refresh")).click()
    ui.wait_until(lambda: int(ui.wait_for(tid("alerts-page")).get_attribute("data-loads")) > loads, "the button did not refresh")
    assert rows(ui) == [(rule, AFTER_DATA[rule]) for rule in AFTER_DATA_ORDER]


def test_no_rules_shows_where_to_configure_them(driver, server):
    ui = UI(driver, server)
    empty = ui.open("/alerts", ready=tid("alerts-empty"))
    assert "No alert rules are configured." in text(empty)
    assert "docs/alerts.md" in text(empty)
    assert "spindle serve --config" in text(empty)
    assert ui.all(tid("alerts-table")) == []
    assert text(ui.wait_for(tid("alerts-summary"))) == "0 firing · 0 pending · 0 rules"


# ---- without span metrics ----

def test_without_span_metrics_alerts_say_so_and_services_drop_the_live_columns(driver):
    server = Server(["--span-metrics", "off"], log_name="spindle-serve-no-span-metrics.log")
    try:
        ui = UI(driver, server)
        box = ui.open("/alerts", ready=tid("alerts-unavailable"))
        # The browser logs the 404 answer, and that is all it logs.
        severe = [e["message"] for e in ui.driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert len(severe) == 1 and "/api/spindle/alerts " in severe[0] and "404" in severe[0], severe
        assert "span metrics are off" in text(box)
        assert "docs/alerts.md" in text(box)

        send_checkouts(server)
        deadline = time.monotonic() + GUARD_SECONDS
        while len(server.get_json("/api/spindle/search?limit=100")["traces"]) < 12:
            assert time.monotonic() < deadline, "the checkouts were not stored"
            time.sleep(0.2)
        ui.open("/services?range=1h", ready=tid("services-table"))
        payments = ui.wait_for(tid("service-row", service="payments"))
        ui.wait_until(lambda: "25%" in payments.text, "payments' stored error rate did not load")
        ui.wait_until(lambda: ui.all(".services-table .live") == [], "the live columns stayed without span metrics")
        assert ui.all(tid("live-note")) == []
        # One 404 told the page that span metrics are off; nothing else went wrong.
        severe = [e["message"] for e in ui.driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert len(severe) == 1 and "/api/spindle/span-metrics/window?" in severe[0] and "404" in severe[0], severe
    finally:
        server.stop()


# ---- the live columns of /services ----

def test_services_show_live_figures_from_span_metrics(alert_ui, alert_data, alert_server):
    ui = alert_ui
    ui.open("/services?range=1h", ready=tid("services-table"))
    note = ui.wait_for(tid("live-note"))
    assert "from span metrics (before sampling)" in text(note)
    headers = [text(th) for th in ui.all(".services-table th.live")]
    assert headers == ["Live rate", "Live error rate", "Live p99"]
    assert all("from span metrics (before sampling)" in th.get_attribute("title") for th in ui.all(".services-table th.live"))

    payments = ui.wait_for(tid("service-row", service="payments"))
    rate = payments.find_element(By.CSS_SELECTOR, tid("live-rate"))
    ui.wait_until(lambda: text(rate) != "…", "the live figures did not load")
    window = alert_server.get_json("/api/spindle/span-metrics/window?service=payments&kind=server&last=5m")
    # All twelve payments requests arrived within the last five minutes (30 slots of 10 s).
    assert (window["requests"], window["errors"]) == (12, 3)
    assert text(rate) == "0.040/s"
    assert text(payments.find_element(By.CSS_SELECTOR, tid("live-error-rate"))) == "25%"
    p99 = ui.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('/ui/lib/format.js').then((m) => done(m.formatDuration(arguments[0])));", window["p99Nanos"])
    assert text(payments.find_element(By.CSS_SELECTOR, tid("live-p99"))) == p99
    inventory = ui.wait_for(tid("service-row", service="inventory"))
    ui.wait_until(lambda: text(inventory.find_element(By.CSS_SELECTOR, tid("live-error-rate"))) != "…", "inventory did not load")
    assert text(inventory.find_element(By.CSS_SELECTOR, tid("live-error-rate"))) == "0%"
    ui.screenshot("services-live")
