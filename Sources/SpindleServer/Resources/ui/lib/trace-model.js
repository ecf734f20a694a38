// A trace as the views use it, built from the OTLP/JSON that /api/spindle/traces/{id}
// returns. Times are nanoseconds relative to the trace's start (numbers: exact for any
// trace shorter than 104 days); the absolute start stays a BigInt.

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

// Unix-nanosecond strings are split at 10^12 into two doubles, so differences are exact
// without a BigInt per span (a 50,000-span trace would make 100,000 of them).
const SPLIT = 12;

function split(text) {
  const s = typeof text === 'string' ? text : String(text ?? '0');
  const n = s.length;
  if (n <= SPLIT) {
    const low = Number(s);
    return [0, Number.isFinite(low) ? low : 0];
  }
  const high = Number(s.slice(0, n - SPLIT));
  const low = Number(s.slice(n - SPLIT));
  return Number.isFinite(high) && Number.isFinite(low) ? [high, low] : [0, 0];
}

const before = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const minus = (a, b) => (a[0] - b[0]) * 1e12 + (a[1] - b[1]);

/** A function giving Unix-nanosecond strings as nanoseconds after `base` (also such a string). */
export function relativeNanos(base) {
  const origin = split(base);
  return (text) => minus(split(text), origin);
}
const STATUS = ['unset', 'ok', 'error'];

/** The display text of an OTLP AnyValue, and its type. */
export function anyValue(value) {
  if (!value || typeof value !== 'object') return { type: 'empty', text: '' };
  if ('stringValue' in value) return { type: 'string', text: String(value.stringValue) };
  if ('intValue' in value) return { type: 'int', text: String(value.intValue) };
  if ('doubleValue' in value) return { type: 'double', text: String(value.doubleValue) };
  if ('boolValue' in value) return { type: 'bool', text: String(value.boolValue) };
  if ('bytesValue' in value) return { type: 'bytes', text: String(value.bytesValue) };
  if ('arrayValue' in value) {
    const values = (value.arrayValue && value.arrayValue.values) || [];
    return { type: 'array', text: JSON.stringify(values.map((v) => anyValue(v).text)) };
  }
  if ('kvlistValue' in value) {
    const entries = (value.kvlistValue && value.kvlistValue.values) || [];
    const obj = {};
    for (const kv of entries) obj[kv.key] = anyValue(kv.value).text;
    return { type: 'map', text: JSON.stringify(obj) };
  }
  return { type: 'empty', text: '' };
}

/** OTLP attributes as [{key, value, type}]. */
export function attributes(list) {
  if (!Array.isArray(list)) return [];
  return list.map((kv) => {
    const v = anyValue(kv.value);
    return { key: String(kv.key), value: v.text, type: v.type };
  });
}

/**
 * One span of the model. Attributes, events and links are converted from OTLP when
 * first read: a 50,000-span trace opens without converting what no one looks at.
 */
class Span {
  constructor(s, service, resource, scope, start, duration, relative) {
    const status = s.status || {};
    const code = STATUS[Number(status.code) || 0] || 'unset';
    this.index = 0;
    this.id = String(s.spanId || '').toLowerCase();
    this.parentID = String(s.parentSpanId || '').toLowerCase();
    this.traceID = String(s.traceId || '').toLowerCase();
    this.name = String(s.name || '');
    this.kind = KINDS[Number(s.kind) || 0] || 'unspecified';
    this.service = service;
    this.resource = resource;
    this.scope = scope;
    this.start = start;
    this.duration = duration;
    this.end = start + duration;
    this.status = { code, message: String(status.message || '') };
    this.error = code === 'error';
    this.parent = null;
    this.children = [];
    this.depth = 0;
    this.orphan = false;
    this.otlp = s;
    this.relative = relative;
    this.cachedAttributes = undefined;
    this.cachedEvents = undefined;
    this.cachedLinks = undefined;
  }

  get attributes() {
    if (this.cachedAttributes === undefined) this.cachedAttributes = attributes(this.otlp.attributes);
    return this.cachedAttributes;
  }

  get events() {
    if (this.cachedEvents === undefined) {
      this.cachedEvents = (this.otlp.events || []).map((e) => ({
        time: this.relative(e.timeUnixNano),
        name: String(e.name || ''),
        attributes: attributes(e.attributes),
      }));
    }
    return this.cachedEvents;
  }

