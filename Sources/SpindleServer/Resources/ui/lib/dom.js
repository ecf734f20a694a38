// Building the page without ever parsing markup. Every string from a span (names,
// attribute keys and values, messages) reaches the DOM as a text node or an attribute
// value; no code in the UI parses markup from a string. Event handlers are functions, never
// attribute strings, and links are checked before they are set.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An HTML element: h('a', {href: '/trace/1', class: 'x', onClick: fn}, 'text', child). */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element, the same way. */
export function svg(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(el, props, children) {
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on') && key.length > 2) {
        if (typeof value !== 'function') throw new TypeError(`${key} must be a function`);
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'class' || key === 'className') {
        el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value));
      } else if (key === 'style') {
        // CSSOM assignments, which the Content-Security-Policy allows (style attributes it would not).
        for (const [name, v] of Object.entries(value)) {
          if (name.startsWith('--')) el.style.setProperty(name, String(v));
          else el.style[name] = v;
        }
      } else if (key === 'dataset') {
        for (const [name, v] of Object.entries(value)) el.dataset[name] = String(v);
      } else if (key === 'href' || key === 'src' || key === 'action' || key === 'xlink:href') {
        el.setAttribute(key, safeURL(value));
      } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') {
        el[key] = value;
      } else if (value === true) {
        el.setAttribute(key, '');
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Appends strings (as text), numbers, nodes and nested arrays; skips null, undefined and false. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Removes every child. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replaces the children. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/**
 * A URL that is safe to put in href or src: a path on this server ("/trace/…", "?q=…",
 * "#x") or an absolute http(s) URL. Anything else (javascript:, data:, "//host") becomes "#".
 */
export function safeURL(value) {
  const text = String(value).trim();
  if (text.startsWith('/') && !text.startsWith('//') && !text.startsWith('/\\')) return text;
  if (text.startsWith('?') || text.startsWith('#')) return text;
  if (/^https?:\/\/[^\s]/i.test(text)) return text;
  return '#';
}

/** Text shortened to at most `max` characters, with an ellipsis. */
export function truncate(text, max = 200) {
  const s = String(text);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
