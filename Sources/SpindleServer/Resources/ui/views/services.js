// The services pages.
//   /services?range=…                          every service: requests, errors, p95; and,
//       live from span metrics (before sampling), the last 5 minutes' rate, errors, p99
//   /services/{name}?operation=&range=&bucket= one service (or one of its operations):
//       request rate, error rate and latency percentiles over time, a latency histogram
//       whose buckets link to example traces, and the table of its operations.
// Also exports the time-range <select> and the API range the map shares.

import { h, replace, truncate } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { formatCount, formatDuration, formatPercent, formatRate, nanosToMillis, shortID, formatTimestamp } from '../lib/format.js';
import { serviceColor, ERROR_COLOR } from '../lib/colors.js';
import { PRESETS, rangeFromParams, rangeToParams } from '../lib/time.js';
import { navigate, updateParams, errorBox } from '../app.js';
import { lineChart, histogramChart } from '../lib/charts.js';

const CONCURRENT_REQUESTS = 4;
/** The live columns' window: span metrics of the last this long (an API duration). */
const LIVE_WINDOW = '5m';
const LIVE_TITLE = 'Server spans of the last 5 minutes, from span metrics (before sampling): every span as it arrived, whatever tail sampling kept';

/**
 * The start and end (Unix millis) to ask the API for. Aggregating endpoints default to
 * the last hour, so "all stored data" is asked for explicitly, from the epoch to now.
 */
export function apiRange(range) {
  return {
    start: range.start !== undefined ? Math.floor(range.start) : 0,
    end: range.end !== undefined ? Math.ceil(range.end) : Date.now() + 1,
  };
}

/** The time-range <select>: choosing a preset puts it in the URL and renders again. */
export function rangeSelect(range) {
  const options = PRESETS.map((p) => h('option', { value: p.key, selected: p.key === range.key }, p.label));
  if (range.key === 'custom') {
    const from = range.start !== undefined ? formatTimestamp(range.start * 1e6).slice(0, 16) : '…';
    const to = range.end !== undefined ? formatTimestamp(range.end * 1e6).slice(0, 16) : 'now';
    options.unshift(h('option', { value: 'custom', selected: true }, `${from} – ${to}`));
  }
  return h('select', {
    class: 'range-select',
    'data-testid': 'range-select',
    'aria-label': 'Time range',
    onChange: (event) => {
      const params = new URLSearchParams(location.search);
      rangeToParams({ key: event.target.value }, params);
      params.delete('bucket');
      navigate(`${location.pathname}?${params}`);
    },
  }, options);
}

/** The URL parameters that carry a range, to keep it on links to other views. */
export function rangeQuery(range) {
  return rangeToParams(range, new URLSearchParams());
}

export function serviceURL(service, range, operation) {
  const params = rangeQuery(range);
  if (operation) params.set('operation', operation);
  return `/services/${encodeURIComponent(service)}?${params}`;
}

export async function render(root, route) {
  const controller = new AbortController();
  const range = rangeFromParams(route.params, '1h');
  const cleanup = () => {
    controller.abort();
    root.querySelectorAll('.chart').forEach((chart) => chart.cleanup());
  };
  try {
    if (route.match[0] === undefined) await renderList(root, range, controller.signal);
    else await renderService(root, route.match[0], route.params, range, controller.signal);
  } catch (error) {
    cleanup();
    throw error;
  }
  return cleanup;
}

// ---- /services ----

