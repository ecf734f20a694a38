// The search view (/ and /search): a form of filters (service, operation, attributes,
// duration, status, kind) or a TraceQL query, a time range and a limit; the results as a
// scatter plot of duration against time and a list of trace summaries. The address bar
// holds the whole search: submitting pushes a new URL, and opening one runs its search.

import { h, replace, append } from '../lib/dom.js';
import { api, ApiError } from '../lib/api.js';
import { formatDuration, formatTimestamp, formatAgo, formatCount, parseDuration, shortID } from '../lib/format.js';
import { serviceColor } from '../lib/colors.js';
import { PRESETS, rangeFromParams, rangeToAPI, rangeToParams, toLocalInput, fromLocalInput } from '../lib/time.js';
import { attributes as otlpAttributes } from '../lib/trace-model.js';
import { navigate, updateParams, errorBox } from '../app.js';
import { scatterPlot } from './search-scatter.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 10000;
const KINDS = ['server', 'client', 'producer', 'consumer', 'internal', 'unspecified'];
const STATUSES = ['error', 'ok', 'unset'];
const OPERATORS = [
  { key: '=', label: '=' },
  { key: '>=', label: '≥' },
  { key: '<=', label: '≤' },
  { key: 'exists', label: 'exists' },
];
const SORTS = [
  { key: 'recent', label: 'Most recent', compare: (a, b) => compareTimes(b, a) },
  { key: 'longest', label: 'Longest first', compare: (a, b) => b.durationNanos - a.durationNanos },
  { key: 'shortest', label: 'Shortest first', compare: (a, b) => a.durationNanos - b.durationNanos },
  { key: 'spans', label: 'Most spans', compare: (a, b) => b.spanCount - a.spanCount },
];
const ROWS_PER_PAGE = 500;
const CHIPS_PER_ROW = 12;
const MATCHED_SPANS = 3;
const AUTOCOMPLETE_NAMES = 2000;
const AUTOCOMPLETE_VALUES = 500;

export async function render(root, route) {
  const state = stateFromParams(route.params);
  // One search per render: a new search is a new URL, and the router cleans this one up first.
  const life = new AbortController();
  let disposeScatter = null;

  const form = searchForm(state, life.signal, (next) => navigate(`/search?${paramsFromState(next)}`));
  const results = h('section', { class: 'search-results', 'data-testid': 'search-results', 'aria-live': 'polite' });
  replace(root, h('div', { class: 'page search-page' }, form.element, results));

  const showResults = (answer, search) => {
    if (disposeScatter) disposeScatter();
    disposeScatter = resultsView(results, answer.traces || [], search, answer);
  };

  const run = async (search) => {
    const { signal } = life;
    replace(results, h('div', { class: 'loading', 'data-testid': 'search-loading' }, 'Searching…'));
    try {
      const answer = search.mode === 'traceql'
        ? await api.traceql({ q: search.q, ...rangeToAPI(search.range), limit: search.limit, spss: MATCHED_SPANS }, signal)
        : await api.search(searchParams(search), signal);
      if (!signal.aborted) showResults(answer, search);
    } catch (error) {
      if (signal.aborted || error.name === 'AbortError') return;
      if (search.mode === 'traceql' && error instanceof ApiError && error.line) {
        form.showSyntaxError(error);
        replace(results, h('div', { class: 'empty' }, 'Correct the query to search.'));
      } else {
        replace(results, errorBox(error));
      }
    }
  };

  // A URL can carry values the form refuses (typed by hand): show why, and do not search.
  const initial = form.read();
  if (initial) run(initial);
  else replace(results, h('div', { class: 'empty' }, 'Correct the highlighted fields to search.'));

  return () => {
    life.abort();
    if (disposeScatter) disposeScatter();
  };
}

// ---------------------------------------------------------------------------------------
// The state and the address bar

function stateFromParams(params) {
  const mode = params.get('mode') === 'traceql' || (params.has('q') && !params.has('mode')) ? 'traceql' : 'filters';
  const sort = params.get('sort');
  return {
    mode,
    q: params.get('q') || '',
    service: params.get('service') || '',
    operation: params.get('operation') || '',
    kind: params.get('kind') || '',
    status: params.get('status') || '',
    attrs: params.getAll('attr').filter((a) => a !== '').map(parseAttr),
    minDuration: params.get('minDuration') || '',
    maxDuration: params.get('maxDuration') || '',
    range: rangeFromParams(params, '1h'),
    limit: params.get('limit') || String(DEFAULT_LIMIT),
    sort: SORTS.some((s) => s.key === sort) ? sort : 'recent',
  };
}

