// The alerts view.
//   /alerts   every alert rule of `spindle serve --config` (docs/alerts.md) with its state
//             as the server last evaluated it: firing first, then pending, resolved and
//             inactive, rules in the configuration's order within a state. The list is
//             asked for again every 15 s while the tab is visible, and at once when the
//             tab becomes visible after a longer time away.
// Rule names, services, operations and messages come from the configuration and from span
// names: they reach the page as text only (lib/dom.js).

import { h, replace, truncate } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { formatAgo, formatDuration, formatTimestamp } from '../lib/format.js';
import { serviceColor } from '../lib/colors.js';
import { errorBox } from '../app.js';

const REFRESH_MILLIS = 15_000;
/** The order of the list; a state this page does not know goes last. */
const STATE_RANK = { firing: 0, pending: 1, resolved: 2, inactive: 3 };

export async function render(root) {
  const controller = new AbortController();
  const summary = h('span', { class: 'alerts-summary', 'data-testid': 'alerts-summary' });
  const updated = h('span', { class: 'muted alerts-updated', 'data-testid': 'alerts-updated' });
  const note = h('div', { class: 'alerts-note', 'data-testid': 'alerts-refresh-error' });
  const content = h('div', { class: 'alerts-content' }, h('div', { class: 'loading' }, 'Loading…'));
  const page = h('div', { class: 'page alerts-page', 'data-testid': 'alerts-page', 'data-loads': '0' },
    h('div', { class: 'page-header' },
      h('h1', null, 'Alerts'), summary,
      h('div', { class: 'alerts-controls' },
        updated,
        h('button', { type: 'button', 'data-testid': 'alerts-refresh', onClick: () => refresh() }, 'Refresh'))),
    note, content);

  let loads = 0;
  let lastLoaded = 0;
  let inFlight = false;
  let shown = false;

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const answer = await api.alerts(controller.signal);
      const alerts = Array.isArray(answer && answer.alerts) ? answer.alerts : [];
      replace(summary, summarize(alerts));
      replace(content, alerts.length === 0 ? noRules() : alertsTable(alerts));
      replace(note);
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (error.status === 404) {
        replace(summary);
        replace(content, unavailable(error));
        replace(note);
      } else if (shown) {
        // Keep the last answer on screen; say that it is getting old.
        replace(note, errorBox(`Could not refresh: ${error.message}`));
        return;
      } else {
        replace(content, errorBox(error));
        return;
      }
    } finally {
      inFlight = false;
    }
    shown = true;
    lastLoaded = Date.now();
    loads += 1;
    page.dataset.loads = String(loads);
    updated.textContent = `Updated ${formatTimestamp(lastLoaded * 1e6).slice(11, 19)}`;
  }

  replace(root, page);
  await refresh();

  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') refresh();
  }, REFRESH_MILLIS);
  const onVisibility = () => {
    if (document.visibilityState === 'visible' && Date.now() - lastLoaded >= REFRESH_MILLIS) refresh();
  };
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisibility);
    controller.abort();
  };
}

function knownState(state) {
  return Object.hasOwn(STATE_RANK, state) ? state : 'unknown';
}

function summarize(alerts) {
  const count = (state) => alerts.filter((a) => a.state === state).length;
  const firing = count('firing');
  const pending = count('pending');
  const rules = `${alerts.length} ${alerts.length === 1 ? 'rule' : 'rules'}`;
  return [
    h('span', { class: ['alerts-count', firing > 0 && 'alert-state-firing'] }, `${firing} firing`), ' · ',
    h('span', { class: ['alerts-count', pending > 0 && 'alert-state-pending'] }, `${pending} pending`), ' · ',
    h('span', { class: 'muted' }, rules),
  ];
}

