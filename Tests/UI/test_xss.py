"""Hostile data stays text. The XSS trace carries names, keys, values, an event and a
status message that would set window.__xss if any page interpreted them as markup or
followed them as links, and a 100,000-character value."""
import urllib.parse

import pytest
from selenium.webdriver.common.by import By

# Elements or attributes that only exist if a hostile string became markup.
INJECTED = "script:not([src]), iframe, object, embed, [onerror], [onload], [onmouseover], [onclick], svg [onload]"


def assert_inert(ui, name):
    ui.screenshot(f"xss-{name}")
    driver = ui.driver
    assert driver.execute_script("return window.__xss") is None, f"{name}: a hostile string ran"
    assert driver.find_elements(By.CSS_SELECTOR, INJECTED) == [], f"{name}: a hostile string became markup"
    hrefs = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))], hrefs
    # The page stays usable: nothing pushed it wider than the window.
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 20, f"{name}: the page is {overflow}px wider than the window"
    assert ui.js_errors() == []


def test_search_results_show_hostile_names_as_text(ui, data):
    xss = data["xss"]
    ui.open("/search?" + urllib.parse.urlencode({"service": xss["service"], "range": "all"}))
    row = ui.wait_for(f'[data-testid="trace-row"][data-trace-id="{data["xss_id"]}"]')
    assert xss["root_name"] in row.text
    ui.wait_for('[data-testid="trace-row-service"]')
    chips = [c.text for c in row.find_elements(By.CSS_SELECTOR, '[data-testid="trace-row-service"]')]
    assert xss["service"] in chips and xss["child_service"] in chips
    assert_inert(ui, "search")


def test_traceql_with_hostile_text_is_inert(ui, data):
    ui.open("/search?" + urllib.parse.urlencode({"mode": "traceql", "q": '{ name = "<script>window.__xss=2</script>" }', "range": "all"}))
    ui.wait_for(f'[data-testid="trace-row"][data-trace-id="{data["xss_id"]}"]')
    assert_inert(ui, "traceql")


def test_trace_view_and_span_details_show_hostile_values_as_text(ui, data):
    xss = data["xss"]
    ui.open(f"/trace/{data['xss_id']}")
    title = ui.wait_for('[data-testid="trace-title"]')
    assert xss["root_name"] in title.text
    names = [e.text for e in ui.all('[data-testid="span-row"] [data-testid="span-name"]')]
    assert names == [xss["root_name"], xss["child_name"]]
    ui.all('[data-testid="span-row"]')[0].click()
    detail = ui.wait_for('[data-testid="span-detail"]')
    keys = [e.text for e in detail.find_elements(By.CSS_SELECTOR, '[data-testid="span-attributes"] [data-testid="attr-key"]')]
    assert xss["key"] in keys
    values = {e.find_element(By.CSS_SELECTOR, '[data-testid="attr-key"]').text: e.find_element(By.CSS_SELECTOR, '[data-testid="attr-value"]')
              for e in detail.find_elements(By.CSS_SELECTOR, '[data-testid="span-attributes"] [data-testid="attr-row"]')}
    assert values[xss["key"]].text == xss["value"]
    assert values["http.url"].text == xss["url"]
    # The long value is all there (as text content), however it is shown.
    assert len(values["long.value"].get_attribute("textContent")) == xss["long_value_length"]
    assert xss["status"] in detail.find_element(By.CSS_SELECTOR, '[data-testid="span-status"]').text
    assert xss["event"] in detail.find_element(By.CSS_SELECTOR, '[data-testid="span-events"]').text
    assert_inert(ui, "trace")
    # Still usable: the child opens.
    ui.all('[data-testid="span-row"]')[1].click()
    ui.wait_until(lambda: ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="span-detail-name"]').text == xss["child_name"],
                  "the second span did not open")
    assert_inert(ui, "trace-child")


@pytest.mark.parametrize("view", ["flame", "stats"])
def test_other_trace_tabs_are_inert(ui, data, view):
    ui.open(f"/trace/{data['xss_id']}?view={view}")
    ui.wait_for('[data-testid="flame-graph"]' if view == "flame" else '[data-testid="trace-stats"]')
    assert_inert(ui, f"trace-{view}")


def test_map_and_service_pages_are_inert(ui, data):
    xss = data["xss"]
    ui.open("/map?range=all")
    node = ui.wait_for(f'[data-testid="map-node"]')
    services = [n.get_attribute("data-service") for n in ui.all('[data-testid="map-node"]')]
    assert xss["service"] in services and xss["child_service"] in services
    assert_inert(ui, "map")
    ui.open("/services/" + urllib.parse.quote(xss["service"], safe="") + "?range=all")
    ui.wait_for('[data-testid="service-page"]')
    assert xss["service"] in ui.driver.find_element(By.CSS_SELECTOR, '[data-testid="service-page"]').text
    assert_inert(ui, "service")


def test_compare_with_hostile_trace_is_inert(ui, data):
    ui.open(f"/compare?a={data['xss_id']}&b={data['unique_id']}")
    ui.wait_for('[data-testid="compare-table"]')
    assert_inert(ui, "compare")
