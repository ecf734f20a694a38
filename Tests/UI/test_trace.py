"""The trace view: the waterfall shows a trace's spans exactly, in depth-first order, with
errors and the critical path marked; spans collapse and expand; the detail panel shows a
span's attributes, events, status and links; find-in-trace counts and reveals matches;
the URL holds the selected span; and a 50,000-span trace opens with only the rows on
screen in the DOM."""
import time
import urllib.parse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

TID = '[data-testid="{}"]'.format
ROW = TID("span-row")


def span_id(n):
    """The dataset numbers span IDs from 1 in the order it builds spans."""
    return f"{n:016x}"


def checkout_span(i, position):
    """The ID of checkout trace i's span at `position` (0-based) in build order."""
    return span_id(i * 11 + position + 1)


def query(ui):
    return urllib.parse.parse_qs(urllib.parse.urlparse(ui.driver.current_url).query)


def rows(ui):
    """(service, name, depth, span ID) of each row in the DOM, top to bottom."""
    return ui.driver.execute_script("""
        return [...document.querySelectorAll('[data-testid="span-row"]')]
          .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
          .map(r => [r.querySelector('[data-testid="span-service"]').textContent,
                     r.querySelector('[data-testid="span-name"]').textContent,
                     Number(r.dataset.depth), r.dataset.spanId]);""")


def row(ui, sid):
    return ui.wait_for(f'{ROW}[data-span-id="{sid}"]')


def open_trace(ui, path):
    ui.open(path)
    ui.wait_for(ROW)


def detail_attributes(ui, testid="span-attributes"):
    detail = ui.wait_for(TID("span-detail"))
    return {r.find_element(By.CSS_SELECTOR, TID("attr-key")).text: r.find_element(By.CSS_SELECTOR, TID("attr-value")).text
            for r in detail.find_elements(By.CSS_SELECTOR, f'{TID(testid)} {TID("attr-row")}')}


def test_a_checkout_trace_shows_exactly_its_spans_depth_first(ui, data):
    trace_id = data["checkout_error_ids"][0]
    open_trace(ui, f"/trace/{trace_id}")
    assert ui.wait_for(TID("trace-title")).text == "frontend: GET /checkout"
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("trace-span-count")).text == "11 spans"
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("trace-duration")).text == "190 ms"
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("trace-error-count")).text == "2 errors"
    shown = rows(ui)
    assert [(s, n, d) for s, n, d, _ in shown] == [tuple(x) for x in data["checkout_order"]]
    indexes = [int(r.get_attribute("data-index")) for r in ui.all(ROW)]
    assert sorted(indexes) == list(range(11))
    assert ui.all(TID("time-ruler")) and ui.all(f'{TID("minimap")} canvas')
    ui.screenshot("trace-checkout")
    assert ui.js_errors() == []


def test_error_spans_are_marked(ui, data):
    i = 0  # checkout 0 fails in payments; its root carries the error too
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}")
    marked = {r.get_attribute("data-span-id") for r in ui.all(ROW) if r.find_elements(By.CSS_SELECTOR, TID("span-error"))}
    assert marked == {checkout_span(i, 0), checkout_span(i, 4)}
    # A trace without errors marks none.
    open_trace(ui, f"/trace/{data['checkout_ids'][1]}")
    assert ui.all(TID("span-error")) == []
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("trace-error-count")).text == "0 errors"


def test_the_critical_path_is_highlighted_and_can_be_hidden(ui, data):
    open_trace(ui, f"/trace/{data['checkout_slow_ids'][0]}")
    root = row(ui, checkout_span(3, 0))
    ui.wait_until(lambda: root.find_elements(By.CSS_SELECTOR, TID("critical-segment")), "the root has no critical segments")
    # payments charge (1.2 s of a 1.33 s trace) is on the critical path; its bar holds a segment.
    assert row(ui, checkout_span(3, 4)).find_elements(By.CSS_SELECTOR, TID("critical-segment"))
    ui.driver.find_element(By.CSS_SELECTOR, f'{TID("critical-toggle")}').click()
    ui.wait_until(lambda: ui.all(TID("critical-segment")) == [], "hiding the critical path left segments")
    assert query(ui).get("critical") == ["0"]
    ui.driver.find_element(By.CSS_SELECTOR, f'{TID("critical-toggle")}').click()
    ui.wait_until(lambda: ui.all(TID("critical-segment")), "showing the critical path again drew nothing")


