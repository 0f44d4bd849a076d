// /ui/sessions/{id}: the conversation, the session's runs, and a box to send a message.
import { api, el, links, idFromPath, formatTime, statusBadge, showError, newIdempotencyKey, runEventTypes } from '/ui/assets/common.js';

const sessionId = idFromPath();
const sessionPath = `/v1/sessions/${encodeURIComponent(sessionId)}`;
let olderCursor = null;

function renderMessage(entry) {
  const parts = [el('header', {},
    el('span', { class: 'role' }, entry.role === 'tool' ? `tool ${entry.toolName || ''}`.trim() : entry.role),
    el('time', { datetime: entry.at }, formatTime(entry.at)))];
  if (entry.content) parts.push(el('p', { class: 'content' }, entry.content));
  for (const call of entry.toolCalls || []) {
    parts.push(el('p', { class: 'call' }, 'calls ', el('code', {}, `${call.name}(${call.arguments})`)));
  }
  return el('li', { class: 'message', 'data-role': entry.role }, ...parts);
}

async function loadSession() {
  const session = await api(sessionPath);
  document.title = `${session.sessionId} · AgentGrains`;
  document.getElementById('session-id').textContent = session.sessionId;
  document.getElementById('agent').textContent = session.agent;
  document.getElementById('current-agent').textContent = session.currentAgent ? `(answered by ${session.currentAgent} since a handoff)` : '';
  document.getElementById('history').replaceChildren(...session.history.map(renderMessage));
}

function runRow(run) {
  return el('tr', { 'data-run-id': run.runId, 'data-status': run.status },
    el('td', {}, el('a', { href: links.run(run.runId) }, run.runId), el('div', { class: 'snippet', title: run.input }, run.input)),
    el('td', {}, statusBadge(run.status), run.reason ? el('div', { class: 'reason meta' }, run.reason) : null),
    el('td', {}, el('time', { datetime: run.submittedAt }, formatTime(run.submittedAt))));
}

async function loadRuns(append = false) {
  const parameters = new URLSearchParams({ limit: '20' });
  if (append && olderCursor) parameters.set('cursor', olderCursor);
  const page = await api(`${sessionPath}/runs?${parameters}`);
  const body = document.querySelector('#runs tbody');
  const rows = page.runs.map(runRow);
  if (append) body.append(...rows); else body.replaceChildren(...rows);
  olderCursor = page.next;
  document.getElementById('older').hidden = !page.next;
  document.getElementById('no-runs').hidden = body.children.length > 0;
}

async function refresh() {
  await Promise.all([loadSession(), loadRuns()]);
}

/** Follows a run's events, refreshing the conversation on each, until the run ends or waits for a person. */
function follow(runId, status) {
  return new Promise((resolve) => {
    const events = new EventSource(`/v1/runs/${encodeURIComponent(runId)}/events`);
    const done = () => { events.close(); resolve(); };
    for (const type of runEventTypes) {
      events.addEventListener(type, (message) => {
        const data = JSON.parse(message.data);
        refresh().catch(showError);
        if (data.path) return;
        if (type === 'run.finished') done();
        if (type === 'approval.requested') {
          status.replaceChildren('waiting for approval: ', el('a', { href: links.run(runId) }, 'approve or deny'));
          done();
        }
      });
    }
    events.onerror = () => { if (events.readyState === EventSource.CLOSED) done(); };
  });
}

document.getElementById('send').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = document.getElementById('text');
  const button = document.getElementById('send-button');
  const status = document.getElementById('sending');
  if (!text.value.trim()) return;
  button.disabled = true;
  showError(null);
  try {
    const accepted = await api(`${sessionPath}/messages?wait=false`, {
      json: { text: text.value },
      headers: { 'idempotency-key': newIdempotencyKey() },
    });
    text.value = '';
    status.replaceChildren('run ', el('a', { href: links.run(accepted.runId) }, accepted.runId), ` ${accepted.status}…`);
    await refresh();
    await follow(accepted.runId, status);
    await refresh();
    if (status.textContent.endsWith('…')) status.replaceChildren();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

document.getElementById('older').addEventListener('click', () => loadRuns(true).catch(showError));

refresh().catch(showError);
