// The service map: /map?range=…&service=…&from=…&to=…
// Services are boxes and calls between them (a span whose parent is in another
// service) are arrows, labelled with call rate, error rate and p95 latency. The graph
// is laid out in layers from the callers down (see layoutGraph). Clicking a service
// opens its operations in a side panel (?service=), clicking an arrow its numbers
// (?from=&to=). Drag to pan, wheel or the buttons to zoom.

import { h, svg, replace, truncate } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { formatCount, formatDuration, formatPercent, formatRate } from '../lib/format.js';
import { serviceColor, ERROR_COLOR } from '../lib/colors.js';
import { rangeFromParams } from '../lib/time.js';
import { updateParams, errorBox } from '../app.js';
import { apiRange, rangeSelect, rangeQuery, serviceURL } from './services.js';

const NODE_W = 190;
const NODE_H = 54;
const COLUMN = NODE_W + 190; // node plus the gap its outgoing labels sit in
const ROW_GAP = 46;
const DUMMY_GAP = 26;
const COMPONENT_GAP = 70;
const EDGE_GRAY = [138, 150, 163];
const EDGE_RED = [1, 3, 5].map((i) => parseInt(ERROR_COLOR.slice(i, i + 2), 16));

export async function render(root, route) {
  const controller = new AbortController();
  const range = rangeFromParams(route.params, '1h');
  const q = apiRange(range);
  const seconds = range.start !== undefined ? (q.end - q.start) / 1000 : null;
  const graph = await api.dependencies(q, controller.signal);

  const canvas = h('div', { class: 'map-canvas' });
  const panel = h('aside', { class: 'map-panel' });
  panel.hidden = true;
  const zoomButtons = h('div', { class: 'map-zoom' });
  replace(root, h('div', { class: 'page map-page' },
    h('div', { class: 'page-header' }, h('h1', null, 'Service map'), rangeSelect(range), zoomButtons,
      h('span', { class: 'muted map-hint' }, 'Drag to pan, scroll to zoom; click a service or an arrow.')),
    h('div', { class: 'map-body' }, canvas, panel)));

  if (graph.nodes.length === 0) {
    replace(canvas, h('div', { class: 'empty' }, 'No spans in this time range. Try a longer one.'));
    return () => controller.abort();
  }

  const layout = layoutGraph(graph.nodes, graph.edges);
  const view = drawMap(layout, seconds);
  canvas.append(view.svg);
  const zoom = panZoom(view.svg, view.viewport, layout);
  replace(zoomButtons,
    h('button', { type: 'button', title: 'Zoom in', onClick: () => zoom.by(1.25) }, '+'),
    h('button', { type: 'button', title: 'Zoom out', onClick: () => zoom.by(0.8) }, '−'),
    h('button', { type: 'button', title: 'Fit the map to the window', onClick: () => zoom.fit() }, 'Fit'));

  let panelLoad = null;
  const show = (selection) => {
    if (panelLoad) panelLoad.abort();
    panelLoad = new AbortController();
    view.select(selection);
    if (!selection) {
      panel.hidden = true;
      replace(panel);
      return;
    }
    panel.hidden = false;
    if (selection.service !== undefined) servicePanel(panel, selection.service, graph, range, q, seconds, close, panelLoad.signal);
    else edgePanel(panel, selection, graph, range, seconds, close);
  };
  const choose = (selection) => {
    updateParams((p) => {
      for (const key of ['service', 'from', 'to']) p.delete(key);
      if (selection && selection.service !== undefined) p.set('service', selection.service);
      if (selection && selection.parent !== undefined) { p.set('from', selection.parent); p.set('to', selection.child); }
    }, { push: true });
    show(selection);
  };
  const close = () => choose(null);
  view.onSelect(choose);

  const params = route.params;
  if (params.has('service')) show({ service: params.get('service') });
  else if (params.has('from') && params.has('to')) show({ parent: params.get('from'), child: params.get('to') });

  return () => {
    controller.abort();
    if (panelLoad) panelLoad.abort();
    zoom.cleanup();
  };
}

// ---- layout ----

