// The ops page, rendered on the server from what the ops queries return: plain HTML, one style
// block and one small script (resume and approval buttons calling the guarded endpoints), nothing
// loaded from anywhere else. Every text from data goes through `escapeXml`; the step graphs are
// the SVG `o2a graph` draws (compiler/graph), coloured by the steps' current states.
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { escapeXml, renderPlanGraph, stepStates, type StepState } from '../../compiler/graph/index.js';
import type { ApprovalView } from '../../runtime/engine/cancellation.js';
import type { Finding } from '../../runtime/engine/reconciliation.js';
import type { FalloutCaseRow } from '../../runtime/engine/unit-of-work.js';
import type { OrderReadModel } from '../../runtime/projection/read-model.js';
import type { CorrelatedEntry, ItemPlan, OrderSummary, StateCount, StuckGroup } from './queries.js';

const h = escapeXml;
/** A path segment or query value inside an attribute. */
const u = (value: string) => h(encodeURIComponent(value));

export interface PageOptions {
  title: string;
  /** The script's nonce (the page's Content-Security-Policy allows that script only). */
  nonce: string;
}

const STYLE = `
:root { color-scheme: light; --line: #e5e7eb; --muted: #6b7280; --ink: #111827; --accent: #1d4ed8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f8fafc; }
header { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 10px 20px; background: #0f172a; color: #f8fafc; }
header a { color: #f8fafc; text-decoration: none; font-weight: 600; }
header form, header label { display: flex; gap: 6px; align-items: center; margin: 0; }
header input { font: inherit; padding: 3px 6px; border-radius: 4px; border: 1px solid #475569; background: #1e293b; color: #f8fafc; }
main { padding: 16px 20px 40px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: var(--accent); }
td a { white-space: nowrap; }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
.state { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.customer { font-style: italic; }
.pair { display: inline-grid; grid-template-columns: auto auto; gap: 2px 12px; background: #fff; border: 1px solid var(--line); padding: 8px 12px; }
.pair dt { color: var(--muted); }
.pair dd { margin: 0; }
.graph { overflow-x: auto; background: #fff; border: 1px solid var(--line); padding: 8px; margin-bottom: 8px; }
button { font: inherit; padding: 3px 10px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button:disabled { opacity: 0.5; cursor: default; }
.actions { white-space: nowrap; }
.result { display: block; margin-top: 4px; font-size: 13px; white-space: normal; max-width: 28em; }
.result.error { color: #b91c1c; }
.result.ok { color: #15803d; }
details pre { margin: 4px 0 0; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
`;

// Buttons call the guarded endpoints with the token typed in the header (kept in this tab's
// sessionStorage only, never in a cookie or the page's address), then follow the order until it
// settles. Everything shown comes in through textContent.
const SCRIPT = `
(() => {
  const token = document.getElementById('token');
  const operator = document.getElementById('operator');
  for (const [field, key] of [[token, 'o2a-ops-token'], [operator, 'o2a-ops-operator']]) {
    field.value = sessionStorage.getItem(key) || field.value;
    field.addEventListener('input', () => sessionStorage.setItem(key, field.value));
  }
  const SETTLED = ['completed', 'failed', 'partial', 'held', 'cancelled', 'rejected'];
  function show(element, text, kind) {
    if (!element) return;
    element.textContent = text;
    element.className = 'result ' + (kind || '');
  }
  async function post(url, body) {
    const headers = { 'content-type': 'application/json' };
    if (token.value.trim() !== '') headers.authorization = 'Bearer ' + token.value.trim();
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body || {}) });
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    return { response, data };
  }
  function refusal(response, data) {
    if (response.status === 401) return 'not allowed: enter the API token the service was started with (O2A_API_TOKEN) at the top of the page';
    return (data && (data.message || data.reason)) || ('refused: HTTP ' + response.status);
  }
  async function follow(orderId, element, before) {
    const until = Date.now() + 120000;
    while (Date.now() < until) {
      const response = await fetch('/o2a/v1/ops/orders/' + encodeURIComponent(orderId));
      if (response.ok) {
        const view = await response.json();
        const text = before + 'order ' + view.internalState + ' (customer sees: "' + view.customerVisibleStatus + '")';
        const settled = SETTLED.includes(view.internalState);
        show(element, text, settled ? (view.internalState === 'completed' ? 'ok' : 'error') : '');
        element.dataset.orderState = view.internalState;
        if (settled) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const element = document.getElementById(button.dataset.result);
    button.disabled = true;
    try {
      if (button.dataset.action === 'resume') {
        show(element, 'resuming ' + button.dataset.case + '...');
        const { response, data } = await post('/o2a/v1/ops/fallout/' + encodeURIComponent(button.dataset.case) + '/resume');
        if (!response.ok) { show(element, refusal(response, data), 'error'); button.disabled = false; return; }
        await follow(data.resumed.productOrderId, element, 'resumed from step ' + data.resumed.stepId + ': ');
      } else if (button.dataset.action === 'approve' || button.dataset.action === 'refuse') {
        if (operator.value.trim() === '') { show(element, 'enter your name (operator) at the top of the page: a decision says who took it', 'error'); button.disabled = false; return; }
        const { response, data } = await post('/o2a/v1/ops/approvals/' + encodeURIComponent(button.dataset.approval) + '/decision',
          { decision: button.dataset.action, by: operator.value.trim() });
        if (!response.ok) { show(element, refusal(response, data), 'error'); button.disabled = false; return; }
        await follow(data.approval.productOrderId, element, data.approval.state.toLowerCase() + ' by ' + data.approval.decidedBy + ': ');
      }
    } catch (error) {
      show(element, 'failed: ' + error.message, 'error');
      button.disabled = false;
    }
  });
})();
`;

