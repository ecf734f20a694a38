// The minimap above the waterfall: every span of the trace drawn on a canvas (one thin
// bar per span, top to bottom in depth-first order), with a window over the time range
// the timeline shows. Drag on the minimap to choose a range, drag the window to move it,
// drag its edges to resize it; double-click resets to the whole trace.

import { h } from '../../lib/dom.js';
import { serviceColor, ERROR_COLOR } from '../../lib/colors.js';

const HEIGHT = 48;
const MIN_WINDOW_PX = 4;

/**
 * options: { onZoom(from, to) } with from/to fractions of the trace's duration (0…1).
 * Returns { element, setRange(from, to), redraw() }.
 */
export function createMinimap(trace, { onZoom }) {
  const canvas = h('canvas', { class: 'mm-canvas', 'aria-hidden': 'true' });
  const shadeLeft = h('div', { class: 'mm-shade' });
  const shadeRight = h('div', { class: 'mm-shade' });
  const handleLeft = h('div', { class: 'mm-handle', dataset: { edge: 'left' } });
  const handleRight = h('div', { class: 'mm-handle', dataset: { edge: 'right' } });
  const windowEl = h('div', { class: 'mm-window', title: 'Drag to move; drag an edge to resize' }, handleLeft, handleRight);
  const element = h('div', {
    class: 'minimap', 'data-testid': 'minimap',
    title: 'Drag to zoom the timeline; double-click to reset',
  }, canvas, shadeLeft, shadeRight, windowEl);

  let from = 0;
  let to = 1;
  let drag = null;

  function setRange(f, t) {
    from = f;
    to = t;
    shadeLeft.style.left = '0';
    shadeLeft.style.width = `${from * 100}%`;
    shadeRight.style.left = `${to * 100}%`;
    shadeRight.style.width = `${(1 - to) * 100}%`;
    windowEl.style.left = `${from * 100}%`;
    windowEl.style.width = `${(to - from) * 100}%`;
  }

  function redraw() {
    const width = element.clientWidth;
    if (!width) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(HEIGHT * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${HEIGHT}px`;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, HEIGHT);
    const spans = trace.spans;
    const n = spans.length;
    const duration = trace.duration || 1;
    const rowHeight = Math.max(HEIGHT / Math.max(n, 1), 0.5);
    const barHeight = Math.min(Math.max(rowHeight - 1, 1), 6);
    // One fillStyle per service: far cheaper than switching colors per span.
    const byColor = new Map();
    for (let i = 0; i < n; i++) {
      const color = spans[i].error ? ERROR_COLOR : serviceColor(spans[i].service);
      let list = byColor.get(color);
      if (!list) byColor.set(color, (list = []));
      list.push(i);
    }
    for (const [color, list] of byColor) {
      ctx.fillStyle = color;
      for (const i of list) {
        const span = spans[i];
        const x = (span.start / duration) * width;
        const w = Math.max((span.duration / duration) * width, 1);
        const y = n * rowHeight <= HEIGHT ? i * rowHeight : (i / n) * HEIGHT;
        ctx.fillRect(x, y, w, barHeight);
      }
    }
  }

  function fraction(event) {
    const rect = element.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - rect.left) / (rect.width || 1)));
  }

  function minWidth() {
    return MIN_WINDOW_PX / (element.clientWidth || 1);
  }

  function onPointerDown(event) {
    if (event.button !== 0) return;
    const at = fraction(event);
    const edge = event.target.dataset && event.target.dataset.edge;
    if (edge) drag = { mode: edge, at, from, to };
    else if (event.target === windowEl && (from > 0 || to < 1)) drag = { mode: 'move', at, from, to };
    else drag = { mode: 'new', at, from, to };
    element.setPointerCapture(event.pointerId);
    event.preventDefault();
  }

  function onPointerMove(event) {
    if (!drag) return;
    const at = fraction(event);
    const min = minWidth();
    let f = drag.from;
    let t = drag.to;
    if (drag.mode === 'move') {
      const width = drag.to - drag.from;
      f = Math.min(Math.max(0, drag.from + at - drag.at), 1 - width);
      t = f + width;
    } else if (drag.mode === 'left') {
      f = Math.min(at, drag.to - min);
    } else if (drag.mode === 'right') {
      t = Math.max(at, drag.from + min);
    } else {
      if (Math.abs(at - drag.at) < min) return;
      f = Math.min(at, drag.at);
      t = Math.max(at, drag.at);
    }
    setRange(f, t);
    onZoom(f, t);
  }

  function onPointerUp(event) {
    if (!drag) return;
    drag = null;
    if (element.hasPointerCapture(event.pointerId)) element.releasePointerCapture(event.pointerId);
  }

  function onDoubleClick() {
    setRange(0, 1);
    onZoom(0, 1);
  }

  element.addEventListener('pointerdown', onPointerDown);
  element.addEventListener('pointermove', onPointerMove);
  element.addEventListener('pointerup', onPointerUp);
  element.addEventListener('pointercancel', onPointerUp);
  element.addEventListener('dblclick', onDoubleClick);
  setRange(0, 1);

  return { element, setRange, redraw };
}
