// The critical path (/critical-path segments, absolute Unix nanoseconds) as time ranges
// relative to the trace's start, grouped by the span they belong to.

import { relativeNanos } from '../../lib/trace-model.js';

/** An array over span indices: [{start, end}] in time order (ns relative to the trace start), or undefined. */
export function criticalBySpan(trace, answer) {
  const bySpan = new Array(trace.spans.length);
  const segments = (answer && answer.segments) || [];
  const relative = relativeNanos(trace.start.toString());
  for (const segment of segments) {
    const span = trace.byID.get(String(segment.spanID || '').toLowerCase());
    if (!span) continue;
    let start;
    let end;
    try {
      start = relative(segment.startTimeUnixNano);
      end = relative(segment.endTimeUnixNano);
    } catch {
      continue;
    }
    if (!(end >= start)) continue;
    const list = bySpan[span.index];
    if (list) list.push({ start, end });
    else bySpan[span.index] = [{ start, end }];
  }
  for (const list of bySpan) if (list && list.length > 1) list.sort((a, b) => a.start - b.start);
  return bySpan;
}
