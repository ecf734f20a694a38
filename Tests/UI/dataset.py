#!/usr/bin/env python3
"""The traces Spindle's browser tests look at, sent over OTLP/HTTP (JSON).

Every ID, name, attribute and duration here is fixed, so tests can assert exact
results; only the times move, placed in the twenty minutes before now so that the UI's
default "last hour" sees them. `load(otlp_http_url)` sends everything and returns the
facts the tests compare against (FACTS below, plus the start time chosen).

    python Tests/UI/dataset.py --otlp-http http://127.0.0.1:4318

What is in it:
- CHECKOUT: 12 traces of a small shop, frontend -> api -> payments / inventory / db.
  Traces 0, 4 and 8 fail in payments (3 of 12 calls on api -> payments); traces 3 and 7
  are slow (payments takes 1.2 s).
- UNIQUE: one trace whose root has order.id=ORD-UNIQUE-42, with a span link to CHECKOUT[1].
- XSS: names, keys, values, events and messages that would run script if a page
  interpreted them as markup, and a 100,000-character value.
- COMPARE_A / COMPARE_B: the same request twice; B adds cache.lookup, drops
  legacy-discount, and its load-cart is five times slower.
- BIG: one trace of exactly 50,000 spans in five services.
"""
import argparse
import gzip
import json
import time
import urllib.request

MS = 1_000_000


def checkout_id(i):
    return f"c0ffee{i:026x}"


UNIQUE_ID = "0123456789abcdef0123456789abcdef"
XSS_ID = "bad00000000000000000000000000bad"
COMPARE_A = "aaaa0000000000000000000000000001"
COMPARE_B = "aaaa0000000000000000000000000002"
BIG_ID = "b16b16b16b16b16b16b16b16b16b16b1"
BIG_SPANS = 50_000

XSS_SERVICE = '<img src=x onerror="window.__xss=1">'
XSS_ROOT_NAME = "<script>window.__xss=2</script>"
XSS_KEY = "<b onmouseover=window.__xss=3>k</b>"
XSS_VALUE = '"><svg onload=window.__xss=4>'
XSS_URL = "javascript:window.__xss=5"
XSS_EVENT = "<iframe src=javascript:window.__xss=6></iframe>"
XSS_STATUS = "<img src=x onerror=window.__xss=7>"
XSS_CHILD_NAME = "javascript:window.__xss=8"
XSS_CHILD_SERVICE = "\"';window.__xss=9;//"
LONG_VALUE = "A" * 100_000
# The collector cuts longer values to this (docs/limits.md, max_attribute_value_bytes).
MAX_ATTRIBUTE_VALUE_BYTES = 32 * 1024


class Builder:
    """Collects spans per service and writes an OTLP ExportTraceServiceRequest in JSON."""

    def __init__(self):
        self.by_service = {}
        self.counter = 0

    def span_id(self):
        self.counter += 1
        return f"{self.counter:016x}"

    def add(self, trace_id, service, name, start_ns, duration_ns, parent=None, kind=1,
            attrs=None, error=None, events=(), links=(), span_id=None, resource=None):
        sid = span_id or self.span_id()
        span = {
            "traceId": trace_id,
            "spanId": sid,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": str(start_ns),
            "endTimeUnixNano": str(start_ns + duration_ns),
            "attributes": [attr(k, v) for k, v in (attrs or {}).items()],
            "events": [
                {"timeUnixNano": str(t), "name": n, "attributes": [attr(k, v) for k, v in a.items()]}
                for (t, n, a) in events
            ],
            "links": [{"traceId": t, "spanId": s, "attributes": []} for (t, s) in links],
            "status": {"code": 2, "message": error} if error is not None else {"code": 0},
        }
        if parent:
            span["parentSpanId"] = parent
        key = (service, tuple(sorted((resource or {}).items())))
        self.by_service.setdefault(key, []).append(span)
        return sid

    def requests(self, max_spans=5000):
        """Requests of at most max_spans spans each."""
        out = []
        for (service, resource), spans in self.by_service.items():
            res_attrs = [attr("service.name", service)] + [attr(k, v) for k, v in resource]
            for i in range(0, len(spans), max_spans):
                out.append({"resourceSpans": [{
                    "resource": {"attributes": res_attrs},
                    "scopeSpans": [{"scope": {"name": "spindle-ui-dataset", "version": "1.0"},
                                    "spans": spans[i:i + max_spans]}],
                }]})
        return out


def attr(key, value):
    if isinstance(value, bool):
        v = {"boolValue": value}
    elif isinstance(value, int):
        v = {"intValue": str(value)}
    elif isinstance(value, float):
        v = {"doubleValue": value}
    else:
        v = {"stringValue": str(value)}
    return {"key": key, "value": v}


SERVER, CLIENT, INTERNAL = 2, 3, 1

