// Small SVG charts for the service pages: a time-series line chart and a latency
// histogram on a logarithmic axis. Both return an element that draws itself at its
// container's width and again whenever that width changes; call `element.cleanup()`
// when the view goes away (it also stops by itself once the element leaves the page).
// Every label and tooltip is text; nothing is parsed as markup.

import { h, svg, replace } from './dom.js';
import { formatTimestamp } from './format.js';

const MARGIN = { top: 10, right: 14, bottom: 26, left: 62 };

/**
 * A line chart over time.
 *   series: [{label, color, points: [{x: Unix millis, y: number|null}]}] — a null or
 *           non-finite y is a gap in the line.
 *   yFormat: a tick and tooltip label for a y value; xDomain: [start, end] millis to show
 *   (defaults to the points' extent); height in pixels; title above the plot.
 */
export function lineChart({ series, yFormat = String, height = 180, title, xDomain }) {
  const usable = (p) => p.y !== null && p.y !== undefined && Number.isFinite(Number(p.y));
  const hasData = series.some((s) => s.points.some(usable));
  const legend = h('div', { class: 'chart-legend' },
    series.map((s) => h('span', { class: 'chart-legend-item' }, swatch(s.color), s.label)));
  const plot = h('div', { class: 'chart-plot' });
  plot.style.height = `${height}px`;
  const el = h('div', { class: 'chart' }, title ? h('div', { class: 'chart-title' }, title) : null, legend, plot);
  if (!hasData) {
    replace(plot, h('div', { class: 'chart-empty' }, 'No data'));
    el.cleanup = () => {};
    return el;
  }

  // The hover snaps to the nearest time with a value in some series.
  const xs = [...new Set(series.flatMap((s) => s.points.filter(usable).map((p) => p.x)))].sort((a, b) => a - b);
  const allXs = series.flatMap((s) => s.points.map((p) => p.x));
  let [x0, x1] = xDomain || [Math.min(...allXs), Math.max(...allXs)];
  if (!(x1 > x0)) { x0 -= 30e3; x1 += 30e3; }
  const yMax = Math.max(...series.flatMap((s) => s.points.filter(usable).map((p) => Number(p.y))));
  const yTicks = niceTicks(yMax > 0 ? yMax : 1, Math.max(2, Math.floor(height / 45)));
  const yTop = yTicks[yTicks.length - 1];

  const draw = (width) => {
    const w = width - MARGIN.left - MARGIN.right;
    const ph = height - MARGIN.top - MARGIN.bottom;
    const sx = (x) => MARGIN.left + ((x - x0) / (x1 - x0)) * w;
    const sy = (y) => MARGIN.top + ph - (y / yTop) * ph;
    const grid = svg('g', { class: 'chart-grid' });
    for (const t of yTicks) {
      grid.append(
        svg('line', { x1: MARGIN.left, x2: MARGIN.left + w, y1: sy(t), y2: sy(t) }),
        svg('text', { x: MARGIN.left - 6, y: sy(t), class: 'chart-tick chart-tick-y' }, yFormat(t)));
    }
    const ticks = timeTicks(x0, x1, Math.max(2, Math.floor(w / 75)));
    for (const t of ticks.values) {
      grid.append(
        svg('line', { x1: sx(t), x2: sx(t), y1: MARGIN.top, y2: MARGIN.top + ph, class: 'chart-grid-x' }),
        svg('text', { x: sx(t), y: MARGIN.top + ph + 16, class: 'chart-tick chart-tick-x' }, ticks.label(t)));
    }
    const lines = svg('g', { class: 'chart-lines' });
    for (const s of series) {
      const runs = [];
      let run = [];
      for (const p of [...s.points].sort((a, b) => a.x - b.x)) {
        if (usable(p)) run.push(p);
        else if (run.length) { runs.push(run); run = []; }
      }
      if (run.length) runs.push(run);
      for (const r of runs) {
        if (r.length === 1) {
          lines.append(svg('circle', { cx: sx(r[0].x), cy: sy(r[0].y), r: 2.5, fill: s.color }));
        } else {
          const d = r.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(Number(p.y)).toFixed(1)}`).join('');
          lines.append(svg('path', { d, stroke: s.color, class: 'chart-line' }));
        }
      }
    }
    const cross = svg('g', { class: 'chart-crosshair' });
    cross.style.display = 'none';
    const crossLine = svg('line', { y1: MARGIN.top, y2: MARGIN.top + ph });
    cross.append(crossLine);
    const dots = series.map((s) => svg('circle', { r: 3.5, fill: s.color }));
    cross.append(...dots);
    const overlay = svg('rect', { x: MARGIN.left, y: MARGIN.top, width: Math.max(0, w), height: ph, class: 'chart-overlay' });
    const tooltip = h('div', { class: 'chart-tooltip' });
    tooltip.style.display = 'none';

    overlay.addEventListener('pointermove', (event) => {
      const box = overlay.getBoundingClientRect();
      const x = x0 + ((event.clientX - box.left) / box.width) * (x1 - x0);
      const at = nearest(xs, x);
      crossLine.setAttribute('x1', sx(at));
      crossLine.setAttribute('x2', sx(at));
      const rows = [];
      series.forEach((s, i) => {
        const p = s.points.find((q) => q.x === at);
        const shown = p && usable(p);
        dots[i].style.display = shown ? '' : 'none';
        if (shown) { dots[i].setAttribute('cx', sx(at)); dots[i].setAttribute('cy', sy(Number(p.y))); }
        rows.push(h('div', { class: 'chart-tooltip-row' }, swatch(s.color), `${s.label}: `, shown ? yFormat(Number(p.y)) : '–'));
      });
      replace(tooltip, h('div', { class: 'chart-tooltip-time' }, formatTimestamp(at * 1e6)), rows);
      cross.style.display = '';
      tooltip.style.display = '';
      const left = sx(at) + 12;
      tooltip.style.left = `${left + 180 > width ? Math.max(0, sx(at) - 192) : left}px`;
      tooltip.style.top = `${MARGIN.top}px`;
    });
    overlay.addEventListener('pointerleave', () => {
      cross.style.display = 'none';
      tooltip.style.display = 'none';
    });
    replace(plot, svg('svg', { width, height, class: 'chart-svg' }, grid, lines, cross, overlay), tooltip);
  };
  el.cleanup = onWidth(el, plot, draw);
  return el;
}

/**
 * A latency histogram: buckets [{lower, upper, count, exampleTraceID, exampleErrorTraceID}]
 * (bounds in nanoseconds) as bars on a logarithmic x axis; xFormat labels a bound.
 * Clicking a bar selects it and calls onBucketClick(bucket, index). `selected` is the
 * index of the bucket selected at first.
 */
export function histogramChart({ buckets, xFormat = String, onBucketClick, selected = -1, height = 200 }) {
  const plot = h('div', { class: 'chart-plot' });
  plot.style.height = `${height}px`;
  const el = h('div', { class: 'chart chart-histogram' }, plot);
  const filled = buckets.map((b, i) => ({ ...b, index: i })).filter((b) => b.count > 0);
  if (filled.length === 0) {
    replace(plot, h('div', { class: 'chart-empty' }, 'No data'));
    el.cleanup = () => {};
    return el;
  }
  const lowerOf = (b) => (b.lower > 0 ? b.lower : Math.max(1, b.upper / 2));
  const lx0 = Math.log10(Math.min(...filled.map(lowerOf)));
  const lx1 = Math.log10(Math.max(...filled.map((b) => b.upper)));
  const pad = Math.max(0.1, (lx1 - lx0) * 0.04);
  const [d0, d1] = [lx0 - pad, lx1 + pad];
  const yTicks = niceTicks(Math.max(...filled.map((b) => b.count)), Math.max(2, Math.floor(height / 45)));
  const yTop = yTicks[yTicks.length - 1];
  let chosen = selected;

  const draw = (width) => {
    const w = width - MARGIN.left - MARGIN.right;
    const ph = height - MARGIN.top - MARGIN.bottom;
    const sx = (v) => MARGIN.left + ((Math.log10(v) - d0) / (d1 - d0)) * w;
    const sy = (y) => MARGIN.top + ph - (y / yTop) * ph;
    const grid = svg('g', { class: 'chart-grid' });
    for (const t of yTicks) {
      grid.append(
        svg('line', { x1: MARGIN.left, x2: MARGIN.left + w, y1: sy(t), y2: sy(t) }),
        svg('text', { x: MARGIN.left - 6, y: sy(t), class: 'chart-tick chart-tick-y' }, String(t)));
    }
    for (const t of logTicks(d0, d1, w)) {
      grid.append(
        svg('line', { x1: sx(t), x2: sx(t), y1: MARGIN.top, y2: MARGIN.top + ph, class: 'chart-grid-x' }),
        svg('text', { x: sx(t), y: MARGIN.top + ph + 16, class: 'chart-tick chart-tick-x' }, xFormat(t)));
    }
    const tooltip = h('div', { class: 'chart-tooltip' });
    tooltip.style.display = 'none';
    const bars = svg('g', { class: 'chart-bars' });
    for (const b of filled) {
      const left = sx(lowerOf(b));
      const bw = Math.max(2, sx(b.upper) - left - 1);
      const top = sy(b.count);
      const bar = svg('g', {
        class: ['histogram-bar', b.index === chosen && 'selected', b.exampleErrorTraceID && 'has-error'],
        'data-testid': 'histogram-bar',
        'data-count': b.count,
        'data-lower': b.lower,
        'data-upper': b.upper,
        role: 'button',
        tabindex: 0,
        'aria-label': `${xFormat(b.lower)} to ${xFormat(b.upper)}: ${b.count}`,
      },
      svg('rect', { class: 'histogram-hit', x: left, y: MARGIN.top, width: bw, height: ph }),
      svg('rect', { class: 'histogram-fill', x: left, y: top, width: bw, height: Math.max(1, MARGIN.top + ph - top) }),
      b.exampleErrorTraceID ? svg('circle', { class: 'histogram-error-mark', cx: left + bw / 2, cy: top - 5, r: 3 }) : null);
      const choose = () => {
        chosen = b.index;
        for (const other of bars.children) other.classList.toggle('selected', other === bar);
        if (onBucketClick) onBucketClick(buckets[b.index], b.index);
      };
      bar.addEventListener('click', choose);
      bar.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); choose(); }
      });
      bar.addEventListener('pointerenter', () => {
        replace(tooltip,
          h('div', { class: 'chart-tooltip-time' }, `${xFormat(b.lower)} – ${xFormat(b.upper)}`),
          h('div', null, `${b.count} request${b.count === 1 ? '' : 's'}`),
          b.exampleErrorTraceID ? h('div', { class: 'chart-tooltip-error' }, 'has an erroring example') : null);
        tooltip.style.display = '';
        tooltip.style.left = `${left + bw + 190 > width ? Math.max(0, left - 190) : left + bw + 6}px`;
        tooltip.style.top = `${MARGIN.top}px`;
      });
      bar.addEventListener('pointerleave', () => { tooltip.style.display = 'none'; });
      bars.append(bar);
    }
    replace(plot, svg('svg', { width, height, class: 'chart-svg' }, grid, bars), tooltip);
  };
  el.cleanup = onWidth(el, plot, draw);
  return el;
}

/** Draws now at a guessed width, then at the plot's real width whenever it changes. */
function onWidth(el, plot, draw) {
  let drawn = 0;
  const redraw = (width) => {
    const rounded = Math.floor(width);
    if (rounded <= MARGIN.left + MARGIN.right + 20 || rounded === drawn) return;
    drawn = rounded;
    draw(rounded);
  };
  redraw(600);
  const observer = new ResizeObserver((entries) => {
    if (!el.isConnected) { observer.disconnect(); return; }
    for (const entry of entries) redraw(entry.contentRect.width);
  });
  observer.observe(plot);
  return () => observer.disconnect();
}

function swatch(color) {
  const s = h('span', { class: 'chart-swatch' });
  s.style.background = color;
  return s;
}

/** The value in sorted `values` closest to x. */
function nearest(values, x) {
  let lo = 0;
  let hi = values.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < x) lo = mid; else hi = mid;
  }
  return Math.abs(values[lo] - x) <= Math.abs(values[hi] - x) ? values[lo] : values[hi];
}

/** Round ticks from 0 up to at least max, about `count` of them. */
function niceTicks(max, count) {
  const raw = max / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
  const ticks = [];
  for (let i = 0; ; i++) {
    const t = Number((i * step).toPrecision(12));
    ticks.push(t);
    if (t >= max) break;
  }
  return ticks;
}

const SECOND = 1e3;
const MINUTE = 60e3;
const HOUR = 3600e3;
const DAY = 86400e3;
const TIME_STEPS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY,
];

/** Time ticks between x0 and x1 (Unix millis) on round local times, and how to label them. */
function timeTicks(x0, x1, maxCount) {
  const span = x1 - x0;
  const step = TIME_STEPS.find((s) => span / s <= maxCount) || TIME_STEPS[TIME_STEPS.length - 1];
  const offset = -new Date(x0).getTimezoneOffset() * MINUTE;
  const values = [];
  for (let t = Math.ceil((x0 + offset) / step) * step - offset; t <= x1; t += step) values.push(t);
  const pad = (v) => String(v).padStart(2, '0');
  const label = (t) => {
    const d = new Date(t);
    const date = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (step >= DAY) return date;
    if (step < MINUTE) return `${time}:${pad(d.getSeconds())}`;
    return span > DAY ? `${date} ${time}` : time;
  };
  return { values, label };
}

/** Ticks on a log axis (decades d0..d1 in log10): powers of ten, with 2 and 5 when they fit. */
function logTicks(d0, d1, width) {
  const decades = d1 - d0;
  const mantissas = width / Math.max(decades, 0.3) > 180 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let e = Math.floor(d0); e <= Math.ceil(d1); e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      const lv = Math.log10(v);
      if (lv >= d0 && lv <= d1) ticks.push(v);
    }
  }
  return ticks;
}
