// Time ranges as the address bar holds them: `range=1h` (a preset, relative to now) or
// `start=…&end=…` (Unix milliseconds, a custom range).

export const PRESETS = [
  { key: '5m', label: 'Last 5 minutes', millis: 5 * 60e3 },
  { key: '15m', label: 'Last 15 minutes', millis: 15 * 60e3 },
  { key: '1h', label: 'Last hour', millis: 3600e3 },
  { key: '6h', label: 'Last 6 hours', millis: 6 * 3600e3 },
  { key: '24h', label: 'Last 24 hours', millis: 24 * 3600e3 },
  { key: '2d', label: 'Last 2 days', millis: 2 * 86400e3 },
  { key: '7d', label: 'Last 7 days', millis: 7 * 86400e3 },
  { key: 'all', label: 'All stored data', millis: null },
];

/**
 * The range named by URL parameters, as {key, start, end} with start/end in Unix
 * milliseconds (undefined for an open end). `fallback` is the preset used when the URL
 * names none.
 */
export function rangeFromParams(params, fallback = '1h', now = Date.now()) {
  const start = params.get('start');
  const end = params.get('end');
  if (start || end) {
    return { key: 'custom', start: start ? Number(start) : undefined, end: end ? Number(end) : undefined };
  }
  const key = params.get('range') || fallback;
  const preset = PRESETS.find((p) => p.key === key) || PRESETS.find((p) => p.key === fallback);
  if (preset.millis === null) return { key: preset.key, start: undefined, end: undefined };
  return { key: preset.key, start: Math.floor(now - preset.millis), end: Math.ceil(now) + 1 };
}

/** The API parameters of a range: {start, end} in Unix milliseconds. */
export function rangeToAPI(range) {
  const out = {};
  if (range.start !== undefined) out.start = Math.floor(range.start);
  if (range.end !== undefined) out.end = Math.ceil(range.end);
  return out;
}

/** Writes a range into URL parameters (URLSearchParams), replacing any earlier one. */
export function rangeToParams(range, params) {
  params.delete('range');
  params.delete('start');
  params.delete('end');
  if (range.key === 'custom') {
    if (range.start !== undefined) params.set('start', String(Math.floor(range.start)));
    if (range.end !== undefined) params.set('end', String(Math.ceil(range.end)));
  } else {
    params.set('range', range.key);
  }
  return params;
}

/** A Unix-millisecond time as the value of an <input type="datetime-local">. */
export function toLocalInput(millis) {
  const d = new Date(millis);
  const pad = (v) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an <input type="datetime-local"> as Unix milliseconds (NaN if empty). */
export function fromLocalInput(value) {
  return value ? new Date(value).getTime() : NaN;
}
