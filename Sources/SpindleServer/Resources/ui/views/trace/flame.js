// The flame graph of a trace: an icicle chart on a canvas, the roots on top and each span's
// children in the row below, x being time within the trace and width the span's duration.
// Only the rows the scroll box shows are drawn, and spans narrower than a pixel share it,
// so a 50,000-span or 30,000-deep trace draws quickly. Hovering shows a tooltip, a click
// selects a span, a double-click zooms into its time range (Escape or the button resets).

import { h, replace } from '../../lib/dom.js';
import { formatDuration } from '../../lib/format.js';
import { serviceColor, ERROR_COLOR } from '../../lib/colors.js';
import { selfTimes } from './stats.js';

const ROW_HEIGHT = 20;
const MIN_LABEL_WIDTH = 28;
const LABEL_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const SELECTED_COLOR = '#1d232b';
const AXIS_TICKS = 5;

/** Spans by depth, each row sorted by start. */
function layout(trace) {
  const rows = [];
  for (const span of trace.spans) {
    (rows[span.depth] || (rows[span.depth] = [])).push(span);
  }
  for (let d = 0; d < rows.length; d++) {
    if (!rows[d]) rows[d] = [];
    else rows[d].sort((a, b) => a.start - b.start);
  }
  return rows;
}

/** Dark or light text, whichever reads on the color. */
function textColorOn(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#1d232b' : '#ffffff';
}

/** Red diagonal stripes for spans with an error status. */
function hatchPattern(ctx) {
  const tile = document.createElement('canvas');
  tile.width = 6;
  tile.height = 6;
  const t = tile.getContext('2d');
  t.strokeStyle = ERROR_COLOR;
  t.lineWidth = 1.5;
  t.beginPath();
  t.moveTo(0, 6);
  t.lineTo(6, 0);
  t.stroke();
  return ctx.createPattern(tile, 'repeat');
}

/** `text` cut with an ellipsis to fit `width` pixels. */
function fitText(ctx, text, width, charWidth) {
  let s = text.length > width / 3 ? text.slice(0, Math.ceil(width / 3)) : text;
  if (ctx.measureText(s).width <= width) return s;
  let n = Math.min(s.length - 1, Math.floor(width / charWidth));
  while (n > 0) {
    s = `${text.slice(0, n)}…`;
    if (ctx.measureText(s).width <= width) return s;
    n = Math.floor(n * 0.8);
  }
  return '';
}

/**
 * Draws the flame graph of `trace` into `container`. onSelect(spanID) is called on a click;
 * the graph marks the selected span itself. Returns a cleanup function.
 */
