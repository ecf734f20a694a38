"""The search view: filters and TraceQL find exactly the dataset's traces, mistakes are
shown where they are, the address bar holds the search, and the scatter plot opens traces."""
import datetime
import urllib.parse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

TID = '[data-testid="{}"]'.format


@pytest.fixture(autouse=True)
def fresh_log(ui):
    """Each test judges only the console entries it caused."""
    ui.js_errors()


def all_ids(data):
    return set(data["checkout_ids"]) | {data["unique_id"], data["xss_id"], data["compare_a"], data["compare_b"], data["big_id"]}


def results(ui):
    """The trace IDs listed, once the search has answered."""
    ui.wait_for(TID("search-result-count"))
    return [row.get_attribute("data-trace-id") for row in ui.all(TID("trace-row"))]


def query(ui):
    """The current URL's query string as a dict of lists."""
    return urllib.parse.parse_qs(urllib.parse.urlparse(ui.driver.current_url).query)


def path(ui):
    return urllib.parse.urlparse(ui.driver.current_url).path


def select(ui, testid, value):
    Select(ui.wait_for(TID(testid))).select_by_value(value)


def choose_operation(ui, name):
    """Picks an operation once the list for the chosen service has loaded."""
    ui.wait_until(lambda: name in [o.get_attribute("value") for o in ui.all(f'{TID("search-operation")} option')],
                  f"operation {name!r} was not offered")
    select(ui, "search-operation", name)


def type_into(ui, testid, text, index=0):
    element = ui.all(TID(testid))[index]
    element.clear()
    element.send_keys(text)
    return element


def submit(ui):
    """Submits the form and waits for the new search's answer."""
    before = ui.driver.current_url
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-submit")).click()
    ui.wait_until(lambda: ui.driver.current_url != before, "submitting did not change the URL")
    return results(ui)


def search_requests(ui):
    return ui.driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => /\\/api\\/spindle\\/(search|traceql)/.test(e.name)).length")


def test_the_default_search_shows_the_last_hour_most_recent_first(ui, data):
    ui.open("/")
    ids = results(ui)
    assert set(ids) == all_ids(data)
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("search-result-count")).text == "17 traces"
    # Most recent first: the 50,000-span trace was started last, the first checkout first.
    assert ids[0] == data["big_id"] and ids[-1] == data["checkout_ids"][0]
    big = ui.driver.find_element(By.CSS_SELECTOR, f'{TID("trace-row")}[data-trace-id="{data["big_id"]}"]')
    assert big.find_element(By.CSS_SELECTOR, TID("trace-row-root")).text == "bulk-0: batch-job"
    assert big.find_element(By.CSS_SELECTOR, TID("trace-row-spans")).text == "50,000 spans"
    assert big.find_element(By.CSS_SELECTOR, TID("trace-row-duration")).text == "10 s"
    assert [c.text for c in big.find_elements(By.CSS_SELECTOR, TID("trace-row-service"))] == data["big_services"]
    assert big.find_element(By.CSS_SELECTOR, "a").get_attribute("href").endswith("/trace/" + data["big_id"])
    # One point per trace in the scatter plot.
    points = {p.get_attribute("data-trace-id") for p in ui.all(TID("scatter-point"))}
    assert points == all_ids(data)
    assert Select(ui.driver.find_element(By.CSS_SELECTOR, TID("search-range"))).first_selected_option.get_attribute("value") == "1h"
    ui.screenshot("search-default")
    assert ui.js_errors() == []