async function renderList(root, range, signal) {
  const q = apiRange(range);
  const [{ services }, graph] = await Promise.all([api.services(q, signal), api.dependencies(q, signal)]);
  const nodes = new Map(graph.nodes.map((n) => [n.service, n]));
  const header = h('div', { class: 'page-header' }, h('h1', null, 'Services'), rangeSelect(range));
  if (services.length === 0) {
    replace(root, h('div', { class: 'page services-page' }, header, h('div', { class: 'empty' }, 'No services in this time range.')));
    return;
  }
  const rows = services.map((name) => {
    const node = nodes.get(name) || { spanCount: 0, errorCount: 0 };
    const p95 = h('td', { class: 'num muted' }, '…');
    const requests = h('td', { class: 'num' }, '…');
    const errors = h('td', { class: 'num' }, '…');
    const errorRate = h('td', { class: 'num' }, '…');
    const live = {
      rate: h('td', { class: 'num live', 'data-testid': 'live-rate' }, '…'),
      errorRate: h('td', { class: 'num live', 'data-testid': 'live-error-rate' }, '…'),
      p99: h('td', { class: 'num live', 'data-testid': 'live-p99' }, '…'),
    };
    const row = h('tr', { 'data-testid': 'service-row', 'data-service': name },
      h('td', { class: 'name-cell' }, h('a', { href: serviceURL(name, range), title: name },
        h('span', { class: 'chip', style: { '--chip-color': serviceColor(name) } }, truncate(name, 120)))),
      requests, errors, errorRate, p95,
      h('td', { class: 'num' }, formatCount(node.spanCount)),
      live.rate, live.errorRate, live.p99,
      h('td', null, h('a', { href: `/map?${rangeQuery(range)}&service=${encodeURIComponent(name)}` }, 'map'), ' · ',
        h('a', { href: `/search?service=${encodeURIComponent(name)}` }, 'traces')));
    return { name, row, cells: { requests, errors, errorRate, p95 }, live };
  });
  const table = h('table', { class: 'data services-table', 'data-testid': 'services-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Service'),
      h('th', { class: 'num', title: 'Server and consumer spans: the requests the service answered' }, 'Requests'),
      h('th', { class: 'num' }, 'Errors'),
      h('th', { class: 'num' }, 'Error rate'),
      h('th', { class: 'num' }, 'p95'),
      h('th', { class: 'num', title: 'Every span of the service' }, 'Spans'),
      h('th', { class: 'num live', title: LIVE_TITLE }, 'Live rate'),
      h('th', { class: 'num live', title: LIVE_TITLE }, 'Live error rate'),
      h('th', { class: 'num live', title: LIVE_TITLE }, 'Live p99'),
      h('th', null, ''))),
    h('tbody', null, rows.map((r) => r.row)));
  const liveNote = h('p', { class: 'muted live-note', 'data-testid': 'live-note' },
    'Live columns: server spans of the last 5 minutes, from span metrics (before sampling). The others: stored spans in the chosen range.');
  replace(root, h('div', { class: 'page services-page' }, header, h('div', { class: 'panel table-panel' }, table), liveNote));

  // One request per service, a few at a time, its whole range as one step; the page
  // shows meanwhile.
  const step = `${Math.ceil((q.end - q.start) / 1000) + 1}s`;
  const stored = pool(rows, CONCURRENT_REQUESTS, async (r) => {
    try {
      const red = await api.red({ service: r.name, ...q, step }, signal);
      const requests = red.points.reduce((sum, p) => sum + p.requests, 0);
      const errors = red.points.reduce((sum, p) => sum + p.errors, 0);
      const busiest = red.points.reduce((best, p) => (!best || p.requests > best.requests ? p : best), null);
      r.cells.requests.textContent = formatCount(requests);
      r.cells.errors.textContent = formatCount(errors);
      r.cells.errors.classList.toggle('error-text', errors > 0);
      r.cells.errorRate.textContent = requests ? formatPercent(errors / requests) : '–';
      r.cells.errorRate.classList.toggle('error-text', errors > 0);
      r.cells.p95.textContent = busiest && busiest.requests ? formatDuration(busiest.p95Nanos) : '–';
      r.cells.p95.classList.remove('muted');
    } catch (error) {
      if (error.name === 'AbortError') return;
      for (const cell of Object.values(r.cells)) { cell.textContent = '!'; cell.title = error.message; }
    }
  });
  stored.then(() => loadLive(table, liveNote, rows, signal));
}

/**
 * Fills the live columns from span metrics, after the stored figures. A server without
 * span metrics answers 404: one request finds that out, and the columns and their note
 * go away.
 */
