// Spindle's own API (docs/api.md), as the UI calls it. Every call returns the parsed
// JSON or throws an ApiError carrying the server's message (and, for TraceQL, the
// line and column of the mistake).

export class ApiError extends Error {
  constructor(status, message, line, column) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.line = line;
    this.column = column;
  }
}

/** A query string from an object; arrays repeat the key, null/undefined/'' are left out. */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== undefined && v !== null && v !== '') search.append(key, String(v));
    } else {
      search.append(key, String(value));
    }
  }
  // URLSearchParams writes a space as '+'; '%20' means the same to every server.
  const text = search.toString().replace(/\+/g, '%20');
  return text ? `?${text}` : '';
}

/** GET a path under this server and parse its JSON. */
export async function getJSON(path, params, signal) {
  let response;
  try {
    response = await fetch(path + queryString(params), { headers: { Accept: 'application/json' }, signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `the server did not answer: ${error.message}`);
  }
  let body = null;
  const text = await response.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const err = body && body.error;
    throw new ApiError(response.status, err && err.message ? err.message : `HTTP ${response.status}: ${text.slice(0, 200)}`, err && err.line, err && err.column);
  }
  return body;
}

const base = '/api/spindle';
const enc = encodeURIComponent;

/** range: {start, end} in Unix milliseconds (either may be missing). */
export const api = {
  services: (range, signal) => getJSON(`${base}/services`, range, signal),
  operations: (service, range, signal) => getJSON(`${base}/services/${enc(service)}/operations`, range, signal),
  operationStats: (service, range, signal) => getJSON(`${base}/services/${enc(service)}/operations/stats`, range, signal),
  attributeNames: (scope, range, signal) => getJSON(`${base}/attributes`, { scope, ...range }, signal),
  attributeValues: (key, scope, range, limit, signal) =>
    getJSON(`${base}/attributes/${enc(key)}/values`, { scope, limit, ...range }, signal),
  /** params: service, operation, kind, status, minDuration, maxDuration, attr (array), start, end, limit */
  search: (params, signal) => getJSON(`${base}/search`, params, signal),
  /** params: q, start, end, limit, spss */
  traceql: (params, signal) => getJSON(`${base}/traceql`, params, signal),
  trace: (id, signal) => getJSON(`${base}/traces/${enc(id)}`, null, signal),
  criticalPath: (id, signal) => getJSON(`${base}/traces/${enc(id)}/critical-path`, null, signal),
  statistics: (id, signal) => getJSON(`${base}/traces/${enc(id)}/statistics`, null, signal),
  compare: (a, b, signal) => getJSON(`${base}/compare`, { a, b }, signal),
  dependencies: (range, signal) => getJSON(`${base}/dependencies`, range, signal),
  red: (params, signal) => getJSON(`${base}/red`, params, signal),
  histogram: (params, signal) => getJSON(`${base}/histogram`, params, signal),
  metrics: (params, signal) => getJSON(`${base}/metrics/query_range`, params, signal),
  /** Every alert rule's state; 404 when span metrics are off. */
  alerts: (signal) => getJSON(`${base}/alerts`, null, signal),
  /** params: service, operation, kind, last ("5m"); span metrics, counted before sampling. */
  spanMetricsWindow: (params, signal) => getJSON(`${base}/span-metrics/window`, params, signal),
};
