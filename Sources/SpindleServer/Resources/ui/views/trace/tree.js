// The span tree as flat arrays over the trace's depth-first order: where each span's
// subtree ends, each span's parent, which spans are collapsed, and the list of rows that
// are visible. Everything is O(n) and works for traces thousands of levels deep.

/**
 * The tree's shape: `end[i]` is one past the last index of span i's subtree, `parent[i]`
 * the index of its parent (-1 for a top-level span).
 */
export function treeShape(spans) {
  const n = spans.length;
  const end = new Int32Array(n);
  const parent = new Int32Array(n);
  const stack = [];
  for (let i = 0; i < n; i++) {
    const depth = spans[i].depth;
    while (stack.length && spans[stack[stack.length - 1]].depth >= depth) end[stack.pop()] = i;
    parent[i] = stack.length ? stack[stack.length - 1] : -1;
    stack.push(i);
  }
  while (stack.length) end[stack.pop()] = n;
  return { end, parent };
}

/** The indices of the rows shown when the spans flagged in `collapsed` hide their subtrees. */
export function visibleRows(shape, collapsed) {
  const n = shape.end.length;
  const rows = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n;) {
    rows[count++] = i;
    i = collapsed[i] ? shape.end[i] : i + 1;
  }
  return rows.subarray(0, count);
}

/** Clears the collapsed flag of every ancestor of span i; true when any changed. */
export function expandAncestors(shape, collapsed, i) {
  let changed = false;
  for (let p = shape.parent[i]; p >= 0; p = shape.parent[p]) {
    if (collapsed[p]) {
      collapsed[p] = 0;
      changed = true;
    }
  }
  return changed;
}

/** True when span i has children. */
export function hasChildren(shape, i) {
  return shape.end[i] > i + 1;
}

// The `collapsed` URL parameter: span IDs separated by commas, or, when that list would be
// long, `all` followed by the IDs of the parents left expanded as `-id`.
const LONG_LIST = 100;

/** Collapsed flags (a Uint8Array over span indices) from the URL parameter. */
export function parseCollapsed(text, trace, shape) {
  const flags = new Uint8Array(trace.spans.length);
  if (!text) return flags;
  const parts = text.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (parts[0] === 'all') {
    for (let i = 0; i < flags.length; i++) if (hasChildren(shape, i)) flags[i] = 1;
  }
  for (const part of parts) {
    if (part === 'all') continue;
    const expanded = part.startsWith('-');
    const span = trace.byID.get(expanded ? part.slice(1) : part);
    if (span && hasChildren(shape, span.index)) flags[span.index] = expanded ? 0 : 1;
  }
  return flags;
}

/** The URL parameter for collapsed flags ('' when nothing is collapsed). */
export function formatCollapsed(flags, trace, shape) {
  const collapsed = [];
  const expanded = [];
  for (let i = 0; i < flags.length; i++) {
    if (!hasChildren(shape, i)) continue;
    if (flags[i]) collapsed.push(trace.spans[i].id);
    else expanded.push(trace.spans[i].id);
  }
  if (collapsed.length > LONG_LIST && expanded.length < collapsed.length) {
    return ['all', ...expanded.map((id) => `-${id}`)].join(',');
  }
  return collapsed.join(',');
}
