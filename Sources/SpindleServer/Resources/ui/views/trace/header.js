// The trace view's header: the root span's service and operation, the trace's ID, start,
// duration, size and depth, its services with their span counts, its errors, and the tabs.

import { h } from '../../lib/dom.js';
import { formatDuration, formatTimestamp, formatCount } from '../../lib/format.js';
import { serviceColor } from '../../lib/colors.js';

export const VIEWS = [
  { key: 'waterfall', label: 'Waterfall' },
  { key: 'flame', label: 'Flame graph' },
  { key: 'stats', label: 'Statistics' },
];

/**
 * The header element. options: { view, hrefFor(view), onTab(view) }.
 * Returns { element, setView(view), refreshLinks() } (refreshLinks after the URL changes).
 */
export function renderHeader(trace, { view, hrefFor, onTab }) {
  const root = trace.spans[0];
  const counts = new Map();
  for (const span of trace.spans) counts.set(span.service, (counts.get(span.service) || 0) + 1);
  const title = root ? `${root.service}: ${root.name}` : '(empty trace)';
  const errors = trace.errorCount;

  const tabs = VIEWS.map((v) => h('a', {
    href: hrefFor(v.key),
    'data-testid': `tab-${v.key}`,
    role: 'tab',
    onClick: (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      onTab(v.key);
    },
  }, v.label));

  function refreshLinks() {
    VIEWS.forEach((v, i) => tabs[i].setAttribute('href', hrefFor(v.key)));
  }

  function setView(current) {
    VIEWS.forEach((v, i) => {
      tabs[i].classList.toggle('active', v.key === current);
      tabs[i].setAttribute('aria-selected', String(v.key === current));
    });
  }
  setView(view);

  const element = h('header', { class: 'trace-header', 'data-testid': 'trace-header' },
    h('h1', { class: 'trace-title', 'data-testid': 'trace-title', title }, title),
    h('div', { class: 'trace-facts' },
      fact('Trace ID', h('span', { class: 'mono', 'data-testid': 'trace-id' }, trace.traceID)),
      fact('Started', h('span', null, formatTimestamp(trace.start))),
      fact('Duration', h('span', { 'data-testid': 'trace-duration' }, formatDuration(trace.duration))),
      fact('Spans', h('span', { 'data-testid': 'trace-span-count' }, `${formatCount(trace.spans.length)} ${trace.spans.length === 1 ? 'span' : 'spans'}`)),
      fact('Depth', h('span', { 'data-testid': 'trace-depth' }, formatCount(trace.spans.length ? trace.maxDepth + 1 : 0))),
      fact('Errors', h('span', {
        'data-testid': 'trace-error-count', class: errors ? 'badge-error' : 'muted',
      }, `${formatCount(errors)} ${errors === 1 ? 'error' : 'errors'}`)),
      h('span', { class: 'trace-actions' },
        h('a', { class: 'button', href: `/compare?a=${encodeURIComponent(trace.traceID)}`, 'data-testid': 'trace-compare' }, 'Compare with…'),
        h('a', {
          class: 'button', href: `/api/spindle/traces/${encodeURIComponent(trace.traceID)}`,
          download: `trace-${trace.traceID}.json`, 'data-testid': 'trace-download',
        }, 'Download JSON'))),
    h('div', { class: 'legend trace-services', 'data-testid': 'trace-services' },
      trace.services.map((service) => h('span', {
        class: 'chip', style: { '--chip-color': serviceColor(service) }, title: service, 'data-testid': 'trace-service',
      }, service, h('span', { class: 'muted' }, ` ${formatCount(counts.get(service) || 0)}`)))),
    h('nav', { class: 'tabs trace-tabs', role: 'tablist' }, tabs));
  return { element, setView, refreshLinks };
}

function fact(label, value) {
  return h('span', { class: 'trace-fact' }, h('span', { class: 'muted' }, `${label} `), value);
}
