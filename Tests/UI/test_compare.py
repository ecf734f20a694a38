"""The compare view, and the trace view's flame graph and statistics tabs.

Expectations come from Tests/UI/dataset.py: COMPARE_B adds cache.lookup, drops
legacy-discount, and its load-cart (so also its root, GET /cart) is slower; the checkout
traces' durations are fixed per position.
"""
import re
import urllib.parse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

MS = 1_000_000


def tid(name):
    return f'[data-testid="{name}"]'


def query(ui):
    return urllib.parse.parse_qs(urllib.parse.urlparse(ui.driver.current_url).query)


def changes(elements):
    """{change: sorted operations} of rows or nodes with data-change and data-operation."""
    out = {}
    for e in elements:
        out.setdefault(e.get_attribute("data-change"), []).append(e.get_attribute("data-operation"))
    return {k: sorted(v) for k, v in out.items()}


def expected_changes(data):
    return {
        "added": sorted(data["compare_added"]),
        "removed": sorted(data["compare_removed"]),
        "slower": sorted(data["compare_slower"]),
        "unchanged": ["pricing"],
    }


def compare_path(data, mode=None):
    path = f"/compare?a={data['compare_a']}&b={data['compare_b']}"
    return path + (f"&mode={mode}" if mode else "")


# The compare view


def test_the_compare_table_lists_exactly_the_added_removed_and_slower_operations(ui, data):
    ui.js_errors()
    ui.open(compare_path(data))
    table = ui.wait_for(tid("compare-table"))
    rows = table.find_elements(By.CSS_SELECTOR, tid("compare-row"))
    assert changes(rows) == expected_changes(data)
    assert {r.get_attribute("data-service") for r in rows} == {"shop"}
    by_op = {r.get_attribute("data-operation"): r for r in rows}
    # load-cart went from 50 ms to 250 ms.
    delta = by_op["load-cart"].find_element(By.CSS_SELECTOR, tid("compare-delta"))
    assert delta.get_attribute("data-value") == str(200 * MS)
    assert delta.text == "+200 ms"
    assert "+400%" in by_op["load-cart"].text
    assert by_op["cache.lookup"].find_element(By.CSS_SELECTOR, tid("compare-delta")).text == "+2 ms"
    assert by_op["legacy-discount"].find_element(By.CSS_SELECTOR, tid("compare-delta")).text == "−10 ms"
    # Colors follow the change.
    colors = {op: r.find_element(By.CSS_SELECTOR, "td").value_of_css_property("background-color") for op, r in by_op.items()}
    assert len({colors["cache.lookup"], colors["legacy-discount"], colors["load-cart"], colors["pricing"]}) == 4
    counts = {c: ui.driver.find_element(By.CSS_SELECTOR, tid(f"compare-count-{c}")).get_attribute("data-count")
              for c in ("added", "removed", "slower", "faster", "unchanged")}
    assert counts == {"added": "1", "removed": "1", "slower": "2", "faster": "0", "unchanged": "1"}
    summary_a = ui.driver.find_element(By.CSS_SELECTOR, tid("compare-summary-a"))
    summary_b = ui.driver.find_element(By.CSS_SELECTOR, tid("compare-summary-b"))
    assert summary_a.find_element(By.CSS_SELECTOR, tid("compare-duration")).text == "100 ms"
    assert summary_b.find_element(By.CSS_SELECTOR, tid("compare-duration")).text == "300 ms"
    assert summary_a.find_element(By.CSS_SELECTOR, tid("compare-span-count")).text == "4"
    assert summary_b.find_element(By.CSS_SELECTOR, tid("compare-span-count")).text == "4"
    assert "GET /cart" in summary_a.text
    link = summary_b.find_element(By.CSS_SELECTOR, tid("compare-link-b"))
    assert urllib.parse.urlparse(link.get_attribute("href")).path == f"/trace/{data['compare_b']}"
    ui.screenshot("compare-table")
    assert ui.js_errors() == []


