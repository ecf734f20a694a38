// The span detail panel: everything about one span (identity, timing, status,
// attributes, resource, scope, events, links). All values are text; long ones wrap and
// scroll inside the panel.

import { h } from '../../lib/dom.js';
import { formatDuration } from '../../lib/format.js';
import { serviceColor } from '../../lib/colors.js';

/**
 * The panel for `span` of `trace`. options: { onSelect(spanID), onClose() }.
 */
export function renderDetail(trace, span, { onSelect, onClose }) {
  const parent = span.parentID ? trace.byID.get(span.parentID) : undefined;
  const parentCell = !span.parentID
    ? h('span', { class: 'muted' }, 'none (root span)')
    : parent
      ? h('a', {
        href: spanHref(trace.traceID, parent.id),
        'data-testid': 'span-parent',
        onClick: (event) => {
          event.preventDefault();
          onSelect(parent.id);
        },
      }, parent.id)
      : h('span', null, span.parentID, h('span', { class: 'muted' }, ' (not in this trace)'));

  return h('aside', { class: 'trace-detail', 'data-testid': 'span-detail', 'aria-label': 'Span details' },
    h('div', { class: 'sd-head' },
      h('span', { class: 'sd-color', style: { background: serviceColor(span.service) } }),
      h('h2', { class: 'sd-name', 'data-testid': 'span-detail-name', title: span.name }, span.name || '(no name)'),
      h('button', { class: 'sd-close', type: 'button', 'data-testid': 'span-detail-close', title: 'Close (Esc)', 'aria-label': 'Close', onClick: onClose }, '×')),
    h('dl', { class: 'kv sd-meta' },
      h('dt', null, 'Service'), h('dd', { 'data-testid': 'span-detail-service' }, span.service),
      h('dt', null, 'Span ID'), h('dd', { 'data-testid': 'span-detail-id' }, span.id),
      h('dt', null, 'Parent ID'), h('dd', null, parentCell),
      h('dt', null, 'Kind'), h('dd', null, span.kind),
      h('dt', null, 'Start'), h('dd', null, `+${formatDuration(span.start)}`),
      h('dt', null, 'Duration'), h('dd', { 'data-testid': 'span-detail-duration' }, formatDuration(span.duration)),
      h('dt', null, 'Status'), h('dd', { 'data-testid': 'span-status', class: span.error ? 'sd-status-error' : null },
        h('span', { class: span.error ? 'badge-error' : 'sd-status-code' }, span.status.code),
        span.status.message ? h('span', { class: 'sd-status-message' }, ' ', span.status.message) : null)),
    section('Attributes', span.attributes.length, attributeTable(span.attributes, 'span-attributes')),
    section('Resource', span.resource.length, attributeTable(span.resource, 'span-resource')),
    section('Scope', null, h('dl', { class: 'kv', 'data-testid': 'span-scope' },
      h('dt', null, 'Name'), h('dd', null, span.scope.name || '–'),
      h('dt', null, 'Version'), h('dd', null, span.scope.version || '–'))),
    section('Events', span.events.length, h('ol', { class: 'sd-events', 'data-testid': 'span-events' },
      span.events.map((event) => h('li', { class: 'sd-event', 'data-testid': 'span-event' },
        h('div', { class: 'sd-event-head' },
          h('span', { class: 'sd-offset' }, `+${formatDuration(event.time - span.start)}`),
          h('span', { class: 'sd-event-name' }, event.name)),
        event.attributes.length ? attributeTable(event.attributes, 'event-attributes') : null)))),
    section('Links', span.links.length, h('ul', { class: 'sd-links', 'data-testid': 'span-links' },
      span.links.map((link) => h('li', null,
        h('a', { href: spanHref(link.traceID, link.spanID), 'data-testid': 'span-link', class: 'mono' },
          `trace ${link.traceID}`, h('br'), `span ${link.spanID}`),
        link.attributes.length ? attributeTable(link.attributes, 'link-attributes') : null)))));
}

/** The address of a span in its trace. */
export function spanHref(traceID, spanID) {
  return `/trace/${encodeURIComponent(traceID)}?span=${encodeURIComponent(spanID)}`;
}

function section(title, count, body) {
  const empty = count === 0;
  return h('section', { class: 'sd-section' },
    h('h3', null, title, count !== null ? h('span', { class: 'muted' }, ` (${count})`) : null),
    empty ? h('p', { class: 'muted sd-none' }, 'None') : null,
    body);
}

function attributeTable(list, testid) {
  return h('table', { class: 'sd-attrs', 'data-testid': testid },
    h('tbody', null, list.map((a) => h('tr', { 'data-testid': 'attr-row' },
      h('th', { 'data-testid': 'attr-key', title: a.key, scope: 'row' }, a.key),
      h('td', { 'data-testid': 'attr-value', title: a.type }, h('div', { class: 'sd-value' }, a.value))))));
}