async function loadLive(table, note, rows, signal) {
  let off = false;
  const fill = async (r) => {
    if (off || signal.aborted) return;
    try {
      const w = await api.spanMetricsWindow({ service: r.name, kind: 'server', last: LIVE_WINDOW }, signal);
      r.live.rate.textContent = formatRate(w.ratePerSecond);
      r.live.errorRate.textContent = w.errorRate === null || w.errorRate === undefined ? '–' : formatPercent(w.errorRate);
      r.live.errorRate.classList.toggle('error-text', w.errors > 0);
      r.live.p99.textContent = w.p99Nanos === null || w.p99Nanos === undefined ? '–' : formatDuration(w.p99Nanos);
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error.status === 404) {
        off = true;
        return;
      }
      for (const cell of Object.values(r.live)) { cell.textContent = '!'; cell.title = error.message; }
    }
  };
  if (rows.length === 0) return;
  await fill(rows[0]);
  if (!off) await pool(rows.slice(1), CONCURRENT_REQUESTS, fill);
  if (off) {
    for (const cell of table.querySelectorAll('.live')) cell.remove();
    note.remove();
  }
}

/** Runs work(item) for every item, at most `limit` at once. */
async function pool(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---- /services/{name} ----

async function renderService(root, service, params, range, signal) {
  const operation = params.get('operation') || '';
  const q = apiRange(range);
  const { operations } = await api.operationStats(service, q, signal);
  const names = [...new Set(operations.map((o) => o.name))];
  if (operation && !names.includes(operation)) names.push(operation);

  const select = h('select', {
    'data-testid': 'service-operation-select',
    class: 'operation-select',
    'aria-label': 'Operation',
    onChange: (event) => {
      const next = new URLSearchParams(location.search);
      if (event.target.value) next.set('operation', event.target.value);
      else next.delete('operation');
      next.delete('bucket');
      navigate(`${location.pathname}?${next}`);
    },
  },
  h('option', { value: '', selected: !operation }, 'All operations'),
  names.map((name) => h('option', { value: name, selected: name === operation, title: name }, truncate(name, 80))));

  const searchParams = new URLSearchParams({ service });
  if (operation) searchParams.set('operation', operation);
  const header = h('div', { class: 'page-header' },
    h('div', { class: 'service-title' },
      h('a', { href: `/services?${rangeQuery(range)}`, class: 'muted' }, 'Services'), h('span', { class: 'muted' }, ' / '),
      h('h1', { title: service }, h('span', { class: 'chip service-chip', style: { '--chip-color': serviceColor(service) } }, truncate(service, 120)))),
    h('div', { class: 'service-controls' },
      select, rangeSelect(range),
      h('a', { href: `/search?${searchParams}`, class: 'button' }, 'Find traces'),
      h('a', { href: `/map?${rangeQuery(range)}&service=${encodeURIComponent(service)}`, class: 'button' }, 'Show on map')));

  const chosen = operations.filter((o) => !operation || o.name === operation);
  const requests = chosen.reduce((sum, o) => sum + o.requests, 0);
  const errors = chosen.reduce((sum, o) => sum + o.errors, 0);
  const summary = h('div', { class: 'service-summary' },
    stat('Requests', formatCount(requests)),
    stat('Errors', formatCount(errors), errors > 0),
    stat('Error rate', requests ? formatPercent(errors / requests) : '–', errors > 0),
    chosen.length === 1 ? [stat('p50', formatDuration(chosen[0].p50Nanos)), stat('p95', formatDuration(chosen[0].p95Nanos)), stat('p99', formatDuration(chosen[0].p99Nanos))] : null);

  const chartsBox = h('div', { class: 'service-charts' }, h('div', { class: 'loading' }, 'Loading charts…'));
  const histogramBox = h('div', { class: 'panel histogram-panel', 'data-testid': 'latency-histogram' },
    h('h2', null, 'Latency distribution'), h('div', { class: 'loading' }, 'Loading…'));

  replace(root, h('div', { class: 'page service-page', 'data-testid': 'service-page', 'data-service': service },
    header, summary, chartsBox, histogramBox,
    h('div', { class: 'panel table-panel' }, h('h2', null, 'Operations'), operationsTable(service, operations, operation, range))));

  // Charts and histogram fill in as they arrive; each shows its own failure.
  const filter = { service, operation: operation || undefined };
  loadCharts(chartsBox, filter, range, q, signal);
  loadHistogram(histogramBox, filter, q, params.get('bucket'), signal);
}

function stat(label, value, isError = false) {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: ['stat-value', isError && 'error-text'] }, value));
}