def test_only_changes_and_order_by_largest_change_live_in_the_url(ui, data):
    ui.js_errors()
    ui.open(compare_path(data))
    ui.wait_for(tid("compare-table"))
    ui.driver.find_element(By.CSS_SELECTOR, tid("compare-only-changed")).click()
    ui.wait_until(lambda: query(ui).get("changed") == ["1"], "the option did not reach the URL")
    rows = ui.all(f'{tid("compare-table")} {tid("compare-row")}')
    assert "unchanged" not in changes(rows)
    Select(ui.driver.find_element(By.CSS_SELECTOR, tid("compare-sort"))).select_by_value("delta")
    ui.wait_until(lambda: query(ui).get("sort") == ["delta"], "the order did not reach the URL")
    ui.driver.refresh()
    ui.wait_for(tid("compare-table"))
    rows = ui.all(f'{tid("compare-table")} {tid("compare-row")}')
    # Largest change first: +200 ms twice (tree order between them), then −10 ms, then +2 ms.
    assert [r.get_attribute("data-operation") for r in rows] == ["GET /cart", "load-cart", "legacy-discount", "cache.lookup"]
    assert ui.driver.find_element(By.CSS_SELECTOR, tid("compare-only-changed")).is_selected()
    assert ui.js_errors() == []


def test_the_merged_tree_marks_added_removed_and_slower_places(ui, data):
    ui.js_errors()
    ui.open(compare_path(data, "merged"))
    merged = ui.wait_for(tid("compare-merged"))
    nodes = merged.find_elements(By.CSS_SELECTOR, tid("compare-node"))
    assert changes(nodes) == expected_changes(data)
    depth = {n.get_attribute("data-operation"): n.get_attribute("data-depth") for n in nodes}
    assert depth == {"GET /cart": "0", "cache.lookup": "1", "legacy-discount": "1", "load-cart": "1", "pricing": "1"}
    by_op = {n.get_attribute("data-operation"): n for n in nodes}
    times = lambda op: by_op[op].find_element(By.CSS_SELECTOR, tid("compare-node-times")).text
    assert times("load-cart") == "A 50 ms → B 250 ms (+200 ms, +400%)"
    assert times("cache.lookup") == "B 2 ms"
    assert times("legacy-discount") == "A 10 ms"
    assert "removed" in by_op["legacy-discount"].text and "added" in by_op["cache.lookup"].text
    # Collapsing the root hides its children and says how many changed below it.
    by_op["GET /cart"].find_element(By.CSS_SELECTOR, ".compare-toggle").click()
    ui.wait_until(lambda: len(ui.all(f'{tid("compare-merged")} {tid("compare-node")}')) == 1, "collapsing did not hide the children")
    assert "3 changed inside" in ui.driver.find_element(By.CSS_SELECTOR, tid("compare-node")).text
    ui.screenshot("compare-merged")
    assert ui.js_errors() == []


def test_side_by_side_marks_the_rows_that_differ(ui, data):
    ui.js_errors()
    ui.open(compare_path(data))
    ui.wait_for(tid("compare-table"))
    ui.driver.find_element(By.CSS_SELECTOR, tid("compare-mode-side")).click()
    ui.wait_for(tid("compare-side"))
    assert query(ui).get("mode") == ["side"]
    side_a = ui.driver.find_element(By.CSS_SELECTOR, tid("compare-side-a"))
    side_b = ui.driver.find_element(By.CSS_SELECTOR, tid("compare-side-b"))
    rows_a = side_a.find_elements(By.CSS_SELECTOR, tid("compare-side-row"))
    rows_b = side_b.find_elements(By.CSS_SELECTOR, tid("compare-side-row"))
    assert [r.get_attribute("data-operation") for r in rows_a] == ["GET /cart", "load-cart", "pricing", "legacy-discount"]
    assert [r.get_attribute("data-operation") for r in rows_b] == ["GET /cart", "cache.lookup", "load-cart", "pricing"]
    assert changes(rows_a) == {"slower": ["GET /cart", "load-cart"], "removed": ["legacy-discount"], "unchanged": ["pricing"]}
    assert changes(rows_b) == {"slower": ["GET /cart", "load-cart"], "added": ["cache.lookup"], "unchanged": ["pricing"]}
    ui.screenshot("compare-side")
    # Back returns to the table, and the mode tab follows.
    ui.driver.back()
    ui.wait_for(tid("compare-table"))
    assert "mode" not in query(ui)
    assert ui.js_errors() == []


