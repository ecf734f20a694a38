// The statistics tab of a trace: per service or per operation (service and span name),
// how many spans, their total and self time (the time none of a span's children covers),
// average, maximum and errors, with each group's share of the trace's self time. Computed
// here from the trace model; the grouping and the sort live in the URL (statsBy, statsSort).

import { h, replace } from '../../lib/dom.js';
import { formatDuration, formatPercent } from '../../lib/format.js';
import { serviceColor } from '../../lib/colors.js';
import { updateParams } from '../../app.js';

/** At most this many rows are drawn; the totals always cover every span. */
const MAX_ROWS = 1000;

const COLUMNS = [
  { key: 'service', label: 'Service', text: true },
  { key: 'operation', label: 'Operation', text: true, only: 'operation' },
  { key: 'count', label: 'Count', testid: 'stats-count' },
  { key: 'total', label: 'Total', testid: 'stats-total' },
  { key: 'self', label: 'Self time', testid: 'stats-self' },
  { key: 'share', label: '% of self time' },
  { key: 'average', label: 'Average' },
  { key: 'max', label: 'Max' },
  { key: 'errors', label: 'Errors', testid: 'stats-errors' },
];

/**
 * Every span's self time in ns, indexed by span.index: its duration minus the union of
 * its children's intervals clipped to it. Children sorted by start make it O(n log n).
 */
export function selfTimes(trace) {
  const self = new Float64Array(trace.spans.length);
  const byStart = (a, b) => a.start - b.start;
  for (const span of trace.spans) {
    let children = span.children;
    if (children.length === 0) {
      self[span.index] = span.duration;
      continue;
    }
    for (let i = 1; i < children.length; i++) {
      if (children[i - 1].start > children[i].start) {
        children = [...children].sort(byStart);
        break;
      }
    }
    let covered = 0;
    let runStart = 0;
    let runEnd = -Infinity;
    for (const child of children) {
      const start = Math.max(child.start, span.start);
      const end = Math.min(child.end, span.end);
      if (end <= start) continue;
      if (start > runEnd) {
        if (runEnd > runStart) covered += runEnd - runStart;
        runStart = start;
        runEnd = end;
      } else if (end > runEnd) {
        runEnd = end;
      }
    }
    if (runEnd > runStart) covered += runEnd - runStart;
    self[span.index] = span.duration - covered;
  }
  return self;
}

/** Rows per service or per operation: {service, operation, count, total, self, max, errors, average}. */
export function aggregate(trace, by, self = selfTimes(trace)) {
  const rows = [];
  const services = new Map();
  for (const span of trace.spans) {
    let operations = services.get(span.service);
    if (!operations) services.set(span.service, (operations = new Map()));
    const key = by === 'service' ? '' : span.name;
    let row = operations.get(key);
    if (!row) {
      row = { service: span.service, operation: by === 'service' ? null : span.name, count: 0, total: 0, self: 0, max: 0, errors: 0 };
      operations.set(key, row);
      rows.push(row);
    }
    row.count += 1;
    row.total += span.duration;
    row.self += self[span.index];
    if (span.duration > row.max) row.max = span.duration;
    if (span.error) row.errors += 1;
  }
  for (const row of rows) row.average = row.count ? row.total / row.count : 0;
  return rows;
}

function totalsOf(rows) {
  const t = { count: 0, total: 0, self: 0, max: 0, errors: 0 };
  for (const r of rows) {
    t.count += r.count;
    t.total += r.total;
    t.self += r.self;
    t.errors += r.errors;
    if (r.max > t.max) t.max = r.max;
  }
  t.average = t.count ? t.total / t.count : 0;
  return t;
}

function readState() {
  const params = new URLSearchParams(location.search);
  const by = params.get('statsBy') === 'service' ? 'service' : 'operation';
  const [key, dir] = String(params.get('statsSort') || 'self:desc').split(':');
  const column = COLUMNS.find((c) => c.key === key);
  return { by, sortKey: column ? key : 'self', sortDir: dir === 'asc' ? 'asc' : 'desc' };
}

const collator = new Intl.Collator();
// formatCount's output, from one formatter: toLocaleString builds one per call, too slow for a thousand rows.
const integer = new Intl.NumberFormat('en-US');
const formatCount = (n) => integer.format(n);

function compareRows(key, dir) {
  const sign = dir === 'asc' ? 1 : -1;
  const value = (row) => (key === 'share' ? row.self : row[key]);
  const text = key === 'service' || key === 'operation';
  return (a, b) => {
    let order = text ? collator.compare(value(a) ?? '', value(b) ?? '') : value(a) - value(b);
    if (order === 0) order = collator.compare(a.service, b.service) || collator.compare(a.operation ?? '', b.operation ?? '');
    return sign * order;
  };
}

function nameCell(text, service) {
  return h('td', { class: 'stats-name', title: text },
    service ? h('span', { class: 'chip', style: { '--chip-color': serviceColor(text) } }, text) : h('span', { class: 'stats-op' }, text));
}

function durationCell(nanos, testid) {
  return h('td', { class: 'num', 'data-testid': testid, 'data-value': String(nanos), title: `${formatCount(Math.round(nanos))} ns` }, formatDuration(nanos));
}

