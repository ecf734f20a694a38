// The compare view, /compare?a={id}&b={id}&mode=table|merged|side: two traces of the same
// request, showing which operations appeared (added), disappeared (removed) or changed
// duration (slower, faster) from A, the baseline, to B. A table of the places the server
// compared (a place is a span's service and name with those of its ancestors), the merged
// tree of both traces by place, or both traces' spans side by side. The IDs, the mode and
// the table's options live in the URL.

import { h, replace, clear } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { buildTrace } from '../lib/trace-model.js';
import { formatCount, formatDuration, formatPercent } from '../lib/format.js';
import { serviceColor } from '../lib/colors.js';
import { navigate, updateParams, errorBox } from '../app.js';

const ID_PATTERN = /^[0-9a-f]{1,32}$/;
const CHANGES = ['added', 'removed', 'slower', 'faster', 'unchanged'];
const MODES = [
  { key: 'table', label: 'Table' },
  { key: 'merged', label: 'Merged tree' },
  { key: 'side', label: 'Side by side' },
];
const MARKS = { added: '+', removed: '−', slower: '▲', faster: '▼', unchanged: '' };
/** Rows drawn at most per list; a note says when there are more. */
const MAX_ROWS = 2000;
/** Rows the merged tree opens to at first. */
const OPEN_BUDGET = 300;

/** A signed duration: "+12 ms", "−3 ms", "±0 ns". */
function formatDelta(nanos) {
  const sign = nanos > 0 ? '+' : nanos < 0 ? '−' : '±';
  return `${sign}${formatDuration(Math.abs(nanos))}`;
}

/** The change from a to b as a percentage of a: "+25%", "−10%"; "new" or "gone" without one side. */
function formatRelative(a, b) {
  if (a === 0 && b === 0) return '±0%';
  if (a === 0) return 'new';
  if (b === 0) return 'gone';
  const ratio = (b - a) / a;
  return `${ratio > 0 ? '+' : ratio < 0 ? '−' : '±'}${formatPercent(Math.abs(ratio))}`;
}

function changeBadge(change) {
  return h('span', { class: ['compare-badge', `change-${change}`] }, MARKS[change] ? `${MARKS[change]} ${change}` : change);
}

function serviceChip(service) {
  if (!service) return h('span', { class: 'chip muted', title: 'The span’s resource has no service.name' }, '(no service)');
  return h('span', { class: 'chip', title: service, style: { '--chip-color': serviceColor(service) } }, service);
}

/** The note under a list cut at MAX_ROWS. */
function cutNote(shown, total, what) {
  return total > shown ? h('p', { class: 'muted' }, `Showing the first ${formatCount(shown)} of ${formatCount(total)} ${what}.`) : null;
}

/**
 * Numbers places (parent place and "service: operation" step) the way the server does, so
 * entries and spans of either trace meet at the same number.
 */
function placeNumbers() {
  const numbers = new Map();
  return (parent, step) => {
    const key = `${parent}|${step}`;
    let n = numbers.get(key);
    if (n === undefined) {
      n = numbers.size;
      numbers.set(key, n);
    }
    return n;
  };
}

/**
 * The comparison's entries with their depth, parent entry and place number. The server sorts
 * entries by path with a prefix first, so an entry's parent is the latest entry one level up.
 */
function indexEntries(entries, number) {
  const stack = [];
  return entries.map((entry, index) => {
    const path = Array.isArray(entry.path) && entry.path.length ? entry.path.map(String) : [`${entry.service}: ${entry.operation}`];
    const depth = path.length - 1;
    const parent = depth > 0 && stack[depth - 1] ? stack[depth - 1] : null;
    const node = {
      index,
      entry,
      path,
      depth,
      parent,
      children: [],
      place: number(parent ? parent.place : -1, path[depth]),
      a: Number(entry.totalDurationNanosA) || 0,
      b: Number(entry.totalDurationNanosB) || 0,
      changesInside: 0,
    };
    if (parent) parent.children.push(node);
    stack[depth] = node;
    stack.length = depth + 1;
    return node;
  });
}