# The facts tests compare against; `load` fills in "base_ns".
FACTS = {
    "checkout_ids": [checkout_id(i) for i in range(12)],
    "checkout_error_ids": [checkout_id(i) for i in (0, 4, 8)],
    "checkout_slow_ids": [checkout_id(i) for i in (3, 7)],
    "checkout_spans": 11,
    # Each checkout trace, depth-first: (service, name, depth).
    "checkout_order": [
        ("frontend", "GET /checkout", 0),
        ("frontend", "POST /api/orders", 1),
        ("api", "POST /api/orders", 2),
        ("api", "charge", 3),
        ("payments", "charge", 4),
        ("api", "reserve", 3),
        ("inventory", "reserve", 4),
        ("api", "SELECT orders", 3),
        ("db", "SELECT orders", 4),
        ("frontend", "render", 1),
        ("frontend", "template", 2),
    ],
    "edges": [("frontend", "api"), ("api", "payments"), ("api", "inventory"), ("api", "db")],
    "services": ["api", "db", "frontend", "inventory", "payments"],
    "unique_id": UNIQUE_ID,
    "unique_attr": ("order.id", "ORD-UNIQUE-42"),
    "unique_link_target": checkout_id(1),
    # Span IDs count up from 1 in the order spans are built: checkout i's root is i*11+1.
    "unique_link_span": f"{1 * 11 + 1:016x}",
    "xss_id": XSS_ID,
    "xss": {
        "service": XSS_SERVICE, "root_name": XSS_ROOT_NAME, "key": XSS_KEY, "value": XSS_VALUE,
        "url": XSS_URL, "event": XSS_EVENT, "status": XSS_STATUS,
        "child_name": XSS_CHILD_NAME, "child_service": XSS_CHILD_SERVICE, "long_value_length": min(len(LONG_VALUE), MAX_ATTRIBUTE_VALUE_BYTES),
    },
    "compare_a": COMPARE_A,
    "compare_b": COMPARE_B,
    "compare_added": ["cache.lookup"],
    "compare_removed": ["legacy-discount"],
    "compare_slower": ["load-cart", "GET /cart"],
    "big_id": BIG_ID,
    "big_spans": BIG_SPANS,
    "big_last_name": "last-leaf",
    "big_services": [f"bulk-{k}" for k in range(5)],
}


def checkout(b, i, t0):
    """One checkout request; durations in ms are fixed per position."""
    tid = checkout_id(i)
    failed = i % 4 == 0
    slow = i in (3, 7)
    pay_ms = 1200 if slow else 40
    res = lambda s: {"service.version": "1.2.3", "host.name": f"host-{s}"}
    total = 30 + pay_ms + 50 + 30 + 40
    root = b.add(tid, "frontend", "GET /checkout", t0, total * MS, kind=SERVER, resource=res("frontend"),
                 attrs={"http.method": "GET", "http.route": "/checkout",
                        "http.status_code": 500 if failed else 200, "enduser.id": f"user-{i}"},
                 error="payment failed" if failed else None)
    call = b.add(tid, "frontend", "POST /api/orders", t0 + 5 * MS, (pay_ms + 60) * MS, parent=root, kind=CLIENT,
                 resource=res("frontend"), attrs={"http.method": "POST", "peer.service": "api"})
    srv = b.add(tid, "api", "POST /api/orders", t0 + 7 * MS, (pay_ms + 55) * MS, parent=call, kind=SERVER,
                resource=res("api"), attrs={"http.method": "POST", "http.route": "/api/orders"})
    t = t0 + 10 * MS
    charge = b.add(tid, "api", "charge", t, (pay_ms + 4) * MS, parent=srv, kind=CLIENT, resource=res("api"))
    events = []
    if failed:
        events = [(t + 20 * MS, "exception", {"exception.type": "CardDeclined", "exception.message": "card declined"})]
    b.add(tid, "payments", "charge", t + 2 * MS, pay_ms * MS, parent=charge, kind=SERVER, resource=res("payments"),
          attrs={"payment.amount": 42.5, "payment.currency": "EUR"},
          error="card declined" if failed else None, events=events)
    t += (pay_ms + 5) * MS
    reserve = b.add(tid, "api", "reserve", t, 20 * MS, parent=srv, kind=CLIENT, resource=res("api"))
    b.add(tid, "inventory", "reserve", t + 1 * MS, 18 * MS, parent=reserve, kind=SERVER, resource=res("inventory"),
          attrs={"inventory.items": 3})
    t += 21 * MS
    query = b.add(tid, "api", "SELECT orders", t, 20 * MS, parent=srv, kind=CLIENT, resource=res("api"),
                  attrs={"db.system": "postgresql"})
    b.add(tid, "db", "SELECT orders", t + 1 * MS, 18 * MS, parent=query, kind=SERVER, resource=res("db"),
          attrs={"db.statement": "SELECT * FROM orders WHERE id = $1"})
    render = b.add(tid, "frontend", "render", t0 + (pay_ms + 70) * MS, 60 * MS, parent=root, kind=INTERNAL,
                   resource=res("frontend"))
    b.add(tid, "frontend", "template", t0 + (pay_ms + 75) * MS, 30 * MS, parent=render, kind=INTERNAL,
          resource=res("frontend"))


