// The waterfall: the span tree on the left, each span's bar on a timeline on the right,
// a time ruler and a minimap above. Rows are virtualized: a spacer as tall as all
// visible rows scrolls, and only the rows on screen (plus a few) exist in the DOM,
// recycled as the view scrolls, so a trace of 50,000 spans scrolls like one of ten.

import { h, replace } from '../../lib/dom.js';
import { formatDuration, formatCount } from '../../lib/format.js';
import { serviceColor } from '../../lib/colors.js';
import { visibleRows, expandAncestors, hasChildren } from './tree.js';
import { findSpans, matchCountText } from './find.js';
import { drawRuler } from './ruler.js';
import { createMinimap } from './minimap.js';

const ROW_HEIGHT = 24;
const OVERSCAN = 12;
const INDENT = 14;
const FIND_DELAY_MS = 150;

/**
 * Builds the waterfall into `container`.
 *   trace, shape (tree.js treeShape), critical (critical.js criticalBySpan, or null until known)
 *   state: { collapsed (Uint8Array), find, showCritical, selected (index or -1) } — read and
 *     updated in place; onChange(key) is called after 'collapsed', 'find' or 'showCritical' change.
 *   onSelect(index): the user picked a span (or -1 to close the details).
 * Returns { select(index), setCritical(critical), focus(), destroy() }.
 */