export function renderFlame(container, trace, { selectedSpanID = null, onSelect = null } = {}) {
  container.classList.add('flame-graph');
  container.dataset.testid = 'flame-graph';
  container.dataset.nodeCount = String(trace.spans.length);
  if (trace.spans.length === 0) {
    replace(container, h('div', { class: 'empty' }, 'This trace has no spans.'));
    return () => {};
  }

  const rows = layout(trace);
  const self = selfTimes(trace);
  const traceEnd = Math.max(trace.duration, 1);
  let view = { start: 0, end: traceEnd };
  let selected = selectedSpanID ? String(selectedSpanID).toLowerCase() : null;
  let hovered = null;
  let frame = 0;

  const canvas = h('canvas', { class: 'flame-canvas', 'data-testid': 'flame-canvas', tabindex: '0', role: 'img',
    'aria-label': `Flame graph of ${trace.spans.length} spans. Click a span to select it, double-click to zoom, Escape to reset.` });
  const sizer = h('div', { class: 'flame-sizer', style: { height: `${rows.length * ROW_HEIGHT}px` } }, canvas);
  const scroller = h('div', { class: 'flame-scroll' }, sizer);
  const tooltip = h('div', { class: 'flame-tooltip', 'data-testid': 'flame-tooltip', role: 'tooltip', hidden: true });
  const reset = h('button', { type: 'button', class: 'flame-reset', 'data-testid': 'flame-reset', disabled: true, onClick: () => zoom(null) }, 'Reset zoom');
  const range = h('span', { class: 'muted flame-range' });
  const axis = h('div', { class: 'flame-axis', 'aria-hidden': 'true' });
  const legend = h('div', { class: 'legend flame-legend' },
    trace.services.map((s) => h('span', { class: 'chip', title: s, style: { '--chip-color': serviceColor(s) } }, s)),
    trace.errorCount > 0 ? h('span', { class: 'chip flame-error-chip', style: { '--chip-color': ERROR_COLOR } }, 'error') : null);
  replace(container,
    h('div', { class: 'flame-toolbar' }, reset, range, h('span', { class: 'muted' }, 'Double-click a span to zoom into it.')),
    legend, axis, scroller, tooltip);

  const ctx = canvas.getContext('2d');
  const hatch = hatchPattern(ctx);
  const textColors = new Map();
  let charWidth = 6;

  function schedule() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
  }

  function draw() {
    const width = scroller.clientWidth;
    const height = Math.min(scroller.clientHeight, rows.length * ROW_HEIGHT);
    if (width <= 0 || height <= 0) return;
    // The axis spans the canvas, not the scroll bar beside it.
    axis.style.marginRight = `${Math.max(1, scroller.offsetWidth - width - 1)}px`;
    const dpr = window.devicePixelRatio || 1;
    const pw = Math.round(width * dpr);
    const ph = Math.round(height * dpr);
    if (canvas.width !== pw || canvas.height !== ph) {
      canvas.width = pw;
      canvas.height = ph;
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = LABEL_FONT;
    ctx.textBaseline = 'middle';
    charWidth = ctx.measureText('abcdefghij').width / 10 || 6;

    const top = scroller.scrollTop;
    const scale = width / (view.end - view.start);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT));
    const last = Math.min(rows.length - 1, Math.floor((top + height) / ROW_HEIGHT));
    let selectedBox = null;
    for (let d = first; d <= last; d++) {
      const y = d * ROW_HEIGHT - top;
      let filledTo = -Infinity;
      for (const span of rows[d]) {
        if (span.end < view.start || span.start > view.end) continue;
        const x0 = Math.max(0, (span.start - view.start) * scale);
        const x1 = Math.min(width, (span.end - view.start) * scale);
        const w = x1 - x0;
        const isSelected = span.id === selected;
        if (w < 1 && x0 < filledTo && !span.error && !isSelected) continue;
        const box = Math.max(w > 3 ? w - 1 : w, 1);
        const color = serviceColor(span.service);
        ctx.fillStyle = color;
        ctx.fillRect(x0, y, box, ROW_HEIGHT - 1);
        filledTo = x0 + box;
        if (span.error) {
          ctx.fillStyle = hatch;
          ctx.fillRect(x0, y, box, ROW_HEIGHT - 1);
          if (box > 2) {
            ctx.strokeStyle = ERROR_COLOR;
            ctx.lineWidth = 1.5;
            ctx.strokeRect(x0 + 0.75, y + 0.75, box - 1.5, ROW_HEIGHT - 2.5);
          }
        }
        if (isSelected) selectedBox = [x0, y, box];
        if (box >= MIN_LABEL_WIDTH) {
          const label = fitText(ctx, span.name || span.service, box - 8, charWidth);
          if (label) {
            let tc = textColors.get(color);
            if (!tc) textColors.set(color, (tc = textColorOn(color)));
            ctx.fillStyle = tc;
            ctx.fillText(label, x0 + 4, y + ROW_HEIGHT / 2);
          }
        }
      }
    }
    if (selectedBox) {
      const [x0, y, box] = selectedBox;
      ctx.strokeStyle = SELECTED_COLOR;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 + 1, y + 1, Math.max(box - 2, 1), ROW_HEIGHT - 3);
    }
  }

  /** The span drawn at a point of the canvas (CSS pixels), or null. */
  function spanAt(x, y) {
    const d = Math.floor((y + scroller.scrollTop) / ROW_HEIGHT);
    if (d < 0 || d >= rows.length) return null;
    const scale = scroller.clientWidth / (view.end - view.start);
    let found = null;
    for (const span of rows[d]) {
      if (span.end < view.start || span.start > view.end) continue;
      const x0 = (span.start - view.start) * scale;
      const x1 = Math.max((span.end - view.start) * scale, x0 + 1);
      if (x >= x0 - 0.5 && x <= x1 + 0.5) {
        // Prefer the span whose box truly contains the point over a sliver beside it.
        if (!found || (x >= x0 && x <= x1)) found = span;
      } else if (x0 > x + 1) {
        break;
      }
    }
    return found;
  }

  function pointer(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  function showTooltip(span, event) {
    if (span !== hovered) {
      hovered = span;
      replace(tooltip,
        h('div', { class: 'flame-tooltip-service' },
          h('span', { class: 'chip', style: { '--chip-color': serviceColor(span.service) } }, span.service)),
        h('div', { class: 'flame-tooltip-name' }, span.name),
        h('dl', { class: 'kv' },
          h('dt', null, 'Duration'), h('dd', null, formatDuration(span.duration)),
          h('dt', null, 'Self time'), h('dd', null, formatDuration(self[span.index])),
          h('dt', null, 'Starts at'), h('dd', null, formatDuration(span.start)),
          span.error ? [h('dt', null, 'Status'), h('dd', { class: 'flame-tooltip-error' }, 'error', span.status.message ? `: ${span.status.message}` : '')] : null));
    }
    tooltip.hidden = false;
    const box = container.getBoundingClientRect();
    const tipWidth = tooltip.offsetWidth;
    const tipHeight = tooltip.offsetHeight;
    let left = event.clientX - box.left + 14;
    if (left + tipWidth > box.width) left = Math.max(0, event.clientX - box.left - tipWidth - 14);
    let top = event.clientY - box.top + 14;
    if (event.clientY + 14 + tipHeight > window.innerHeight) top = Math.max(0, event.clientY - box.top - tipHeight - 8);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${top}px`;
  }

  function hideTooltip() {
    hovered = null;
    tooltip.hidden = true;
  }

  /** Time labels along the top for the range shown. */
  function drawAxis() {
    const ticks = [];
    for (let i = 0; i <= AXIS_TICKS; i++) {
      const t = view.start + ((view.end - view.start) * i) / AXIS_TICKS;
      ticks.push(h('span', { class: ['flame-tick', i === AXIS_TICKS && 'flame-tick-last'], style: { left: `${(i / AXIS_TICKS) * 100}%` } }, formatDuration(Math.round(t))));
    }
    replace(axis, ticks);
  }

  function zoom(span) {
    if (span) {
      const length = Math.max(span.duration, 1);
      view = { start: span.start, end: span.start + length };
      range.textContent = `Showing ${formatDuration(span.start)} – ${formatDuration(span.start + length)} (${span.name || span.service})`;
    } else {
      view = { start: 0, end: traceEnd };
      range.textContent = '';
    }
    reset.disabled = !span;
    drawAxis();
    hideTooltip();
    schedule();
  }

  canvas.addEventListener('mousemove', (event) => {
    const span = spanAt(...pointer(event));
    canvas.classList.toggle('flame-pointer', span !== null);
    if (span) showTooltip(span, event);
    else hideTooltip();
  });
  canvas.addEventListener('mouseleave', hideTooltip);
  canvas.addEventListener('click', (event) => {
    const span = spanAt(...pointer(event));
    if (!span) return;
    selected = span.id;
    schedule();
    if (onSelect) onSelect(span.id);
  });
  canvas.addEventListener('dblclick', (event) => {
    const span = spanAt(...pointer(event));
    if (span) zoom(span);
  });
  canvas.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !reset.disabled) zoom(null);
  });
  scroller.addEventListener('scroll', () => {
    hideTooltip();
    schedule();
  });
  const observer = new ResizeObserver(schedule);
  observer.observe(scroller);

  const initial = selected ? trace.byID.get(selected) : null;
  if (initial) {
    const y = initial.depth * ROW_HEIGHT;
    requestAnimationFrame(() => {
      if (y < scroller.scrollTop || y + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight) {
        scroller.scrollTop = Math.max(0, y - scroller.clientHeight / 2);
      }
    });
  }
  drawAxis();
  draw();

  return () => {
    observer.disconnect();
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
  };
}
