// /ui/runs/{runId}: the run tree as a timeline. The run, its steps' model calls, its tool calls and its
// specialist runs (recursively, each read from /v1/runs/{childRunId}) are bars on one time axis, whose
// data attributes carry their kind, agent and position in ms from the run's start. While the run goes
// on, every event of its stream (which carries its specialists' events too) re-reads the run tree.
import {
  api, el, links, idFromPath, formatTime, formatMs, formatCost, statusBadge, showError,
  newIdempotencyKey, runEventTypes, isTerminal,
} from '/ui/assets/common.js';

const rootId = idFromPath();
const views = new Map();        // runId -> run view
const results = new Map();      // "runId:step:callIndex" -> the tool result's text, from the event stream
let items = [];                 // the bars of the last render
let selectedKey = null;
let refreshing = null;
let refreshAgain = false;

const runPath = (id) => `/v1/runs/${encodeURIComponent(id)}`;
const ms = (iso) => (iso ? Date.parse(iso) : null);

/** Reads the run and, recursively, the specialist runs under it. */
async function loadTree(runId, seen = new Set()) {
  if (seen.has(runId)) return;
  seen.add(runId);
  const view = await api(runPath(runId));
  views.set(runId, view);
  await Promise.all((view.children || []).map((child) => loadTree(child.runId, seen).catch(() => null)));
}

/** The bars of a run and everything under it, in tree order. */
function collect(view, depth, list, call = null) {
  const now = Date.now();
  const runStart = ms(view.startedAt) ?? ms(view.submittedAt);
  list.push({
    key: `run:${view.runId}`, kind: 'run', depth, agent: view.agent, runId: view.runId, status: view.status,
    label: `${view.agent} run`,
    start: runStart, end: ms(view.endedAt), open: !view.endedAt,
    tokens: view.inputTokens + view.outputTokens, cost: view.cost, reason: view.reason, view, call,
  });
  const children = new Map((view.children || []).map((c) => [`${c.step}:${c.callIndex}`, c]));
  for (const step of view.steps) {
    const modelStart = ms(step.modelStartedAt);
    const modelEnd = modelStart === null ? null : modelStart + step.modelDurationMs;
    list.push({
      key: `model:${view.runId}:${step.step}`, kind: 'model', depth: depth + 1, agent: view.agent, runId: view.runId,
      step: step.step, status: 'succeeded', label: `step ${step.step} · model`,
      start: modelStart, end: modelEnd, tokens: step.inputTokens + step.outputTokens,
      inputTokens: step.inputTokens, outputTokens: step.outputTokens,
    });
    for (const toolCall of step.toolCalls) {
      // A specialist call is a bar of its own (from when the manager sent it to its result), with the specialist's run under it.
      const child = children.get(`${step.step}:${toolCall.callIndex}`);
      const specialist = toolCall.risk === 'agent' || child !== undefined;
      const start = ms(toolCall.startedAt);
      const unfinished = start === null && !['succeeded', 'failed', 'denied'].includes(toolCall.status);
      list.push({
        key: `call:${view.runId}:${step.step}:${toolCall.callIndex}`, kind: specialist ? 'specialist' : 'tool',
        depth: depth + 1, agent: specialist ? toolCall.name : view.agent, caller: view.agent, tool: specialist ? null : toolCall.name,
        runId: view.runId, step: step.step, status: toolCall.status, label: specialist ? `call ${toolCall.name}` : toolCall.name, call: toolCall,
        // A call without a recorded start has no result yet (it waits for a person, or runs): drawn from the model's reply to now.
        start: start ?? (unfinished ? modelEnd : null),
        end: start !== null && toolCall.durationMs !== null ? start + toolCall.durationMs : null,
        open: unfinished, result: results.get(`${view.runId}:${step.step}:${toolCall.callIndex}`),
      });
      if (child && views.has(child.runId)) collect(views.get(child.runId), depth + 2, list, toolCall);
    }
  }
  if (!view.endedAt) {
    for (const item of list) if (item.open && item.end === null) item.end = Math.max(now, item.start ?? now);
  }
  return list;
}

/** A step of 1, 2 or 5 times a power of ten giving about eight ticks over the span. */
function tickStep(span) {
  const raw = span / 8;
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? power * 10;
}