  get links() {
    if (this.cachedLinks === undefined) {
      this.cachedLinks = (this.otlp.links || []).map((l) => ({
        traceID: String(l.traceId || '').toLowerCase(),
        spanID: String(l.spanId || '').toLowerCase(),
        attributes: attributes(l.attributes),
      }));
    }
    return this.cachedLinks;
  }
}

/**
 * Builds the trace model:
 *   { traceID, start (BigInt ns), duration (ns), spans (depth-first, children by start),
 *     byID (Map), roots, services (sorted), errorCount, maxDepth }
 * Each span: { index, id, parentID, traceID, name, kind, service, resource, scope,
 *   start, duration, end (ns relative), attributes, events [{time, name, attributes}],
 *   links [{traceID, spanID, attributes}], status {code, message}, error, parent, children,
 *   depth, orphan }.
 */
export function buildTrace(otlp) {
  const raw = [];
  let minStart = null;
  let minStartText = '0';
  let maxEnd = null;
  for (const rs of (otlp && otlp.resourceSpans) || []) {
    const resource = attributes(rs.resource && rs.resource.attributes);
    const serviceAttr = resource.find((a) => a.key === 'service.name');
    const service = serviceAttr ? serviceAttr.value : 'unknown_service';
    for (const ss of rs.scopeSpans || []) {
      const scope = ss.scope ? { name: ss.scope.name || '', version: ss.scope.version || '' } : { name: '', version: '' };
      for (const s of ss.spans || []) {
        const start = split(s.startTimeUnixNano);
        let end = split(s.endTimeUnixNano || s.startTimeUnixNano);
        if (before(end, start)) end = start;
        if (minStart === null || before(start, minStart)) {
          minStart = start;
          minStartText = String(s.startTimeUnixNano || '0');
        }
        if (maxEnd === null || before(maxEnd, end)) maxEnd = end;
        raw.push({ s, start, end, resource, service, scope });
      }
    }
  }
  if (minStart === null) minStart = [0, 0];
  if (maxEnd === null) maxEnd = minStart;
  const relative = relativeNanos(minStartText);

  const spans = raw.map(({ s, start, end, resource, service, scope }) =>
    new Span(s, service, resource, scope, minus(start, minStart), minus(end, start), relative));

  const byID = new Map();
  for (const span of spans) if (!byID.has(span.id)) byID.set(span.id, span);
  const roots = [];
  for (const span of spans) {
    const parent = span.parentID ? byID.get(span.parentID) : undefined;
    if (parent && parent !== span) {
      span.parent = parent;
      parent.children.push(span);
    } else {
      if (span.parentID) span.orphan = true;
      roots.push(span);
    }
  }
  const byStart = (a, b) => a.start - b.start || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  roots.sort((a, b) => (a.orphan === b.orphan ? byStart(a, b) : a.orphan ? 1 : -1));

  // Depth-first order without recursion: traces can be 30,000 spans deep. A span already
  // placed (a cycle in bad data) is not placed twice.
  const ordered = [];
  const placed = new Set();
  let maxDepth = 0;
  const stack = [];
  for (let r = roots.length - 1; r >= 0; r--) stack.push([roots[r], 0]);
  while (stack.length) {
    const [span, depth] = stack.pop();
    if (placed.has(span)) continue;
    placed.add(span);
    span.depth = depth;
    if (depth > maxDepth) maxDepth = depth;
    span.index = ordered.length;
    ordered.push(span);
    span.children.sort(byStart);
    for (let c = span.children.length - 1; c >= 0; c--) stack.push([span.children[c], depth + 1]);
  }
  // Spans in a parent cycle are reachable from no root: show them at the top level.
  for (const span of spans) {
    if (!placed.has(span)) {
      placed.add(span);
      span.orphan = true;
      span.depth = 0;
      span.index = ordered.length;
      ordered.push(span);
    }
  }

  const services = [...new Set(ordered.map((s) => s.service))].sort();
  return {
    traceID: ordered.length ? ordered[0].traceID : '',
    start: /^\d+$/.test(minStartText) ? BigInt(minStartText) : 0n,
    duration: minus(maxEnd, minStart),
    spans: ordered,
    byID,
    roots,
    services,
    errorCount: ordered.reduce((n, s) => n + (s.error ? 1 : 0), 0),
    maxDepth,
  };
}