function shareCell(ratio) {
  return h('td', { class: 'num stats-share' },
    h('span', { class: 'stats-bar', 'aria-hidden': 'true' }, h('span', { class: 'stats-bar-fill', style: { width: `${Math.max(0, Math.min(1, ratio)) * 100}%` } })),
    h('span', { class: 'stats-share-text' }, formatPercent(ratio)));
}

/** The count, duration and error cells of a row (or of the totals, without test hooks). */
function numberCells(row, traceSelf, testids) {
  const id = (name) => (testids ? name : undefined);
  return [
    h('td', { class: 'num', 'data-testid': id('stats-count'), 'data-value': String(row.count) }, formatCount(row.count)),
    durationCell(row.total, id('stats-total')),
    durationCell(row.self, id('stats-self')),
    shareCell(traceSelf > 0 ? row.self / traceSelf : 0),
    durationCell(row.average),
    durationCell(row.max),
    h('td', { class: ['num', row.errors > 0 && 'stats-has-errors'], 'data-testid': id('stats-errors'), 'data-value': String(row.errors) },
      row.errors > 0 ? h('span', { class: 'badge-error' }, formatCount(row.errors)) : '0'),
  ];
}

/** Draws the statistics of `trace` into `container`. */
export function renderStats(container, trace) {
  const self = selfTimes(trace);
  const cache = new Map();
  const rowsBy = (by) => {
    if (!cache.has(by)) cache.set(by, aggregate(trace, by, self));
    return cache.get(by);
  };
  const body = h('div', { class: 'stats-body' });

  function draw() {
    const state = readState();
    const rows = [...rowsBy(state.by)].sort(compareRows(state.sortKey, state.sortDir));
    const totals = totalsOf(rows);
    const columns = COLUMNS.filter((c) => !c.only || c.only === state.by);

    const header = columns.map((c) => {
      const active = c.key === state.sortKey;
      const nextDir = active ? (state.sortDir === 'asc' ? 'desc' : 'asc') : c.text ? 'asc' : 'desc';
      return h('th', {
        class: ['sortable', !c.text && 'num', active && `sorted-${state.sortDir}`],
        'aria-sort': active ? (state.sortDir === 'asc' ? 'ascending' : 'descending') : 'none',
        scope: 'col',
        tabindex: '0',
        'data-sort': c.key,
        onClick: () => setState({ sort: `${c.key}:${nextDir}` }),
        onKeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            setState({ sort: `${c.key}:${nextDir}` });
          }
        },
      }, c.label);
    });

    const shown = rows.slice(0, MAX_ROWS);
    const table = h('table', { class: 'data stats-table', 'data-testid': 'trace-stats', 'data-group': state.by },
      h('thead', null, h('tr', null, header)),
      h('tbody', null, shown.map((row) => h('tr', {
        'data-testid': 'stats-row',
        'data-service': row.service,
        'data-operation': state.by === 'operation' ? row.operation : undefined,
      }, nameCell(row.service, true), state.by === 'operation' ? nameCell(row.operation, false) : null,
      numberCells(row, totals.self, true)))),
      h('tfoot', null, h('tr', { class: 'stats-totals', 'data-testid': 'stats-totals' },
        h('th', { scope: 'row', colspan: state.by === 'operation' ? '2' : '1' },
          `Total (${formatCount(rows.length)} ${state.by === 'operation' ? 'operations' : 'services'})`),
        numberCells(totals, totals.self, false))));

    const toggle = (by, label) => h('button', {
      type: 'button',
      class: state.by === by ? 'active' : null,
      'aria-pressed': state.by === by ? 'true' : 'false',
      'data-testid': `stats-group-${by}`,
      onClick: () => setState({ by }),
    }, label);

    replace(body,
      h('div', { class: 'stats-toolbar' },
        h('span', { class: 'muted' }, 'Group by'),
        h('div', { class: 'stats-toggle', role: 'group', 'aria-label': 'Group by' },
          toggle('operation', 'Operation'), toggle('service', 'Service')),
        h('span', { class: 'muted stats-note' },
          'Self time: the part of a span no child span covers. Share: of the trace’s total self time (',
          formatDuration(totals.self), ').')),
      rows.length > MAX_ROWS
        ? h('p', { class: 'muted' }, `Showing the first ${formatCount(MAX_ROWS)} of ${formatCount(rows.length)} rows in this order; the totals cover all.`)
        : null,
      h('div', { class: 'stats-scroll' }, table));
  }

  function setState({ by, sort }) {
    updateParams((params) => {
      if (by) {
        if (by === 'service') params.set('statsBy', 'service');
        else params.delete('statsBy');
        const current = readState();
        if (current.sortKey === 'operation' && by === 'service') params.delete('statsSort');
      }
      if (sort) {
        if (sort === 'self:desc') params.delete('statsSort');
        else params.set('statsSort', sort);
      }
    });
    draw();
  }

  if (trace.spans.length === 0) {
    replace(container, h('div', { class: 'empty' }, 'This trace has no spans.'));
    return undefined;
  }
  draw();
  replace(container, body);
  return undefined;
}
