// Shared helpers of the run views: calling the gateway API, building elements, formatting.

/** Calls the gateway API; returns the parsed JSON body, or throws an Error with the problem's detail. */
export async function api(path, options = {}) {
  const init = { ...options, headers: { accept: 'application/json', ...(options.headers || {}) } };
  if (options.json !== undefined) {
    init.method = options.method || 'POST';
    init.body = JSON.stringify(options.json);
    init.headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(body?.detail || body?.title || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

/** Creates an element: el('a', { href: '/ui' }, 'text', child). Attributes starting with "data" or "aria" are set as given. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** The links to the UI's pages. */
export const links = {
  sessions: (query) => '/ui' + (query ? `?${new URLSearchParams(query)}` : ''),
  session: (id) => `/ui/sessions/${encodeURIComponent(id)}`,
  run: (id) => `/ui/runs/${encodeURIComponent(id)}`,
};

/** The last path segment of the page's URL, decoded: the session or run id of /ui/sessions/{id} and /ui/runs/{id}. */
export function idFromPath() {
  const segments = location.pathname.split('/').filter(Boolean);
  return decodeURIComponent(segments[segments.length - 1] || '');
}

/** A timestamp as local date and time, to the millisecond. */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return `${date.toLocaleDateString()} ${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** A duration in milliseconds, as ms or s. */
export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A cost in USD, or an empty string when the model has no price. */
export function formatCost(cost) {
  return cost === null || cost === undefined ? '' : `$${Number(cost).toFixed(6)}`;
}

/** A status as a badge whose data-status styles it. */
export function statusBadge(status) {
  return el('span', { class: 'status', 'data-status': status }, status);
}

/** Shows an error message in the page's alert area. */
export function showError(error) {
  const alert = document.getElementById('alert');
  if (!alert) return;
  alert.textContent = error ? String(error.message || error) : '';
  alert.hidden = !error;
}

/** A key for one request: a retry of the same send reuses it, so it is processed once. */
export function newIdempotencyKey() {
  return globalThis.crypto?.randomUUID ? crypto.randomUUID() : `ui-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** The event types of a run's event stream (server-sent event names). */
export const runEventTypes = [
  'run.started', 'model.reply', 'tool.result', 'approval.requested', 'approval.decided',
  'delegation.started', 'agent.handoff', 'summary.updated', 'memory.recalled', 'run.resumed', 'run.finished',
];

/** Whether a run status is terminal. */
export function isTerminal(status) {
  return ['completed', 'failed', 'cancelled', 'budget_exceeded'].includes(status);
}
