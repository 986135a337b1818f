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

/** 1234567 -> "1.23M": short labels for axes and cards. */
export function compact(n) {
    const abs = Math.abs(n);
    if (abs >= 1e9) return (n / 1e9).toFixed(abs >= 1e10 ? 1 : 2) + 'G';
    if (abs >= 1e6) return (n / 1e6).toFixed(abs >= 1e7 ? 1 : 2) + 'M';
    if (abs >= 1e4) return (n / 1e3).toFixed(abs >= 1e5 ? 0 : 1) + 'k';
    return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export class RateChart {
    /**
     * @param {HTMLCanvasElement} canvas
     * @param {{ points?: number, colors?: string[] }} [options] points: snapshots kept (one a second)
     */
    constructor(canvas, options = {}) {
        this.canvas = canvas;
        this.points = options.points ?? 300;
        this.colors = options.colors ?? ['#2563eb', '#0f9d76'];
        /** @type {{ t: number, values: number[] }[]} */
        this.samples = [];
        new ResizeObserver(() => this.draw()).observe(canvas);
    }

    /** Adds one snapshot's values at time t (ms since the epoch) and redraws. */
    add(t, values) {
        this.samples.push({ t, values });
        if (this.samples.length > this.points) this.samples.shift();
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

        const left = 56, right = 12, top = 10, bottom = 24;
        const w = width - left - right, h = height - top - bottom;
        const max = niceCeiling(Math.max(1, ...this.samples.flatMap((s) => s.values)));
        const now = this.samples.length ? this.samples[this.samples.length - 1].t : Date.now();
        const span = this.points * 1000;
        const x = (t) => left + w - ((now - t) / span) * w;
        const y = (v) => top + h - (v / max) * h;

        g.font = '11px system-ui, sans-serif';
        g.fillStyle = '#6b7385';
        g.strokeStyle = '#e3e6ec';
        g.lineWidth = 1;
        g.textAlign = 'right';
        g.textBaseline = 'middle';
        for (let i = 0; i <= 4; i++) {
            const v = (max / 4) * i;
            const yy = Math.round(y(v)) + 0.5;
            g.beginPath();
            g.moveTo(left, yy);
            g.lineTo(left + w, yy);
            g.stroke();
            g.fillText(compact(v), left - 8, yy);
        }
        g.textAlign = 'center';
        g.textBaseline = 'top';
        for (let m = 0; m <= span / 60000; m++) {
            const xx = Math.round(x(now - m * 60000)) + 0.5;
            g.fillText(m === 0 ? 'now' : `-${m} min`, xx, top + h + 6);
        }

        for (let series = 0; series < this.colors.length; series++) {
            const pts = this.samples.filter((s) => now - s.t <= span);
            if (pts.length === 0) continue;
            g.strokeStyle = this.colors[series];
            g.lineWidth = 2;
            g.lineJoin = 'round';
            g.beginPath();
            pts.forEach((s, i) => {
                const px = x(s.t), py = y(s.values[series] ?? 0);
                if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
            });
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
