// The time ruler above the waterfall's timeline: round-numbered ticks over the range
// shown, labelled with formatDuration, and the same ticks as faint gridlines behind the rows.

import { h, replace } from '../../lib/dom.js';
import { formatDuration } from '../../lib/format.js';

/** Round tick times (ns relative to the trace start) between from and to, at most about `target` of them. */
export function timeTicks(from, to, target = 6) {
  const span = to - from;
  if (!(span > 0)) return [from];
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(from / step) * step; t <= to + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** Fills the ruler and gridline elements for the range [from, to]. */
export function drawRuler(ruler, grid, from, to) {
  const width = to - from || 1;
  const ticks = timeTicks(from, to);
  const position = (t) => `${((t - from) / width) * 100}%`;
  replace(ruler, ticks.map((t, i) => h('div', {
    class: ['wf-tick', i === ticks.length - 1 && (t - from) / width > 0.9 ? 'last' : null],
    style: { left: position(t) },
  }, h('span', { class: 'wf-tick-label' }, formatDuration(t)))));
  replace(grid, ticks.map((t) => h('div', { class: 'wf-gridline', style: { left: position(t) } })));
}