def test_service_and_operation_find_exactly_the_checkouts(ui, data):
    ui.open("/search")
    results(ui)
    services = [o.get_attribute("value") for o in ui.all(f'{TID("search-service")} option')]
    assert set(data["services"]) <= set(services)
    select(ui, "search-service", "frontend")
    choose_operation(ui, "GET /checkout")
    ids = submit(ui)
    assert sorted(ids) == sorted(data["checkout_ids"])
    assert query(ui)["service"] == ["frontend"] and query(ui)["operation"] == ["GET /checkout"]
    for row in ui.all(TID("trace-row")):
        trace_id = row.get_attribute("data-trace-id")
        assert row.find_element(By.CSS_SELECTOR, TID("trace-row-root")).text == "frontend: GET /checkout"
        assert row.find_element(By.CSS_SELECTOR, TID("trace-row-spans")).text == f'{data["checkout_spans"]} spans'
        assert [c.text for c in row.find_elements(By.CSS_SELECTOR, TID("trace-row-service"))] == data["services"]
        errors = [e.text for e in row.find_elements(By.CSS_SELECTOR, TID("trace-row-errors"))]
        # A failed checkout has two error spans (frontend's root and payments' charge).
        assert errors == (["2 errors"] if trace_id in data["checkout_error_ids"] else [])
        duration = row.find_element(By.CSS_SELECTOR, TID("trace-row-duration")).text
        assert duration == ("1.35 s" if trace_id in data["checkout_slow_ids"] else "190 ms")
    ui.screenshot("search-service-operation")
    assert ui.js_errors() == []


def test_an_attribute_filter_with_autocomplete_finds_the_one_trace(ui, data):
    key, value = data["unique_attr"]
    ui.open("/search")
    results(ui)
    # Keys of both scopes are offered, resource keys with their prefix.
    ui.wait_until(lambda: {"order.id", "resource.host.name"} <= set(
        ui.driver.execute_script("return [...document.querySelectorAll('#search-attr-keys option')].map(o => o.value)")),
        "attribute keys were not offered")
    key_input = type_into(ui, "search-attr-key", key)
    key_input.send_keys(Keys.TAB)
    list_id = ui.all(TID("search-attr-value"))[0].get_attribute("list")
    ui.wait_until(lambda: value in ui.driver.execute_script(
        "return [...document.getElementById(arguments[0]).options].map(o => o.value)", list_id),
        "the key's values were not offered")
    type_into(ui, "search-attr-value", value)
    ids = submit(ui)
    assert ids == [data["unique_id"]]
    assert query(ui)["attr"] == [f"{key}={value}"]
    # A resource attribute, with its prefix: every trace of the api service.
    ui.open("/search?" + urllib.parse.urlencode({"attr": "resource.host.name=host-api", "range": "all"}))
    assert sorted(results(ui)) == sorted(data["checkout_ids"])
    assert ui.all(TID("search-attr-key"))[0].get_attribute("value") == "resource.host.name"
    assert ui.js_errors() == []


def test_add_and_remove_attribute_rows(ui, data):
    ui.open("/search")
    results(ui)
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-attr-add")).click()
    assert len(ui.all(TID("search-attr-key"))) == 2
    type_into(ui, "search-attr-key", "http.status_code", index=0)
    type_into(ui, "search-attr-value", "500", index=0)
    type_into(ui, "search-attr-key", "enduser.id", index=1)
    type_into(ui, "search-attr-value", "user-4", index=1)
    assert submit(ui) == [data["checkout_ids"][4]]
    assert query(ui)["attr"] == ["http.status_code=500", "enduser.id=user-4"]
    ui.all(TID("search-attr-remove"))[1].click()
    assert len(ui.all(TID("search-attr-key"))) == 1
    assert sorted(submit(ui)) == sorted(data["checkout_error_ids"])
    assert query(ui)["attr"] == ["http.status_code=500"]
    assert ui.js_errors() == []


def test_a_minimum_duration_keeps_only_the_slow_traces(ui, data):
    ui.open("/search")
    results(ui)
    select(ui, "search-service", "frontend")
    type_into(ui, "search-min-duration", "1s")
    assert sorted(submit(ui)) == sorted(data["checkout_slow_ids"])
    assert query(ui)["minDuration"] == ["1s"]
    # And a maximum keeps the others.
    type_into(ui, "search-min-duration", "")
    choose_operation(ui, "GET /checkout")
    type_into(ui, "search-max-duration", "500ms")
    fast = set(data["checkout_ids"]) - set(data["checkout_slow_ids"])
    assert set(submit(ui)) == fast
    assert query(ui)["maxDuration"] == ["500ms"] and "minDuration" not in query(ui)
    assert ui.js_errors() == []


