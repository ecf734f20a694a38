// The search page's scatter plot (SVG): one circle per trace, its start time across and
// its duration up (a log scale when durations span more than a decade or so). Circles
// take the root service's color, an error outline when the trace has errors, and a
// radius that grows with the span count. Clicking a circle opens the trace.

import { h, svg, replace } from '../lib/dom.js';
import { formatDuration, formatTimestamp, nanosToMillis } from '../lib/format.js';
import { serviceColor, ERROR_COLOR } from '../lib/colors.js';

const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 26, left: 64 };
const MIN_RADIUS = 3;
const MAX_RADIUS = 11;
const LEGEND_SERVICES = 12;

const TIME_STEPS = [
  1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 2 * 60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3,
  3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3,
];

/**
 * Draws `traces` (search summaries) into `container` and redraws when the window is
 * resized. `onOpen(traceID)` is called when a point is clicked (or activated with the
 * keyboard). Returns a function that removes the resize listener.
 */
export function scatterPlot(container, traces, { onOpen }) {
  const points = traces.map((t) => ({
    id: t.traceID,
    time: nanosToMillis(t.startTimeUnixNano),
    duration: Math.max(1, Number(t.durationNanos) || 0),
    trace: t,
  }));
  // Large circles first, so small ones stay visible and clickable on top of them.
  points.sort((a, b) => radius(b.trace.spanCount) - radius(a.trace.spanCount));

  const chart = h('div', { class: 'scatter-chart' });
  replace(container, chart, legend(traces));

  let drawnWidth = -1;
  const draw = () => {
    const width = Math.max(320, chart.clientWidth || 600);
    if (width === drawnWidth) return;
    drawnWidth = width;
    replace(chart, plot(points, width, onOpen));
  };
  draw();

  let frame = 0;
  const onResize = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  };
  window.addEventListener('resize', onResize);
  return () => {
    window.removeEventListener('resize', onResize);
    if (frame) cancelAnimationFrame(frame);
  };
}

function plot(points, width, onOpen) {
  const innerWidth = width - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = timeScale(points.map((p) => p.time), innerWidth);
  const y = durationScale(points.map((p) => p.duration), innerHeight);

  const grid = svg('g', { class: 'scatter-axis' });
  for (const tick of y.ticks) {
    const py = MARGIN.top + y.at(tick);
    grid.appendChild(svg('line', { class: 'scatter-grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: py, y2: py }));
    grid.appendChild(svg('text', { x: MARGIN.left - 6, y: py, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, formatDuration(tick)));
  }
  for (const tick of x.ticks) {
    const px = MARGIN.left + x.at(tick);
    grid.appendChild(svg('line', { class: 'scatter-tick', x1: px, x2: px, y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom + 4 }));
    grid.appendChild(svg('text', { x: px, y: HEIGHT - MARGIN.bottom + 16, 'text-anchor': 'middle' }, x.label(tick)));
  }
  grid.appendChild(svg('line', {
    class: 'scatter-baseline', x1: MARGIN.left, x2: width - MARGIN.right, y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom,
  }));

  const dots = svg('g', { class: 'scatter-points' });
  for (const p of points) {
    const t = p.trace;
    const hasErrors = Number(t.errorCount) > 0;
    const open = () => onOpen(p.id);
    dots.appendChild(svg('circle', {
      class: hasErrors ? 'scatter-point has-errors' : 'scatter-point',
      'data-testid': 'scatter-point',
      'data-trace-id': p.id,
      cx: (MARGIN.left + x.at(p.time)).toFixed(1),
      cy: (MARGIN.top + y.at(p.duration)).toFixed(1),
      r: radius(t.spanCount),
      fill: serviceColor(t.rootService),
      stroke: hasErrors ? ERROR_COLOR : '#ffffff',
      tabindex: 0,
      role: 'link',
      'aria-label': `${t.rootService}: ${t.rootOperation}, ${formatDuration(t.durationNanos)}`,
      onClick: open,
      onKeydown: (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open();
        }
      },
    }, svg('title', null, tooltip(t))));
  }

  return svg('svg', {
    class: 'search-scatter',
    'data-testid': 'search-scatter',
    width,
    height: HEIGHT,
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: 'img',
    'aria-label': `Duration against start time of ${points.length} traces`,
  }, grid, dots);
}

function tooltip(t) {
  const errors = Number(t.errorCount) > 0 ? ` · ${t.errorCount} errors` : '';
  return `${t.rootService}: ${t.rootOperation}\n${formatDuration(t.durationNanos)} · ${t.spanCount} spans${errors}\n${formatTimestamp(t.startTimeUnixNano)}\n${t.traceID}`;
}

function radius(spanCount) {
  const n = Math.max(1, Number(spanCount) || 1);
  return Math.min(MAX_RADIUS, MIN_RADIUS + 1.2 * Math.log2(n));
}

/** Start times (Unix ms) across `size` pixels, with ticks at round clock times. */
function timeScale(times, size) {
  let lo = Math.min(...times);
  let hi = Math.max(...times);
  if (hi - lo < 1000) {
    lo -= 30e3;
    hi += 30e3;
  }
  const pad = (hi - lo) * 0.03;
  lo -= pad;
  hi += pad;
  const wanted = Math.max(2, Math.floor(size / 110));
  const step = TIME_STEPS.find((s) => (hi - lo) / s <= wanted) || TIME_STEPS[TIME_STEPS.length - 1];
  // Ticks fall on round local clock times.
  const offset = new Date(lo).getTimezoneOffset() * 60e3;
  const ticks = [];
  for (let t = Math.ceil((lo - offset) / step) * step + offset; t <= hi; t += step) ticks.push(t);
  const pad2 = (v) => String(v).padStart(2, '0');
  const label = (t) => {
    const d = new Date(t);
    if (step >= 86400e3) return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    return step < 60e3 ? `${hm}:${pad2(d.getSeconds())}` : hm;
  };
  return { at: (t) => ((t - lo) / (hi - lo)) * size, ticks, label };
}

/** Durations (ns) up `size` pixels: logarithmic when they span a wide range, else linear from zero. */
function durationScale(durations, size) {
  const lo = Math.min(...durations);
  const hi = Math.max(...durations);
  if (hi / lo >= 20) {
    const loExp = Math.floor(Math.log10(lo));
    const hiExp = Math.max(loExp + 1, Math.ceil(Math.log10(hi)));
    const every = Math.ceil((hiExp - loExp) / 6);
    const ticks = [];
    for (let e = loExp; e <= hiExp; e += every) ticks.push(10 ** e);
    const span = hiExp - loExp;
    return { at: (d) => size - ((Math.log10(d) - loExp) / span) * size, ticks };
  }
  const step = niceStep(hi / 4);
  const top = Math.ceil((hi * 1.05) / step) * step;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { at: (d) => size - (d / top) * size, ticks };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function legend(traces) {
  const services = [...new Set(traces.map((t) => t.rootService))].sort();
  const shown = services.slice(0, LEGEND_SERVICES);
  return h('div', { class: 'legend scatter-legend' },
    shown.map((s) => h('span', { class: 'chip', title: s, style: { '--chip-color': serviceColor(s) } }, s)),
    services.length > shown.length ? h('span', { class: 'muted' }, `+${services.length - shown.length} more`) : null,
    h('span', { class: 'scatter-legend-error' }, h('span', { class: 'scatter-legend-ring' }), 'has errors'),
    h('span', { class: 'muted' }, 'size: span count'));
}