function operationsTable(service, operations, selected, range) {
  if (operations.length === 0) return h('div', { class: 'empty', 'data-testid': 'operations-table' }, 'No requests in this time range.');
  const sorted = [...operations].sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
  return h('table', { class: 'data operations-table', 'data-testid': 'operations-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Operation'), h('th', null, 'Kind'), h('th', { class: 'num' }, 'Requests'), h('th', { class: 'num' }, 'Errors'),
      h('th', { class: 'num' }, 'Error rate'), h('th', { class: 'num' }, 'p50'), h('th', { class: 'num' }, 'p95'), h('th', { class: 'num' }, 'p99'))),
    h('tbody', null, sorted.map((o) => h('tr', { 'data-testid': 'operation-row', 'data-operation': o.name, class: o.name === selected ? 'selected' : null },
      h('td', { class: 'name-cell' }, h('a', { href: serviceURL(service, range, o.name), title: o.name }, truncate(o.name, 200))),
      h('td', null, o.kind),
      h('td', { class: 'num' }, formatCount(o.requests)),
      h('td', { class: ['num', o.errors > 0 && 'error-text'] }, formatCount(o.errors)),
      h('td', { class: ['num', o.errors > 0 && 'error-text'] }, o.requests ? formatPercent(o.errors / o.requests) : '–'),
      h('td', { class: 'num' }, formatDuration(o.p50Nanos)),
      h('td', { class: 'num' }, formatDuration(o.p95Nanos)),
      h('td', { class: 'num' }, formatDuration(o.p99Nanos))))));
}

async function loadCharts(box, filter, range, q, signal) {
  try {
    const { red, window } = await redOverData(filter, range, q, signal);
    const points = red.points.map((p) => ({ ...p, x: nanosToMillis(p.timestampUnixNano) }));
    const series = (label, color, y) => ({ label, color, points: points.map((p) => ({ x: p.x, y: y(p) })) });
    const xDomain = [window.start, window.end];
    const zeroAs = (format) => (v) => (v === 0 ? '0' : format(v));
    const charts = [
      ['chart-rate', lineChart({ title: 'Request rate', xDomain, yFormat: zeroAs(formatRate),
        series: [series('requests/s', '#2f6fb0', (p) => p.ratePerSecond)] })],
      ['chart-errors', lineChart({ title: 'Error rate', xDomain, yFormat: formatPercent,
        series: [series('errors', ERROR_COLOR, (p) => (p.requests ? p.errorRate : null))] })],
      ['chart-latency', lineChart({ title: 'Latency', xDomain, yFormat: zeroAs(formatDuration),
        series: [
          series('p50', '#59a14f', (p) => (p.requests ? p.p50Nanos : null)),
          series('p95', '#f28e2b', (p) => (p.requests ? p.p95Nanos : null)),
          series('p99', '#b07aa1', (p) => (p.requests ? p.p99Nanos : null)),
        ] })],
    ];
    replace(box, charts.map(([testid, chart]) => {
      chart.dataset.testid = testid;
      chart.classList.add('panel');
      return chart;
    }));
  } catch (error) {
    if (error.name !== 'AbortError') replace(box, errorBox(error));
  }
}

/**
 * RED points over the range. For "all stored data" the first answer spans decades, so
 * the window is narrowed to the steps that hold requests, a few times at most.
 */
async function redOverData(filter, range, q, signal) {
  let window = { ...q };
  let red = await api.red({ ...filter, ...window }, signal);
  for (let i = 0; range.start === undefined && i < 4; i++) {
    const busy = red.points.filter((p) => p.requests > 0);
    if (busy.length === 0 || busy.length >= red.points.length / 4) break;
    const step = red.stepNanos / 1e6;
    const start = Math.floor(nanosToMillis(busy[0].timestampUnixNano));
    const end = Math.min(q.end, Math.ceil(nanosToMillis(busy[busy.length - 1].timestampUnixNano) + step));
    if (start <= window.start && end >= window.end) break;
    window = { start, end };
    red = await api.red({ ...filter, ...window }, signal);
  }
  return { red, window };
}

