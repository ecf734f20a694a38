// The trace view, /trace/{id}: a header, then the waterfall, the flame graph or the
// statistics, with the selected span's details beside them. The URL holds the state:
// view=waterfall|flame|stats, span={spanID} (details open), find=text, collapsed=ids,
// critical=0 (critical path hidden).

import { h, replace } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { buildTrace } from '../lib/trace-model.js';
import { updateParams } from '../app.js';
import { renderHeader, VIEWS } from './trace/header.js';
import { renderDetail } from './trace/detail.js';
import { createWaterfall } from './trace/waterfall.js';
import { criticalBySpan } from './trace/critical.js';
import { treeShape, parseCollapsed, formatCollapsed } from './trace/tree.js';
import { renderFlame } from './trace/flame.js';
import { renderStats } from './trace/stats.js';

// The last trace loaded, kept briefly so that going back and forth between its tabs or
// spans (history entries of the same trace) does not fetch and build it again.
const CACHE_MS = 60_000;
let cache = null;

async function load(id) {
  if (cache && cache.id === id && Date.now() - cache.at < CACHE_MS) return cache;
  const otlp = await api.trace(id);
  // The critical path is asked for once the trace has arrived (so the server is not
  // computing both at once) and waited for only after the rows are drawn.
  const criticalAnswer = api.criticalPath(id).catch(() => null);
  const trace = buildTrace(otlp);
  const loaded = { id, trace, shape: treeShape(trace.spans), criticalAnswer, critical: null, at: Date.now() };
  cache = loaded;
  return loaded;
}

/** Runs fn after the next frame is painted. Returns a function that cancels it. */
function afterPaint(fn) {
  let timer = 0;
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(fn, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

export async function render(root, route) {
  const id = String(route.match[0] || '').toLowerCase();
  let loaded;
  try {
    loaded = await load(id);
  } catch (error) {
    if (error && error.status === 404) {
      replace(root, h('div', { class: 'page' }, h('div', { class: 'empty trace-not-found', 'data-testid': 'trace-not-found', role: 'alert' },
        h('h1', null, `Trace ${id} not found`),
        h('p', null, 'No trace with this ID is stored. ', h('a', { href: '/search' }, 'Search for traces')))));
      return undefined;
    }
    throw error;
  }
  const { trace, shape } = loaded;
  if (!trace.spans.length) {
    replace(root, h('div', { class: 'page' }, h('div', { class: 'empty', 'data-testid': 'trace-not-found' }, `Trace ${id} has no spans`)));
    return undefined;
  }

  const params = route.params;
  const selectedSpan = params.get('span') ? trace.byID.get(params.get('span').toLowerCase()) : undefined;
  const state = {
    view: VIEWS.some((v) => v.key === params.get('view')) ? params.get('view') : 'waterfall',
    selected: selectedSpan ? selectedSpan.index : -1,
    find: params.get('find') || '',
    collapsed: parseCollapsed(params.get('collapsed'), trace, shape),
    showCritical: params.get('critical') !== '0',
  };

  const main = h('div', { class: 'trace-main' });
  const detailSlot = h('div', { class: 'trace-detail-slot' });
  const body = h('div', { class: 'trace-body' }, main, detailSlot);
  const header = renderHeader(trace, {
    view: state.view,
    hrefFor: (view) => {
      const next = new URLSearchParams(location.search);
      if (view === 'waterfall') next.delete('view');
      else next.set('view', view);
      const text = next.toString();
      return location.pathname + (text ? `?${text}` : '');
    },
    onTab: switchView,
  });
  replace(root, h('div', { class: 'trace-view', 'data-testid': 'trace-view' }, header.element, body));

  let waterfall = null;
  let mainCleanup = null;

  function setParam(name, value) {
    updateParams((p) => {
      if (value) p.set(name, value);
      else p.delete(name);
    });
    header.refreshLinks();
  }

  function showDetail() {
    const span = state.selected >= 0 && state.view !== 'stats' ? trace.spans[state.selected] : null;
    body.classList.toggle('with-detail', Boolean(span));
    if (!span) {
      replace(detailSlot);
      return;
    }
    replace(detailSlot, renderDetail(trace, span, {
      onSelect: (spanID) => {
        const target = trace.byID.get(spanID);
        if (target) selectSpan(target.index, 'detail');
      },
      onClose: () => {
        selectSpan(-1, 'detail');
        if (waterfall) waterfall.focus();
      },
    }));
    detailSlot.scrollTop = 0;
  }

  function selectSpan(index, source) {
    state.selected = index;
    setParam('span', index >= 0 ? trace.spans[index].id : '');
    showDetail();
    if (waterfall && source !== 'waterfall') waterfall.select(index);
  }

  function onChange(key) {
    if (key === 'collapsed') setParam('collapsed', formatCollapsed(state.collapsed, trace, shape));
    else if (key === 'find') setParam('find', state.find);
    else if (key === 'showCritical') setParam('critical', state.showCritical ? '' : '0');
  }

  function mountMain() {
    const container = h('div', { class: `trace-main-${state.view}` });
    replace(main, container);
    if (state.view === 'waterfall') {
      waterfall = createWaterfall(container, {
        trace, shape, critical: loaded.critical, state, onChange,
        onSelect: (index) => selectSpan(index, 'waterfall'),
      });
      mainCleanup = () => {
        waterfall.destroy();
        waterfall = null;
      };
    } else if (state.view === 'flame') {
      const selected = state.selected >= 0 ? trace.spans[state.selected].id : null;
      const cleanup = renderFlame(container, trace, {
        selectedSpanID: selected,
        onSelect: (spanID) => {
          const span = spanID ? trace.byID.get(spanID) : undefined;
          selectSpan(span ? span.index : -1, 'flame');
        },
      });
      mainCleanup = typeof cleanup === 'function' ? cleanup : null;
    } else {
      const cleanup = renderStats(container, trace);
      mainCleanup = typeof cleanup === 'function' ? cleanup : null;
    }
    showDetail();
  }

  function unmountMain() {
    if (mainCleanup) mainCleanup();
    mainCleanup = null;
  }

  function switchView(view) {
    if (view === state.view) return;
    unmountMain();
    state.view = view;
    updateParams((p) => {
      if (view === 'waterfall') p.delete('view');
      else p.set('view', view);
    }, { push: true });
    header.setView(view);
    header.refreshLinks();
    mountMain();
  }

  let disposed = false;
  mountMain();
  const cancelCritical = afterPaint(async () => {
    if (!loaded.critical) {
      const answer = await loaded.criticalAnswer;
      if (disposed) return;
      loaded.critical = criticalBySpan(trace, answer);
    }
    if (waterfall) waterfall.setCritical(loaded.critical);
  });
  return () => {
    disposed = true;
    cancelCritical();
    unmountMain();
  };
}
