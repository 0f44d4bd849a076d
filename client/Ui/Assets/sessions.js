// /ui: the sessions list, a page at a time with the API's cursor, filtered by agent.
import { api, el, links, formatTime, statusBadge, showError } from '/ui/assets/common.js';

const query = new URLSearchParams(location.search);
const agent = query.get('agent') || '';
const cursor = query.get('cursor') || '';

async function loadAgents() {
  const { agents } = await api('/v1/agents');
  const filter = document.getElementById('agent');
  const create = document.getElementById('new-agent');
  for (const { name } of agents) {
    filter.append(el('option', { value: name, selected: name === agent }, name));
    create.append(el('option', { value: name, selected: name === (agent || 'assistant') }, name));
  }
}

async function loadSessions() {
  const parameters = new URLSearchParams({ limit: '20' });
  if (agent) parameters.set('agent', agent);
  if (cursor) parameters.set('cursor', cursor);
  const page = await api(`/v1/sessions?${parameters}`);
  const rows = page.sessions.map((s) => el('tr', { 'data-session-id': s.sessionId, 'data-agent': s.agent },
    el('td', {}, el('a', { href: links.session(s.sessionId) }, s.sessionId)),
    el('td', {}, s.currentAgent ? `${s.agent} → ${s.currentAgent}` : s.agent),
    el('td', {}, statusBadge(s.status)),
    el('td', { class: 'number' }, s.runs),
    el('td', {}, el('time', { datetime: s.lastActivityAt }, formatTime(s.lastActivityAt))),
    el('td', {}, el('time', { datetime: s.createdAt }, formatTime(s.createdAt)))));
  document.querySelector('#sessions tbody').replaceChildren(...rows);
  document.getElementById('empty').hidden = rows.length > 0;
  const first = document.getElementById('first');
  first.href = links.sessions(agent ? { agent } : null);
  first.hidden = !cursor;
  const next = document.getElementById('next');
  next.hidden = !page.next;
  if (page.next) next.href = links.sessions(agent ? { agent, cursor: page.next } : { cursor: page.next });
}

document.getElementById('filter').addEventListener('submit', (event) => {
  event.preventDefault();
  const chosen = document.getElementById('agent').value;
  location.href = links.sessions(chosen ? { agent: chosen } : null);
});

document.getElementById('create').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const created = await api('/v1/sessions', { json: { agent: document.getElementById('new-agent').value } });
    location.href = links.session(created.sessionId);
  } catch (error) {
    showError(error);
  }
});

Promise.all([loadAgents(), loadSessions()]).catch(showError);