function title(item) {
  const lines = [`${item.label} (${item.kind})`, `agent: ${item.agent}`, `status: ${item.status}`];
  if (item.start !== null && item.end !== null) lines.push(`duration: ${formatMs(item.end - item.start)}`);
  if (item.tokens) lines.push(`tokens: ${item.tokens}`);
  if (item.cost !== null && item.cost !== undefined) lines.push(`cost: ${formatCost(item.cost)}`);
  if (item.reason) lines.push(`reason: ${item.reason}`);
  if (item.result && item.status === 'failed') lines.push(item.result.slice(0, 300));
  return lines.join('\n');
}

function approvalButtons(item) {
  if (item.status !== 'awaiting_approval' || !item.call) return null;
  const decide = (approve) => async (event) => {
    event.stopPropagation();
    event.target.disabled = true;
    try {
      await api(`${runPath(item.runId)}/approvals/${encodeURIComponent(item.call.callId)}`, {
        json: { approve }, headers: { 'idempotency-key': newIdempotencyKey() },
      });
      await refresh();
      follow();
    } catch (error) {
      showError(error);
    }
  };
  return el('span', { class: 'decision' },
    el('button', { type: 'button', class: 'approve', 'data-call-id': item.call.callId, onclick: decide(true) }, 'Approve'),
    el('button', { type: 'button', class: 'deny', 'data-call-id': item.call.callId, onclick: decide(false) }, 'Deny'));
}

function render() {
  const root = views.get(rootId);
  items = collect(root, 0, []);
  const origin = items[0].start;
  const times = items.flatMap((i) => [i.start, i.end]).filter((t) => t !== null);
  const span = Math.max(1, Math.max(...times) - origin);
  const percent = (t) => `${(((t - origin) / span) * 100).toFixed(4)}%`;

  const step = tickStep(span);
  const ticks = [];
  for (let t = 0; t <= span; t += step) {
    const tick = el('span', { class: 'tick' }, formatMs(t));
    tick.style.left = `${((t / span) * 100).toFixed(4)}%`;
    ticks.push(tick);
  }
  document.getElementById('axis').replaceChildren(...ticks);

  const rows = items.map((item) => {
    const track = el('div', { class: 'track' });
    if (item.start !== null) {
      const end = item.end ?? item.start;
      const bar = el('button', {
        type: 'button', class: 'bar', title: title(item),
        'data-key': item.key, 'data-kind': item.kind, 'data-agent': item.agent, 'data-caller': item.caller, 'data-tool': item.tool,
        'data-run-id': item.runId, 'data-step': item.step, 'data-status': item.status, 'data-open': item.open ? 'true' : null,
        'data-start-ms': (item.start - origin).toFixed(3), 'data-end-ms': (end - origin).toFixed(3),
        'aria-pressed': item.key === selectedKey ? 'true' : 'false',
        onclick: () => select(item.key),
      }, el('span', { class: 'bar-text' }, formatMs(end - item.start)));
      bar.style.left = percent(item.start);
      bar.style.width = `${(((end - item.start) / span) * 100).toFixed(4)}%`;
      track.append(bar);
    }
    const label = el('div', { class: 'label' },
      item.kind === 'run' && item.runId !== rootId ? el('a', { href: links.run(item.runId) }, item.label) : item.label,
      ' ', statusBadge(item.status));
    const row = el('div', { class: 'row', 'data-kind': item.kind }, label, track);
    row.style.setProperty('--depth', item.depth);
    return row;
  });
  document.getElementById('rows').replaceChildren(...rows);
  renderApprovals();
  if (selectedKey) select(selectedKey);
}

/** The calls that wait for a person, anywhere in the tree, each with its approve and deny buttons. */
function renderApprovals() {
  const waiting = items.filter((item) => item.status === 'awaiting_approval' && item.call);
  const section = document.getElementById('approvals');
  section.hidden = waiting.length === 0;
  document.getElementById('approval-list').replaceChildren(...waiting.map((item) => el('li', { 'data-call-id': item.call.callId, 'data-run-id': item.runId },
    el('code', {}, `${item.call.name}(${item.call.arguments})`), ` · ${item.agent}, step ${item.step}, risk ${item.call.risk ?? 'unknown'} `,
    approvalButtons(item))));
}

/** A reply: its first line, and the rest behind a disclosure when it is long. */
function replyElement(reply) {
  const firstLine = reply.split('\n', 1)[0];
  if (firstLine.length === reply.length && reply.length <= 200) return el('span', { class: 'reply' }, reply);
  const details = el('details', { class: 'reply' }, el('summary', {}, firstLine.length > 200 ? `${firstLine.slice(0, 200)}…` : firstLine), el('pre', {}, reply));
  return details;
}

