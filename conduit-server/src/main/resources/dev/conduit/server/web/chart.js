// A small line chart on a canvas: two series (messages in and out per second) over a sliding
// window of snapshots. No chart library: axes, grid lines and labels are drawn here.

/** Rounds a maximum up to a "nice" axis top: 1, 2 or 5 times a power of ten. */
export function niceCeiling(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    for (const m of [1, 2, 5, 10]) {
        if (m * power >= value) return m * power;
    }
    return 10 * power;
}

/**
 * The y axis for values up to `max`: `ticks` grid lines from 0 at a round step (1, 2, 2.5 or 5
 * times a power of ten), the top being the first multiple of the step at or above `max`, and
 * labels with as many decimals as the step needs (0.75 stays "0.75", never "0.8").
 * @returns {{ top: number, step: number, values: number[], labels: string[] }}
 */
export function niceScale(max, ticks = 4) {
    const m = max > 0 ? max : 1;
    const raw = m / ticks;
    const power = 10 ** Math.floor(Math.log10(raw));
    let step = 10 * power;
    for (const f of [1, 2, 2.5, 5, 10]) {
        if (f * power >= raw - 1e-12) {
            step = f * power;
            break;
        }
    }
    const count = Math.max(1, Math.ceil(m / step - 1e-9));
    const values = [];
    for (let i = 0; i <= count; i++) values.push(round(i * step));
    const decimals = step >= 1e4 ? 0 : decimalsOf(step);
    return { top: round(count * step), step, values, labels: values.map((v) => tickLabel(v, decimals)) };
}

function round(v) {
    return Math.round(v * 1e9) / 1e9;
}

function decimalsOf(step) {
    for (let d = 0; d < 10; d++) {
        if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
    }
    return 10;
}

/** A tick label: compact (k, M, G) for large values, else exactly `decimals` decimals. */
function tickLabel(v, decimals) {
    if (Math.abs(v) >= 1e4) return compact(v);
    return v.toFixed(decimals);
}

/** 1234567 -> "1.23M": short labels for axes and cards. */
export function compact(n) {
    const abs = Math.abs(n);
    if (abs >= 1e9) return (n / 1e9).toFixed(abs >= 1e10 ? 1 : 2) + 'G';
    if (abs >= 1e6) return (n / 1e6).toFixed(abs >= 1e7 ? 1 : 2) + 'M';
    if (abs >= 1e4) return (n / 1e3).toFixed(abs >= 1e5 ? 0 : 1) + 'k';
    return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/**
 * Splits samples (sorted by time) into runs with no hole: a sample more than `maxGapMs` after the
 * previous one starts a new run, so that an outage is drawn as a gap, not as a line across it.
 * @template {{ t: number }} S
 * @param {S[]} samples
 * @returns {S[][]}
 */
export function segments(samples, maxGapMs) {
    const runs = [];
    let run = [];
    for (const s of samples) {
        if (run.length && s.t - run[run.length - 1].t > maxGapMs) {
            runs.push(run);
            run = [];
        }
        run.push(s);
    }
    if (run.length) runs.push(run);
    return runs;
}

export class RateChart {
    /**
     * @param {HTMLCanvasElement} canvas
     * @param {{ points?: number, colors?: string[], intervalMs?: number }} [options] points:
     *   snapshots kept (one a second: 900 are 15 minutes)
     */
    constructor(canvas, options = {}) {
        this.canvas = canvas;
        this.points = options.points ?? 900;
        this.intervalMs = options.intervalMs ?? 1000;
        this.colors = options.colors ?? ['#2563eb', '#0f9d76'];
        /** @type {{ t: number, values: number[] }[]} */
        this.samples = [];
        /** The y axis of the last drawing, for tests. */
        this.scale = niceScale(1);
        /** Runs of samples without a hole drawn last time, for tests. */
        this.runs = 0;
        new ResizeObserver(() => this.draw()).observe(canvas);
    }

    /** Adds one snapshot's values at time t (ms since the epoch) and redraws. */
    add(t, values) {
        this.addAll([{ t, values }]);
    }

    /** Adds many samples (the server's history), keeps them in time order, and redraws once. */
    addAll(samples) {
        for (const s of samples) {
            const last = this.samples[this.samples.length - 1];
            if (last && s.t <= last.t) {
                // Already have this second (the history and the live snapshots overlap): keep one.
                if (this.samples.some((x) => x.t === s.t)) continue;
                this.samples.push(s);
                this.samples.sort((a, b) => a.t - b.t);
            } else {
                this.samples.push(s);
            }
        }
        if (this.samples.length > this.points) this.samples.splice(0, this.samples.length - this.points);
        this.draw();
    }

    draw() {
        const canvas = this.canvas;
        const ratio = window.devicePixelRatio || 1;
        const width = canvas.clientWidth;
        const height = canvas.clientHeight || 240;
        if (width === 0) return;
        if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
            canvas.width = Math.round(width * ratio);
            canvas.height = Math.round(height * ratio);
        }
        const g = canvas.getContext('2d');
        g.setTransform(ratio, 0, 0, ratio, 0, 0);
        g.clearRect(0, 0, width, height);

        const left = 48, right = 12, top = 10, bottom = 24;
        const w = width - left - right, h = height - top - bottom;
        const now = this.samples.length ? this.samples[this.samples.length - 1].t : Date.now();
        const span = this.points * this.intervalMs;
        const shown = this.samples.filter((s) => now - s.t <= span);
        const scale = niceScale(Math.max(0, ...shown.flatMap((s) => s.values)));
        this.scale = scale;
        const x = (t) => left + w - ((now - t) / span) * w;
        const y = (v) => top + h - (v / scale.top) * h;

        g.font = '11px system-ui, sans-serif';
        g.fillStyle = '#6b7385';
        g.strokeStyle = '#e3e6ec';
        g.lineWidth = 1;
        g.textAlign = 'right';
        g.textBaseline = 'middle';
        scale.values.forEach((v, i) => {
            const yy = Math.round(y(v)) + 0.5;
            g.beginPath();
            g.moveTo(left, yy);
            g.lineTo(left + w, yy);
            g.stroke();
            g.fillText(scale.labels[i], left - 8, yy);
        });
        g.textAlign = 'center';
        g.textBaseline = 'top';
        const minutes = span / 60000;
        const every = w / minutes < 40 ? 5 : 1; // on a narrow chart, a label every 5 minutes
        for (let m = 0; m <= minutes; m += every) {
            const xx = Math.round(x(now - m * 60000)) + 0.5;
            g.fillText(m === 0 ? 'now' : `-${m}m`, xx, top + h + 6);
        }

        // A hole of more than 2.5 intervals (an outage, or the dashboard's own reconnect) is a gap.
        const runs = segments(shown, 2.5 * this.intervalMs);
        this.runs = runs.length;
        for (let series = 0; series < this.colors.length; series++) {
            for (const pts of runs) {
                g.strokeStyle = this.colors[series];
                g.lineWidth = 2;
                g.lineJoin = 'round';
                g.beginPath();
                pts.forEach((s, i) => {
                    const px = x(s.t), py = y(s.values[series] ?? 0);
                    if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
                });
                if (pts.length === 1) g.lineTo(x(pts[0].t) + 1, y(pts[0].values[series] ?? 0));
                g.stroke();
                // A light fill under the line makes the two series easy to tell apart.
                g.lineTo(x(pts[pts.length - 1].t), y(0));
                g.lineTo(x(pts[0].t), y(0));
                g.closePath();
                g.globalAlpha = 0.08;
                g.fillStyle = this.colors[series];
                g.fill();
                g.globalAlpha = 1;
            }
        }
    }
}
