// The page's router. Every view has a URL: the path names the view, the query string
// holds its state, and reopening the URL shows the same view.
//
//   /  and /search?…           views/search.js
//   /trace/{id}?…              views/trace.js
//   /compare?a=…&b=…           views/compare.js
//   /map?…                     views/map.js
//   /services, /services/{s}   views/services.js
//   /alerts                    views/alerts.js
//
// A view module exports `render(root, route)`; route is {path, params (URLSearchParams),
// match (the path's captures)}. It may return a function, called before the next view
// renders. Links with `data-nav` (and any same-origin link to a view) navigate in place.

import { h, replace } from './lib/dom.js';

const routes = [
  { pattern: /^\/(?:search)?$/, load: () => import('./views/search.js'), nav: 'search' },
  { pattern: /^\/trace\/([^/]+)$/, load: () => import('./views/trace.js'), nav: 'search' },
  { pattern: /^\/compare$/, load: () => import('./views/compare.js'), nav: 'compare' },
  { pattern: /^\/map$/, load: () => import('./views/map.js'), nav: 'map' },
  { pattern: /^\/services(?:\/([^/]+))?$/, load: () => import('./views/services.js'), nav: 'services' },
  { pattern: /^\/alerts$/, load: () => import('./views/alerts.js'), nav: 'alerts' },
];

const root = document.getElementById('view');
let cleanup = null;
let generation = 0;

/** Goes to a URL on this page: a new history entry, or the current one replaced. */
export function navigate(url, { replace: replaceEntry = false } = {}) {
  if (replaceEntry) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

/**
 * Changes the current URL's query string without rendering again: for views that keep
 * their own state in the URL as it changes (a selected span, a tab).
 */
export function updateParams(mutate, { push = false } = {}) {
  const params = new URLSearchParams(location.search);
  mutate(params);
  const text = params.toString();
  const url = location.pathname + (text ? `?${text}` : '');
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** Shows an error in a view. */
export function errorBox(error) {
  return h('div', { class: 'error-box', role: 'alert' }, error && error.message ? error.message : String(error));
}

async function render() {
  const mine = ++generation;
  if (cleanup) {
    try { cleanup(); } catch (e) { console.error(e); }
    cleanup = null;
  }
  const path = location.pathname;
  const route = routes.find((r) => r.pattern.test(path));
  for (const link of document.querySelectorAll('.topnav a')) {
    link.classList.toggle('active', route !== undefined && link.dataset.section === route.nav);
  }
  if (!route) {
    replace(root, h('div', { class: 'page' }, h('h1', null, 'Not found'), h('p', null, 'No view at ', h('code', null, path), '.')));
    return;
  }
  const match = route.pattern.exec(path).slice(1).map((m) => (m === undefined ? undefined : decodeURIComponent(m)));
  replace(root, h('div', { class: 'loading' }, 'Loading…'));
  try {
    const view = await route.load();
    if (mine !== generation) return;
    const result = await view.render(root, { path, params: new URLSearchParams(location.search), match });
    if (mine !== generation) {
      if (typeof result === 'function') result();
      return;
    }
    cleanup = typeof result === 'function' ? result : null;
  } catch (error) {
    if (mine !== generation) return;
    console.error(error);
    replace(root, errorBox(error));
  }
}

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest && event.target.closest('a[href]');
  if (!link || link.target === '_blank' || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/ui/')) return;
  if (!routes.some((r) => r.pattern.test(url.pathname))) return;
  event.preventDefault();
  if (url.pathname === location.pathname && url.search === location.search && url.hash) {
    location.hash = url.hash;
    return;
  }
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener('popstate', render);

document.getElementById('jump-id').addEventListener('input', (event) => event.target.setCustomValidity(''));

document.getElementById('jump-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('jump-id');
  const id = input.value.trim().toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(id)) {
    input.setCustomValidity('A trace ID is 1 to 32 hexadecimal digits');
    input.reportValidity();
    return;
  }
  input.setCustomValidity('');
  input.value = '';
  navigate(`/trace/${id}`);
});

render();