/** Each span's place number, by span.index. A span whose parent is not in the trace starts a path. */
function spanPlaces(trace, number) {
  const places = new Int32Array(trace.spans.length).fill(-1);
  for (const span of trace.spans) {
    const parent = span.parent && places[span.parent.index] >= 0 ? places[span.parent.index] : -1;
    // The server names a span without a service.name "", where the trace model says unknown_service.
    const service = span.resource.some((a) => a.key === 'service.name') ? span.service : '';
    places[span.index] = number(parent, `${service}: ${span.name}`);
  }
  return places;
}

/** The input form: two IDs, a swap button and Compare. Submitting navigates. */
function compareForm(a, b, mode) {
  const inputA = h('input', { id: 'compare-a', name: 'a', 'data-testid': 'compare-a', value: a, placeholder: 'Trace ID (A, the baseline)', autocomplete: 'off', spellcheck: 'false' });
  const inputB = h('input', { id: 'compare-b', name: 'b', 'data-testid': 'compare-b', value: b, placeholder: 'Trace ID (B)', autocomplete: 'off', spellcheck: 'false' });
  const problem = h('div', { class: 'compare-form-problem', role: 'alert', 'data-testid': 'compare-form-error' });
  const submit = (event) => {
    event.preventDefault();
    const ida = inputA.value.trim().toLowerCase();
    const idb = inputB.value.trim().toLowerCase();
    const problems = [idProblem('A', ida), idProblem('B', idb)].filter(Boolean);
    if (problems.length) {
      replace(problem, problems.join(' '));
      return;
    }
    clear(problem);
    const params = new URLSearchParams({ a: ida, b: idb });
    if (mode !== 'table') params.set('mode', mode);
    navigate(`/compare?${params}`);
  };
  const swap = () => {
    const t = inputA.value;
    inputA.value = inputB.value;
    inputB.value = t;
  };
  return h('form', { class: 'panel compare-form', onSubmit: submit },
    h('div', { class: 'compare-field' }, h('label', { for: 'compare-a' }, 'Trace A (baseline)'), inputA),
    h('button', { type: 'button', class: 'compare-swap', title: 'Swap A and B', 'aria-label': 'Swap A and B', onClick: swap }, '⇄'),
    h('div', { class: 'compare-field' }, h('label', { for: 'compare-b' }, 'Trace B'), inputB),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'compare-submit' }, 'Compare'),
    problem);
}

/** Why an ID cannot be compared, or null. */
function idProblem(label, id) {
  if (!id) return `Enter the ID of trace ${label}.`;
  if (!ID_PATTERN.test(id)) return `Trace ${label}: “${id.length > 40 ? `${id.slice(0, 39)}…` : id}” is not a trace ID (1 to 32 hexadecimal digits).`;
  return null;
}

/** The message for a trace that did not load. */
function loadProblem(label, id, error) {
  if (error.status === 404) return `Trace ${label} (${id}) was not found.`;
  return `Trace ${label} (${id}) could not be loaded: ${error.message}`;
}

function traceSummary(label, role, id, trace) {
  const root = trace.roots[0] || trace.spans[0];
  return h('section', { class: 'panel compare-trace', 'data-testid': `compare-summary-${label.toLowerCase()}` },
    h('h2', null, `${label} `, h('span', { class: 'muted' }, role), ' ',
      h('a', { href: `/trace/${id}`, class: 'mono compare-id', title: `Open trace ${id}`, 'data-testid': `compare-link-${label.toLowerCase()}` }, id)),
    h('dl', { class: 'kv' },
      h('dt', null, 'Root'),
      h('dd', { class: 'compare-root', title: root ? `${root.service}: ${root.name}` : '' },
        root ? [serviceChip(root.service), ' ', root.name] : '–'),
      h('dt', null, 'Duration'), h('dd', { 'data-testid': 'compare-duration' }, formatDuration(trace.duration)),
      h('dt', null, 'Spans'), h('dd', { 'data-testid': 'compare-span-count' }, formatCount(trace.spans.length)),
      h('dt', null, 'Services'), h('dd', null, formatCount(trace.services.length)),
      h('dt', null, 'Errors'), h('dd', null, trace.errorCount ? h('span', { class: 'badge-error' }, formatCount(trace.errorCount)) : '0')));
}