/**
 * Positions for a layered drawing, left to right. Each connected group of services is
 * laid out on its own and the groups are stacked; services that call no one and are
 * called by no one share a last row.
 * Within a group: back edges found by a depth-first search from the roots are left out
 * (so cycles do not matter), each service goes to the layer of its longest path from a
 * root, edges longer than one layer pass through placeholder points, a few barycenter
 * sweeps order each layer to reduce crossings, and each layer's positions are pulled
 * towards their neighbours'.
 * Returns {nodes: Map(name → {x, y, w, h, node}), edges: [{edge, points, back}], width, height}.
 */
function layoutGraph(nodes, edges) {
  const byName = new Map(nodes.map((n) => [n.service, n]));
  for (const e of edges) {
    for (const name of [e.parent, e.child]) if (!byName.has(name)) byName.set(name, { service: name, spanCount: 0, errorCount: 0 });
  }
  const calls = edges.filter((e) => e.parent !== e.child);
  const neighbours = new Map([...byName.keys()].map((n) => [n, new Set()]));
  for (const e of calls) { neighbours.get(e.parent).add(e.child); neighbours.get(e.child).add(e.parent); }

  const seen = new Set();
  const groups = [];
  const lonely = [];
  for (const name of [...byName.keys()].sort()) {
    if (seen.has(name)) continue;
    const members = [];
    const stack = [name];
    seen.add(name);
    while (stack.length) {
      const n = stack.pop();
      members.push(n);
      for (const m of neighbours.get(n)) if (!seen.has(m)) { seen.add(m); stack.push(m); }
    }
    if (members.length === 1) lonely.push(name);
    else groups.push(members);
  }
  groups.sort((a, b) => b.length - a.length);

  const placed = new Map();
  const routes = [];
  let top = 0;
  let width = NODE_W;
  for (const members of groups) {
    const set = new Set(members);
    const part = layoutGroup(members, calls.filter((e) => set.has(e.parent)));
    for (const [name, p] of part.nodes) placed.set(name, { ...p, y: p.y + top, node: byName.get(name) });
    for (const r of part.edges) routes.push({ ...r, points: r.points.map((pt) => ({ x: pt.x, y: pt.y + top })), below: r.below + top });
    top += part.height + COMPONENT_GAP;
    width = Math.max(width, part.width);
  }
  const perRow = Math.max(1, Math.floor((width + NODE_W * 0.5) / (NODE_W + 40)));
  lonely.forEach((name, i) => {
    placed.set(name, { x: (i % perRow) * (NODE_W + 40), y: top + Math.floor(i / perRow) * (NODE_H + ROW_GAP), w: NODE_W, h: NODE_H, node: byName.get(name) });
  });
  if (lonely.length) top += Math.ceil(lonely.length / perRow) * (NODE_H + ROW_GAP);
  else top -= COMPONENT_GAP;
  width = Math.max(width, Math.min(lonely.length, perRow) * (NODE_W + 40));
  const height = Math.max(top, ...routes.map((r) => r.below + 20));
  return { nodes: placed, edges: routes, width, height };
}