function alertsTable(alerts) {
  const sorted = alerts
    .map((alert, index) => ({ alert, index, rank: STATE_RANK[knownState(alert.state)] ?? 4 }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.alert);
  const now = Date.now();
  return h('div', { class: 'panel table-panel' },
    h('table', { class: 'data alerts-table', 'data-testid': 'alerts-table' },
      h('thead', null, h('tr', null,
        h('th', null, 'State'),
        h('th', null, 'Rule'),
        h('th', { title: 'When the alert entered its state' }, 'Since'),
        h('th', { class: 'num', title: 'What the condition was checked against: an error rate (0…1), a latency in seconds, requests per second, or a request count for absence' }, 'Value'),
        h('th', null, 'Message'),
        h('th', null, 'Service'),
        h('th', null, 'Operation'),
        h('th', { class: 'num', title: 'How far back the condition looks' }, 'Window'),
        h('th', { class: 'num', title: 'How long the condition must hold before the alert fires' }, 'For'))),
      h('tbody', null, sorted.map((alert) => alertRow(alert, now)))));
}

function alertRow(alert, now) {
  const state = knownState(alert.state);
  const rule = String(alert.rule ?? '');
  const message = String(alert.message ?? '');
  return h('tr', {
    class: ['alert-row', `alert-row-${state}`],
    'data-testid': 'alert-row',
    'data-rule': rule,
    'data-state': String(alert.state ?? ''),
  },
  h('td', null, h('span', { class: ['alert-state', `alert-state-${state}`], 'data-testid': 'alert-state' }, String(alert.state ?? '?'))),
  h('td', { class: 'alert-rule', title: rule, 'data-testid': 'alert-rule' }, truncate(rule, 200)),
  sinceCell(alert, now),
  h('td', { class: 'num', 'data-testid': 'alert-value' }, formatValue(alert.value)),
  h('td', { class: 'alert-message', title: message, 'data-testid': 'alert-message' }, truncate(message, 1000)),
  h('td', { class: 'name-cell', 'data-testid': 'alert-service' }, alert.service == null ? h('span', { class: 'muted' }, 'all')
    : h('a', { href: `/services/${encodeURIComponent(alert.service)}`, title: String(alert.service) },
      h('span', { class: 'chip', style: { '--chip-color': serviceColor(String(alert.service)) } }, truncate(alert.service, 120)))),
  h('td', { class: 'name-cell', title: alert.operation ?? null, 'data-testid': 'alert-operation' },
    alert.operation == null ? h('span', { class: 'muted' }, 'all') : truncate(alert.operation, 200)),
  h('td', { class: 'num', 'data-testid': 'alert-window' }, formatRuleDuration(alert.windowNanos)),
  h('td', { class: 'num', 'data-testid': 'alert-for' }, formatRuleDuration(alert.forNanos)));
}

/** "3m ago", the exact time on hover; an alert that never left inactive has no time. */
function sinceCell(alert, now) {
  const since = typeof alert.sinceUnixNano === 'string' && /^\d{1,20}$/.test(alert.sinceUnixNano) ? alert.sinceUnixNano : '0';
  const evaluated = typeof alert.lastEvaluatedUnixNano === 'string' && /^\d{1,20}$/.test(alert.lastEvaluatedUnixNano)
    ? `last evaluated ${formatTimestamp(alert.lastEvaluatedUnixNano)}` : 'not evaluated yet';
  if (BigInt(since) === 0n) {
    return h('td', { class: 'alert-since muted', title: evaluated, 'data-testid': 'alert-since' }, '–');
  }
  return h('td', { class: 'alert-since', title: `${formatTimestamp(since)}; ${evaluated}`, 'data-testid': 'alert-since' }, formatAgo(since, now));
}

/** The value the condition was checked against, in four significant digits; '–' for none. */
function formatValue(value) {
  if (value === null || value === undefined) return '–';
  const n = Number(value);
  if (!Number.isFinite(n)) return '–';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1e6 || abs < 1e-3) return n.toExponential(2);
  return String(Number(n.toPrecision(4)));
}

/** A rule's window or `for` as the configuration writes it: "10m", "1m30s", "0s", "500 ms". */
function formatRuleDuration(nanos) {
  if (nanos === null || nanos === undefined) return '–';
  const n = Number(nanos);
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n === 0) return '0s';
  if (n < 1e9) return formatDuration(n);
  let rest = n;
  let text = '';
  for (const [unit, size] of [['h', 3600e9], ['m', 60e9]]) {
    if (rest >= size) {
      const whole = Math.floor(rest / size);
      text += `${whole}${unit}`;
      rest -= whole * size;
    }
  }
  if (rest > 0) text += `${Number((rest / 1e9).toFixed(3))}s`;
  return text;
}

function noRules() {
  return h('div', { class: 'empty alerts-empty', 'data-testid': 'alerts-empty' },
    h('p', null, 'No alert rules are configured.'),
    h('p', null, 'Rules go in the ', h('code', null, 'alerts:'), ' section of the file given to ',
      h('code', null, 'spindle serve --config'), '; see ', h('code', null, 'docs/alerts.md'), '.'));
}

function unavailable(error) {
  return h('div', { class: 'empty alerts-empty', 'data-testid': 'alerts-unavailable' },
    h('p', null, 'Alerts need span metrics, which this server does not keep.'),
    h('p', { class: 'muted' }, error.message),
    h('p', null, 'Start it with ', h('code', null, '--span-metrics on'), ' (or without ',
      h('code', null, 'span_metrics.enabled: false'), ' in its configuration file); see ', h('code', null, 'docs/alerts.md'), '.'));
}