def test_the_form_navigates_and_refuses_what_is_not_an_id(ui, data):
    ui.js_errors()
    ui.open("/compare")
    ui.wait_for(tid("compare-a"))
    assert not ui.all(tid("compare-table"))
    ui.driver.find_element(By.CSS_SELECTOR, tid("compare-a")).send_keys("not-hex")
    ui.driver.find_element(By.CSS_SELECTOR, tid("compare-b")).send_keys(data["compare_b"])
    ui.driver.find_element(By.CSS_SELECTOR, tid("compare-submit")).click()
    problem = ui.wait_for(tid("compare-form-error"))
    assert "Trace A" in problem.text and "not a trace ID" in problem.text and "Trace B" not in problem.text
    assert urllib.parse.urlparse(ui.driver.current_url).query == ""
    box = ui.driver.find_element(By.CSS_SELECTOR, tid("compare-a"))
    box.clear()
    box.send_keys(data["compare_a"].upper(), Keys.ENTER)
    ui.wait_for(tid("compare-table"))
    assert query(ui) == {"a": [data["compare_a"]], "b": [data["compare_b"]]}
    assert len(ui.all(tid("compare-row"))) == 5
    assert ui.js_errors() == []


def test_a_missing_trace_is_named_and_a_bad_id_is_explained(ui, data):
    ui.js_errors()
    missing = "ffff0000000000000000000000000009"
    ui.open(f"/compare?a={data['compare_a']}&b={missing}")
    error = ui.wait_for(tid("compare-error"))
    assert error.text == f"Trace B ({missing}) was not found."
    assert not ui.all(tid("compare-table"))
    ui.open(f"/compare?a={missing}&b={missing}")
    error = ui.wait_for(tid("compare-error"))
    assert f"Trace A ({missing}) was not found." in error.text and f"Trace B ({missing}) was not found." in error.text
    ui.open(f"/compare?a=xyz&b={data['compare_b']}")
    error = ui.wait_for(tid("compare-error"))
    assert "Trace A" in error.text and "not a trace ID" in error.text
    ui.open(f"/compare?a={data['compare_a']}")
    error = ui.wait_for(tid("compare-error"))
    assert error.text == "Enter the ID of trace B."
    # 404 answers are expected console entries here; nothing else may fail.
    assert [e for e in ui.js_errors() if "404" not in e["message"]] == []


# The flame graph


def open_tab(ui, trace_id, view, ready):
    ui.open(f"/trace/{trace_id}?view={view}")
    return ui.wait_for(tid(ready), timeout=60)