function layoutGroup(members, edges) {
  const out = new Map(members.map((n) => [n, []]));
  const inDegree = new Map(members.map((n) => [n, 0]));
  const balance = new Map(members.map((n) => [n, 0]));
  for (const e of edges) {
    out.get(e.parent).push(e);
    inDegree.set(e.child, inDegree.get(e.child) + 1);
    balance.set(e.parent, balance.get(e.parent) + e.callCount);
    balance.set(e.child, balance.get(e.child) - e.callCount);
  }
  for (const list of out.values()) list.sort((a, b) => (a.child < b.child ? -1 : 1));

  // Depth-first search from the roots (then from the services that call more than they
  // are called, for groups that are all cycle): an edge back to a service on the
  // search's path closes a cycle and is left out of the layering.
  const isRoot = (n) => (inDegree.get(n) === 0 ? 1 : 0);
  const starts = [...members].sort((a, b) => isRoot(b) - isRoot(a) || balance.get(b) - balance.get(a) || (a < b ? -1 : 1));
  const state = new Map();
  const order = [];
  const back = new Set();
  for (const start of starts) {
    if (state.has(start)) continue;
    const stack = [[start, 0]];
    state.set(start, 1);
    order.push(start);
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const list = out.get(frame[0]);
      if (frame[1] >= list.length) { state.set(frame[0], 2); stack.pop(); continue; }
      const e = list[frame[1]++];
      const s = state.get(e.child);
      if (s === 1) back.add(e);
      else if (s === undefined) { state.set(e.child, 1); order.push(e.child); stack.push([e.child, 0]); }
    }
  }
  const forward = edges.filter((e) => !back.has(e));

  // Longest path from a root, in topological order.
  const layer = new Map(members.map((n) => [n, 0]));
  const pending = new Map(members.map((n) => [n, 0]));
  for (const e of forward) pending.set(e.child, pending.get(e.child) + 1);
  const queue = order.filter((n) => pending.get(n) === 0);
  while (queue.length) {
    const n = queue.shift();
    for (const e of out.get(n)) {
      if (back.has(e)) continue;
      layer.set(e.child, Math.max(layer.get(e.child), layer.get(n) + 1));
      pending.set(e.child, pending.get(e.child) - 1);
      if (pending.get(e.child) === 0) queue.push(e.child);
    }
  }

  // Layers of vertices: the services, and a placeholder wherever an edge crosses a layer.
  const depth = Math.max(...layer.values()) + 1;
  const layers = Array.from({ length: depth }, () => []);
  const vertex = new Map();
  for (const n of order) {
    const v = { id: n, real: true, up: [], down: [] };
    vertex.set(n, v);
    layers[layer.get(n)].push(v);
  }
  const chains = [];
  for (const e of forward) {
    const chain = [vertex.get(e.parent)];
    for (let l = layer.get(e.parent) + 1; l < layer.get(e.child); l++) {
      const d = { id: `${e.parent}\u0000${e.child}\u0000${l}`, real: false, up: [], down: [] };
      layers[l].push(d);
      chain.push(d);
    }
    chain.push(vertex.get(e.child));
    for (let i = 1; i < chain.length; i++) { chain[i - 1].down.push(chain[i]); chain[i].up.push(chain[i - 1]); }
    chains.push({ edge: e, chain });
  }

  // Barycenter sweeps, down then up, keeping the order with the fewest crossings.
  const positions = () => { for (const l of layers) l.forEach((v, i) => { v.pos = i; }); };
  positions();
  let best = layers.map((l) => [...l]);
  let fewest = crossings(layers);
  for (let sweep = 0; sweep < 6 && fewest > 0; sweep++) {
    const down = sweep % 2 === 0;
    const range = down ? [...layers.keys()].slice(1) : [...layers.keys()].reverse().slice(1);
    for (const i of range) {
      const key = new Map(layers[i].map((v) => {
        const others = down ? v.up : v.down;
        return [v, others.length ? others.reduce((s, o) => s + o.pos, 0) / others.length : v.pos];
      }));
      layers[i].sort((a, b) => key.get(a) - key.get(b) || a.pos - b.pos);
      layers[i].forEach((v, k) => { v.pos = k; });
    }
    const count = crossings(layers);
    if (count < fewest) { fewest = count; best = layers.map((l) => [...l]); }
  }
  best.forEach((l, i) => { layers[i] = l; });
  positions();

  // Vertical positions: stacked, centred, then pulled towards their neighbours.
  const size = (v) => (v.real ? NODE_H : 0);
  const gap = (a, b) => (a.real && b.real ? ROW_GAP : DUMMY_GAP) + (size(a) + size(b)) / 2;
  for (const l of layers) {
    let y = 0;
    l.forEach((v, i) => { if (i) y += gap(l[i - 1], v); v.y = y; });
    const shift = -y / 2;
    for (const v of l) v.y += shift;
  }
  for (let pass = 0; pass < 8; pass++) {
    const down = pass % 2 === 0;
    const indices = down ? [...layers.keys()] : [...layers.keys()].reverse();
    for (const i of indices) place(layers[i], (v) => (down ? v.up : v.down));
  }
  const all = layers.flat();
  const minY = Math.min(...all.map((v) => v.y - size(v) / 2));
  const maxY = Math.max(...all.map((v) => v.y + size(v) / 2));
  for (const v of all) v.y -= minY;

  const nodes = new Map();
  for (const [name, v] of vertex) nodes.set(name, { x: layer.get(name) * COLUMN, y: v.y - NODE_H / 2, w: NODE_W, h: NODE_H });

  // An edge's points: out of the caller's right side, straight across each column it
  // passes (at its placeholder's height), into the callee's left side. Ports spread a
  // service's outgoing edges along its right side in the order of where they go, and
  // its incoming ones along its left side.
  const routes = chains.map(({ edge, chain }) => {
    const first = layer.get(edge.parent);
    const points = [{ x: first * COLUMN + NODE_W, y: chain[0].y }];
    for (let i = 1; i < chain.length - 1; i++) {
      points.push({ x: (first + i) * COLUMN, y: chain[i].y }, { x: (first + i) * COLUMN + NODE_W, y: chain[i].y });
    }
    points.push({ x: layer.get(edge.child) * COLUMN, y: chain[chain.length - 1].y });
    return { edge, back: false, points, below: 0 };
  });
  const spread = (name, list, end) => {
    const box = nodes.get(name);
    const neighbour = (r) => (end === 0 ? r.points[1].y : r.points[r.points.length - 2].y);
    list.sort((a, b) => neighbour(a) - neighbour(b));
    list.forEach((r, k) => {
      const point = end === 0 ? r.points[0] : r.points[r.points.length - 1];
      point.y = box.y + (box.h * (k + 1)) / (list.length + 1);
    });
  };
  for (const name of members) {
    spread(name, routes.filter((r) => r.edge.parent === name), 0);
    spread(name, routes.filter((r) => r.edge.child === name), 1);
  }
  // Back edges loop underneath the group, from the caller's bottom to the callee's.
  const height = maxY - minY;
  let loop = 0;
  for (const e of edges.filter((x) => back.has(x))) {
    const from = nodes.get(e.parent);
    const to = nodes.get(e.child);
    loop += 1;
    const offset = 10 + (loop % 5) * 8;
    routes.push({
      edge: e,
      back: true,
      points: [{ x: from.x + NODE_W / 2 - offset, y: from.y + NODE_H }, { x: to.x + NODE_W / 2 + offset, y: to.y + NODE_H }],
      below: height + 24 + loop * 16,
    });
  }
  const width = (depth - 1) * COLUMN + NODE_W;
  return { nodes, edges: routes, width, height: Math.max(height, ...routes.map((r) => r.below)) };
}