def test_an_invalid_duration_is_shown_and_nothing_is_searched(ui, data):
    ui.open("/search?service=frontend")
    results(ui)
    url = ui.driver.current_url
    requests = search_requests(ui)
    type_into(ui, "search-min-duration", "fast")
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-submit")).click()
    message = ui.wait_for(TID("search-duration-error"))
    assert "fast" in message.text and "100ms" in message.text
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("search-min-duration")).get_attribute("aria-invalid") == "true"
    assert ui.driver.current_url == url
    assert search_requests(ui) == requests
    # The minimum above the maximum is refused too.
    type_into(ui, "search-min-duration", "2s")
    type_into(ui, "search-max-duration", "1s")
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-submit")).click()
    assert "more than the maximum" in ui.wait_for(TID("search-duration-error")).text
    assert ui.driver.current_url == url and search_requests(ui) == requests
    ui.screenshot("search-invalid-duration")
    assert ui.js_errors() == []


def test_traceql_finds_the_failed_payments(ui, data):
    ui.open("/search")
    results(ui)
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-mode-traceql")).click()
    box = ui.wait_for(TID("search-traceql"))
    box.clear()
    q = '{ resource.service.name = "payments" && status = error }'
    box.send_keys(q)
    ids = submit(ui)
    assert sorted(ids) == sorted(data["checkout_error_ids"])
    assert query(ui)["mode"] == ["traceql"] and query(ui)["q"] == [q]
    for row in ui.all(TID("trace-row")):
        assert row.find_element(By.CSS_SELECTOR, TID("trace-row-matched-count")).text == "1 matched span"
        matched = [s.text for s in row.find_elements(By.CSS_SELECTOR, TID("trace-row-matched-span"))]
        assert len(matched) == 1 and matched[0].startswith("payments") and "charge" in matched[0] and "40 ms" in matched[0]
    # Reopening the URL shows the TraceQL box with the query and the same traces.
    ui.driver.refresh()
    assert sorted(results(ui)) == sorted(data["checkout_error_ids"])
    assert ui.wait_for(TID("search-traceql")).get_attribute("value") == q
    assert "active" in ui.driver.find_element(By.CSS_SELECTOR, TID("search-mode-traceql")).get_attribute("class")
    ui.screenshot("search-traceql")
    assert ui.js_errors() == []


def test_switching_to_traceql_starts_from_the_filters(ui, data):
    ui.open("/search?" + urllib.parse.urlencode({"service": "frontend", "operation": "GET /checkout", "minDuration": "1s"}))
    results(ui)
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-mode-traceql")).click()
    text = ui.wait_for(TID("search-traceql")).get_attribute("value")
    assert text == '{ resource.service.name = "frontend" && name = "GET /checkout" && duration >= 1000000000ns }'
    assert sorted(submit(ui)) == sorted(data["checkout_slow_ids"])
    assert ui.js_errors() == []


