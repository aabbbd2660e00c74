// The coemesh status page: polls GET /mesh/v1/status, renders it, and keeps a few minutes of
// request and token rates for the charts. Everything is built with textContent (names come from
// the config and tenants, never as markup), and nothing is loaded from another origin.
'use strict';

const STATUS_URL = '/mesh/v1/status';
const POLL_MS = 1000;
const HISTORY_MS = 5 * 60 * 1000;
/** The tiles show the mean rate over this much history, steadier than one poll's difference. */
const TILE_MS = 10 * 1000;

/** Rate samples {t, requests, tokens} (per second), oldest first, within HISTORY_MS. */
const history = [];
let previous = null; // the last document, for rates between two polls

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const fmt = {
  int: (n) => Number(n).toLocaleString('en-US'),
  rate: (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)),
  pct: (x) => (x * 100).toFixed(x >= 0.999 || x === 0 ? 0 : 1) + '%',
  ms: (ms) => (ms >= 1000 ? (ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1) + ' s' : ms.toFixed(0) + ' ms'),
  time: (ms) => new Date(ms).toISOString().substring(11, 19),
  duration(ms) {
    const s = Math.floor(ms / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (h > 0) return `${h}h ${m}m`;
    if (m > 0) return s % 60 === 0 ? `${m}m` : `${m}m ${s % 60}s`;
    return `${s}s`;
  },
};

/** Green at or above 99 %, amber at or above 95 %, red below (a display choice, not an alert). */
function attainmentClass(x) {
  return x >= 0.99 ? 'ok' : x >= 0.95 ? 'warn' : 'bad';
}

function kvBar(used, total) {
  const frac = total > 0 ? used / total : 0;
  const inner = el('span');
  inner.style.width = (frac * 100).toFixed(1) + '%';
  const bar = el('span', { class: 'bar' + (frac >= 0.9 ? ' bad' : frac >= 0.7 ? ' warn' : '') }, inner);
  return el('td', { title: `${used} of ${total} blocks used` }, bar, `${fmt.int(used)} / ${fmt.int(total)}`);
}

function sloCell(slo) {
  if (!slo) return el('td', {}, '–');
  const target = `≤ ${fmt.ms(slo.target_ms)}`;
  if (slo.attainment === null) {
    return el('td', { class: 'muted', title: 'no request in the window' }, `– ${target}`);
  }
  const n = slo.met + slo.missed;
  return el('td', { title: `${slo.met} met, ${slo.missed} missed in the window` },
    el('span', { class: attainmentClass(slo.attainment) }, fmt.pct(slo.attainment)),
    ` ${target} `, el('span', { class: 'muted' }, `(n=${fmt.int(n)})`));
}

function renderExperts(doc) {
  const body = document.querySelector('#experts tbody');
  const rows = [];
  for (const x of doc.experts) {
    const usedKv = x.load.kv_blocks_total - x.load.kv_blocks_free;
    rows.push(el('tr', { class: 'expert', 'data-expert': x.expert },
      el('td', {}, x.expert),
      el('td', {}, el('span', { class: 'tag' }, x.pool)),
      el('td', {}, `${x.replicas.length} replica${x.replicas.length === 1 ? '' : 's'}`),
      el('td', { class: 'num' }, `${x.load.running} / ${x.load.max_running}`),
      el('td', { class: 'num' }, x.load.waiting),
      el('td', { class: 'num', title: 'waiting / admitted in the gateway\'s fair queue' },
        `${x.fair.waiting} / ${x.fair.admitted}`),
      kvBar(usedKv, x.load.kv_blocks_total),
      sloCell(x.slo.ttft),
      sloCell(x.slo.tpot)));
    for (const r of x.replicas) {
      const state = r.state === 'serving' ? 'ok' : 'bad';
      rows.push(el('tr', { class: 'replica', 'data-replica': r.id },
        el('td', { title: r.endpoint || 'in this JVM' }, r.id),
        el('td', {}, r.role),
        el('td', {}, el('span', { class: state }, r.state.replace('_', ' '))),
        el('td', { class: 'num' }, r.running),
        el('td', { class: 'num', title: `${r.placed} placed since its last report` }, r.waiting),
        el('td', {}, ''),
        kvBar(r.kv_blocks_used, r.kv_blocks_total),
        el('td', {}, ''),
        el('td', {}, '')));
    }
    if (x.replicas.length === 0 && x.pool !== 'upstream') {
      rows.push(el('tr', { class: 'replica empty' }, el('td', { colSpan: 9 }, 'no replica reporting')));
    }
  }
  body.replaceChildren(...rows);
  document.getElementById('slo-window').textContent = `SLO attainment over the last ${fmt.duration(doc.slo.window_seconds * 1000)}`;
}