/**
 * Moves each vertex of a layer towards the mean height of its neighbours in the
 * previous layer, keeping the order and the gaps: a pass down then a pass up, then the
 * whole layer shifted by the mean remaining pull.
 */
function place(layer, neighboursOf) {
  const size = (v) => (v.real ? NODE_H : 0);
  const gap = (a, b) => (a.real && b.real ? ROW_GAP : DUMMY_GAP) + (size(a) + size(b)) / 2;
  const want = layer.map((v) => {
    const n = neighboursOf(v);
    return n.length ? n.reduce((s, o) => s + o.y, 0) / n.length : v.y;
  });
  const y = want.slice();
  for (let i = 1; i < layer.length; i++) y[i] = Math.max(y[i], y[i - 1] + gap(layer[i - 1], layer[i]));
  for (let i = layer.length - 2; i >= 0; i--) y[i] = Math.min(y[i], y[i + 1] - gap(layer[i], layer[i + 1]));
  const shift = want.reduce((s, w, i) => s + w - y[i], 0) / layer.length;
  layer.forEach((v, i) => { v.y = y[i] + shift; });
}

/** Edge crossings between neighbouring layers. */
function crossings(layers) {
  let count = 0;
  for (let i = 0; i + 1 < layers.length; i++) {
    const pairs = layers[i].flatMap((v) => v.down.map((w) => [v.pos, w.pos]));
    for (let a = 0; a < pairs.length; a++) {
      for (let b = a + 1; b < pairs.length; b++) {
        if ((pairs[a][0] - pairs[b][0]) * (pairs[a][1] - pairs[b][1]) < 0) count++;
      }
    }
  }
  return count;
}