function deltaSummary(traceA, traceB, counts) {
  const d = traceB.duration - traceA.duration;
  return h('section', { class: 'panel compare-delta' },
    h('h2', null, 'B against A'),
    h('dl', { class: 'kv' },
      h('dt', null, 'Duration'),
      h('dd', { class: d > 0 ? 'delta-slower' : d < 0 ? 'delta-faster' : null }, `${formatDelta(d)} (${formatRelative(traceA.duration, traceB.duration)})`),
      h('dt', null, 'Spans'), h('dd', null, `${formatCount(traceA.spans.length)} → ${formatCount(traceB.spans.length)}`)),
    h('div', { class: 'compare-counts', 'data-testid': 'compare-counts' },
      CHANGES.map((change) => h('span', { class: ['compare-count', `change-${change}`], 'data-testid': `compare-count-${change}`, 'data-count': String(counts[change]) },
        h('strong', null, formatCount(counts[change])), ` ${change}`))));
}

function durationBars(node, max) {
  const width = (v) => `${max > 0 ? Math.max(v > 0 ? 0.5 : 0, (v / max) * 100) : 0}%`;
  return h('span', { class: 'compare-bars', 'aria-hidden': 'true' },
    h('span', { class: 'compare-bar bar-a', style: { width: width(node.a) } }),
    h('span', { class: ['compare-bar', 'bar-b', `change-${node.entry.change}`], style: { width: width(node.b) } }));
}

/** The table of places: change, operation, path, counts and totals in A and B, the delta. */
function entryTable(nodes, options, onOption) {
  const shownNodes = (options.changed ? nodes.filter((n) => n.entry.change !== 'unchanged') : [...nodes]);
  if (options.sort === 'delta') shownNodes.sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a) || x.index - y.index);
  const rows = shownNodes.slice(0, MAX_ROWS);
  const treeOrder = options.sort !== 'delta';
  const table = h('table', { class: 'data compare-table', 'data-testid': 'compare-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Change'), h('th', null, 'Service'), h('th', null, 'Operation'), h('th', null, 'Called from'),
      h('th', { class: 'num' }, 'Count A'), h('th', { class: 'num' }, 'Count B'),
      h('th', { class: 'num' }, 'Total A'), h('th', { class: 'num' }, 'Total B'),
      h('th', { class: 'num' }, 'Δ'), h('th', { class: 'num' }, 'Δ %'))),
    h('tbody', null, rows.map((node) => {
      const { entry } = node;
      const caller = node.path.slice(0, -1).join(' › ');
      return h('tr', {
        class: ['compare-row', `change-${entry.change}`],
        'data-testid': 'compare-row',
        'data-change': entry.change,
        'data-service': entry.service,
        'data-operation': entry.operation,
        'data-depth': String(node.depth),
      },
      h('td', null, changeBadge(entry.change)),
      h('td', { class: 'compare-cut' }, serviceChip(entry.service)),
      h('td', { class: 'compare-cut compare-op', title: entry.operation },
        h('span', { style: { paddingLeft: treeOrder ? `${Math.min(node.depth, 16) * 12}px` : '0' } }, entry.operation)),
      h('td', { class: 'compare-cut muted', title: caller }, caller || '(root)'),
      h('td', { class: 'num' }, formatCount(entry.countA)),
      h('td', { class: 'num' }, formatCount(entry.countB)),
      h('td', { class: 'num', 'data-value': String(node.a) }, entry.countA ? formatDuration(node.a) : '–'),
      h('td', { class: 'num', 'data-value': String(node.b) }, entry.countB ? formatDuration(node.b) : '–'),
      h('td', { class: 'num compare-delta-cell', 'data-testid': 'compare-delta', 'data-value': String(node.b - node.a) }, formatDelta(node.b - node.a)),
      h('td', { class: 'num compare-delta-cell' }, formatRelative(node.a, node.b)));
    })));
  return h('div', { class: 'compare-table-view' },
    h('div', { class: 'compare-options' },
      h('label', { class: 'compare-check' },
        h('input', { type: 'checkbox', checked: options.changed, 'data-testid': 'compare-only-changed', onChange: (e) => onOption('changed', e.target.checked ? '1' : null) }),
        ' Only changes'),
      h('label', { class: 'compare-check' }, 'Order ',
        h('select', { 'data-testid': 'compare-sort', onChange: (e) => onOption('sort', e.target.value === 'delta' ? 'delta' : null) },
          h('option', { value: 'tree', selected: treeOrder }, 'by call tree'),
          h('option', { value: 'delta', selected: !treeOrder }, 'by largest change')))),
    shownNodes.length === 0 ? h('div', { class: 'empty' }, 'No operation changed beyond the tolerance (a tenth of A’s total or 1 ms).') : h('div', { class: 'compare-scroll' }, table),
    cutNote(rows.length, shownNodes.length, 'places'));
}

