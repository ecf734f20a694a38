// Search within one trace: which spans match a text, compared case-insensitively as a
// substring of the span's name, service, span ID, attribute keys or attribute values.

/** The indices (in depth-first order) of the spans that match; empty for an empty text. */
export function findSpans(trace, text) {
  const needle = String(text || '').trim().toLowerCase();
  if (!needle) return new Int32Array(0);
  const hits = [];
  const serviceHit = new Map();
  for (const span of trace.spans) {
    let hit = serviceHit.get(span.service);
    if (hit === undefined) {
      hit = span.service.toLowerCase().includes(needle);
      serviceHit.set(span.service, hit);
    }
    if (hit || span.name.toLowerCase().includes(needle) || span.id.includes(needle) || attributesMatch(span.attributes, needle)) {
      hits.push(span.index);
    }
  }
  return Int32Array.from(hits);
}

function attributesMatch(attributes, needle) {
  for (const a of attributes) {
    if (a.key.toLowerCase().includes(needle) || a.value.toLowerCase().includes(needle)) return true;
  }
  return false;
}

/** "1 match", "3 matches". */
export function matchCountText(count) {
  return `${count} ${count === 1 ? 'match' : 'matches'}`;
}