// ---- drawing ----

function edgeColor(errorRate) {
  const t = Math.min(1, Math.sqrt(errorRate));
  return `rgb(${EDGE_GRAY.map((c, i) => Math.round(c + (EDGE_RED[i] - c) * t)).join(',')})`;
}

function pathOf(route) {
  const [first, ...rest] = route.points;
  if (route.back) {
    const last = route.points[route.points.length - 1];
    return `M${first.x},${first.y} C${first.x},${route.below} ${last.x},${route.below} ${last.x},${last.y}`;
  }
  let d = `M${first.x},${first.y}`;
  let p = first;
  for (const q of rest) {
    const dx = (q.x - p.x) / 2;
    d += ` C${p.x + dx},${p.y} ${q.x - dx},${q.y} ${q.x},${q.y}`;
    p = q;
  }
  return d;
}

/**
 * Where an edge's label goes: the middle of the middle gap between columns it crosses
 * (points 2j and 2j+1 bound gap j), or the bottom of a loop.
 */
function labelPoint(route) {
  const pts = route.points;
  const [a, b] = [pts[0], pts[pts.length - 1]];
  if (route.back) return { x: (a.x + b.x) / 2, y: 0.125 * (a.y + b.y) + 0.75 * route.below };
  const j = Math.floor((pts.length / 2 - 1) / 2);
  return { x: (pts[2 * j].x + pts[2 * j + 1].x) / 2, y: (pts[2 * j].y + pts[2 * j + 1].y) / 2 };
}