def test_the_flame_graph_draws_every_span_of_a_checkout_trace(ui, data):
    ui.js_errors()
    trace_id = data["checkout_ids"][1]
    graph = open_tab(ui, trace_id, "flame", "flame-graph")
    assert graph.get_attribute("data-node-count") == str(data["checkout_spans"])
    canvas = graph.find_element(By.CSS_SELECTOR, tid("flame-canvas"))
    # Five levels deep, 20 px each; the device-pixel ratio scales the bitmap.
    assert canvas.size["height"] == 5 * 20
    ratio = ui.driver.execute_script("return window.devicePixelRatio")
    assert canvas.get_attribute("width") == str(round(canvas.size["width"] * ratio))
    assert ui.driver.execute_script(
        "const c = arguments[0]; const d = c.getContext('2d').getImageData(5, 5, 1, 1).data; return d[3]", canvas) == 255
    tooltip = graph.find_element(By.CSS_SELECTOR, tid("flame-tooltip"))
    assert not tooltip.is_displayed()

    def at(fraction, row):
        """A pointer offset (from the canvas's center, as Selenium counts) at a fraction of the trace's time and a row."""
        size = canvas.size
        return round(size["width"] * fraction - size["width"] / 2), row * 20 + 10 - size["height"] // 2

    # The root fills the top row: hover it, then click it.
    ActionChains(ui.driver).move_to_element_with_offset(canvas, *at(0.05, 0)).perform()
    ui.wait_until(tooltip.is_displayed, "hovering the root showed no tooltip")
    assert "frontend" in tooltip.text and "GET /checkout" in tooltip.text
    # 190 ms long; its children (POST /api/orders, render) cover 160 ms of it.
    assert re.search(r"Duration\s+190 ms", tooltip.text) and re.search(r"Self time\s+30 ms", tooltip.text)
    ActionChains(ui.driver).move_to_element_with_offset(canvas, *at(0.05, 0)).click().perform()
    root_span = f"{1 * 11 + 1:016x}"
    ui.wait_until(lambda: query(ui).get("span") == [root_span], "clicking the root did not select it")
    reset = graph.find_element(By.CSS_SELECTOR, tid("flame-reset"))
    assert not reset.is_enabled()
    # Double-clicking the payments charge (row 4, 12 to 52 ms of 190) zooms into it; reset returns.
    ActionChains(ui.driver).move_to_element_with_offset(canvas, *at(32 / 190, 4)).double_click().perform()
    ui.wait_until(reset.is_enabled, "double-click did not zoom")
    assert "charge" in graph.find_element(By.CSS_SELECTOR, ".flame-range").text
    reset.click()
    ui.wait_until(lambda: not reset.is_enabled(), "reset did not zoom out")
    ui.screenshot("flame-checkout")
    assert ui.js_errors() == []


def test_the_flame_graph_of_the_50000_span_trace(ui, data):
    ui.js_errors()
    graph = open_tab(ui, data["big_id"], "flame", "flame-graph")
    assert graph.get_attribute("data-node-count") == str(data["big_spans"])
    canvas = graph.find_element(By.CSS_SELECTOR, tid("flame-canvas"))
    assert canvas.size["height"] == 3 * 20
    ui.screenshot("flame-big")
    assert ui.js_errors() == []


