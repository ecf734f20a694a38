"""The page itself: how the server serves it, the frame, navigation, the address bar."""
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def fetch(server, path, method="GET"):
    request = urllib.request.Request(server.http + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize("path", ["/", "/search", "/trace/abc123", "/compare", "/map", "/services", "/services/frontend"])
def test_every_view_path_answers_the_page_with_a_strict_policy(server, path):
    status, headers, body = fetch(server, path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script type="module" src="/ui/app.js"></script>' in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_assets_have_their_types_and_revalidate_by_etag(server):
    status, headers, body = fetch(server, "/ui/app.js")
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert body.startswith(b"// The page's router.")
    assert fetch(server, "/ui/css/base.css")[1]["Content-Type"] == "text/css; charset=utf-8"
    assert fetch(server, "/ui/favicon.svg")[1]["Content-Type"] == "image/svg+xml"
    request = urllib.request.Request(server.http + "/ui/app.js", headers={"If-None-Match": headers["ETag"]})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 304


@pytest.mark.parametrize("path", ["/ui/nope.js", "/ui/%2e%2e/Package.swift", "/ui/.hidden", "/ui/lib/../app.js", "/ui/a%00b.js"])
def test_unknown_or_unsafe_asset_names_are_not_found(server, path):
    status, _, body = fetch(server, path)
    assert status == 404
    assert b"Package" not in body or b"no UI asset" in body


def test_other_methods_on_page_paths_are_refused(server):
    assert fetch(server, "/search", method="POST")[0] == 405
    assert fetch(server, "/", method="DELETE")[0] == 405


def test_navigation_keeps_one_page_and_the_back_button_works(ui):
    ui.open("/search")
    marker = ui.driver.execute_script("window.__spindleMarker = 42; return window.__spindleMarker")
    assert marker == 42
    ui.driver.find_element(By.CSS_SELECTOR, '.topnav a[data-section="map"]').click()
    ui.wait_until(lambda: ui.driver.current_url.endswith("/map"), "the map link did not navigate")
    ui.wait_for('.topnav a.active[data-section="map"]')
    # The router changed the view in place: the page was not reloaded.
    assert ui.driver.execute_script("return window.__spindleMarker") == 42
    ui.driver.back()
    ui.wait_until(lambda: urllib.parse.urlparse(ui.driver.current_url).path == "/search", "back did not return to search")
    ui.wait_for('.topnav a.active[data-section="search"]')
    assert ui.js_errors() == []


def test_the_trace_id_box_opens_a_trace_and_refuses_what_is_not_an_id(ui, data):
    ui.open("/search")
    box = ui.driver.find_element(By.ID, "jump-id")
    box.send_keys("not-an-id", Keys.ENTER)
    assert urllib.parse.urlparse(ui.driver.current_url).path == "/search"
    assert ui.driver.execute_script("return document.getElementById('jump-id').validity.valid") is False
    box.clear()
    box.send_keys(data["unique_id"].upper(), Keys.ENTER)
    ui.wait_until(lambda: ui.driver.current_url.endswith("/trace/" + data["unique_id"]), "the ID box did not open the trace")
    ui.screenshot("jump-to-trace")
    assert ui.js_errors() == []


def test_a_missing_trace_says_so(ui):
    ui.open("/trace/00000000000000000000000000000fff")
    message = ui.wait_for("#view [data-testid=trace-not-found]")
    assert message.text.splitlines()[0] == "Trace 00000000000000000000000000000fff not found"
    # The one console entry is the API's 404, which the page turned into that message.
    errors = ui.js_errors()
    assert [e["source"] for e in errors] == ["network"] and "/api/spindle/traces/00000000000000000000000000000fff" in errors[0]["message"]