/**
 * The nodes to show collapsed at first: levels open breadth-first while the rows shown stay
 * within a budget, so a large tree opens on its outline and every root is in view. Nodes
 * below a collapsed one start collapsed too, so opening one shows one level.
 */
function initiallyCollapsed(nodes, budget) {
  const open = new Set();
  let level = nodes.filter((n) => !n.parent);
  let shown = level.length;
  while (level.length) {
    const next = [];
    for (const node of level) {
      if (node.children.length && shown + node.children.length <= budget) {
        open.add(node.index);
        shown += node.children.length;
        next.push(...node.children);
      }
    }
    level = next;
  }
  return new Set(nodes.filter((n) => n.children.length && !open.has(n.index)).map((n) => n.index));
}

/** The merged tree: both traces' places as one tree, each node with its change and A and B totals. */
function mergedTree(nodes) {
  const collapsed = initiallyCollapsed(nodes, OPEN_BUDGET);
  const max = nodes.reduce((m, n) => Math.max(m, n.a, n.b), 0);
  for (const node of nodes) {
    if (node.entry.change === 'unchanged') continue;
    for (let p = node.parent; p; p = p.parent) p.changesInside += 1;
  }
  const list = h('div', { class: 'compare-tree', role: 'tree' });

  function draw() {
    const rows = [];
    const stack = [...nodes.filter((n) => !n.parent)].reverse();
    while (stack.length && rows.length < MAX_ROWS) {
      const node = stack.pop();
      rows.push(nodeRow(node));
      if (!collapsed.has(node.index)) for (let c = node.children.length - 1; c >= 0; c--) stack.push(node.children[c]);
    }
    replace(list, rows, cutNote(rows.length, nodes.length, 'places'));
  }

  function nodeRow(node) {
    const { entry } = node;
    const open = !collapsed.has(node.index);
    const toggle = node.children.length
      ? h('button', { type: 'button', class: 'compare-toggle', 'aria-label': open ? 'Collapse' : 'Expand', 'aria-expanded': open ? 'true' : 'false',
        onClick: () => { if (open) collapsed.add(node.index); else collapsed.delete(node.index); draw(); } }, open ? '▾' : '▸')
      : h('span', { class: 'compare-toggle-space' });
    const counts = entry.countA === entry.countB ? `×${formatCount(entry.countA)}` : `×${formatCount(entry.countA)} → ×${formatCount(entry.countB)}`;
    let times;
    if (entry.change === 'added') times = `B ${formatDuration(node.b)}`;
    else if (entry.change === 'removed') times = `A ${formatDuration(node.a)}`;
    else times = `A ${formatDuration(node.a)} → B ${formatDuration(node.b)} (${formatDelta(node.b - node.a)}, ${formatRelative(node.a, node.b)})`;
    return h('div', {
      class: ['compare-node', `change-${entry.change}`],
      role: 'treeitem',
      'aria-level': String(node.depth + 1),
      'data-testid': 'compare-node',
      'data-change': entry.change,
      'data-service': entry.service,
      'data-operation': entry.operation,
      'data-depth': String(node.depth),
      title: node.path.join(' › '),
    },
    h('span', { class: 'compare-node-label', style: { paddingLeft: `${Math.min(node.depth, 24) * 14}px` } },
      toggle, serviceChip(entry.service), h('span', { class: 'compare-node-op' }, entry.operation)),
    h('span', { class: 'compare-node-change' }, changeBadge(entry.change),
      !open && node.changesInside ? h('span', { class: 'compare-inside' }, `${formatCount(node.changesInside)} changed inside`) : null),
    h('span', { class: 'compare-node-count muted' }, counts),
    h('span', { class: 'compare-node-times', 'data-testid': 'compare-node-times' }, times),
    durationBars(node, max));
  }

  draw();
  return h('div', { class: 'compare-merged', 'data-testid': 'compare-merged' },
    h('div', { class: 'compare-legend muted' },
      'Each place is a span’s service and name under the same chain of callers. Bars: ',
      h('span', { class: 'compare-bar-key bar-a' }), ' A total, ', h('span', { class: 'compare-bar-key bar-b' }), ' B total.'),
    nodes.length ? list : h('div', { class: 'empty' }, 'Neither trace has spans.'));
}

