/**
 * @module hub/page
 * The hub's web page: it loads the browser bundle (`/scuttlebutt.js`, the prebuilt
 * `dist/browser/scuttlebutt.js`), replicates a `Model` with the hub over `/ws`, shows every key
 * live and lets a person set and delete keys. Peer data is only ever written with
 * `textContent`, never as HTML. The token, when the hub has one, comes from `?token=` (the hub
 * answers `/` without it with {@link renderTokenPage}).
 */

const STYLE = `
  :root { font-family: system-ui, sans-serif; color-scheme: light dark; }
  body { max-width: 56rem; margin: 2rem auto; padding: 0 1rem; }
  header { display: flex; gap: 1rem; align-items: baseline; }
  #state { padding: 0.1rem 0.6rem; border-radius: 1rem; background: #8884; font-size: 0.9rem; }
  #state[data-state="live"] { background: #2a4; color: white; }
  #state[data-state="connecting"] { background: #c80; color: white; }
  #state[data-state="closed"] { background: #c33; color: white; }
  form { display: flex; gap: 0.5rem; margin: 1rem 0; }
  input { flex: 1; padding: 0.3rem; font: inherit; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 0.3rem; border-bottom: 1px solid #8884; vertical-align: top; }
  td.value { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
  #empty { color: #888; }
`;

const SCRIPT = `
import { Model, connectWebSocket } from '/scuttlebutt.js';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token') ?? undefined;
const url = new URL('/ws', location.href);
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
url.search = '';

const model = new Model();
const rows = new Map();
const peer = connectWebSocket(model, token === undefined ? { url: url.href } : { url: url.href, token });
window.scuttlebutt = { model, peer };

peer.on('state', (state) => {
  $('state').textContent = state;
  $('state').dataset.state = state;
});
peer.on('progress', (p) => {
  $('progress').textContent = p.fraction < 1 ? 'syncing ' + Math.round(p.fraction * 100) + '% (' + p.updates + ' updates)' : '';
});
peer.on('retry', (r) => {
  $('progress').textContent = 'reconnecting in ' + Math.round(r.delayMs / 100) / 10 + ' s';
});

function render(key, value) {
  let row = rows.get(key);
  if (value === null || value === undefined) {
    row?.remove();
    rows.delete(key);
  } else {
    if (!row) {
      row = document.createElement('tr');
      row.dataset.key = key;
      const k = document.createElement('td');
      k.className = 'key';
      k.textContent = key;
      const v = document.createElement('td');
      v.className = 'value';
      const actions = document.createElement('td');
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'delete';
      del.addEventListener('click', () => model.set(key, null));
      actions.append(del);
      row.append(k, v, actions);
      const after = [...rows.keys()].sort().find((other) => other > key);
      $('rows').insertBefore(row, after === undefined ? null : rows.get(after));
      rows.set(key, row);
    }
    row.querySelector('.value').textContent = JSON.stringify(value);
  }
  $('empty').hidden = rows.size > 0;
  $('count').textContent = String(rows.size);
}
model.on('change', render);

$('edit').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('key').value;
  const text = $('value').value;
  if (key === '' || key === '__proto__') return;
  let value;
  try { value = JSON.parse(text); } catch { value = text; }
  model.set(key, value);
  $('value').value = '';
  $('value').focus();
});
`;

/**
 * The page at `/`.
 * @returns HTML
 */
export function renderPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scuttlebutt hub</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>scuttlebutt hub</h1><span id="state" data-state="connecting">connecting</span><span id="progress"></span></header>
<form id="edit" autocomplete="off">
  <input id="key" name="key" placeholder="key" required>
  <input id="value" name="value" placeholder="value (JSON, or text)">
  <button id="set" type="submit">set</button>
</form>
<p><span id="count">0</span> keys</p>
<table>
  <thead><tr><th>key</th><th>value</th><th></th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<p id="empty">No keys yet: set one above, or run <code>scuttlebutt set KEY VALUE</code>.</p>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
}

/**
 * The page a browser gets at `/` without a valid token: a form that reloads with `?token=`.
 * @param wrong - whether a token was given and refused
 * @returns HTML
 */
export function renderTokenPage(wrong: boolean): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>scuttlebutt hub: token required</title><style>${STYLE}</style></head>
<body>
<h1>scuttlebutt hub</h1>
<p>${wrong ? 'That token was refused.' : 'This hub requires a token.'} Enter the token the hub was started with (<code>--token</code> or <code>SCUTTLEBUTT_TOKEN</code>).</p>
<form method="get" action="/"><input name="token" type="password" placeholder="token" required autofocus><button type="submit">open</button></form>
</body>
</html>
`;
}

/**
 * What `/scuttlebutt.js` serves when the browser bundle was not built: a module that says so.
 * @returns JavaScript
 */
export function missingBundleScript(): string {
  return `export const Model = undefined;
export const connectWebSocket = undefined;
const message = 'The browser bundle is missing: run "npm run build" (or node scripts/build-browser.mjs) and restart the hub.';
document.body.prepend(Object.assign(document.createElement('pre'), { textContent: message }));
throw new Error(message);
`;
}
