// The Conduit dashboard: subscribes to the server's $SYS.stats snapshots (one a second, see
// docs/operations.md) over this server's own WebSocket endpoint, with the browser client.
import { connect } from '/client/conduit.js';
import { RateChart, compact } from '/chart.js';

const $ = (id) => document.getElementById(id);
const sessionView = new URLSearchParams(location.search).get('session');
const chart = sessionView ? null : new RateChart($('rate-chart'));

/** The latest snapshot and how many arrived, the history and session answers, for tests and the console. */
window.conduitDashboard = { snapshots: 0, latest: null, historyPoints: null, session: null, chart };

function setText(id, text) {
    const el = $(id);
    if (el) el.textContent = text;
}

function bytes(n) {
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GiB';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
    if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' KiB';
    return `${Math.round(n)} B`;
}

function duration(seconds) {
    const s = Math.floor(seconds);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function perSecond(n) {
    return `${compact(Math.round(n))}/s`;
}

/** A latency in ms, or "-" when nothing was measured (null): never a made-up 0.00 ms. */
function millis(v) {
    if (v === null || v === undefined) return '-';
    if (v < 1) return `${v.toFixed(3)} ms`;
    if (v < 100) return `${v.toFixed(2)} ms`;
    return `${Math.round(v)} ms`;
}

function byTransport(map) {
    const parts = Object.entries(map ?? {}).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`);
    return parts.length ? parts.join(' · ') : 'none';
}

function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
}

function renderErrors(list, empty, errors, withPeer) {
    list.replaceChildren();
    for (const e of errors) {
        const li = document.createElement('li');
        const when = document.createElement('span');
        when.className = 'when';
        when.textContent = new Date(e.time).toLocaleTimeString();
        const code = document.createElement('span');
        code.className = 'code';
        code.textContent = `${e.code} ${e.name}`;
        const text = document.createElement('span');
        text.textContent = withPeer ? `${e.peer.replace(/^\//, '')}: ${e.message}` : e.message;
        li.append(when, code, text);
        list.append(li);
    }
    empty.hidden = errors.length > 0;
}

let ownSessionId = null;

function render(s) {
    setText('server-id', s.serverId);
    setText('uptime', `up ${duration(s.uptimeSeconds)}${s.version ? ` · v${s.version}` : ''}`);
    if (sessionView) return;
    setText('msg-in-rate', perSecond(s.messages.inPerSecond));
    setText('msg-out-rate', perSecond(s.messages.outPerSecond));
    setText('msg-in-total', compact(s.messages.in));
    setText('msg-out-total', compact(s.messages.out));
    setText('bytes-in-rate', `${bytes(s.bytes.inPerSecond)}/s`);
    setText('bytes-out-rate', `${bytes(s.bytes.outPerSecond)}/s`);
    setText('connections-total', String(Object.values(s.connections).reduce((a, b) => a + b, 0)));
    setText('connections-by-transport', byTransport(s.connections));
    setText('sessions-total', String(s.sessions.total));
    setText('sessions-attached', String(s.sessions.attached));
    setText('sessions-detached', String(s.sessions.detached));
    setText('sessions-by-transport', byTransport(s.sessions.byTransport));
    // $SYS subscriptions are not counted by the server; this page's request inbox (for $SYS.api) is
    // its own too, so it is left out here.
    const own = s.sessionList.rows.find((r) => r.id === ownSessionId);
    setText('subscriptions', String(Math.max(0, s.subscriptions - (own ? Math.max(0, own.subscriptions - 1) : 0))));
    const latency = s.latency ?? {};
    for (const kind of ['request', 'delivery']) {
        const l = latency[kind] ?? { samples: 0 };
        setText(`${kind}-p50`, millis(l.p50Millis));
        setText(`${kind}-p99`, millis(l.p99Millis));
        setText(`${kind}-samples`, compact(l.samples));
    }
    for (const el of document.querySelectorAll('.latency-window')) el.textContent = String(latency.windowSeconds ?? 10);
    setText('resumes', String(s.resumes));
    setText('sessions-lost', String(s.sessionsLost));
    setText('slow-dropped', compact(s.slowConsumers.dropped));
    setText('slow-disconnected', String(s.slowConsumers.disconnected));
    const p = s.process;
    if (p) {
        setText('heap-used', bytes(p.heapUsedBytes));
        setText('heap-max', p.heapMaxBytes > 0 ? bytes(p.heapMaxBytes) : '-');
        setText('cpu', p.cpuLoad === null ? '-' : `${(p.cpuLoad * 100).toFixed(0)}%`);
        setText('threads', String(p.threads));
        setText('gc', `${p.gcCount} (${p.gcSeconds.toFixed(1)} s)`);
        setText('fds', p.openFileDescriptors === null ? '-' : String(p.openFileDescriptors));
    }
    chart.add(s.time, [s.messages.inPerSecond, s.messages.outPerSecond]);

    const subjects = $('subjects').tBodies[0];
    subjects.replaceChildren();
    const top = s.topSubjects[0]?.perSecond || 1;
    for (const t of s.topSubjects) {
        const row = subjects.insertRow();
        cell(row, t.subject, 'subject');
        cell(row, compact(Math.round(t.perSecond)), 'num');
        const bar = document.createElement('div');
        bar.className = 'bar';
        bar.style.width = `${Math.max(2, (t.perSecond / top) * 100)}%`;
        cell(row, '').append(bar);
    }
    $('subjects-empty').hidden = s.topSubjects.length > 0;
    setText('sample-step', s.topSubjectsSampleStep > 1 ? `sampled 1 in ${s.topSubjectsSampleStep}` : '');

    renderErrors($('errors'), $('errors-empty'), s.errors, true);
    renderCluster(s.cluster);

    const sessions = $('sessions').tBodies[0];
    sessions.replaceChildren();
    for (const r of s.sessionList.rows) {
        const row = sessions.insertRow();
        row.className = `state-${r.state}`;
        const name = cell(row, '');
        const link = document.createElement('a');
        link.href = `/?session=${encodeURIComponent(r.id)}`;
        link.textContent = r.client || r.id;
        link.title = `session ${r.id}`;
        name.append(link);
        if (r.id === ownSessionId) {
            const me = document.createElement('span');
            me.className = 'muted small';
            me.textContent = ' (this page)';
            name.append(me);
        }
        cell(row, r.remote ? r.remote.replace(/^\//, '') : 'detached', 'mono'); // Java writes /host:port
        cell(row, r.transport ?? '-');
        cell(row, duration(r.ageSeconds), 'num');
        cell(row, String(r.subscriptions), 'num');
        cell(row, bytes(r.pendingBytes), 'num');
        cell(row, String(r.resumes), 'num');
        cell(row, compact(r.messagesIn), 'num');
        cell(row, compact(r.messagesOut), 'num');
    }
    setText('sessions-shown', s.sessionList.total > s.sessionList.shown
        ? `the ${s.sessionList.shown} busiest of ${s.sessionList.total}` : `${s.sessionList.total} in all`);
}

/** A cluster node's health and the nodes it knows; the panel stays hidden on a single server. */
function renderCluster(c) {
    $('cluster').hidden = !c;
    if (!c) return;
    const health = $('cluster-health');
    health.textContent = c.degraded ? 'degraded' : 'healthy';
    health.className = c.degraded ? 'pill disconnected' : 'pill connected';
    setText('cluster-reason', c.degraded ? `${c.reason} ·` : '');
    setText('cluster-held', bytes(c.heldBytes));
    setText('cluster-lag', `${c.lagMillis} ms`);
    setText('cluster-read-lag', `${c.readLagMillis} ms`);
    setText('cluster-errors', compact(c.errors));
    const rows = $('cluster-nodes').tBodies[0];
    rows.replaceChildren();
    for (const n of c.nodes) {
        const row = rows.insertRow();
        cell(row, n.self ? `${n.id} (this node)` : n.id, 'mono');
        cell(row, n.advertise || '-', 'mono');
        cell(row, n.alive ? 'alive' : 'gone');
    }
}

/** The server's last 15 minutes into the chart, so that a page opened now shows the recent past. */
async function loadHistory(c) {
    const answer = (await c.request('$SYS.api.history', '', { timeoutMs: 10_000 })).json();
    if (answer.status !== 200) {
        console.warn('conduit: history:', answer.error);
        return;
    }
    const h = answer.history;
    chart.addAll(h.time.map((t, i) => ({ t, values: [h.inPerSecond[i], h.outPerSecond[i]] })));
    window.conduitDashboard.historyPoints = h.points;
}

function renderSession(answer) {
    window.conduitDashboard.session = answer;
    setText('s-id', sessionView);
    const missing = $('s-missing');
    if (answer.status !== 200) {
        missing.hidden = false;
        missing.textContent = answer.status === 404 ? 'This session has ended (or never existed).' : answer.error;
        $('s-facts').hidden = true;
        $('s-actions').hidden = true;
        setText('s-state', answer.status === 404 ? 'ended' : String(answer.status));
        return;
    }
    missing.hidden = true;
    $('s-facts').hidden = false;
    const s = answer.session;
    setText('s-state', s.state);
    setText('s-client', s.client || '-');
    setText('s-principal', s.principal);
    setText('s-remote', s.remote ? s.remote.replace(/^\//, '') : 'detached');
    setText('s-transport', s.transport ?? '-');
    setText('s-age', duration(s.ageSeconds));
    setText('s-resumes', String(s.resumes));
    setText('s-pending', bytes(s.pendingBytes));
    setText('s-pending-max', bytes(s.maxPendingBytes));
    setText('s-in-rate', perSecond(s.rates.messagesInPerSecond));
    setText('s-out-rate', perSecond(s.rates.messagesOutPerSecond));
    setText('s-in', compact(s.messagesIn));
    setText('s-out', compact(s.messagesOut));
    setText('s-bytes-in-rate', `${bytes(s.rates.bytesInPerSecond)}/s`);
    setText('s-bytes-out-rate', `${bytes(s.rates.bytesOutPerSecond)}/s`);
    setText('s-error-count', String(s.errorCount));
    $('s-actions').hidden = !answer.mayClose;
    const body = $('s-subscriptions').tBodies[0];
    body.replaceChildren();
    for (const sub of s.subscriptions) {
        const row = body.insertRow();
        cell(row, String(sub.id), 'num');
        cell(row, sub.pattern, 'subject');
        cell(row, sub.queueGroup ?? '-');
        cell(row, compact(sub.delivered), 'num');
        cell(row, compact(sub.droppedSinceGap), 'num');
        cell(row, sub.disconnectWhenSlow ? 'disconnect' : 'skip (GAP)');
    }
    setText('s-sub-count', `${s.subscriptions.length}`);
    $('s-subs-empty').hidden = s.subscriptions.length > 0;
    renderErrors($('s-errors'), $('s-errors-empty'), s.errors, false);
}

let sessionAsking = false;

async function refreshSession(c) {
    if (sessionAsking) return; // one question at a time: a slow answer is not piled on
    sessionAsking = true;
    try {
        renderSession((await c.request('$SYS.api.session', { id: sessionView }, { timeoutMs: 10_000 })).json());
    } catch (e) {
        console.warn('conduit: session:', e.message);
    } finally {
        sessionAsking = false;
    }
}

/** Two clicks close a session: "Close session", then "Confirm". */
function wireCloseAction() {
    const ask = $('s-close'), confirm = $('s-close-confirm'), cancel = $('s-close-cancel');
    const reset = () => { ask.hidden = false; confirm.hidden = true; cancel.hidden = true; };
    ask.addEventListener('click', () => { ask.hidden = true; confirm.hidden = false; cancel.hidden = false; });
    cancel.addEventListener('click', reset);
    confirm.addEventListener('click', async () => {
        reset();
        const c = client;
        if (!c) return;
        try {
            const answer = (await c.request('$SYS.admin.session.close', { id: sessionView }, { timeoutMs: 10_000 })).json();
            setText('s-close-result', answer.status === 200 ? 'Closed.' : `Not closed: ${answer.error}`);
            if (answer.status === 200) refreshSession(c);
        } catch (e) {
            setText('s-close-result', `Not closed: ${e.message}`);
        }
    });
}

/** While the page is not connected its figures are greyed: they are no longer current. */
function stale(on) {
    document.body.classList.toggle('stale', on);
}

function status(text, className) {
    const el = $('status');
    el.textContent = text;
    el.className = `pill ${className}`;
}

// Authentication. On a server that requires it, the first connection is refused with 401 (or the
// principal may not read $SYS.stats: 403); the page then asks for a token or JWT. What the user
// gives is kept in this tab's sessionStorage only: never in localStorage, never in the URL. For
// automation, #token=... in the address is read once, stored the same way, and removed from the
// address bar (history.replaceState) before anything else happens.
const STORAGE_KEY = 'conduit.dashboard.credentials';
let memorySecret = null; // if sessionStorage is unavailable (a sandboxed frame): this page load only

function loadSecret() {
    try {
        return sessionStorage.getItem(STORAGE_KEY) || null;
    } catch {
        return memorySecret;
    }
}

function storeSecret(secret) {
    memorySecret = secret;
    try {
        sessionStorage.setItem(STORAGE_KEY, secret);
    } catch {
        // memorySecret holds it
    }
}

function forgetSecret() {
    memorySecret = null;
    try {
        sessionStorage.removeItem(STORAGE_KEY);
    } catch {
        // nothing stored
    }
}

/** Moves `token=` from the URL fragment to sessionStorage; true if there was one. */
function takeTokenFromFragment() {
    const fragment = location.hash.replace(/^#/, '');
    if (!fragment) return false;
    let token = null;
    const rest = [];
    for (const part of fragment.split('&')) {
        if (part.startsWith('token=')) {
            const raw = part.slice('token='.length);
            try {
                token = decodeURIComponent(raw); // not URLSearchParams: it would turn a base64 '+' into a space
            } catch {
                token = raw;
            }
        } else if (part) {
            rest.push(part);
        }
    }
    if (token === null) return false;
    history.replaceState(history.state, '', location.pathname + location.search + (rest.length ? `#${rest.join('&')}` : ''));
    if (token) storeSecret(token);
    return true;
}

/** A compact JWS (header.payload.signature, the header being base64url JSON: "eyJ...") goes as a JWT. */
function credentialOptions(secret) {
    if (!secret) return {};
    return /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(secret) ? { jwt: secret } : { token: secret };
}

function askForCredentials(message) {
    $('auth-message').textContent = message;
    $('auth').hidden = false;
    const input = $('auth-token');
    input.value = '';
    input.focus();
}

const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/conduit`;
let client = null;
let generation = 0; // a newer start() makes an older one's late results moot

function stop() {
    generation++;
    const c = client;
    client = null;
    c?.close().catch(() => {});
}

async function start() {
    stop();
    const mine = generation;
    const secret = loadSecret();
    $('auth').hidden = true;
    $('forget').hidden = !secret;
    status('connecting', '');
    stale(false);
    setText('server-id', 'connecting...');
    let c;
    try {
        c = await connect({ url, name: 'dashboard', retryInitialConnect: true, ...credentialOptions(secret) });
    } catch (err) {
        if (mine !== generation) return;
        status('not connected', 'disconnected');
        if (err.code === 401) {
            // A refused token is of no more use: drop it, so that a reload asks again.
            forgetSecret();
            $('forget').hidden = true;
            const why = secret ? 'The server refused these credentials (401).' : 'This server requires authentication (401).';
            setText('server-id', why);
            askForCredentials(`${why} Enter a token or JWT.`);
        } else {
            setText('server-id', `cannot connect to ${url}: ${err.message}`);
        }
        return;
    }
    if (mine !== generation) {
        c.close().catch(() => {});
        return;
    }
    client = c;
    status('live', 'connected');
    stale(false);
    setText('server-id', c.info?.serverId ?? '');
    ownSessionId = c.info?.sessionId ?? null;
    const current = (fn) => (arg) => {
        if (mine === generation) fn(arg);
    };
    const live = () => {
        status('live', 'connected');
        stale(false);
        ownSessionId = c.info?.sessionId ?? ownSessionId;
    };
    c.on('disconnected', current(() => {
        status('reconnecting', 'disconnected');
        stale(true);
    }));
    // A new session (the server restarted): its history covers the time the page was away.
    c.on('reconnected', current(() => {
        live();
        if (!sessionView) loadHistory(c).catch((e) => console.warn('conduit: history:', e.message));
    }));
    c.on('resumed', current(live));
    const sub = c.subscribe('$SYS.stats', (msg) => {
        const s = msg.json();
        window.conduitDashboard.snapshots++;
        window.conduitDashboard.latest = s;
        render(s);
        if (sessionView) refreshSession(c);
    });
    if (sessionView) {
        refreshSession(c);
    } else {
        loadHistory(c).catch((e) => console.warn('conduit: history:', e.message));
    }
    c.on('error', current((err) => {
        if (err.code === 403 && !sub.active) {
            stop();
            status('forbidden', 'disconnected');
            setText('server-id', 'this principal may not read $SYS.stats (403)');
            askForCredentials('403: this principal may not read $SYS.stats. Enter a token or JWT of a principal '
                + 'allowed to subscribe to $SYS.stats.');
        } else if (err.fatal && (err.code === 401 || err.code === 419)) {
            // The credentials expired (419) or were refused on renewal (401): reconnecting with the
            // same ones would be refused again.
            stop();
            forgetSecret();
            $('forget').hidden = true;
            status('not connected', 'disconnected');
            const why = err.code === 419 ? 'The credentials expired (419).' : 'The server refused the credentials (401).';
            setText('server-id', why);
            askForCredentials(`${why} Enter a token or JWT.`);
        } else {
            console.warn('conduit:', err.message);
        }
    }));
}

$('auth-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = $('auth-token').value.trim();
    $('auth-token').value = '';
    if (!value) return;
    storeSecret(value);
    start();
});

$('forget').addEventListener('click', () => {
    forgetSecret();
    start();
});

// Leaving the page says goodbye, so that its session ends now instead of waiting, detached, for a
// resume that will not come.
window.addEventListener('pagehide', () => stop());

// A #token=... set later (automation driving an open page) is taken the same way.
window.addEventListener('hashchange', () => {
    if (takeTokenFromFragment()) start();
});

if (sessionView) {
    $('overview').hidden = true;
    $('session-view').hidden = false;
    document.title = `Conduit session ${sessionView}`;
    wireCloseAction();
}
takeTokenFromFragment();
start();