function drawMap(layout, seconds) {
  const maxCalls = Math.max(1, ...layout.edges.map((r) => r.edge.callCount));
  const defs = svg('defs');
  const edgesLayer = svg('g', { class: 'map-edges' });
  const labelsLayer = svg('g', { class: 'map-labels' });
  const nodesLayer = svg('g', { class: 'map-nodes' });
  const viewport = svg('g', { class: 'map-viewport' }, edgesLayer, labelsLayer, nodesLayer);
  const root = svg('svg', { class: 'service-map', 'data-testid': 'service-map', role: 'img', 'aria-label': 'Service dependency graph' }, defs, viewport);
  let selectHandler = () => {};
  const pick = (selection) => (event) => {
    event.stopPropagation();
    if (root.dataset.dragged === 'true') return;
    selectHandler(selection);
  };
  root.addEventListener('click', () => {
    if (root.dataset.dragged !== 'true') selectHandler(null);
  });

  const edgeViews = [];
  const placedLabels = [];
  layout.edges.forEach((route, i) => {
    const e = route.edge;
    const errorRate = e.callCount ? e.errorCount / e.callCount : 0;
    const color = edgeColor(errorRate);
    const markerID = `map-arrow-${i}`;
    defs.append(svg('marker', { id: markerID, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto' },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: color })));
    const d = pathOf(route);
    const width = 1.5 + 4.5 * Math.sqrt(e.callCount / maxCalls);
    const line = svg('path', { d, class: 'map-edge-line', stroke: color, 'stroke-width': width.toFixed(2), 'marker-end': `url(#${markerID})` });
    const summary = `${e.parent} → ${e.child}: ${formatCount(e.callCount)} calls, ${formatCount(e.errorCount)} errors, p50 ${formatDuration(e.p50Nanos)}, p95 ${formatDuration(e.p95Nanos)}, p99 ${formatDuration(e.p99Nanos)}`;
    const selection = { parent: e.parent, child: e.child };
    const group = svg('g', {
      class: ['map-edge', route.back && 'back', errorRate > 0 && 'has-errors'],
      'data-testid': 'map-edge', 'data-parent': e.parent, 'data-child': e.child, onClick: pick(selection),
    }, svg('title', null, summary), svg('path', { d, class: 'map-edge-hit' }), line);
    edgesLayer.append(group);

    const at = labelPoint(route);
    const rate = seconds ? formatRate(e.callCount / seconds) : `${formatCount(e.callCount)} calls`;
    const lineOne = `${rate} · `;
    const lineTwo = `p95 ${formatDuration(e.p95Nanos)}`;
    const errText = `${formatPercent(errorRate)} err`;
    const boxW = Math.max(lineOne.length + errText.length, lineTwo.length) * 6.3;
    const y = settle(placedLabels, at.x, at.y, boxW, 28);
    const label = svg('text', {
      class: 'map-edge-label', 'data-testid': 'map-edge-label', 'data-parent': e.parent, 'data-child': e.child,
      x: at.x, y: y - 3, onClick: pick(selection),
    },
    svg('title', null, summary),
    svg('tspan', null, lineOne),
    svg('tspan', { class: errorRate > 0 ? 'map-error' : null }, errText),
    svg('tspan', { x: at.x, dy: '1.2em' }, lineTwo));
    labelsLayer.append(label);
    edgeViews.push({ group, label, edge: e });
  });

  const nodeViews = new Map();
  for (const [name, box] of layout.nodes) {
    const n = box.node;
    const select = pick({ service: name });
    const group = svg('g', {
      class: ['map-node', n.errorCount > 0 && 'has-errors'], 'data-testid': 'map-node', 'data-service': name,
      transform: `translate(${box.x},${box.y})`, role: 'button', tabindex: 0, 'aria-label': `Service ${name}`,
      onClick: select,
      onKeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(event); } },
    },
    svg('title', null, `${name}\n${formatCount(n.spanCount)} spans, ${formatCount(n.errorCount)} errors`),
    svg('rect', { class: 'map-node-box', width: box.w, height: box.h, rx: 7, ry: 7, stroke: serviceColor(name) }),
    svg('rect', { class: 'map-node-stripe', width: 7, height: box.h, rx: 3, fill: serviceColor(name) }),
    svg('text', { class: 'map-node-name', x: 16, y: 22 }, truncate(name, 24)),
    svg('text', { class: 'map-node-stats', x: 16, y: 41 },
      svg('tspan', null, `${formatCount(n.spanCount)} spans`),
      n.errorCount > 0 ? svg('tspan', { class: 'map-error' }, ` · ${formatCount(n.errorCount)} errors`) : svg('tspan', { class: 'muted-fill' }, ' · no errors')));
    nodesLayer.append(group);
    nodeViews.set(name, group);
  }

  return {
    svg: root,
    viewport,
    onSelect: (fn) => { selectHandler = fn; },
    /** Marks a service or an edge as selected and fades what is not connected to it. */
    select: (selection) => {
      root.classList.toggle('has-selection', Boolean(selection));
      for (const [name, group] of nodeViews) {
        group.classList.toggle('selected', Boolean(selection && selection.service === name));
      }
      for (const { group, label, edge } of edgeViews) {
        const related = Boolean(selection && (selection.service !== undefined
          ? edge.parent === selection.service || edge.child === selection.service
          : edge.parent === selection.parent && edge.child === selection.child));
        group.classList.toggle('related', related);
        label.classList.toggle('related', related);
        group.classList.toggle('selected', Boolean(selection && selection.parent === edge.parent && selection.child === edge.child));
      }
    },
  };
}

/** A label's height, nudged down past the labels already placed so none overlap. */
function settle(placed, x, y, w, hgt) {
  let top = y - hgt / 2;
  const hits = (b) => Math.abs(b.x - x) * 2 < b.w + w && top < b.top + b.h && b.top < top + hgt;
  for (let tries = 0; tries < 40 && placed.some(hits); tries++) top += 6;
  placed.push({ x, top, w, h: hgt });
  return top + hgt / 2;
}

/** Dragging pans and the wheel zooms the viewport group; returns {by, fit, cleanup}. */
function panZoom(root, viewport, layout) {
  let k = 1;
  let tx = 0;
  let ty = 0;
  let touched = false;
  const apply = () => viewport.setAttribute('transform', `translate(${tx.toFixed(1)},${ty.toFixed(1)}) scale(${k.toFixed(4)})`);
  const fit = () => {
    const box = root.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const margin = 30;
    // Small enough to show it all, unless the labels would become unreadable: then
    // the top left part shows, and the rest is a drag away.
    k = Math.max(0.6, Math.min(1, (box.width - 2 * margin) / layout.width, (box.height - 2 * margin) / layout.height));
    tx = Math.max(margin, (box.width - layout.width * k) / 2);
    ty = Math.max(margin, (box.height - layout.height * k) / 2);
    touched = false;
    apply();
  };
  const zoomAt = (factor, cx, cy) => {
    const next = Math.max(0.1, Math.min(4, k * factor));
    tx = cx - ((cx - tx) * next) / k;
    ty = cy - ((cy - ty) * next) / k;
    k = next;
    touched = true;
    apply();
  };
  root.addEventListener('wheel', (event) => {
    event.preventDefault();
    const box = root.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });

  let drag = null;
  root.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    root.dataset.dragged = 'false';
    drag = { x: event.clientX, y: event.clientY, tx, ty, id: event.pointerId, moving: false };
  });
  root.addEventListener('pointermove', (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moving && Math.hypot(dx, dy) < 5) return;
    if (!drag.moving) {
      drag.moving = true;
      root.dataset.dragged = 'true';
      root.setPointerCapture(event.pointerId);
      root.classList.add('dragging');
    }
    tx = drag.tx + dx;
    ty = drag.ty + dy;
    touched = true;
    apply();
  });
  const end = () => {
    if (drag && drag.moving) root.classList.remove('dragging');
    drag = null;
  };
  root.addEventListener('pointerup', end);
  root.addEventListener('pointercancel', end);

  const observer = new ResizeObserver(() => { if (!touched) fit(); });
  observer.observe(root);
  fit();
  return {
    by: (factor) => {
      const box = root.getBoundingClientRect();
      zoomAt(factor, box.width / 2, box.height / 2);
    },
    fit,
    cleanup: () => observer.disconnect(),
  };
}

