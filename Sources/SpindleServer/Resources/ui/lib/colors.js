// A stable color per service: the same name gets the same color on every page.

const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f',
  '#3b9ad9', '#8cd17d', '#e15759', '#b6992d', '#499894', '#d37295', '#a0cbe8', '#ffbe7d',
  '#86bcb6', '#f1ce63', '#d4a6c8', '#79706e',
];

const cache = new Map();

/** The color of a service. */
export function serviceColor(name) {
  let color = cache.get(name);
  if (color === undefined) {
    let hash = 2166136261;
    const s = String(name);
    for (let i = 0; i < s.length; i++) hash = Math.imul(hash ^ s.charCodeAt(i), 16777619) >>> 0;
    color = PALETTE[hash % PALETTE.length];
    cache.set(name, color);
  }
  return color;
}

/** The color errors are marked with. */
export const ERROR_COLOR = '#d62728';