function paramsFromState(state) {
  const params = new URLSearchParams();
  if (state.mode === 'traceql') {
    params.set('mode', 'traceql');
    params.set('q', state.q);
  } else {
    for (const key of ['service', 'operation', 'kind', 'status', 'minDuration', 'maxDuration']) {
      if (state[key]) params.set(key, state[key]);
    }
    for (const attr of state.attrs) params.append('attr', attrText(attr));
  }
  rangeToParams(state.range, params);
  params.set('limit', state.limit);
  if (state.sort !== 'recent') params.set('sort', state.sort);
  return params.toString();
}

/** "http.method=GET", "resource.host.name=a", "http.status_code>=500", "user.id" (exists). */
function parseAttr(text) {
  const m = /^(.*?)(>=|<=|=)(.*)$/s.exec(text);
  if (!m) return { key: text.trim(), op: 'exists', value: '' };
  return { key: m[1].trim(), op: m[2], value: m[3] };
}

function attrText(attr) {
  return attr.op === 'exists' ? attr.key : `${attr.key}${attr.op}${attr.value}`;
}

/** An attribute key as the API wants it: `span.`- or `resource.`-prefixed (bare means span). */
function qualifiedKey(key) {
  return key.startsWith('span.') || key.startsWith('resource.') ? key : `span.${key}`;
}

/** The scope and bare name of a key as typed. */
function keyScope(key) {
  if (key.startsWith('resource.')) return { scope: 'resource', name: key.slice('resource.'.length) };
  if (key.startsWith('span.')) return { scope: 'span', name: key.slice('span.'.length) };
  return { scope: 'span', name: key };
}

function searchParams(state) {
  return {
    service: state.service,
    operation: state.operation,
    kind: state.kind,
    status: state.status,
    minDuration: state.minDuration,
    maxDuration: state.maxDuration,
    attr: state.attrs.map((a) => attrText({ ...a, key: qualifiedKey(a.key) })),
    ...rangeToAPI(state.range),
    limit: state.limit,
  };
}

/** The filters as one TraceQL spanset filter: a starting point when switching to TraceQL. */
function filtersToTraceQL(state) {
  const terms = [];
  if (state.service) terms.push(`resource.service.name = ${traceqlString(state.service)}`);
  if (state.operation) terms.push(`name = ${traceqlString(state.operation)}`);
  if (state.kind) terms.push(`kind = ${state.kind}`);
  if (state.status) terms.push(`status = ${state.status}`);
  const min = parseDuration(state.minDuration);
  const max = parseDuration(state.maxDuration);
  if (min !== null) terms.push(`duration >= ${min}ns`);
  if (max !== null) terms.push(`duration <= ${max}ns`);
  for (const attr of state.attrs) {
    if (!attr.key) continue;
    const { scope, name } = keyScope(attr.key);
    const field = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? `${scope}.${name}` : `${scope}.${traceqlString(name)}`;
    if (attr.op === 'exists') terms.push(`${field} != nil`);
    else terms.push(`${field} ${attr.op} ${traceqlValue(attr.value)}`);
  }
  return terms.length ? `{ ${terms.join(' && ')} }` : '{ }';
}