// ---- side panels ----

function panelHeader(title, close) {
  return h('div', { class: 'map-panel-header' }, title,
    h('button', { type: 'button', class: 'map-panel-close', title: 'Close', 'aria-label': 'Close', onClick: close }, '×'));
}

function edgesTable(title, list, other, range, seconds) {
  if (list.length === 0) return null;
  return [h('h3', null, title), h('table', { class: 'data map-calls' },
    h('thead', null, h('tr', null, h('th', null, 'Service'), h('th', { class: 'num' }, seconds ? 'Rate' : 'Calls'), h('th', { class: 'num' }, 'Errors'), h('th', { class: 'num' }, 'p95'))),
    h('tbody', null, list.map((e) => h('tr', null,
      h('td', { class: 'name-cell' }, h('a', { href: `/map?${rangeQuery(range)}&service=${encodeURIComponent(e[other])}`, title: e[other] },
        h('span', { class: 'chip', style: { '--chip-color': serviceColor(e[other]) } }, truncate(e[other], 80)))),
      h('td', { class: 'num' }, seconds ? formatRate(e.callCount / seconds) : formatCount(e.callCount)),
      h('td', { class: ['num', e.errorCount > 0 && 'error-text'] }, e.callCount ? formatPercent(e.errorCount / e.callCount) : '–'),
      h('td', { class: 'num' }, formatDuration(e.p95Nanos))))))];
}