function renderSummary() {
  const run = views.get(rootId);
  document.title = `${run.runId} · AgentGrains`;
  document.getElementById('run-id').textContent = run.runId;
  document.getElementById('run-status').replaceChildren(statusBadge(run.status));
  const entries = [
    ['Agent', run.agent],
    ['Session', el('a', { href: links.session(run.sessionId) }, run.sessionId)],
    run.parentRunId ? ['Manager run', el('a', { href: links.run(run.parentRunId) }, run.parentRunId)] : null,
    ['Input', run.input],
    run.reply ? ['Reply', replyElement(run.reply)] : null,
    run.reason ? ['Reason', run.reason] : null,
    ['Submitted', formatTime(run.submittedAt)],
    ['Duration', run.durationMs !== null ? formatMs(run.durationMs) : 'running'],
    ['Tokens', `${run.inputTokens} in, ${run.outputTokens} out` + (run.delegatedTokens ? `, ${run.delegatedTokens} by specialists` : '')],
    run.cost !== null || run.delegatedCost !== null ? ['Cost', formatCost((run.cost ?? 0) + (run.delegatedCost ?? 0))] : null,
    ['Steps', `${run.steps.length} (${run.toolCalls} tool calls)`],
  ].filter(Boolean);
  document.getElementById('summary').replaceChildren(...entries.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]));
}

function select(key) {
  selectedKey = key;
  const item = items.find((i) => i.key === key);
  for (const bar of document.querySelectorAll('.bar')) bar.setAttribute('aria-pressed', bar.dataset.key === key ? 'true' : 'false');
  if (!item) return;
  const origin = items[0].start;
  const rows = [
    ['Kind', item.kind], ['Agent', item.agent], item.caller && item.caller !== item.agent ? ['Called by', item.caller] : null,
    ['Run', item.kind === 'run' ? el('a', { href: links.run(item.runId) }, item.runId) : item.runId],
    ['Status', statusBadge(item.status)],
    item.step ? ['Step', item.step] : null,
    item.call ? ['Call', `${item.call.name} (${item.call.callId}, key ${item.call.idempotencyKey})`] : null,
    item.call ? ['Arguments', el('code', {}, item.call.arguments)] : null,
    item.call?.risk ? ['Risk', item.call.risk] : null,
    item.start !== null ? ['Start', `${formatTime(new Date(item.start).toISOString())} (+${formatMs(item.start - origin)})`] : null,
    item.end !== null && item.start !== null ? ['Duration', `${formatMs(item.end - item.start)}${item.open ? ' so far' : ''}`] : null,
    item.inputTokens !== undefined ? ['Tokens', `${item.inputTokens} in, ${item.outputTokens} out`] : (item.tokens ? ['Tokens', item.tokens] : null),
    item.cost !== null && item.cost !== undefined ? ['Cost', formatCost(item.cost)] : null,
    item.reason ? ['Reason', item.reason] : null,
    item.view?.reply ? ['Reply', item.view.reply] : null,
    item.result ? [item.status === 'failed' ? 'Error' : 'Result', el('pre', {}, item.result.slice(0, 4000))] : null,
  ].filter(Boolean);
  document.getElementById('details').replaceChildren(...[
    el('h2', {}, 'Details'),
    el('dl', { 'data-key': key }, ...rows.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)])),
    approvalButtons(item)].filter(Boolean));
}

/** Re-reads the run tree and renders it; calls made while one runs are folded into one more. */
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      await loadTree(rootId);
      renderSummary();
      render();
    } while (refreshAgain);
  })().catch(showError).finally(() => { refreshing = null; });
  return refreshing;
}

let events = null;

/** Follows the run's event stream (its specialists' events included) until its own run.finished. */
function follow() {
  if (events) return;
  events = new EventSource(`${runPath(rootId)}/events`);
  document.getElementById('live').hidden = isTerminal(views.get(rootId)?.status);
  events.onerror = () => {
    if (events?.readyState === EventSource.CLOSED) {
      events = null;
      document.getElementById('live').hidden = true;
    }
  };
  for (const type of runEventTypes) {
    events.addEventListener(type, (message) => {
      const data = JSON.parse(message.data);
      if (type === 'tool.result' && data.call) results.set(`${data.runId}:${data.step}:${data.call.callIndex}`, data.text ?? '');
      const ended = type === 'run.finished' && data.runId === rootId;
      if (ended) {
        events.close();
        events = null;
        document.getElementById('live').hidden = true;
      }
      if (ended || !isTerminal(views.get(rootId)?.status)) refresh();
    });
  }
}

refresh().then(follow);