export function createWaterfall(container, { trace, shape, critical: criticalPath, state, onChange, onSelect }) {
  const spans = trace.spans;
  let critical = criticalPath;
  const duration = trace.duration || 1;
  let rows = visibleRows(shape, state.collapsed);
  let cursor = state.selected >= 0 ? state.selected : 0;
  let view = { from: 0, to: duration };
  let matches = new Int32Array(0);
  let matchFlags = new Uint8Array(spans.length);
  let currentMatch = -1;
  let nameWidthPx = 300;
  let timelineWidthPx = 800;
  let frame = 0;
  let findTimer = 0;
  let dirty = true;
  const live = new Map();
  const free = [];

  // Toolbar.
  const findInput = h('input', {
    type: 'search', class: 'wf-find-input', placeholder: 'Find in trace…', 'data-testid': 'trace-find',
    'aria-label': 'Find spans in this trace by name, service, ID or attribute', value: state.find || '', spellcheck: 'false',
  });
  const findCount = h('span', { class: 'wf-find-count muted', 'data-testid': 'trace-find-count', 'aria-live': 'polite' });
  const findPosition = h('span', { class: 'wf-find-position muted' });
  const criticalToggle = h('input', { type: 'checkbox', checked: state.showCritical, 'data-testid': 'critical-toggle' });
  const zoomReset = h('button', { type: 'button', class: 'wf-zoom-reset', 'data-testid': 'zoom-reset', hidden: true, onClick: () => setZoom(0, 1, true) }, 'Reset zoom');
  const zoomLabel = h('span', { class: 'wf-zoom-label muted' });
  const toolbar = h('div', { class: 'wf-toolbar' },
    h('button', { type: 'button', 'data-testid': 'collapse-all', onClick: collapseAll, title: 'Collapse every span with children' }, 'Collapse all'),
    h('button', { type: 'button', 'data-testid': 'expand-all', onClick: expandAll, title: 'Expand every span' }, 'Expand all'),
    h('label', { class: 'wf-critical-label', title: 'Highlight the spans the trace waited on' },
      criticalToggle, h('span', { class: 'wf-critical-swatch' }), 'Critical path'),
    zoomReset,
    h('div', { class: 'wf-find' },
      findInput, findCount, findPosition,
      h('button', { type: 'button', 'data-testid': 'trace-find-prev', title: 'Previous match (Shift+Enter)', 'aria-label': 'Previous match', onClick: () => stepMatch(-1) }, '▲'),
      h('button', { type: 'button', 'data-testid': 'trace-find-next', title: 'Next match (Enter)', 'aria-label': 'Next match', onClick: () => stepMatch(1) }, '▼')));

  // Minimap and ruler, aligned with the timeline column.
  const minimap = createMinimap(trace, { onZoom: (f, t) => setZoom(f, t, false) });
  const ruler = h('div', { class: 'wf-ruler', 'data-testid': 'time-ruler' });
  const grid = h('div', { class: 'wf-grid', 'aria-hidden': 'true' });
  const resizer = h('div', { class: 'wf-resizer', title: 'Drag to resize the columns' });
  const minimapRow = h('div', { class: 'wf-minimap-row' }, h('div', { class: 'wf-name-col wf-minimap-side' }, zoomLabel), minimap.element);
  const head = h('div', { class: 'wf-head' }, h('div', { class: 'wf-name-col wf-head-name' }, 'Service & operation', resizer), ruler);

  // The scrolling rows.
  const spacer = h('div', { class: 'wf-spacer' });
  const scroll = h('div', {
    class: 'wf-scroll', 'data-testid': 'waterfall-scroll', tabindex: '0', role: 'tree', 'aria-label': 'Spans',
  }, spacer);
  const body = h('div', { class: 'wf-body' }, grid, scroll);
  const root = h('div', { class: 'waterfall', 'data-testid': 'waterfall' }, toolbar, minimapRow, head, body);
  replace(container, root);

  function timeToPercent(t) {
    return ((t - view.from) / (view.to - view.from)) * 100;
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function invalidate() {
    dirty = true;
    schedule();
  }

  function rebuildRows() {
    rows = visibleRows(shape, state.collapsed);
    spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    invalidate();
  }

  /** The position of span index i in the visible rows, or -1 (rows are in increasing order). */
  function positionOf(i) {
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid] === i) return mid;
      if (rows[mid] < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** True when a match lies in span indices [from, to) (matches are in increasing order). */
  function matchesWithin(from, to) {
    let lo = 0;
    let hi = matches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (matches[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < matches.length && matches[lo] < to;
  }

  function draw() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    const top = scroll.scrollTop;
    const height = scroll.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    for (const [pos, el] of live) {
      if (pos < first || pos > last) {
        live.delete(pos);
        free.push(el);
      }
    }
    for (let pos = first; pos <= last; pos++) {
      let el = live.get(pos);
      if (el) {
        if (dirty) fillRow(el, pos);
        continue;
      }
      el = free.pop() || h('div', { class: 'wf-row', 'data-testid': 'span-row', role: 'treeitem' });
      fillRow(el, pos);
      if (el.parentNode !== spacer) spacer.appendChild(el);
      live.set(pos, el);
    }
    dirty = false;
    for (const el of free) el.remove();
  }

  function fillRow(el, pos) {
    const i = rows[pos];
    const span = spans[i];
    const parentOfChildren = hasChildren(shape, i);
    const collapsed = parentOfChildren && state.collapsed[i] === 1;
    el.dataset.spanId = span.id;
    el.dataset.depth = String(span.depth);
    el.dataset.index = String(pos);
    el.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
    el.className = 'wf-row';
    if (i === state.selected) el.classList.add('selected');
    if (i === cursor) el.classList.add('cursor');
    if (matchFlags[i]) el.classList.add('match');
    if (currentMatch >= 0 && matches[currentMatch] === i) el.classList.add('match-current');
    if (collapsed && matchesWithin(i + 1, shape.end[i])) el.classList.add('match-hidden');
    if (span.error) el.classList.add('error');
    el.setAttribute('aria-level', String(span.depth + 1));
    el.setAttribute('aria-selected', String(i === state.selected));
    if (parentOfChildren) el.setAttribute('aria-expanded', String(!collapsed));
    else el.removeAttribute('aria-expanded');

    const color = serviceColor(span.service);
    const indent = Math.max(0, Math.min(span.depth * INDENT, nameWidthPx - 160));
    const name = h('div', { class: 'wf-name-col wf-label', style: { paddingLeft: `${indent + 4}px` }, title: `${span.service}: ${span.name} (depth ${span.depth})` },
      parentOfChildren
        ? h('span', { class: 'wf-toggle', 'data-testid': 'span-toggle', role: 'button', 'aria-label': collapsed ? 'Expand' : 'Collapse' }, collapsed ? '▸' : '▾')
        : h('span', { class: 'wf-toggle leaf' }),
      h('span', { class: 'wf-color', style: { background: color } }),
      h('span', { class: 'wf-service', 'data-testid': 'span-service' }, span.service),
      h('span', { class: 'wf-span-name', 'data-testid': 'span-name' }, span.name),
      collapsed ? h('span', { class: 'wf-hidden-count', title: 'Spans hidden under this one (highlighted when they hold matches)' }, `+${formatCount(shape.end[i] - i - 1)}`) : null,
      span.error ? h('span', { class: 'wf-error', 'data-testid': 'span-error', title: span.status.message || 'error' }, '!') : null);

    const timeline = h('div', { class: 'wf-timeline' });
    const left = timeToPercent(span.start);
    const right = timeToPercent(span.end);
    const l = Math.max(0, left);
    const r = Math.min(100, right);
    if (r >= 0 && l <= 100) {
      timeline.appendChild(h('div', {
        class: ['wf-bar', span.error ? 'error' : null], 'data-testid': 'span-bar',
        style: { left: `${l}%`, width: `${Math.max(r - l, 0)}%`, background: color },
      }));
      if (state.showCritical && critical && critical[i]) appendCritical(timeline, critical[i]);
      const drawn = new Set();
      for (const event of span.events) {
        const at = timeToPercent(event.time);
        const pixel = Math.round((at / 100) * timelineWidthPx);
        if (at < 0 || at > 100 || drawn.has(pixel)) continue;
        drawn.add(pixel);
        timeline.appendChild(h('div', { class: 'wf-event', 'data-testid': 'span-event-marker', style: { left: `${at}%` }, title: `${event.name} at +${formatDuration(event.time - span.start)}` }));
      }
    }
    // A span outside the zoomed range points the way to its bar.
    const text = formatDuration(span.duration);
    const label = h('span', { class: 'wf-duration' }, right < 0 ? `◂ ${text}` : left > 100 ? `${text} ▸` : text);
    if (right < 0) {
      label.classList.add('after');
      label.style.left = '0%';
    } else if (r <= 75) {
      label.classList.add('after');
      label.style.left = `${Math.max(r, 0)}%`;
    } else if (l >= 25) {
      label.classList.add('before');
      label.style.right = `${100 - Math.min(l, 100)}%`;
    } else {
      label.classList.add('inside');
      label.style.right = `${100 - r}%`;
    }
    timeline.appendChild(label);
    replace(el, name, timeline);
  }

  /** The critical segments of one span, neighbours closer than a pixel drawn as one. */
  function appendCritical(timeline, segments) {
    const pixel = 100 / Math.max(timelineWidthPx, 1);
    let open = null;
    const flush = () => {
      if (open) timeline.appendChild(h('div', { class: 'wf-critical', 'data-testid': 'critical-segment', style: { left: `${open.l}%`, width: `${Math.max(open.r - open.l, 0)}%` } }));
    };
    for (const segment of segments) {
      const l = Math.max(0, timeToPercent(segment.start));
      const r = Math.min(100, timeToPercent(segment.end));
      if (r < 0 || l > 100) continue;
      if (open && l - open.r < pixel) {
        open.r = Math.max(open.r, r);
      } else {
        flush();
        open = { l, r };
      }
    }
    flush();
  }

  function measure() {
    const scrollbar = scroll.offsetWidth - scroll.clientWidth;
    root.style.setProperty('--scrollbar', `${scrollbar}px`);
    const nameCol = head.firstChild;
    nameWidthPx = nameCol.getBoundingClientRect().width || nameWidthPx;
    timelineWidthPx = ruler.getBoundingClientRect().width || timelineWidthPx;
    minimap.redraw();
    invalidate();
  }

  /** Scrolls so that visible row `pos` is on screen (centred when `center`). */
  function reveal(pos, center = false) {
    if (pos < 0) return;
    const height = scroll.clientHeight;
    const top = pos * ROW_HEIGHT;
    if (center) scroll.scrollTop = Math.max(0, top - height / 2 + ROW_HEIGHT / 2);
    else if (top < scroll.scrollTop) scroll.scrollTop = top;
    else if (top + ROW_HEIGHT > scroll.scrollTop + height) scroll.scrollTop = top + ROW_HEIGHT - height;
  }

  /** Makes span i visible (expanding its ancestors) and scrolls to it. */
  function show(i, center) {
    if (expandAncestors(shape, state.collapsed, i)) {
      rebuildRows();
      onChange('collapsed');
    }
    reveal(positionOf(i), center);
    invalidate();
  }

  function toggle(i, collapse = !state.collapsed[i]) {
    if (!hasChildren(shape, i) || Boolean(state.collapsed[i]) === collapse) return;
    state.collapsed[i] = collapse ? 1 : 0;
    rebuildRows();
    onChange('collapsed');
  }

  function collapseAll() {
    for (let i = 0; i < spans.length; i++) state.collapsed[i] = hasChildren(shape, i) ? 1 : 0;
    if (state.selected >= 0) expandAncestors(shape, state.collapsed, state.selected);
    rebuildRows();
    onChange('collapsed');
  }

  function expandAll() {
    state.collapsed.fill(0);
    rebuildRows();
    onChange('collapsed');
  }

  function setZoom(f, t, updateMinimap) {
    view = { from: f * duration, to: t * duration };
    if (updateMinimap) minimap.setRange(f, t);
    const zoomed = f > 0 || t < 1;
    zoomReset.hidden = !zoomed;
    zoomLabel.textContent = zoomed ? `${formatDuration(view.from)} – ${formatDuration(view.to)}` : '';
    drawRuler(ruler, grid, view.from, view.to);
    invalidate();
  }

  function runFind() {
    findTimer = 0;
    onChange('find');
    matches = findSpans(trace, state.find);
    matchFlags = new Uint8Array(spans.length);
    for (const i of matches) matchFlags[i] = 1;
    currentMatch = -1;
    findCount.textContent = state.find.trim() ? matchCountText(matches.length) : '';
    findPosition.textContent = '';
    invalidate();
  }

  function stepMatch(direction) {
    if (findTimer) {
      clearTimeout(findTimer);
      runFind();
    }
    if (!matches.length) return;
    currentMatch = currentMatch < 0
      ? (direction > 0 ? 0 : matches.length - 1)
      : (currentMatch + direction + matches.length) % matches.length;
    cursor = matches[currentMatch];
    findPosition.textContent = `${currentMatch + 1} of ${matches.length}`;
    show(cursor, true);
  }

  function moveCursor(i) {
    if (i < 0 || i >= spans.length) return;
    cursor = i;
    if (state.selected >= 0) {
      state.selected = i;
      onSelect(i);
    }
    reveal(positionOf(i));
    invalidate();
  }

  function onKeyDown(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    // The cursor may be inside a subtree collapsed since: start from its visible ancestor.
    while (positionOf(cursor) < 0 && shape.parent[cursor] >= 0) cursor = shape.parent[cursor];
    const pos = positionOf(cursor);
    switch (event.key) {
      case 'ArrowDown':
        if (pos + 1 < rows.length) moveCursor(rows[pos + 1]);
        break;
      case 'ArrowUp':
        if (pos > 0) moveCursor(rows[pos - 1]);
        break;
      case 'Home':
        moveCursor(rows[0]);
        break;
      case 'End':
        moveCursor(rows[rows.length - 1]);
        break;
      case 'ArrowLeft':
        if (hasChildren(shape, cursor) && !state.collapsed[cursor]) toggle(cursor, true);
        else if (shape.parent[cursor] >= 0) moveCursor(shape.parent[cursor]);
        break;
      case 'ArrowRight':
        if (state.collapsed[cursor]) toggle(cursor, false);
        else if (hasChildren(shape, cursor)) moveCursor(cursor + 1);
        break;
      case 'Enter':
        state.selected = cursor;
        onSelect(cursor);
        invalidate();
        break;
      case 'Escape':
        if (state.selected < 0) return;
        state.selected = -1;
        onSelect(-1);
        invalidate();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  function onClick(event) {
    const row = event.target.closest('.wf-row');
    if (!row) return;
    const i = rows[Number(row.dataset.index)];
    if (i === undefined) return;
    if (event.target.closest('.wf-toggle:not(.leaf)')) {
      cursor = i;
      toggle(i);
      return;
    }
    cursor = i;
    state.selected = i;
    onSelect(i);
    invalidate();
  }

  function onFindInput() {
    state.find = findInput.value;
    clearTimeout(findTimer);
    findTimer = setTimeout(runFind, FIND_DELAY_MS);
  }

  function onFindKey(event) {
    if (event.key === 'Enter') {
      event.preventDefault();
      stepMatch(event.shiftKey ? -1 : 1);
    }
  }

  function onCriticalToggle() {
    state.showCritical = criticalToggle.checked;
    onChange('showCritical');
    invalidate();
  }

  // Dragging the divider between the name column and the timeline.
  let resizing = null;
  function onResizeStart(event) {
    resizing = { x: event.clientX, width: nameWidthPx, total: root.clientWidth || 1 };
    resizer.setPointerCapture(event.pointerId);
    event.preventDefault();
  }
  function onResizeMove(event) {
    if (!resizing) return;
    const width = Math.min(Math.max(resizing.width + event.clientX - resizing.x, 160), resizing.total * 0.7);
    root.style.setProperty('--name-width', `${(width / resizing.total) * 100}%`);
  }
  function onResizeEnd() {
    resizing = null;
  }

  scroll.addEventListener('scroll', schedule, { passive: true });
  scroll.addEventListener('keydown', onKeyDown);
  spacer.addEventListener('click', onClick);
  findInput.addEventListener('input', onFindInput);
  findInput.addEventListener('keydown', onFindKey);
  criticalToggle.addEventListener('change', onCriticalToggle);
  resizer.addEventListener('pointerdown', onResizeStart);
  resizer.addEventListener('pointermove', onResizeMove);
  resizer.addEventListener('pointerup', onResizeEnd);
  const observer = new ResizeObserver(measure);
  observer.observe(scroll);
  observer.observe(minimap.element);

  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  setZoom(0, 1, true);
  if (state.find) runFind();
  nameWidthPx = head.firstChild.getBoundingClientRect().width || nameWidthPx;
  if (state.selected >= 0) show(state.selected, true);
  draw();

  return {
    /** Selects span i (or none for -1) from outside: highlights it and scrolls it into view. */
    select(i) {
      state.selected = i;
      if (i >= 0) {
        cursor = i;
        show(i, false);
      } else {
        invalidate();
      }
    },
    /** Sets the critical path once it has arrived. */
    setCritical(value) {
      critical = value;
      invalidate();
    },
    focus() {
      scroll.focus({ preventScroll: true });
    },
    destroy() {
      observer.disconnect();
      if (frame) cancelAnimationFrame(frame);
      clearTimeout(findTimer);
      frame = 0;
    },
  };
}