export function layout(options: PageOptions, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(options.title)} · o2a ops</title>
<style nonce="${h(options.nonce)}">${STYLE}</style>
</head>
<body>
<header>
  <a href="/ops">o2a operations</a>
  <form method="get" action="/ops/search" role="search">
    <label>Find <input name="q" type="search" size="36" placeholder="order id, external id or correlation id" required maxlength="200"></label>
    <button type="submit" class="secondary">Go</button>
  </form>
  <label title="Needed by resume and approval buttons when the service was started with O2A_API_TOKEN; kept in this browser tab only">API token <input id="token" type="password" size="18" autocomplete="off"></label>
  <label title="Who takes an approval decision">Operator <input id="operator" type="text" size="12" maxlength="200"></label>
</header>
<main>
${body}
</main>
<script nonce="${h(options.nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}

function when(isoTime: string | null): string {
  return isoTime ? `<span class="state" title="${h(isoTime)}">${h(isoTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</span>` : '';
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const orderLink = (id: string) => `<a href="/ops/orders/${u(id)}">${h(id)}</a>`;
const trailLink = (correlationId: string, text = correlationId) => `<a href="/ops/trail?correlationId=${u(correlationId)}">${h(text)}</a>`;

export interface Dashboard {
  at: string;
  states: StateCount[];
  stuck: StuckGroup[];
  fallout: { total: number; cases: FalloutCaseRow[] };
  approvals: ApprovalView[];
  alerts: Finding[];
}

export function dashboardPage(options: PageOptions, d: Dashboard): string {
  const total = d.states.reduce((n, s) => n + s.count, 0);
  const states = d.states.length === 0 ? '<p class="empty">no orders yet</p>' : `
<table id="orders-by-state">
<thead><tr><th>state</th><th>orders</th></tr></thead>
<tbody>
${d.states.map((s) => `<tr data-state="${h(s.state)}"><td class="state"><a href="/ops/orders?state=${u(s.state)}">${h(s.state)}</a></td><td class="num">${s.count}</td></tr>`).join('\n')}
</tbody>
<tfoot><tr><th>all</th><td class="num">${total}</td></tr></tfoot>
</table>`;
  return layout(options, `
<h1>Operations</h1>
<p class="muted">As of ${when(d.at)}.</p>
<h2>Orders by state</h2>
${states}
<h2>Stuck orders by step</h2>
<p class="muted">Steps waiting (started, waiting for a retry, or unknown) for longer than their plan's timeout.</p>
${stuckTable(d.stuck)}
<h2>Fallout cases</h2>
${falloutTable(d.fallout.cases, 'open')}${d.fallout.total > d.fallout.cases.length ? `<p class="muted">${d.fallout.cases.length} of ${d.fallout.total} shown.</p>` : ''}
<h2>Approvals awaiting a decision</h2>
${approvalsTable(d.approvals)}
<h2>Reconciliation alerts</h2>
${findingsTable(d.alerts)}
`);
}

function stuckTable(groups: StuckGroup[]): string {
  if (groups.length === 0) return '<p class="empty" id="stuck-none">no step waits beyond expectation</p>';
  return `<table id="stuck">
<thead><tr><th>step</th><th>kind · owner</th><th>orders</th><th>order</th><th>item</th><th>state</th><th>waiting</th><th>expected within</th></tr></thead>
<tbody>
${groups.map((g) => g.orders.map((o, i) => `<tr data-step="${h(g.stepId)}">${i === 0 ? `<td rowspan="${g.orders.length}" class="state">${h(g.stepId)}</td><td rowspan="${g.orders.length}">${h(g.kind)} · ${h(g.owner)}</td><td rowspan="${g.orders.length}" class="num">${g.count}</td>` : ''}<td>${orderLink(o.productOrderId)}</td><td>${h(o.itemId)}</td><td class="state">${h(o.state)}${o.attempt > 1 ? ` (attempt ${o.attempt})` : ''}</td><td>${h(duration(o.waitingMs))}</td><td>${h(duration(o.expectedMs))}</td></tr>`).join('\n')).join('\n')}
</tbody>
</table>`;
}

function falloutTable(cases: FalloutCaseRow[], what: string): string {
  if (cases.length === 0) return `<p class="empty" id="fallout-none">no ${h(what)} fallout cases</p>`;
  return `<table id="fallout">
<thead><tr><th>case</th><th>order</th><th>item · step</th><th>owner</th><th>reason</th><th>suggested repair</th><th>SLA</th><th>opened</th><th></th></tr></thead>
<tbody>
${cases.map((c) => {
    const result = `result-${h(c.id)}`;
    const action = c.state === 'OPEN'
      ? `<button type="button" data-action="resume" data-case="${h(c.id)}" data-result="${result}">Resume</button><span class="result" id="${result}" role="status"></span>`
      : `<span class="state">${h(c.state)}</span>${c.resolvedAt ? ` ${when(c.resolvedAt)}` : ''}`;
    return `<tr data-case="${h(c.id)}"><td class="state">${h(c.id)}</td><td>${orderLink(c.productOrderId)}<br>${trailLink(c.correlationId, 'trail')}</td><td>${h(c.productOrderItemId)} · <span class="state">${h(c.failedStepId)}</span></td><td>${h(c.ownerGroup)} (${h(c.party)})</td><td>${h(c.failureReason)}</td><td>${h(c.suggestedRepair)}</td><td>${h(c.slaImpact)}</td><td>${when(c.createdAt)}</td><td class="actions">${action}</td></tr>`;
  }).join('\n')}
</tbody>
</table>`;
}

function approvalsTable(list: ApprovalView[]): string {
  if (list.length === 0) return '<p class="empty">no approvals awaiting a decision</p>';
  return `<table id="approvals">
<thead><tr><th>approval</th><th>order</th><th>what</th><th>cancel request</th><th>asked</th><th></th></tr></thead>
<tbody>
${list.map((a) => {
    const result = `result-${h(a.id)}`;
    const buttons = a.state === 'PENDING'
      ? `<button type="button" data-action="approve" data-approval="${h(a.id)}" data-result="${result}">Approve</button> <button type="button" class="secondary" data-action="refuse" data-approval="${h(a.id)}" data-result="${result}">Refuse</button><span class="result" id="${result}" role="status"></span>`
      : `<span class="state">${h(a.state)}</span> by ${h(a.decidedBy ?? '')}`;
    return `<tr data-approval="${h(a.id)}"><td class="state">${h(a.id)}</td><td>${orderLink(a.productOrderId)}</td><td>${h(a.subject)}</td><td class="state">${h(a.cancelRequestId)}</td><td>${when(a.createdAt)}</td><td class="actions">${buttons}</td></tr>`;
  }).join('\n')}
</tbody>
</table>`;
}

function findingsTable(list: Finding[]): string {
  if (list.length === 0) return '<p class="empty">no reconciliation alerts</p>';
  return `<table id="findings">
<thead><tr><th>found</th><th>kind</th><th>order</th><th>step</th><th>action</th><th>detail</th></tr></thead>
<tbody>
${list.map((f) => `<tr><td>${when(f.foundAt)}</td><td class="state">${h(f.kind)}</td><td>${orderLink(f.productOrderId)}</td><td class="state">${h(f.stepId ?? '')}</td><td>${h(f.action)}</td><td>${h(f.detail)}</td></tr>`).join('\n')}
</tbody>
</table>`;
}

export function orderListPage(options: PageOptions, state: string | undefined, list: { total: number; orders: OrderSummary[] }, page: { limit: number; offset: number }): string {
  const rows = list.orders.map((o) => `<tr data-order="${h(o.id)}"><td>${orderLink(o.id)}</td><td>${h(o.externalId ?? '')}</td><td class="state">${h(o.state)}</td><td>${trailLink(o.correlationId)}</td><td>${when(o.createdAt)}</td><td>${when(o.updatedAt)}</td></tr>`);
  const next = page.offset + list.orders.length < list.total
    ? `<a href="/ops/orders?${state ? `state=${u(state)}&amp;` : ''}offset=${page.offset + page.limit}&amp;limit=${page.limit}">next ${page.limit}</a>` : '';
  return layout(options, `
<h1>Orders${state ? ` in state <span class="state">${h(state)}</span>` : ''}</h1>
<p class="muted">${list.total} in all${list.total > 0 ? `; ${page.offset + 1} to ${page.offset + list.orders.length} shown, the latest changed first` : ''}. ${next}</p>
${rows.length === 0 ? '<p class="empty">none</p>' : `<table id="orders">
<thead><tr><th>order</th><th>external id</th><th>state</th><th>correlation id</th><th>created</th><th>last change</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`}
`);
}

export interface OrderPageData {
  view: OrderReadModel;
  items: ItemPlan[];
  fallout: FalloutCaseRow[];
}

/** The step states of one item's saga as the graph colours them. */
export function itemStepStates(view: OrderReadModel, itemId: string): Map<string, StepState> {
  const known = new Set<string>(stepStates);
  return new Map(view.steps.filter((s) => s.itemId === itemId && known.has(s.state)).map((s) => [s.id, s.state as StepState]));
}

/** Where a bundle item's saga is, in the graph's colours: done, running, waiting for somebody (held), failed, undone. */
const SAGA_AS_STEP: Record<string, StepState> = {
  STARTED: 'STARTED', HELD: 'WAITING', COMPLETED: 'SUCCEEDED', FAILED: 'FAILED', COMPENSATING: 'COMPENSATING', COMPENSATED: 'COMPENSATED',
};

/** A bundle's items (by name) coloured by the sagas of the order items it was split into (matched by plan). */
export function bundleItemStates(bundle: CompiledPlan, bundleItemId: string, items: ItemPlan[]): Map<string, StepState> {
  const states = new Map<string, StepState>();
  if (bundle.kind !== 'bundle') return states;
  for (const child of items.filter((i) => i.parentItemId === bundleItemId && i.sagaState !== null)) {
    const name = bundle.items.find((b) => b.planId === child.plan?.planId)?.name;
    const state = SAGA_AS_STEP[child.sagaState as string];
    if (name !== undefined && state !== undefined) states.set(name, state);
  }
  return states;
}

/** The graph of an item: its saga's steps, or for a bundle item its items. */
export function itemGraph(view: OrderReadModel, item: ItemPlan, items: ItemPlan[]): string | null {
  if (!item.plan) return null;
  const states = item.plan.kind === 'bundle' ? bundleItemStates(item.plan, item.itemId, items) : itemStepStates(view, item.itemId);
  return renderPlanGraph(item.plan, 'svg', states);
}

export function orderPage(options: PageOptions, data: OrderPageData): string {
  const { view } = data;
  const items = view.items.map((i) => `<tr data-item="${h(i.id)}"><td>${h(i.id)}</td><td class="state">${h(i.state)}</td><td class="customer">${h(i.customerStatus)}</td><td class="state">${h(i.sagaState ?? '')}</td><td>${h(i.planId ?? '')}</td></tr>`);
  const graphs = data.items.filter((i) => i.sagaId !== null || i.plan?.kind === 'bundle').map((i) => {
    const item = view.items.find((v) => v.id === i.itemId);
    const saga = i.sagaState !== null ? ` · saga <span class="state">${h(i.sagaState)}</span>` : '';
    const head = `<h3>Item ${h(i.itemId)}${i.plan ? ` · ${h(i.plan.kind)} ${h(i.plan.planId)} v${i.plan.planVersion}` : ''}: <span class="state">${h(item?.state ?? '')}</span>${saga} · customer sees <span class="customer">“${h(item?.customerStatus ?? '')}”</span></h3>`;
    const svg = itemGraph(view, i, data.items);
    return svg === null ? `${head}<p class="empty">its plan is not in the registry</p>` : `${head}<div class="graph" data-item="${h(i.itemId)}">${svg}</div>`;
  });
  const steps = view.steps.map((s) => `<tr data-item="${h(s.itemId)}" data-step="${h(s.id)}"><td>${h(s.itemId)}</td><td class="state">${h(s.id)}</td><td class="state">${h(s.state)}</td><td class="num">${s.attempt}</td><td>${when(s.lastUpdated || null)}</td></tr>`);
  const reasons = [
    ...(view.rejectionReasons ?? []).map((r) => `rejected: ${r.field ? `${r.field}: ` : ''}${r.message}`),
    ...(view.failureReasons ?? []).map((r) => `item ${r.itemId} failed at ${r.stepId}${r.outcome ? ` (${r.outcome})` : ''}${r.reason ? `: ${r.reason}` : ''}`),
  ];
  return layout(options, `
<h1>Order ${h(view.productOrderId)}</h1>
<dl class="pair" id="order-status">
  <dt>internal state</dt><dd class="state" id="internal-state">${h(view.internalState)}</dd>
  <dt>customer sees</dt><dd class="customer" id="customer-status">${h(view.customerVisibleStatus)}</dd>
  <dt>blocking step</dt><dd class="state">${h(view.currentBlockingStep ?? '-')}</dd>
  <dt>next action</dt><dd>${h(view.estimatedNextAction ?? '-')}</dd>
  <dt>action by</dt><dd>${view.customerActionRequired ? 'customer' : view.providerActionRequired ? 'provider' : '-'}</dd>
  <dt>correlation id</dt><dd>${trailLink(view.correlationId)}</dd>
</dl>
${reasons.length > 0 ? `<ul id="reasons">${reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : ''}
<h2>Items</h2>
<table id="items"><thead><tr><th>item</th><th>internal state</th><th>customer sees</th><th>saga</th><th>plan</th></tr></thead>
<tbody>
${items.join('\n')}
</tbody></table>
${data.fallout.length > 0 ? `<h2>Fallout</h2>\n${falloutTable(data.fallout, 'open')}` : ''}
<h2>Step graph</h2>
${graphs.length > 0 ? graphs.join('\n') : '<p class="empty">no saga started for this order</p>'}
<h2>Steps</h2>
${steps.length > 0 ? `<table id="steps"><thead><tr><th>item</th><th>step</th><th>state</th><th>attempt</th><th>last change</th></tr></thead>
<tbody>
${steps.join('\n')}
</tbody></table>` : '<p class="empty">none</p>'}
${view.reconciliation.length > 0 ? `<h2>Reconciliation</h2><ul>${view.reconciliation.map((r) => `<li>${when(r.foundAt)} ${h(r.kind)}${r.stepId ? ` (${h(r.stepId)})` : ''}: ${h(r.action)}</li>`).join('')}</ul>` : ''}
<p><a href="/ops/trail?correlationId=${u(view.correlationId)}">Event trail of ${h(view.correlationId)}</a></p>
`);
}

export function trailPage(options: PageOptions, correlationId: string, orders: string[], trail: CorrelatedEntry[]): string {
  const rows = trail.map((e) => `<tr data-type="${h(e.type)}"><td class="num">${e.seq}.${e.pos}</td><td>${when(e.occurredAt)}</td><td>${h(e.direction)}</td><td class="state">${h(e.type)}</td><td>${orderLink(e.productOrderId)}</td><td class="state">${h(e.stepId ?? '')}</td><td class="state" title="causation ${h(e.causationId ?? '-')}">${h(e.messageId)}</td><td><details><summary>payload</summary><pre>${h(JSON.stringify(e.payload, null, 2))}</pre></details></td></tr>`);
  return layout(options, `
<h1>Event trail of <span class="state">${h(correlationId)}</span></h1>
<p class="muted">Orders: ${orders.map(orderLink).join(', ')}. ${trail.length} entries, in the order they were written; a message id's causation id is in its tooltip.</p>
<table id="trail">
<thead><tr><th>#</th><th>at</th><th>dir</th><th>type</th><th>order</th><th>step</th><th>message id</th><th></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
`);
}

export function messagePage(options: PageOptions, heading: string, message: string): string {
  return layout(options, `<h1>${h(heading)}</h1>\n<p id="message">${h(message)}</p>\n<p><a href="/ops">Back to operations</a></p>`);
}