def test_a_traceql_syntax_error_is_shown_at_its_line_and_column(ui, data):
    q = '{ resource.service.name = "payments"\n  && status = }'
    ui.open("/search?" + urllib.parse.urlencode({"mode": "traceql", "q": q}))
    error = ui.wait_for(TID("search-traceql-error"))
    assert "line 2, column 15" in error.text
    assert 'expected a value after "="' in error.text
    # The line is repeated with a caret under column 15, and that character is selected.
    context = ui.driver.find_element(By.CSS_SELECTOR, TID("search-traceql-error-context")).get_attribute("textContent")
    assert context == "  && status = }\n" + " " * 14 + "^"
    box = ui.driver.find_element(By.CSS_SELECTOR, TID("search-traceql"))
    start, end = ui.driver.execute_script("return [arguments[0].selectionStart, arguments[0].selectionEnd]", box)
    assert q[start:end] == "}" and start == q.index("}")
    assert box.get_attribute("aria-invalid") == "true"
    assert ui.all(TID("trace-row")) == [] and ui.all(".error-box") == []
    ui.screenshot("search-traceql-syntax-error")
    # Editing the query clears the mark; fixing it finds the traces.
    box.send_keys(Keys.END, Keys.BACK_SPACE, "error }")
    assert not error.is_displayed()
    assert sorted(submit(ui)) == sorted(data["checkout_error_ids"])
    # The browser logs the 400 answer itself; nothing else went wrong.
    errors = ui.js_errors()
    assert [e["source"] for e in errors] == ["network"] and "/api/spindle/traceql?" in errors[0]["message"]
    assert "400" in errors[0]["message"]


def test_the_url_holds_the_whole_search(ui, data):
    params = [("service", "frontend"), ("operation", "GET /checkout"), ("kind", "server"), ("status", "error"),
              ("attr", "http.status_code>=500"), ("attr", "http.method=GET"), ("minDuration", "10ms"),
              ("maxDuration", "5s"), ("range", "24h"), ("limit", "2")]
    ui.open("/search?" + urllib.parse.urlencode(params))
    ids = results(ui)
    # The three failed checkouts, the two most recent of them.
    assert ids == [data["checkout_ids"][8], data["checkout_ids"][4]]
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("search-result-count")).text == "2 traces"

    def form_values():
        value = lambda testid, i=0: ui.all(TID(testid))[i].get_attribute("value")
        ui.wait_until(lambda: value("search-operation") == "GET /checkout", "the operation was not restored")
        return {
            "service": value("search-service"), "operation": value("search-operation"), "kind": value("search-kind"),
            "status": value("search-status"), "range": value("search-range"), "limit": value("search-limit"),
            "min": value("search-min-duration"), "max": value("search-max-duration"),
            "attrs": [(value("search-attr-key", i), value("search-attr-op", i), value("search-attr-value", i))
                      for i in range(len(ui.all(TID("search-attr-key"))))],
        }

    expected = {"service": "frontend", "operation": "GET /checkout", "kind": "server", "status": "error", "range": "24h",
                "limit": "2", "min": "10ms", "max": "5s",
                "attrs": [("http.status_code", ">=", "500"), ("http.method", "=", "GET")]}
    assert form_values() == expected
    # Submitting unchanged keeps the same URL state and the same traces; the back button returns.
    before = query(ui)
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-limit")).send_keys(Keys.BACK_SPACE, "3")
    assert submit(ui) == [data["checkout_ids"][i] for i in (8, 4, 0)]
    after = query(ui)
    assert after.pop("limit") == ["3"]
    before.pop("limit")
    assert after == before
    ui.driver.back()
    ui.wait_until(lambda: [r.get_attribute("data-trace-id") for r in ui.all(TID("trace-row"))] == ids,
                  "the back button did not restore the earlier search")
    assert form_values() == expected
    assert ui.js_errors() == []


def test_a_custom_time_range_comes_from_the_url_and_stays_exact(ui, data):
    start = data["base_ns"] // 1_000_000
    end = start + 95_000  # checkouts 0 to 3 start 30 s apart
    ui.open(f"/search?service=frontend&operation=GET%20/checkout&start={start}&end={end}")
    assert sorted(results(ui)) == sorted(data["checkout_ids"][:4])
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("search-range")).get_attribute("value") == "custom"
    local = lambda ms: datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%dT%H:%M")
    assert ui.wait_for(TID("search-start")).get_attribute("value") == local(start)
    assert ui.wait_for(TID("search-end")).get_attribute("value") == local(end)
    ui.driver.find_element(By.CSS_SELECTOR, TID("search-limit")).send_keys(Keys.BACK_SPACE, Keys.BACK_SPACE, "3")
    assert len(submit(ui)) == 3
    assert query(ui)["start"] == [str(start)] and query(ui)["end"] == [str(end)] and "range" not in query(ui)
    # A preset replaces the custom range.
    select(ui, "search-range", "all")
    assert not ui.driver.find_element(By.CSS_SELECTOR, TID("search-start")).is_displayed()
    submit(ui)
    assert query(ui)["range"] == ["all"] and "start" not in query(ui)
    assert ui.js_errors() == []