/** One trace's spans as a compact waterfall, rows marked with the change of their place. */
function sideList(label, id, trace, places, changeOf, scale) {
  const spans = trace.spans.slice(0, MAX_ROWS);
  return h('section', { class: 'panel compare-side-col', 'data-testid': `compare-side-${label.toLowerCase()}` },
    h('h2', null, `${label} `, h('a', { href: `/trace/${id}`, class: 'mono compare-id', title: `Open trace ${id}` }, id), ' ',
      h('span', { class: 'muted' }, `${formatDuration(trace.duration)}, ${formatCount(trace.spans.length)} spans`)),
    h('div', { class: 'compare-side-list' }, spans.map((span) => {
      const change = changeOf.get(places[span.index]) || 'unchanged';
      return h('div', {
        class: ['compare-side-row', `change-${change}`, change !== 'unchanged' && 'differs', span.error && 'is-error'],
        'data-testid': 'compare-side-row',
        'data-change': change,
        'data-service': span.service,
        'data-operation': span.name,
        title: `${span.service}: ${span.name} — ${formatDuration(span.duration)}${change !== 'unchanged' ? ` (${change})` : ''}`,
      },
      h('span', { class: 'compare-side-mark' }, MARKS[change]),
      h('span', { class: 'compare-side-name', style: { paddingLeft: `${Math.min(span.depth, 20) * 10}px` } },
        h('span', { class: 'compare-side-swatch', style: { background: serviceColor(span.service) } }), span.name),
      h('span', { class: 'compare-side-track' },
        h('span', { class: 'compare-side-bar', style: {
          left: `${(span.start / scale) * 100}%`,
          width: `${Math.max((span.duration / scale) * 100, 0.3)}%`,
          background: serviceColor(span.service),
        } })),
      h('span', { class: 'compare-side-duration' }, formatDuration(span.duration)));
    })),
    cutNote(spans.length, trace.spans.length, 'spans'));
}

function sideBySide(idA, idB, traceA, traceB, nodes, number) {
  const changeOf = new Map(nodes.map((n) => [n.place, n.entry.change]));
  const scale = Math.max(traceA.duration, traceB.duration, 1);
  return h('div', { class: 'compare-side', 'data-testid': 'compare-side' },
    h('p', { class: 'muted compare-legend' }, 'Both on one time scale. Marked rows: ',
      CHANGES.filter((c) => c !== 'unchanged').map((c) => [h('span', { class: ['compare-side-mark', `change-${c}`] }, MARKS[c]), ` ${c} `])),
    h('div', { class: 'compare-side-cols' },
      sideList('A', idA, traceA, spanPlaces(traceA, number), changeOf, scale),
      sideList('B', idB, traceB, spanPlaces(traceB, number), changeOf, scale)));
}