// what the usage exchange between gateway replicas (mesh.usage over Kafka) means for the counters
const EXCHANGE = {
  idle: 'shared over Kafka (nothing to share yet)',
  global: 'shared over Kafka',
  'local-only': 'LOCAL ONLY: Kafka unreachable, fairness per replica until it returns',
};

function renderTenants(doc) {
  const body = document.querySelector('#tenants tbody');
  body.replaceChildren(...doc.tenants.map((t) => el('tr', { 'data-tenant': t.tenant },
    el('td', {}, t.tenant),
    el('td', { class: 'num' }, t.weight),
    el('td', { class: 'num' }, fmt.int(t.requests)),
    el('td', { class: 'num' + (t.errors > 0 ? ' warn' : '') }, fmt.int(t.errors)),
    el('td', { class: 'num' }, fmt.int(t.input_tokens)),
    el('td', { class: 'num' }, fmt.int(t.output_tokens)),
    el('td', { class: 'num' }, fmt.int(Math.round(t.vtc_counter))),
    el('td', { class: 'num' }, t.waiting),
    el('td', { class: 'num' }, t.admitted))));
  const f = doc.fairness;
  document.getElementById('fairness').textContent =
    `${f.backlogged} backlogged · VTC counter gap ${fmt.int(Math.round(f.counter_gap))}` +
    (f.exchange === 'off' ? '' : ` · counters ${EXCHANGE[f.exchange] || f.exchange}`);
  renderLimits(doc.limits);
  // the tenants file's reloads; a refused edit stays visible until a good one is in force
  const tf = doc.tenants_file;
  const line = document.getElementById('tenants-file');
  if (!tf) {
    line.replaceChildren();
    return;
  }
  line.replaceChildren(
    `tenants file ${tf.file} · ${fmt.int(tf.reloads)} reloads · ${fmt.int(tf.rejected)} rejected`,
    ...(tf.last_error ? [' · ', el('span', { class: 'bad' }, `last edit refused: ${tf.last_error}`)] : []));
}

// Where the tenants' limits are kept: per gateway, or shared in Redis (and whether it answers).
function renderLimits(l) {
  const out = document.getElementById('limits');
  if (!l) {
    out.textContent = '';
    return;
  }
  if (l.mode !== 'shared') {
    out.className = 'muted';
    out.textContent = '· limits per gateway';
  } else if (l.store_up) {
    out.className = 'muted';
    out.textContent = `· limits shared in ${l.store} · ${fmt.int(l.leases)} leases`;
  } else {
    out.className = 'bad';
    out.textContent = `· limit store ${l.store} unreachable since ${fmt.time(l.store_changed_ms)}:` +
      ' fail-open tenants on this gateway\'s limits, fail-closed tenants refused';
  }
}

function renderDecisions(doc) {
  const body = document.querySelector('#decisions tbody');
  if (doc.decisions.length === 0) {
    body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colSpan: 8 }, 'no request routed yet')));
    return;
  }
  body.replaceChildren(...doc.decisions.map((d) => el('tr', { class: 'decision', 'data-seq': d.seq },
    el('td', {}, fmt.time(d.time_ms)),
    el('td', {}, d.tenant),
    el('td', {}, d.category === null ? '–' : d.category),
    el('td', { class: 'num' }, d.confidence.toFixed(2)),
    el('td', {}, d.reason),
    el('td', { class: 'expert-name' }, d.expert),
    el('td', { class: 'placement' }, d.placement),
    el('td', { class: 'muted' }, d.replicas.join(' → ')))));
}