async function servicePanel(panel, service, graph, range, q, seconds, close, signal) {
  const node = graph.nodes.find((n) => n.service === service);
  const operationsBox = h('div', { class: 'loading' }, 'Loading operations…');
  const searchLink = `/search?service=${encodeURIComponent(service)}`;
  replace(panel, h('div', { 'data-testid': 'map-service-panel', 'data-service': service, class: 'map-service-panel' },
    panelHeader(h('h2', { title: service }, h('span', { class: 'chip', style: { '--chip-color': serviceColor(service) } }, truncate(service, 120))), close),
    node ? h('p', { class: 'muted' }, `${formatCount(node.spanCount)} spans, `,
      h('span', { class: node.errorCount ? 'error-text' : null }, `${formatCount(node.errorCount)} errors`)) : h('p', { class: 'muted' }, 'Not in this time range.'),
    h('div', { class: 'map-panel-links' },
      h('a', { href: serviceURL(service, range), class: 'button', 'data-testid': 'map-service-link' }, 'Service page'),
      h('a', { href: searchLink, class: 'button', 'data-testid': 'map-search-link' }, 'Search traces')),
    h('h3', null, 'Operations'), operationsBox,
    edgesTable('Calls', graph.edges.filter((e) => e.parent === service), 'child', range, seconds),
    edgesTable('Called by', graph.edges.filter((e) => e.child === service), 'parent', range, seconds)));
  try {
    const { operations } = await api.operationStats(service, q, signal);
    if (operations.length === 0) {
      replace(operationsBox, 'No requests in this time range.');
      operationsBox.className = 'empty';
      return;
    }
    const sorted = [...operations].sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
    operationsBox.replaceWith(h('table', { class: 'data map-operations' },
      h('thead', null, h('tr', null, h('th', null, 'Operation'), h('th', null, 'Kind'), h('th', { class: 'num' }, 'Requests'),
        h('th', { class: 'num' }, 'Errors'), h('th', { class: 'num' }, 'p50'), h('th', { class: 'num' }, 'p95'), h('th', { class: 'num' }, 'p99'))),
      h('tbody', null, sorted.map((o) => h('tr', { 'data-testid': 'map-operation', 'data-operation': o.name },
        h('td', { class: 'name-cell' }, h('a', { href: serviceURL(service, range, o.name), title: o.name }, truncate(o.name, 120))),
        h('td', null, o.kind),
        h('td', { class: 'num' }, formatCount(o.requests)),
        h('td', { class: ['num', o.errors > 0 && 'error-text'] }, formatCount(o.errors)),
        h('td', { class: 'num' }, formatDuration(o.p50Nanos)),
        h('td', { class: 'num' }, formatDuration(o.p95Nanos)),
        h('td', { class: 'num' }, formatDuration(o.p99Nanos)))))));
  } catch (error) {
    if (error.name !== 'AbortError') operationsBox.replaceWith(errorBox(error));
  }
}

function edgePanel(panel, selection, graph, range, seconds, close) {
  const e = graph.edges.find((x) => x.parent === selection.parent && x.child === selection.child);
  const chip = (name) => h('span', { class: 'chip', title: name, style: { '--chip-color': serviceColor(name) } }, truncate(name, 60));
  const title = h('h2', null, chip(selection.parent), ' → ', chip(selection.child));
  if (!e) {
    replace(panel, h('div', { 'data-testid': 'map-edge-panel' }, panelHeader(title, close), h('p', { class: 'muted' }, 'No calls between these services in this time range.')));
    return;
  }
  const errorRate = e.callCount ? e.errorCount / e.callCount : 0;
  replace(panel, h('div', { 'data-testid': 'map-edge-panel', 'data-parent': e.parent, 'data-child': e.child },
    panelHeader(title, close),
    h('dl', { class: 'kv map-edge-kv' },
      h('dt', null, 'Calls'), h('dd', null, formatCount(e.callCount)),
      seconds ? [h('dt', null, 'Rate'), h('dd', null, formatRate(e.callCount / seconds))] : null,
      h('dt', null, 'Errors'), h('dd', { class: e.errorCount ? 'error-text' : null }, `${formatCount(e.errorCount)} (${formatPercent(errorRate)})`),
      h('dt', null, 'p50'), h('dd', null, formatDuration(e.p50Nanos)),
      h('dt', null, 'p95'), h('dd', null, formatDuration(e.p95Nanos)),
      h('dt', null, 'p99'), h('dd', null, formatDuration(e.p99Nanos))),
    h('p', { class: 'muted' }, `Latency is the duration of the ${e.child} spans called from ${e.parent}.`),
    h('div', { class: 'map-panel-links' },
      h('a', { href: serviceURL(e.child, range), class: 'button' }, `${truncate(e.child, 40)} service page`),
      h('a', { href: `/search?service=${encodeURIComponent(e.child)}`, class: 'button' }, 'Search traces'))));
}