function traceqlString(text) {
  return `"${String(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** As the search API compares: integer-looking values as integers, true/false as booleans. */
function traceqlValue(text) {
  return /^-?\d+$/.test(text) || text === 'true' || text === 'false' ? text : traceqlString(text);
}

// ---------------------------------------------------------------------------------------
// The form

/**
 * The search form, filled from `state`. `onSubmit(nextState)` is called with a valid
 * state. Returns {element, read() (validates what is shown; true when it may search),
 * showSyntaxError(apiError)}.
 */
function searchForm(state, signal, onSubmit) {
  let mode = state.mode;
  let range = state.range;
  let rowCounter = 0;
  const knownKeys = new Set();

  // Service and operation.
  const serviceSelect = h('select', { id: 'search-service', 'data-testid': 'search-service', name: 'service' });
  const operationSelect = h('select', { id: 'search-operation', 'data-testid': 'search-operation', name: 'operation' });
  fillSelect(serviceSelect, 'All services', [], state.service);
  fillSelect(operationSelect, 'All operations', [], state.operation);
  const serviceFieldError = fieldError();

  const loadServices = async () => {
    try {
      const answer = await api.services(rangeToAPI(range), signal);
      fillSelect(serviceSelect, 'All services', answer.services || [], serviceSelect.value);
    } catch (error) {
      if (error.name !== 'AbortError') showFieldError(serviceFieldError, `Could not list services: ${error.message}`);
    }
  };
  const loadOperations = async (keep, keepUnlisted = false) => {
    const service = serviceSelect.value;
    if (!service) {
      fillSelect(operationSelect, 'All operations', [], keep);
      return;
    }
    try {
      const answer = await api.operations(service, rangeToAPI(range), signal);
      if (serviceSelect.value !== service) return;
      const names = [...new Set((answer.operations || []).map((o) => o.name))];
      fillSelect(operationSelect, 'All operations', names, keepUnlisted || names.includes(keep) ? keep : '');
    } catch (error) {
      if (error.name !== 'AbortError') showFieldError(serviceFieldError, `Could not list operations: ${error.message}`);
    }
  };
  serviceSelect.addEventListener('change', () => loadOperations(operationSelect.value));

  const kindSelect = h('select', { id: 'search-kind', 'data-testid': 'search-kind', name: 'kind' },
    h('option', { value: '' }, 'Any kind'), KINDS.map((k) => h('option', { value: k }, k)));
  kindSelect.value = KINDS.includes(state.kind) ? state.kind : '';
  const statusSelect = h('select', { id: 'search-status', 'data-testid': 'search-status', name: 'status' },
    h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  statusSelect.value = STATUSES.includes(state.status) ? state.status : '';

  // Attribute rows, with autocomplete of keys (span and resource) and of each key's values.
  const keyList = h('datalist', { id: 'search-attr-keys' });
  const attrRows = h('div', { class: 'attr-rows' });
  const attrError = fieldError();
  const addRow = (attr = { key: '', op: '=', value: '' }) => {
    const listID = `search-attr-values-${++rowCounter}`;
    const valueList = h('datalist', { id: listID });
    const keyInput = h('input', {
      type: 'text', class: 'attr-key', 'data-testid': 'search-attr-key', list: 'search-attr-keys', value: attr.key,
      placeholder: 'key', 'aria-label': 'Attribute key', autocomplete: 'off', spellcheck: 'false',
    });
    const opSelect = h('select', { class: 'attr-op', 'data-testid': 'search-attr-op', 'aria-label': 'Comparison' },
      OPERATORS.map((o) => h('option', { value: o.key }, o.label)));
    opSelect.value = OPERATORS.some((o) => o.key === attr.op) ? attr.op : '=';
    const valueInput = h('input', {
      type: 'text', class: 'attr-value', 'data-testid': 'search-attr-value', list: listID, value: attr.value,
      placeholder: 'value', 'aria-label': 'Attribute value', autocomplete: 'off', spellcheck: 'false',
    });
    const syncOp = () => { valueInput.disabled = opSelect.value === 'exists'; };
    opSelect.addEventListener('change', syncOp);
    syncOp();
    let timer = 0;
    let loadedKey = null;
    const loadValues = async () => {
      const key = keyInput.value.trim();
      if (!key || key === loadedKey) return;
      loadedKey = key;
      const { scope, name } = keyScope(key);
      try {
        const answer = await api.attributeValues(name, scope, rangeToAPI(range), AUTOCOMPLETE_VALUES, signal);
        if (keyInput.value.trim() === key) replace(valueList, (answer.values || []).map((v) => h('option', { value: v })));
      } catch (error) {
        if (error.name !== 'AbortError') replace(valueList);
      }
    };
    keyInput.addEventListener('change', loadValues);
    keyInput.addEventListener('input', () => {
      clearTimeout(timer);
      if (knownKeys.has(keyInput.value.trim())) timer = setTimeout(loadValues, 200);
    });
    signal.addEventListener('abort', () => clearTimeout(timer));
    const row = h('div', { class: 'attr-row', 'data-testid': 'search-attr-row' },
      keyInput, opSelect, valueInput,
      h('button', {
        type: 'button', class: 'attr-remove', 'data-testid': 'search-attr-remove', title: 'Remove this filter',
        'aria-label': 'Remove this attribute filter', onClick: () => row.remove(),
      }, '×'),
      valueList);
    attrRows.appendChild(row);
    if (attr.key) loadValues();
    return keyInput;
  };
  for (const attr of state.attrs) addRow(attr);
  if (state.attrs.length === 0) addRow();

  const loadKeys = async () => {
    try {
      const [spanNames, resourceNames] = await Promise.all([
        api.attributeNames('span', rangeToAPI(range), signal),
        api.attributeNames('resource', rangeToAPI(range), signal),
      ]);
      const keys = [...(spanNames.names || []), ...(resourceNames.names || []).map((n) => `resource.${n}`)].slice(0, AUTOCOMPLETE_NAMES);
      knownKeys.clear();
      for (const key of keys) knownKeys.add(key);
      replace(keyList, keys.map((k) => h('option', { value: k })));
    } catch (error) {
      if (error.name !== 'AbortError') showFieldError(attrError, `Could not list attribute names: ${error.message}`);
    }
  };

  // Durations.
  const minInput = h('input', {
    type: 'text', id: 'search-min-duration', 'data-testid': 'search-min-duration', value: state.minDuration,
    placeholder: 'e.g. 100ms', autocomplete: 'off', spellcheck: 'false',
  });
  const maxInput = h('input', {
    type: 'text', id: 'search-max-duration', 'data-testid': 'search-max-duration', value: state.maxDuration,
    placeholder: 'e.g. 2s', autocomplete: 'off', spellcheck: 'false',
  });
  const durationError = fieldError('search-duration-error');

  // TraceQL.
  const traceqlInput = h('textarea', {
    id: 'search-traceql', 'data-testid': 'search-traceql', class: 'search-traceql', rows: 6, spellcheck: 'false',
    placeholder: '{ resource.service.name = "frontend" && duration > 100ms }', 'aria-describedby': 'search-traceql-error',
  });
  traceqlInput.value = state.q || (state.mode === 'traceql' ? '{ }' : '');
  const traceqlError = h('div', { id: 'search-traceql-error', class: 'traceql-error', 'data-testid': 'search-traceql-error', role: 'alert', hidden: true });
  const clearSyntaxError = () => {
    traceqlError.hidden = true;
    replace(traceqlError);
    traceqlInput.removeAttribute('aria-invalid');
  };
  traceqlInput.addEventListener('input', clearSyntaxError);
  traceqlInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      formElement.requestSubmit();
    }
  });

  // Time range and limit.
  const rangeSelect = h('select', { id: 'search-range', 'data-testid': 'search-range', name: 'range' },
    PRESETS.map((p) => h('option', { value: p.key }, p.label)), h('option', { value: 'custom' }, 'Custom…'));
  rangeSelect.value = range.key;
  const startInput = h('input', { type: 'datetime-local', id: 'search-start', 'data-testid': 'search-start', 'aria-label': 'From' });
  const endInput = h('input', { type: 'datetime-local', id: 'search-end', 'data-testid': 'search-end', 'aria-label': 'To' });
  const setCustomInputs = (r) => {
    startInput.value = r.start !== undefined ? toLocalInput(r.start) : '';
    endInput.value = r.end !== undefined ? toLocalInput(r.end) : '';
  };
  setCustomInputs(range);
  const customRange = h('div', { class: 'search-pair search-custom-range', hidden: range.key !== 'custom' },
    h('div', null, h('label', { for: 'search-start' }, 'From'), startInput),
    h('div', null, h('label', { for: 'search-end' }, 'To'), endInput));
  const rangeError = fieldError('search-range-error');
  rangeSelect.addEventListener('change', () => {
    const custom = rangeSelect.value === 'custom';
    customRange.hidden = !custom;
    if (custom && range.key !== 'custom') setCustomInputs(range);
    if (!custom) {
      range = rangeFromParams(new URLSearchParams({ range: rangeSelect.value }));
      loadServices();
      loadKeys();
    }
  });

  const limitInput = h('input', {
    type: 'number', id: 'search-limit', 'data-testid': 'search-limit', min: 1, max: MAX_LIMIT, step: 1, value: state.limit,
  });
  const limitError = fieldError('search-limit-error');

  // Mode switch.
  const filtersTab = h('button', { type: 'button', 'data-testid': 'search-mode-filters', role: 'tab' }, 'Filters');
  const traceqlTab = h('button', { type: 'button', 'data-testid': 'search-mode-traceql', role: 'tab' }, 'TraceQL');
  const filtersSection = h('div', { class: 'search-filters', role: 'tabpanel' },
    field('Service', 'search-service', serviceSelect, serviceFieldError),
    field('Operation', 'search-operation', operationSelect),
    h('div', { class: 'search-pair' },
      field('Kind', 'search-kind', kindSelect),
      field('Status', 'search-status', statusSelect)),
    h('div', { class: 'search-field' },
      h('label', null, 'Attributes'),
      attrRows,
      h('button', {
        type: 'button', class: 'attr-add', 'data-testid': 'search-attr-add',
        onClick: () => addRow().focus(),
      }, '+ Add attribute'),
      attrError, keyList),
    h('div', { class: 'search-field' },
      h('div', { class: 'search-pair' },
        h('div', null, h('label', { for: 'search-min-duration' }, 'Min duration'), minInput),
        h('div', null, h('label', { for: 'search-max-duration' }, 'Max duration'), maxInput)),
      durationError));
  const traceqlSection = h('div', { class: 'search-traceql-panel', role: 'tabpanel' },
    h('label', { for: 'search-traceql' }, 'TraceQL query'),
    traceqlInput,
    traceqlError,
    h('div', { class: 'muted search-hint' }, 'Ctrl+Enter searches. Example: { span.http.status_code >= 500 } | count() > 2'));
  const setMode = (next) => {
    mode = next;
    filtersTab.classList.toggle('active', mode === 'filters');
    traceqlTab.classList.toggle('active', mode === 'traceql');
    filtersTab.setAttribute('aria-selected', String(mode === 'filters'));
    traceqlTab.setAttribute('aria-selected', String(mode === 'traceql'));
    filtersSection.hidden = mode !== 'filters';
    traceqlSection.hidden = mode !== 'traceql';
  };
  filtersTab.addEventListener('click', () => setMode('filters'));
  traceqlTab.addEventListener('click', () => {
    if (!traceqlInput.value.trim()) traceqlInput.value = filtersToTraceQL(currentFilters());
    setMode('traceql');
    traceqlInput.focus();
  });
  setMode(mode);

  const currentFilters = () => ({
    service: serviceSelect.value,
    operation: operationSelect.value,
    kind: kindSelect.value,
    status: statusSelect.value,
    minDuration: minInput.value.trim(),
    maxDuration: maxInput.value.trim(),
    attrs: [...attrRows.querySelectorAll('.attr-row')].map((row) => ({
      key: row.querySelector('.attr-key').value.trim(),
      op: row.querySelector('.attr-op').value,
      value: row.querySelector('.attr-value').value,
    })).filter((a) => a.key !== ''),
  });

  /** The state the form shows, or null (with the reasons shown) when a field is wrong. */
  const read = () => {
    let ok = true;
    const filters = currentFilters();
    for (const input of [minInput, maxInput, limitInput, startInput, endInput, traceqlInput]) input.removeAttribute('aria-invalid');
    for (const row of attrRows.querySelectorAll('.attr-value')) row.removeAttribute('aria-invalid');
    for (const error of [durationError, limitError, rangeError, attrError, traceqlError]) showFieldError(error, '');
    const fail = (error, message, ...inputs) => {
      ok = false;
      showFieldError(error, message);
      for (const input of inputs) input.setAttribute('aria-invalid', 'true');
    };

    let q = '';
    if (mode === 'traceql') {
      q = traceqlInput.value.trim();
      if (!q) fail(traceqlError, 'Enter a TraceQL query, for example { }.', traceqlInput);
    } else {
      const min = filters.minDuration ? parseDuration(filters.minDuration) : null;
      const max = filters.maxDuration ? parseDuration(filters.maxDuration) : null;
      const bad = [];
      if (filters.minDuration && min === null) bad.push(minInput);
      if (filters.maxDuration && max === null) bad.push(maxInput);
      if (bad.length) {
        fail(durationError, `Not a duration: ${bad.map((i) => `“${i.value.trim()}”`).join(' and ')}. Use a number and a unit: 250us, 100ms, 1.5s, 2m, 1h.`, ...bad);
      } else if (min !== null && max !== null && min > max) {
        fail(durationError, 'The minimum duration is more than the maximum.', minInput, maxInput);
      }
      for (const row of attrRows.querySelectorAll('.attr-row')) {
        const key = row.querySelector('.attr-key').value.trim();
        const op = row.querySelector('.attr-op').value;
        const valueInput = row.querySelector('.attr-value');
        if (key && op !== 'exists' && valueInput.value === '') {
          fail(attrError, `Give “${key}” a value, or choose “exists”.`, valueInput);
        }
      }
    }

    const limit = Number(limitInput.value);
    if (!/^\d+$/.test(limitInput.value.trim()) || limit < 1 || limit > MAX_LIMIT) {
      fail(limitError, `The limit is a whole number from 1 to ${MAX_LIMIT}.`, limitInput);
    }

    let nextRange = range;
    if (rangeSelect.value === 'custom') {
      // Keep the exact times the URL gave unless the inputs (minute precision) were changed.
      const keep = (input, millis) => (millis !== undefined && input.value === toLocalInput(millis) ? millis : fromLocalInput(input.value));
      const start = keep(startInput, range.key === 'custom' ? range.start : undefined);
      const end = keep(endInput, range.key === 'custom' ? range.end : undefined);
      if (Number.isNaN(start) && Number.isNaN(end)) {
        fail(rangeError, 'Give the custom range a start, an end, or both.', startInput, endInput);
      } else if (!Number.isNaN(start) && !Number.isNaN(end) && start >= end) {
        fail(rangeError, 'The range must start before it ends.', startInput, endInput);
      }
      nextRange = { key: 'custom', start: Number.isNaN(start) ? undefined : start, end: Number.isNaN(end) ? undefined : end };
    } else if (rangeSelect.value !== range.key) {
      nextRange = rangeFromParams(new URLSearchParams({ range: rangeSelect.value }));
    }
    if (!ok) return null;
    // The list's order may have changed since the page opened (it is kept in the URL).
    const sort = stateFromParams(new URLSearchParams(location.search)).sort;
    return { ...filters, mode, q, range: nextRange, limit: String(limit), sort };
  };

  const formElement = h('form', {
    class: 'panel search-form', 'data-testid': 'search-form', novalidate: true, role: 'search',
    onSubmit: (event) => {
      event.preventDefault();
      const next = read();
      if (next) onSubmit(next);
    },
  },
  h('div', { class: 'tabs search-mode', role: 'tablist' }, filtersTab, traceqlTab),
  filtersSection,
  traceqlSection,
  h('div', { class: 'search-common' },
    field('Time range', 'search-range', rangeSelect),
    customRange,
    rangeError,
    field('Limit', 'search-limit', limitInput, limitError)),
  h('button', { type: 'submit', class: 'primary search-submit', 'data-testid': 'search-submit' }, 'Find traces'));

  loadServices();
  loadOperations(state.operation, true);
  loadKeys();

  return {
    element: formElement,
    read,
    showSyntaxError: (error) => showSyntaxError(traceqlInput, traceqlError, error),
  };
}

function field(label, id, input, ...extra) {
  return h('div', { class: 'search-field' }, h('label', { for: id }, label), input, extra);
}

function fieldError(id) {
  return h('div', { class: 'field-error', id, 'data-testid': id, role: 'alert', hidden: true });
}

function showFieldError(element, message) {
  element.hidden = !message;
  replace(element, message);
}

/** Fills a <select> with "all" (value '') and `values`, keeping `selected` even when it is not among them. */
function fillSelect(select, allLabel, values, selected) {
  const options = [...values];
  if (selected && !options.includes(selected)) options.unshift(selected);
  replace(select, h('option', { value: '' }, allLabel), options.map((v) => h('option', { value: v, title: v }, v)));
  select.value = selected || '';
}

/**
 * A TraceQL syntax error where it is: the message names the line and column, the line is
 * repeated with a caret under the column, and the character is selected in the box.
 */
function showSyntaxError(textarea, box, error) {
  const lines = textarea.value.split('\n');
  const line = Math.min(Math.max(1, error.line), lines.length);
  const chars = Array.from(lines[line - 1]);
  const column = Math.min(Math.max(1, error.column), chars.length + 1);
  const message = error.message.replace(/^.*?line \d+, column \d+:\s*/, '');

  // A window of the line around the column, so a long line still shows its mistake.
  const from = Math.max(0, column - 1 - 60);
  const to = Math.min(chars.length, column - 1 + 60);
  const shown = (from > 0 ? '…' : '') + chars.slice(from, to).join('') + (to < chars.length ? '…' : '');
  const caret = (from > 0 ? ' ' : '') + chars.slice(from, column - 1).map((c) => (c === '\t' ? '\t' : ' ')).join('') + '^';

  replace(box,
    h('div', { class: 'traceql-error-message', 'data-testid': 'search-traceql-error-message' },
      `Syntax error at line ${error.line}, column ${error.column}: ${message}`),
    h('pre', { class: 'traceql-error-context', 'data-testid': 'search-traceql-error-context' }, `${shown}\n${caret}`));
  box.hidden = false;
  textarea.setAttribute('aria-invalid', 'true');

  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i].length + 1;
  offset += chars.slice(0, column - 1).join('').length;
  const width = column <= chars.length ? chars[column - 1].length : 0;
  textarea.focus();
  textarea.setSelectionRange(offset, offset + width);
}

// ---------------------------------------------------------------------------------------
// The results

/** Shows the traces found; returns a function that removes the scatter plot's listeners. */
function resultsView(container, traces, state, answer) {
  const count = h('h2', { class: 'search-result-count', 'data-testid': 'search-result-count' },
    `${formatCount(traces.length)} ${traces.length === 1 ? 'trace' : 'traces'}`);
  const notes = [];
  if (traces.length > 0 && traces.length >= Number(state.limit)) notes.push(`the limit of ${formatCount(state.limit)} was reached`);
  if (answer.inspectedTraces !== undefined) {
    notes.push(`${formatCount(answer.inspectedTraces)} traces and ${formatCount(answer.inspectedSpans || 0)} spans inspected`);
  }

  if (traces.length === 0) {
    replace(container,
      h('div', { class: 'search-results-head' }, count),
      h('div', { class: 'empty search-empty', 'data-testid': 'search-empty' },
        h('p', null, 'No traces match.'),
        state.range.key !== 'all'
          ? h('p', null, 'Try a wider time range: ', h('a', { href: `/search?${paramsFromState({ ...state, range: { key: 'all' } })}` }, 'search all stored data'), '.')
          : h('p', null, 'Try fewer filters.')));
    return null;
  }

  // Picking two traces to compare.
  const selected = [];
  const compareButton = h('button', {
    type: 'button', class: 'search-compare', 'data-testid': 'search-compare', disabled: true,
    title: 'Tick two traces to compare them',
    onClick: () => {
      if (selected.length === 2) navigate(`/compare?a=${encodeURIComponent(selected[0])}&b=${encodeURIComponent(selected[1])}`);
    },
  }, 'Compare');
  const list = h('ul', { class: 'trace-list' });
  const updateCompare = () => {
    compareButton.disabled = selected.length !== 2;
    replace(compareButton, selected.length === 2 ? 'Compare' : `Compare (${selected.length}/2)`);
  };
  updateCompare();
  const toggle = (id, checked) => {
    const at = selected.indexOf(id);
    if (checked && at < 0) {
      selected.push(id);
      if (selected.length > 2) {
        const dropped = selected.shift();
        for (const box of list.querySelectorAll('.trace-row-select')) {
          if (box.closest('.trace-row').dataset.traceId === dropped) box.checked = false;
        }
      }
    } else if (!checked && at >= 0) {
      selected.splice(at, 1);
    }
    updateCompare();
  };

  // Sorting the list (not the plot): kept in the URL without a new history entry.
  let sort = state.sort;
  const sortSelect = h('select', { class: 'search-sort', 'data-testid': 'search-sort', 'aria-label': 'Sort' },
    SORTS.map((s) => h('option', { value: s.key }, s.label)));
  sortSelect.value = sort;
  const longest = Math.max(1, ...traces.map((t) => Number(t.durationNanos) || 0));
  const more = h('div', { class: 'search-more' });
  const showRows = (sorted, from) => {
    const to = Math.min(sorted.length, from + ROWS_PER_PAGE);
    append(list, sorted.slice(from, to).map((t) => traceRow(t, longest, selected.includes(t.traceID), toggle)));
    replace(more, to < sorted.length
      ? h('button', { type: 'button', 'data-testid': 'search-show-more', onClick: () => showRows(sorted, to) },
        `Show ${formatCount(Math.min(ROWS_PER_PAGE, sorted.length - to))} more of ${formatCount(sorted.length - to)}`)
      : null);
  };
  const showList = () => {
    const by = SORTS.find((s) => s.key === sort);
    replace(list);
    showRows([...traces].sort(by.compare), 0);
  };
  sortSelect.addEventListener('change', () => {
    sort = sortSelect.value;
    updateParams((params) => {
      if (sort === 'recent') params.delete('sort');
      else params.set('sort', sort);
    });
    showList();
  });
  showList();

  const plot = h('div', { class: 'panel search-scatter-panel' });
  replace(container,
    h('div', { class: 'search-results-head' },
      count,
      notes.length ? h('span', { class: 'muted search-notes' }, `(${notes.join('; ')})`) : null,
      h('div', { class: 'search-results-tools' }, sortSelect, compareButton)),
    plot,
    list,
    more);
  return scatterPlot(plot, traces, { onOpen: (id) => navigate(`/trace/${encodeURIComponent(id)}`) });
}

function traceRow(t, longest, checked, onToggle) {
  const duration = Number(t.durationNanos) || 0;
  const errors = Number(t.errorCount) || 0;
  const services = t.services || [];
  const shownServices = services.slice(0, CHIPS_PER_ROW);
  const checkbox = h('input', {
    type: 'checkbox', class: 'trace-row-select', 'data-testid': 'trace-row-select', checked,
    'aria-label': `Pick trace ${shortID(t.traceID)} to compare`,
    onChange: (event) => onToggle(t.traceID, event.target.checked),
  });
  const link = h('a', { class: 'trace-row-link', href: `/trace/${t.traceID}` },
    h('div', { class: 'trace-row-head' },
      h('span', { class: 'trace-row-root', 'data-testid': 'trace-row-root', title: `${t.rootService}: ${t.rootOperation}` },
        h('span', { class: 'trace-row-service-name' }, t.rootService), ': ', h('span', { class: 'trace-row-operation' }, t.rootOperation)),
      h('span', { class: 'trace-row-id mono muted', title: t.traceID }, shortID(t.traceID)),
      h('span', { class: 'trace-row-duration', 'data-testid': 'trace-row-duration' }, formatDuration(duration))),
    h('div', { class: 'trace-row-bar' },
      h('span', { style: { width: `${Math.max(0.5, (duration / longest) * 100)}%`, '--bar-color': serviceColor(t.rootService) } })),
    h('div', { class: 'trace-row-meta' },
      h('span', { class: 'trace-row-spans', 'data-testid': 'trace-row-spans' }, `${formatCount(t.spanCount)} ${Number(t.spanCount) === 1 ? 'span' : 'spans'}`),
      errors > 0 ? h('span', { class: 'badge-error', 'data-testid': 'trace-row-errors' }, `${formatCount(errors)} ${errors === 1 ? 'error' : 'errors'}`) : null,
      h('span', { class: 'trace-row-services' },
        shownServices.map((s) => h('span', { class: 'chip', 'data-testid': 'trace-row-service', title: s, style: { '--chip-color': serviceColor(s) } }, s)),
        services.length > shownServices.length
          ? h('span', { class: 'muted', title: services.slice(CHIPS_PER_ROW).join('\n') }, `+${services.length - shownServices.length} more`)
          : null),
      h('span', { class: 'trace-row-time', title: t.startTimeUnixNano },
        formatTimestamp(t.startTimeUnixNano), ' ', h('span', { class: 'muted' }, `(${formatAgo(t.startTimeUnixNano)})`))),
    t.spanSets ? matchedSpans(t.spanSets) : null);
  return h('li', { class: 'trace-row', 'data-testid': 'trace-row', 'data-trace-id': t.traceID },
    h('label', { class: 'trace-row-pick' }, checkbox), link);
}

/** What a TraceQL query matched in a trace: the span count, by() groups and the first spans. */
function matchedSpans(spanSets) {
  const matched = spanSets.reduce((n, set) => n + (Number(set.matched) || 0), 0);
  const groups = spanSets.flatMap((set) => otlpAttributes(set.attributes));
  const spans = spanSets.flatMap((set) => set.spans || []).slice(0, MATCHED_SPANS);
  return h('div', { class: 'trace-row-matched', 'data-testid': 'trace-row-matched' },
    h('span', { class: 'trace-row-matched-count', 'data-testid': 'trace-row-matched-count' },
      `${formatCount(matched)} matched ${matched === 1 ? 'span' : 'spans'}`),
    groups.slice(0, MATCHED_SPANS).map((a) => h('span', { class: 'matched-attr mono', title: `${a.key} = ${a.value}` }, `${a.key} = ${a.value}`)),
    h('ul', { class: 'matched-spans' }, spans.map((s) => h('li', { 'data-testid': 'trace-row-matched-span' },
      h('span', { class: 'chip', title: s.service, style: { '--chip-color': serviceColor(s.service) } }, s.service),
      h('span', { class: 'matched-span-name', title: s.name }, s.name),
      h('span', { class: 'matched-span-duration' }, formatDuration(s.durationNanos)),
      otlpAttributes(s.attributes).map((a) => h('span', { class: 'matched-attr mono', title: `${a.key} = ${a.value}` }, `${a.key} = ${a.value}`))))));
}

function compareTimes(a, b) {
  const x = BigInt(a.startTimeUnixNano || '0');
  const y = BigInt(b.startTimeUnixNano || '0');
  return x < y ? -1 : x > y ? 1 : 0;
}