function renderTotals(doc) {
  const t = doc.totals;
  const requests = document.getElementById('total-requests');
  requests.textContent = fmt.int(t.requests);
  requests.dataset.value = t.requests;
  document.getElementById('total-errors').textContent = fmt.int(t.errors);
  document.getElementById('total-tokens').textContent = `${fmt.int(t.input_tokens)} / ${fmt.int(t.output_tokens)}`;
  document.getElementById('inflight').textContent = t.inflight;
  document.getElementById('server-time').textContent = fmt.time(doc.time_ms) + ' UTC';
  document.getElementById('uptime').textContent = fmt.duration(doc.time_ms - doc.started_ms);
}

/** Adds the rates since the previous document; a restarted gateway (new started_ms) starts over. */
function sample(doc) {
  if (previous && previous.started_ms !== doc.started_ms) {
    history.length = 0;
    previous = null;
  }
  if (previous && doc.time_ms > previous.time_ms) {
    const seconds = (doc.time_ms - previous.time_ms) / 1000;
    const tokens = (t) => t.input_tokens + t.output_tokens;
    history.push({
      t: doc.time_ms,
      requests: (doc.totals.requests - previous.totals.requests) / seconds,
      tokens: (tokens(doc.totals) - tokens(previous.totals)) / seconds,
    });
  }
  previous = doc;
  while (history.length > 0 && history[0].t < doc.time_ms - HISTORY_MS) history.shift();
  const recent = history.filter((s) => s.t > doc.time_ms - TILE_MS);
  const mean = (key) => recent.reduce((sum, s) => sum + s[key], 0) / recent.length;
  document.getElementById('rate-requests').textContent = recent.length ? fmt.rate(mean('requests')) : '–';
  document.getElementById('rate-tokens').textContent = recent.length ? fmt.rate(mean('tokens')) : '–';
}

/** A line over the last HISTORY_MS ending at `now`, with its peak on the y axis. */
function drawChart(canvas, key, color, now) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 44, bottom = h - 16, top = 6, right = w - 4;
  const peak = Math.max(1, ...history.map((s) => s[key]));
  const x = (t) => left + ((t - (now - HISTORY_MS)) / HISTORY_MS) * (right - left);
  const y = (v) => bottom - (v / peak) * (bottom - top);

  g.strokeStyle = '#283040';
  g.fillStyle = '#7b8696';
  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  for (const v of [0, peak / 2, peak]) {
    g.beginPath(); g.moveTo(left, y(v) + 0.5); g.lineTo(right, y(v) + 0.5); g.stroke();
    g.fillText(fmt.rate(v), 2, y(v) + 4);
  }
  for (let m = 5; m >= 0; m--) {
    g.fillText(m === 0 ? 'now' : `-${m}m`, x(now - m * 60000) - (m === 0 ? 22 : 8), h - 3);
  }
  const points = history.filter((s) => s.t >= now - HISTORY_MS);
  canvas.dataset.points = points.length;
  if (points.length === 0) return;
  g.beginPath();
  points.forEach((s, i) => (i === 0 ? g.moveTo(x(s.t), y(s[key])) : g.lineTo(x(s.t), y(s[key]))));
  g.strokeStyle = color;
  g.lineWidth = 1.5;
  g.stroke();
  g.lineTo(x(points[points.length - 1].t), bottom);
  g.lineTo(x(points[0].t), bottom);
  g.closePath();
  g.globalAlpha = 0.15;
  g.fillStyle = color;
  g.fill();
  g.globalAlpha = 1;
}

function render(doc) {
  sample(doc);
  renderTotals(doc);
  renderExperts(doc);
  renderTenants(doc);
  renderDecisions(doc);
  drawChart(document.getElementById('chart-requests'), 'requests', '#6cb6ff', doc.time_ms);
  drawChart(document.getElementById('chart-tokens'), 'tokens', '#4fc3a1', doc.time_ms);
}

function setLive(ok, text) {
  const live = document.getElementById('live');
  live.className = 'live ' + (ok ? 'ok' : 'stale');
  live.textContent = text;
}

async function poll() {
  try {
    const response = await fetch(STATUS_URL, { cache: 'no-store' });
    if (!response.ok) throw new Error(`status ${response.status}`);
    render(await response.json());
    setLive(true, 'live');
  } catch (e) {
    setLive(false, `stale: ${e.message}`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