def test_no_match_says_so(ui, data):
    ui.open("/search?" + urllib.parse.urlencode({"attr": "order.id=NO-SUCH-ORDER"}))
    ui.wait_for(TID("search-result-count"))
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("search-result-count")).text == "0 traces"
    assert "No traces match" in ui.wait_for(TID("search-empty")).text
    assert ui.all(TID("trace-row")) == [] and ui.all(TID("scatter-point")) == []
    assert ui.js_errors() == []


def test_sorting_the_list_is_kept_in_the_url(ui, data):
    ui.open("/search?service=frontend&operation=GET%20/checkout")
    results(ui)
    select(ui, "search-sort", "longest")
    ids = [row.get_attribute("data-trace-id") for row in ui.all(TID("trace-row"))]
    assert set(ids[:2]) == set(data["checkout_slow_ids"])
    assert query(ui)["sort"] == ["longest"]
    ui.driver.refresh()
    assert set(results(ui)[:2]) == set(data["checkout_slow_ids"])
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("search-sort")).get_attribute("value") == "longest"
    assert ui.js_errors() == []


def test_a_scatter_point_opens_its_trace(ui, data):
    key, value = data["unique_attr"]
    ui.open("/search?" + urllib.parse.urlencode({"attr": f"{key}={value}"}))
    assert results(ui) == [data["unique_id"]]
    point = ui.wait_for(TID("scatter-point"))
    assert point.get_attribute("data-trace-id") == data["unique_id"]
    assert "frontend: GET /unique-page" in point.find_element(By.TAG_NAME, "title").get_attribute("textContent")
    assert ui.js_errors() == []
    point.click()
    ui.wait_until(lambda: path(ui) == "/trace/" + data["unique_id"], "clicking the point did not open the trace")


def test_two_picked_traces_are_compared(ui, data):
    ui.open("/search?service=shop")
    assert set(results(ui)) == {data["compare_a"], data["compare_b"]}
    button = ui.driver.find_element(By.CSS_SELECTOR, TID("search-compare"))
    assert not button.is_enabled()
    for trace_id in (data["compare_a"], data["compare_b"]):
        ui.driver.find_element(By.CSS_SELECTOR, f'{TID("trace-row")}[data-trace-id="{trace_id}"] {TID("trace-row-select")}').click()
    assert button.is_enabled()
    assert ui.js_errors() == []
    button.click()
    ui.wait_until(lambda: path(ui) == "/compare", "Compare did not open the comparison")
    assert query(ui) == {"a": [data["compare_a"]], "b": [data["compare_b"]]}


def test_the_scatter_plot_follows_the_window_width(ui, data):
    ui.open("/search?service=frontend")
    results(ui)
    width = lambda: int(ui.wait_for(TID("search-scatter")).get_attribute("width"))
    wide = width()
    size = ui.driver.get_window_size()
    try:
        ui.driver.set_window_size(1000, size["height"])
        ui.wait_until(lambda: width() < wide - 300, "the plot did not shrink with the window")
        assert len(ui.all(TID("scatter-point"))) == len(ui.all(TID("trace-row")))
    finally:
        ui.driver.set_window_size(size["width"], size["height"])
    ui.wait_until(lambda: width() == wide, "the plot did not grow back")
    assert ui.js_errors() == []