def unique(b, t0):
    root = b.add(UNIQUE_ID, "frontend", "GET /unique-page", t0, 80 * MS, kind=SERVER,
                 attrs={"order.id": "ORD-UNIQUE-42", "http.method": "GET"})
    b.add(UNIQUE_ID, "api", "lookup", t0 + 10 * MS, 50 * MS, parent=root, kind=SERVER,
          links=[(checkout_id(1), f"{1 * 11 + 1:016x}")])


def xss(b, t0):
    root = b.add(XSS_ID, XSS_SERVICE, XSS_ROOT_NAME, t0, 90 * MS, kind=SERVER,
                 attrs={XSS_KEY: XSS_VALUE, "http.url": XSS_URL, "long.value": LONG_VALUE},
                 error=XSS_STATUS, events=[(t0 + 5 * MS, XSS_EVENT, {XSS_KEY: XSS_VALUE})],
                 resource={"host.name": XSS_VALUE})
    b.add(XSS_ID, XSS_CHILD_SERVICE, XSS_CHILD_NAME, t0 + 10 * MS, 40 * MS, parent=root, kind=CLIENT,
          attrs={"link": XSS_URL}, links=[(XSS_URL.encode().hex()[:32].ljust(32, "0"), "0000000000000001")])


def compare(b, t0):
    a = b.add(COMPARE_A, "shop", "GET /cart", t0, 100 * MS, kind=SERVER)
    b.add(COMPARE_A, "shop", "load-cart", t0 + 5 * MS, 50 * MS, parent=a)
    b.add(COMPARE_A, "shop", "pricing", t0 + 60 * MS, 20 * MS, parent=a)
    b.add(COMPARE_A, "shop", "legacy-discount", t0 + 82 * MS, 10 * MS, parent=a)
    t1 = t0 + 1000 * MS
    r = b.add(COMPARE_B, "shop", "GET /cart", t1, 300 * MS, kind=SERVER)
    b.add(COMPARE_B, "shop", "cache.lookup", t1 + 2 * MS, 2 * MS, parent=r)
    b.add(COMPARE_B, "shop", "load-cart", t1 + 5 * MS, 250 * MS, parent=r)
    b.add(COMPARE_B, "shop", "pricing", t1 + 260 * MS, 20 * MS, parent=r)


def big(b, t0):
    """Exactly BIG_SPANS spans: a root, then chunks of 49 leaves; the last leaf is named last-leaf."""
    root = b.add(BIG_ID, "bulk-0", "batch-job", t0, 10_000 * MS, kind=SERVER)
    count, chunk_no = 1, 0
    while count < BIG_SPANS:
        cstart = t0 + chunk_no * 9 * MS
        chunk = b.add(BIG_ID, f"bulk-{chunk_no % 5}", f"chunk-{chunk_no}", cstart, 8 * MS, parent=root)
        count += 1
        leaf = 0
        while leaf < 49 and count < BIG_SPANS:
            count += 1
            name = "last-leaf" if count == BIG_SPANS else f"item-{leaf}"
            b.add(BIG_ID, f"bulk-{(chunk_no + leaf) % 5}", name, cstart + leaf * 150_000, 100_000, parent=chunk,
                  attrs={"item.index": leaf}, error="item failed" if leaf == 7 and chunk_no % 50 == 0 else None)
            leaf += 1
        chunk_no += 1


def build(now_ns=None):
    now_ns = now_ns or time.time_ns()
    base = now_ns - 20 * 60 * 1000 * MS
    b = Builder()
    for i in range(12):
        checkout(b, i, base + i * 30_000 * MS)
    unique(b, base + 400_000 * MS)
    xss(b, base + 410_000 * MS)
    compare(b, base + 420_000 * MS)
    big(b, base + 430_000 * MS)
    return b, base


def post(url, body):
    data = gzip.compress(json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200:
            raise RuntimeError(f"OTLP export answered {response.status}")


def load(otlp_http_url, now_ns=None):
    """Sends every trace to the OTLP/HTTP endpoint and returns FACTS with base_ns."""
    b, base = build(now_ns)
    for request in b.requests():
        post(otlp_http_url.rstrip("/") + "/v1/traces", request)
    return dict(FACTS, base_ns=base)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otlp-http", required=True, help="the OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
    args = parser.parse_args()
    load(args.otlp_http)
    print("sent: 12 checkout, unique, xss, compare pair, 50,000-span trace")


if __name__ == "__main__":
    main()