def test_clicking_a_span_shows_its_details(ui, data):
    i = 0
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}")
    payments = checkout_span(i, 4)
    row(ui, payments).find_element(By.CSS_SELECTOR, TID("span-name")).click()
    detail = ui.wait_for(TID("span-detail"))
    assert detail.find_element(By.CSS_SELECTOR, TID("span-detail-name")).text == "charge"
    assert detail.find_element(By.CSS_SELECTOR, TID("span-detail-service")).text == "payments"
    assert detail.find_element(By.CSS_SELECTOR, TID("span-detail-id")).text == payments
    assert detail_attributes(ui) == {"payment.amount": "42.5", "payment.currency": "EUR"}
    resource = detail_attributes(ui, "span-resource")
    assert resource == {"service.name": "payments", "service.version": "1.2.3", "host.name": "host-payments"}
    status = detail.find_element(By.CSS_SELECTOR, TID("span-status")).text
    assert "error" in status and "card declined" in status
    events = detail.find_elements(By.CSS_SELECTOR, TID("span-event"))
    assert len(events) == 1 and "exception" in events[0].text and "+18 ms" in events[0].text
    assert "CardDeclined" in events[0].text
    assert query(ui)["span"] == [payments]
    assert "selected" in row(ui, payments).get_attribute("class")
    ui.screenshot("trace-detail")
    # The parent link selects the parent in place.
    detail.find_element(By.CSS_SELECTOR, TID("span-parent")).click()
    ui.wait_until(lambda: query(ui).get("span") == [checkout_span(i, 3)], "the parent link did not select the parent")
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("span-detail-service")).text == "api"
    # Closing removes the panel and the span from the URL.
    ui.driver.find_element(By.CSS_SELECTOR, TID("span-detail-close")).click()
    ui.wait_until(lambda: ui.all(TID("span-detail")) == [], "the panel did not close")
    assert "span" not in query(ui)
    assert ui.js_errors() == []


def test_collapsing_hides_the_children_and_is_kept_in_the_url(ui, data):
    i = 2
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}")
    call = checkout_span(i, 1)  # frontend POST /api/orders: 7 spans below it
    row(ui, call).find_element(By.CSS_SELECTOR, TID("span-toggle")).click()
    ui.wait_until(lambda: len(ui.all(ROW)) == 4, "collapsing did not hide the 7 descendants")
    assert [n for _, n, _, _ in rows(ui)] == ["GET /checkout", "POST /api/orders", "render", "template"]
    assert query(ui)["collapsed"] == [call]
    # The URL restores it.
    ui.driver.refresh()
    ui.wait_for(ROW)
    ui.wait_until(lambda: len(ui.all(ROW)) == 4, "reloading lost the collapsed span")
    row(ui, call).find_element(By.CSS_SELECTOR, TID("span-toggle")).click()
    ui.wait_until(lambda: len(ui.all(ROW)) == 11, "expanding did not show the spans again")
    assert "collapsed" not in query(ui)
    ui.driver.find_element(By.CSS_SELECTOR, TID("collapse-all")).click()
    ui.wait_until(lambda: len(ui.all(ROW)) == 1, "collapse all left more than the root")
    ui.driver.find_element(By.CSS_SELECTOR, TID("expand-all")).click()
    ui.wait_until(lambda: len(ui.all(ROW)) == 11, "expand all did not show every span")


def test_the_keyboard_moves_collapses_and_opens(ui, data):
    i = 1
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}")
    scroller = ui.driver.find_element(By.CSS_SELECTOR, TID("waterfall-scroll"))
    row(ui, checkout_span(i, 0)).click()
    ui.wait_for(TID("span-detail"))
    scroller.send_keys(Keys.ARROW_DOWN)
    ui.wait_until(lambda: query(ui).get("span") == [checkout_span(i, 1)], "down did not select the next span")
    scroller.send_keys(Keys.ARROW_LEFT)
    ui.wait_until(lambda: len(ui.all(ROW)) == 4, "left did not collapse the span")
    scroller.send_keys(Keys.ARROW_RIGHT)
    ui.wait_until(lambda: len(ui.all(ROW)) == 11, "right did not expand the span")
    scroller.send_keys(Keys.ESCAPE)
    ui.wait_until(lambda: ui.all(TID("span-detail")) == [], "escape did not close the details")
    scroller.send_keys(Keys.ARROW_DOWN)
    scroller.send_keys(Keys.ENTER)
    ui.wait_until(lambda: query(ui).get("span") == [checkout_span(i, 2)], "enter did not open the span under the cursor")