def test_the_flame_graph_draws_hostile_names_as_text(ui, data):
    ui.js_errors()
    graph = open_tab(ui, data["xss_id"], "flame", "flame-graph")
    assert graph.get_attribute("data-node-count") == "2"
    canvas = graph.find_element(By.CSS_SELECTOR, tid("flame-canvas"))
    ActionChains(ui.driver).move_to_element_with_offset(canvas, -canvas.size["width"] // 2 + 20, 10 - canvas.size["height"] // 2).perform()
    tooltip = ui.wait_for(tid("flame-tooltip"))
    assert data["xss"]["root_name"] in tooltip.text and data["xss"]["service"] in tooltip.text
    assert ui.driver.execute_script("return window.__xss") is None
    assert ui.js_errors() == []


# The statistics


def stats_rows(ui):
    return {(r.get_attribute("data-service"), r.get_attribute("data-operation")): r for r in ui.all(tid("stats-row"))}


def cell(row, name):
    element = row.find_element(By.CSS_SELECTOR, tid(name))
    return element.get_attribute("data-value"), element.text


def test_statistics_by_operation_and_by_service(ui, data):
    ui.js_errors()
    # Checkout 1 neither fails nor is slow: payments takes 40 ms.
    table = open_tab(ui, data["checkout_ids"][1], "stats", "trace-stats")
    rows = stats_rows(ui)
    assert len(rows) == 11
    assert set(rows) == {(s, n) for s, n, _ in data["checkout_order"]}
    # api POST /api/orders: 95 ms, of which charge (44 ms), reserve (20 ms) and SELECT (20 ms) cover 84.
    row = rows[("api", "POST /api/orders")]
    assert cell(row, "stats-count") == ("1", "1")
    assert cell(row, "stats-total") == (str(95 * MS), "95 ms")
    assert cell(row, "stats-self") == (str(11 * MS), "11 ms")
    assert cell(row, "stats-errors") == ("0", "0")
    # The root: 190 ms, its children cover 100 + 60 ms.
    assert cell(rows[("frontend", "GET /checkout")], "stats-self") == (str(30 * MS), "30 ms")
    ui.driver.find_element(By.CSS_SELECTOR, tid("stats-group-service")).click()
    ui.wait_until(lambda: query(ui).get("statsBy") == ["service"], "grouping did not reach the URL")
    rows = stats_rows(ui)
    assert set(rows) == {(s, None) for s in data["services"]}
    # api: its four spans (95 + 44 + 20 + 20 ms); self 11 + 4 + 2 + 2 ms.
    api = rows[("api", None)]
    assert cell(api, "stats-count") == ("4", "4")
    assert cell(api, "stats-total") == (str(179 * MS), "179 ms")
    assert cell(api, "stats-self") == (str(19 * MS), "19 ms")
    frontend = rows[("frontend", None)]
    assert cell(frontend, "stats-count") == ("4", "4")
    # 190 + 100 + 60 + 30 ms; self 30 + 5 + 30 + 30 ms.
    assert cell(frontend, "stats-total") == (str(380 * MS), "380 ms")
    assert cell(frontend, "stats-self") == (str(95 * MS), "95 ms")
    # The totals: count, total, self, average, max, errors. The spans nest without overlap, so
    # their self times add up to the root's 190 ms.
    totals = ui.driver.find_element(By.CSS_SELECTOR, tid("stats-totals"))
    values = [int(float(td.get_attribute("data-value"))) for td in totals.find_elements(By.CSS_SELECTOR, "td[data-value]")]
    assert values == [11, 635 * MS, 190 * MS, 635 * MS // 11, 190 * MS, 0]
    ui.screenshot("stats-by-service")
    assert ui.js_errors() == []


def test_statistics_count_errors_and_sort_by_a_column(ui, data):
    ui.js_errors()
    # Checkout 0 fails in payments: the payments charge and the root have an error status.
    open_tab(ui, data["checkout_ids"][0], "stats", "trace-stats")
    rows = stats_rows(ui)
    assert cell(rows[("payments", "charge")], "stats-errors")[0] == "1"
    assert cell(rows[("frontend", "GET /checkout")], "stats-errors")[0] == "1"
    assert cell(rows[("api", "charge")], "stats-errors")[0] == "0"
    header = ui.driver.find_element(By.CSS_SELECTOR, f'{tid("trace-stats")} th[data-sort="total"]')
    header.click()
    ui.wait_until(lambda: query(ui).get("statsSort") == ["total:desc"], "sorting did not reach the URL")
    header = ui.driver.find_element(By.CSS_SELECTOR, f'{tid("trace-stats")} th[data-sort="total"]')
    assert header.get_attribute("aria-sort") == "descending"
    totals = [int(r.find_element(By.CSS_SELECTOR, tid("stats-total")).get_attribute("data-value")) for r in ui.all(tid("stats-row"))]
    assert totals == sorted(totals, reverse=True)
    header.click()
    ui.wait_until(lambda: query(ui).get("statsSort") == ["total:asc"], "the second click did not reverse the order")
    totals = [int(r.find_element(By.CSS_SELECTOR, tid("stats-total")).get_attribute("data-value")) for r in ui.all(tid("stats-row"))]
    assert totals == sorted(totals)
    # Reopening the URL restores the order.
    ui.driver.refresh()
    ui.wait_for(tid("trace-stats"))
    header = ui.driver.find_element(By.CSS_SELECTOR, f'{tid("trace-stats")} th[data-sort="total"]')
    assert header.get_attribute("aria-sort") == "ascending"
    assert ui.js_errors() == []


def test_statistics_of_the_50000_span_trace(ui, data):
    ui.js_errors()
    ui.open(f"/trace/{data['big_id']}?view=stats&statsBy=service")
    ui.wait_for(tid("trace-stats"), timeout=60)
    rows = stats_rows(ui)
    assert set(rows) == {(s, None) for s in data["big_services"]}
    assert sum(int(cell(r, "stats-count")[0]) for r in rows.values()) == data["big_spans"]
    # One leaf in seven of every fiftieth chunk fails: 20 errors, all in leaves.
    assert sum(int(cell(r, "stats-errors")[0]) for r in rows.values()) == 20
    assert ui.js_errors() == []