function readOptions() {
  const params = new URLSearchParams(location.search);
  const mode = MODES.some((m) => m.key === params.get('mode')) ? params.get('mode') : 'table';
  return { mode, changed: params.get('changed') === '1', sort: params.get('sort') === 'delta' ? 'delta' : 'tree' };
}

/** The comparison of two loaded traces: summaries, counts, the mode tabs and the mode's body. */
function comparison(idA, idB, traceA, traceB, entries) {
  const number = placeNumbers();
  const nodes = indexEntries(entries, number);
  const counts = Object.fromEntries(CHANGES.map((c) => [c, 0]));
  for (const node of nodes) if (node.entry.change in counts) counts[node.entry.change] += 1;
  const body = h('div', { class: 'compare-body' });
  const tabs = h('nav', { class: 'tabs compare-tabs' });

  function setOption(key, value) {
    updateParams((params) => {
      if (value === null) params.delete(key);
      else params.set(key, value);
    }, { push: key === 'mode' });
    draw();
  }

  function draw() {
    const options = readOptions();
    replace(tabs, MODES.map((m) => {
      const params = new URLSearchParams(location.search);
      if (m.key === 'table') params.delete('mode');
      else params.set('mode', m.key);
      return h('a', {
        href: `/compare?${params}`,
        class: options.mode === m.key ? 'active' : null,
        'data-testid': `compare-mode-${m.key}`,
        'aria-current': options.mode === m.key ? 'page' : null,
        onClick: (event) => {
          event.preventDefault();
          setOption('mode', m.key === 'table' ? null : m.key);
        },
      }, m.label);
    }));
    if (options.mode === 'merged') replace(body, mergedTree(nodes));
    else if (options.mode === 'side') replace(body, sideBySide(idA, idB, traceA, traceB, nodes, number));
    else replace(body, entryTable(nodes, options, setOption));
  }

  draw();
  return h('div', { class: 'compare-result', 'data-testid': 'compare-result' },
    h('div', { class: 'compare-summary' },
      traceSummary('A', 'baseline', idA, traceA),
      traceSummary('B', 'compared', idB, traceB),
      deltaSummary(traceA, traceB, counts)),
    tabs, body);
}

export async function render(root, route) {
  const a = (route.params.get('a') || '').trim().toLowerCase();
  const b = (route.params.get('b') || '').trim().toLowerCase();
  const { mode } = readOptions();
  const content = h('div', { class: 'compare-content' });
  replace(root, h('div', { class: 'page compare-page' },
    h('h1', null, 'Compare traces'),
    compareForm(a, b, mode),
    content));

  if (!a && !b) {
    replace(content, h('div', { class: 'empty' },
      'Enter two trace IDs to see which operations were added or removed and which got slower or faster from A to B.'));
    return undefined;
  }
  const problems = [idProblem('A', a), idProblem('B', b)].filter(Boolean);
  if (problems.length) {
    replace(content, h('div', { 'data-testid': 'compare-error' }, problems.map((p) => errorBox(p))));
    return undefined;
  }

  replace(content, h('div', { class: 'loading' }, 'Loading both traces…'));
  const [ra, rb, rc] = await Promise.allSettled([api.trace(a), api.trace(b), api.compare(a, b)]);

  const failures = [];
  if (ra.status === 'rejected') failures.push(loadProblem('A', a, ra.reason));
  if (rb.status === 'rejected') failures.push(loadProblem('B', b, rb.reason));
  if (!failures.length && rc.status === 'rejected') failures.push(`The comparison failed: ${rc.reason.message}`);
  if (failures.length) {
    replace(content, h('div', { 'data-testid': 'compare-error' }, failures.map((p) => errorBox(p))));
    return undefined;
  }

  const entries = (rc.value && Array.isArray(rc.value.entries)) ? rc.value.entries : [];
  replace(content, comparison(a, b, buildTrace(ra.value), buildTrace(rb.value), entries));
  return undefined;
}