def test_find_in_trace_counts_and_reveals_matches(ui, data):
    i = 5
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}")
    find = ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find"))
    count = ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find-count"))

    def search(text, expected):
        find.clear()
        find.send_keys(text)
        ui.wait_until(lambda: count.text == expected, f"{text!r}: expected {expected!r}, saw {count.text!r}")

    search("CHARGE", "2 matches")  # span names, case-insensitively
    assert {r.get_attribute("data-span-id") for r in ui.all(f"{ROW}.match")} == {checkout_span(i, 3), checkout_span(i, 4)}
    search("inventory", "1 match")  # a service
    search("eur", "1 match")  # an attribute value
    search("db.statement", "1 match")  # an attribute key
    search(checkout_span(i, 6), "1 match")  # a span ID
    search("no such thing", "0 matches")
    assert query(ui)["find"] == ["no such thing"]
    # Next expands the collapsed ancestors of a match and scrolls to it.
    search("template", "1 match")
    ui.driver.find_element(By.CSS_SELECTOR, TID("collapse-all")).click()
    ui.wait_until(lambda: len(ui.all(ROW)) == 1, "collapse all did not collapse")
    assert "match-hidden" in row(ui, checkout_span(i, 0)).get_attribute("class")
    ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find-next")).click()
    target = row(ui, checkout_span(i, 10))
    assert "match-current" in target.get_attribute("class")
    search("charge", "2 matches")
    ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find-prev")).click()
    ui.wait_until(lambda: "match-current" in row(ui, checkout_span(i, 4)).get_attribute("class"), "prev did not go to the last match")
    # The URL restores the search.
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}?find=charge")
    ui.wait_until(lambda: ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find-count")).text == "2 matches", "find= was not restored")
    assert ui.js_errors() == []


def test_a_span_in_the_url_opens_with_its_details(ui, data):
    i = 6
    target = checkout_span(i, 8)  # db SELECT orders, below a collapsed ancestor
    api = checkout_span(i, 2)
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}?span={target}&collapsed={api}")
    detail = ui.wait_for(TID("span-detail"))
    assert detail.find_element(By.CSS_SELECTOR, TID("span-detail-name")).text == "SELECT orders"
    assert detail_attributes(ui) == {"db.statement": "SELECT * FROM orders WHERE id = $1"}
    assert "selected" in row(ui, target).get_attribute("class")
    assert "collapsed" not in query(ui), "the selected span's ancestors were not expanded"


def test_a_link_opens_the_linked_trace_at_its_span(ui, data):
    open_trace(ui, f"/trace/{data['unique_id']}")
    ui.all(ROW)[1].click()
    link = ui.wait_for(TID("span-link"))
    target_trace, target_span = data["unique_link_target"], data["unique_link_span"]
    assert link.get_attribute("href").endswith(f"/trace/{target_trace}?span={target_span}")
    link.click()
    ui.wait_until(lambda: urllib.parse.urlparse(ui.driver.current_url).path == f"/trace/{target_trace}", "the link did not open its trace")
    ui.wait_until(lambda: ui.driver.find_element(By.CSS_SELECTOR, TID("span-detail-id")).text == target_span,
                  "the linked span is not selected")
    assert "selected" in row(ui, target_span).get_attribute("class")
    ui.driver.back()
    ui.wait_until(lambda: urllib.parse.urlparse(ui.driver.current_url).path == f"/trace/{data['unique_id']}", "back did not return")
    ui.wait_until(lambda: ui.driver.find_element(By.CSS_SELECTOR, TID("trace-title")).text == "frontend: GET /unique-page", "back did not render")


def test_tabs_switch_views_and_keep_the_selected_span(ui, data):
    i = 0
    sid = checkout_span(i, 4)
    open_trace(ui, f"/trace/{data['checkout_ids'][i]}?span={sid}")
    ui.driver.find_element(By.CSS_SELECTOR, TID("tab-flame")).click()
    ui.wait_for(TID("flame-graph"))
    assert query(ui)["view"] == ["flame"] and query(ui)["span"] == [sid]
    ui.driver.find_element(By.CSS_SELECTOR, TID("tab-stats")).click()
    ui.wait_for(TID("trace-stats"))
    assert query(ui)["view"] == ["stats"]
    ui.driver.back()
    ui.wait_for(TID("flame-graph"))
    ui.driver.find_element(By.CSS_SELECTOR, TID("tab-waterfall")).click()
    ui.wait_for(ROW)
    assert "view" not in query(ui)
    assert ui.wait_for(TID("span-detail-id")).text == sid
    assert ui.js_errors() == []


