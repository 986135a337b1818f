// The Conduit dashboard: subscribes to the server's $SYS.stats snapshots (one a second, see
// docs/operations.md) over this server's own WebSocket endpoint, with the browser client.
import { connect } from '/client/conduit.js';
import { RateChart, compact } from '/chart.js';

const $ = (id) => document.getElementById(id);
const chart = new RateChart($('rate-chart'));

/** The latest snapshot and how many arrived, for tests and for the console. */
window.conduitDashboard = { snapshots: 0, latest: null };

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

function render(s) {
    setText('server-id', s.serverId);
    setText('uptime', `up ${duration(s.uptimeSeconds)}`);
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
    setText('subscriptions', String(s.subscriptions));
    setText('requests-mean', `${s.requests.meanMillis.toFixed(2)} ms`);
    setText('requests-max', `${s.requests.maxMillis.toFixed(2)} ms`);
    setText('resumes', String(s.resumes));
    setText('sessions-lost', String(s.sessionsLost));
    setText('slow-dropped', compact(s.slowConsumers.dropped));
    setText('slow-disconnected', String(s.slowConsumers.disconnected));
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

    const errors = $('errors');
    errors.replaceChildren();
    for (const e of s.errors) {
        const li = document.createElement('li');
        const when = document.createElement('span');
        when.className = 'when';
        when.textContent = new Date(e.time).toLocaleTimeString();
        const code = document.createElement('span');
        code.className = 'code';
        code.textContent = `${e.code} ${e.name}`;
        const text = document.createElement('span');
        text.textContent = `${e.peer.replace(/^\//, '')}: ${e.message}`;
        li.append(when, code, text);
        errors.append(li);
    }
    $('errors-empty').hidden = s.errors.length > 0;

    const sessions = $('sessions').tBodies[0];
    sessions.replaceChildren();
    for (const r of s.sessionList.rows) {
        const row = sessions.insertRow();
        row.className = `state-${r.state}`;
        cell(row, r.client || '-');
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

function status(text, className) {
    const el = $('status');
    el.textContent = text;
    el.className = `pill ${className}`;
}

const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/conduit`;
try {
    const client = await connect({ url, name: 'dashboard', retryInitialConnect: true });
    status('live', 'connected');
    client.on('disconnected', () => status('reconnecting', 'disconnected'));
    client.on('reconnected', () => status('live', 'connected'));
    client.on('resumed', () => status('live', 'connected'));
    client.on('error', (err) => console.warn('conduit:', err.message));
    client.subscribe('$SYS.stats', (msg) => {
        const s = msg.json();
        window.conduitDashboard.snapshots++;
        window.conduitDashboard.latest = s;
        render(s);
    });
} catch (err) {
    status('not connected', 'disconnected');
    setText('server-id', `cannot connect to ${url}: ${err.message}`);
}
