// Formatting numbers, durations and times for people. Times from the API are Unix
// nanoseconds as decimal strings: BigInt keeps them exact.

/** A duration in nanoseconds as "12 ns", "4.5 µs", "120 ms", "2.35 s", "3m 12s". */
export function formatDuration(nanos) {
  const n = Number(nanos);
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs < 1e3) return `${trim(n)} ns`;
  if (abs < 1e6) return `${trim(n / 1e3)} µs`;
  if (abs < 1e9) return `${trim(n / 1e6)} ms`;
  if (abs < 60e9) return `${trim(n / 1e9)} s`;
  if (abs < 3600e9) {
    const m = Math.floor(abs / 60e9);
    return `${n < 0 ? '-' : ''}${m}m ${Math.round((abs - m * 60e9) / 1e9)}s`;
  }
  const hours = Math.floor(abs / 3600e9);
  return `${n < 0 ? '-' : ''}${hours}h ${Math.round((abs - hours * 3600e9) / 60e9)}m`;
}

function trim(x) {
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return x.toFixed(digits).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
}

/** Unix nanoseconds (string, BigInt or number) as Unix milliseconds (a number). */
export function nanosToMillis(nanos) {
  if (typeof nanos === 'bigint') return Number(nanos / 1000000n) + Number(nanos % 1000000n) / 1e6;
  if (typeof nanos === 'string') return nanosToMillis(BigInt(nanos));
  return Number(nanos) / 1e6;
}

/** A Unix-nanosecond time as local "2026-12-01 04:22:26.123". */
export function formatTimestamp(nanos) {
  const ms = nanosToMillis(nanos);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '–';
  const pad = (v, w = 2) => String(v).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "5s ago", "3m ago", "2h ago", "4d ago". */
export function formatAgo(nanos, nowMillis = Date.now()) {
  const seconds = Math.max(0, (nowMillis - nanosToMillis(nanos)) / 1000);
  if (seconds < 60) return `${Math.floor(seconds)}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** 1234567 as "1,234,567". */
export function formatCount(n) {
  return Number(n).toLocaleString('en-US');
}

/** A ratio (0…1) as "12.5%". */
export function formatPercent(ratio) {
  const p = Number(ratio) * 100;
  if (!Number.isFinite(p)) return '–';
  return `${p >= 10 || p === 0 ? p.toFixed(1).replace(/\.0$/, '') : p.toFixed(2)}%`;
}

/** A rate per second as "12.3/s". */
export function formatRate(perSecond) {
  const r = Number(perSecond);
  if (!Number.isFinite(r)) return '–';
  return `${r >= 100 ? Math.round(r) : r >= 1 ? r.toFixed(1) : r.toFixed(3)}/s`;
}

/** The first 7 hex digits of an ID, as Jaeger shows it. */
export function shortID(id) {
  return String(id).slice(0, 7);
}

/** Parses "250ms", "1.5s", "2m", "100us", "80ns" into nanoseconds; null when it does not parse. */
export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)\s*$/.exec(String(text));
  if (!m) return null;
  const unit = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2]];
  return Math.round(Number(m[1]) * unit);
}