async function loadHistogram(box, filter, q, selectedLower, signal) {
  try {
    const answer = await api.histogram({ ...filter, ...q }, signal);
    const buckets = answer.buckets.map((b) => ({
      lower: b.lowerNanos, upper: b.upperNanos, count: b.count,
      exampleTraceID: b.exampleTraceID, exampleErrorTraceID: b.exampleErrorTraceID,
    }));
    const title = h('h2', null, 'Latency distribution ', h('span', { class: 'muted' }, `${formatCount(answer.total)} requests`));
    if (answer.total === 0) {
      replace(box, title, h('div', { class: 'empty' }, 'No requests in this time range.'));
      return;
    }
    const slowest = [...buckets].reverse().find((b) => b.exampleTraceID);
    const erroring = [...buckets].reverse().find((b) => b.exampleErrorTraceID);
    const highlights = h('div', { class: 'example-highlights' },
      slowest ? h('a', { href: `/trace/${slowest.exampleTraceID}`, class: 'example-highlight', 'data-testid': 'slowest-trace', title: slowest.exampleTraceID },
        'Slowest trace ', h('code', null, shortID(slowest.exampleTraceID)),
        h('span', { class: 'muted' }, ` ${formatDuration(slowest.lower)} – ${formatDuration(slowest.upper)}`)) : null,
      erroring ? h('a', { href: `/trace/${erroring.exampleErrorTraceID}`, class: 'example-highlight error', 'data-testid': 'erroring-trace', title: erroring.exampleErrorTraceID },
        'An erroring trace ', h('code', null, shortID(erroring.exampleErrorTraceID)),
        h('span', { class: 'muted' }, ` ${formatDuration(erroring.lower)} – ${formatDuration(erroring.upper)}`))
        : h('span', { class: 'muted' }, 'No erroring requests.'));

    const rows = new Map();
    const selectRow = (lower, scroll) => {
      for (const [key, row] of rows) row.classList.toggle('selected', key === String(lower));
      const row = rows.get(String(lower));
      if (row && scroll) row.scrollIntoView({ block: 'nearest' });
    };
    const table = h('table', { class: 'data buckets-table' },
      h('thead', null, h('tr', null, h('th', null, 'Latency'), h('th', { class: 'num' }, 'Requests'), h('th', null, 'Example'), h('th', null, 'Erroring example'))),
      h('tbody', null, buckets.filter((b) => b.count > 0).map((b) => {
        const row = h('tr', { 'data-lower': b.lower },
          h('td', null, `${formatDuration(b.lower)} – ${formatDuration(b.upper)}`),
          h('td', { class: 'num' }, formatCount(b.count)),
          h('td', null, b.exampleTraceID ? h('a', { href: `/trace/${b.exampleTraceID}`, 'data-testid': 'example-trace', title: b.exampleTraceID }, h('code', null, shortID(b.exampleTraceID))) : '–'),
          h('td', null, b.exampleErrorTraceID ? h('a', { href: `/trace/${b.exampleErrorTraceID}`, 'data-testid': 'example-error-trace', class: 'error-text', title: b.exampleErrorTraceID }, h('code', null, shortID(b.exampleErrorTraceID))) : '–'));
        rows.set(String(b.lower), row);
        return row;
      })));
    const chart = histogramChart({
      buckets,
      xFormat: formatDuration,
      selected: buckets.findIndex((b) => String(b.lower) === selectedLower),
      onBucketClick: (bucket) => {
        updateParams((p) => p.set('bucket', String(bucket.lower)));
        selectRow(bucket.lower, true);
      },
    });
    replace(box, title, highlights, chart,
      h('p', { class: 'muted histogram-hint' }, 'Bars on a logarithmic latency axis; a red dot marks a bucket with an erroring example. Click a bar for its examples.'),
      h('div', { class: 'buckets-scroll' }, table));
    if (selectedLower) selectRow(selectedLower, false);
  } catch (error) {
    if (error.name !== 'AbortError') replace(box, h('h2', null, 'Latency distribution'), errorBox(error));
  }
}