def test_the_minimap_zooms_the_timeline(ui, data):
    open_trace(ui, f"/trace/{data['checkout_slow_ids'][0]}")
    ruler = ui.driver.find_element(By.CSS_SELECTOR, TID("time-ruler"))
    before = ruler.text
    minimap = ui.driver.find_element(By.CSS_SELECTOR, TID("minimap"))
    width = minimap.size["width"]
    ActionChains(ui.driver).move_to_element_with_offset(minimap, -width // 2 + 5, 0).click_and_hold() \
        .move_by_offset(width // 10, 0).release().perform()
    ui.wait_until(lambda: ruler.text != before, "dragging on the minimap did not zoom the ruler")
    reset = ui.wait_for(TID("zoom-reset"))
    reset.click()
    ui.wait_until(lambda: ruler.text == before, "reset did not restore the whole trace")


def test_an_unknown_trace_says_so(ui):
    ui.open("/trace/00000000000000000000000000dead00")
    assert ui.wait_for(TID("trace-not-found")).text.startswith("Trace 00000000000000000000000000dead00 not found")
    # The only console entries are the two 404 answers.
    assert [e for e in ui.js_errors() if e.get("source") != "network"] == []


def test_the_50000_span_trace_opens_with_only_the_visible_rows(ui, data):
    ui.open("/search")
    ui.driver.get(ui.url(f"/trace/{data['big_id']}"))
    shown_at = ui.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        (function poll() {
          if (document.querySelector('[data-testid="span-row"]')) done(performance.now());
          else requestAnimationFrame(poll);
        })();""")
    assert shown_at < 20000, f"the first rows took {shown_at:.0f} ms"
    assert ui.wait_for(TID("trace-span-count")).text == "50,000 spans"
    assert ui.driver.find_element(By.CSS_SELECTOR, TID("trace-error-count")).text == "20 errors"
    assert len(ui.all(ROW)) < 300
    assert rows(ui)[0][:3] == ["bulk-0", "batch-job", 0]
    ui.screenshot("trace-big")
    # Scrolling to the end shows the last span, still with few rows in the DOM.
    ui.driver.execute_script("""
        const s = document.querySelector('[data-testid="waterfall-scroll"]');
        s.scrollTop = s.scrollHeight;""")
    ui.wait_until(lambda: data["big_last_name"] in [n for _, n, _, _ in rows(ui)], "the last span did not appear")
    last = max(ui.all(ROW), key=lambda r: int(r.get_attribute("data-index")))
    assert int(last.get_attribute("data-index")) == data["big_spans"] - 1
    assert last.find_element(By.CSS_SELECTOR, TID("span-name")).text == data["big_last_name"]
    assert len(ui.all(ROW)) < 300
    # Find across all 50,000 spans.
    find = ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find"))
    find.send_keys("last-leaf")
    ui.wait_until(lambda: ui.driver.find_element(By.CSS_SELECTOR, TID("trace-find-count")).text == "1 match", "find did not count the one match")
    # Collapsing the root leaves one row.
    ui.driver.execute_script("document.querySelector('[data-testid=\"waterfall-scroll\"]').scrollTop = 0")
    ui.wait_until(lambda: ui.all(f'{ROW}[data-index="0"] {TID("span-toggle")}'), "the root row did not come back")
    ui.driver.find_element(By.CSS_SELECTOR, f'{ROW}[data-index="0"] {TID("span-toggle")}').click()
    ui.wait_until(lambda: len(ui.all(ROW)) == 1, "collapsing the root left other rows")
    ui.screenshot("trace-big-collapsed")
    assert ui.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert ui.js_errors() == []


def test_the_header_offers_a_comparison_and_the_raw_trace(ui, data):
    trace_id = data["checkout_ids"][2]
    ui.open(f"/trace/{trace_id}")
    link = ui.wait_for('[data-testid="trace-compare"]')
    assert link.get_attribute("href").endswith(f"/compare?a={trace_id}")
    download = ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="trace-download"]')
    assert download.get_attribute("href").endswith(f"/api/spindle/traces/{trace_id}")
    link.click()
    field = ui.wait_for('[data-testid="compare-a"]')
    assert field.get_attribute("value") == trace_id
    assert ui.js_errors() == []
