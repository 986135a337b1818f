// clients/js/src/sequenced.js against the golden vectors that conduit-protocol's
// SequencedStreamVectorsTest generates from its reference model and replays against the Java class:
// the same file, read from the repository, so the two implementations cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SequencedStream, SequenceReceiver, FULL } from '../src/sequenced.js';

const vectors = JSON.parse(readFileSync(fileURLToPath(new URL(
    '../../../conduit-protocol/src/test/resources/sequenced-stream-vectors.json', import.meta.url)), 'utf8'));

/**
 * A wire number from the vectors (a decimal string, since 2^63 and more are not exact as JSON
 * numbers): as the client's decoder would pass it on, a number, beyond 2^53 an unsafe one.
 * @param {string} s
 */
const wire = (s) => Number(BigInt(s));

/** @typedef {{ tag: number, size: number }} Item */

for (const c of vectors.cases) {
    test(`sequenced stream vectors: ${c.name}`, () => {
        /** @type {SequencedStream<Item>} */
        const stream = new SequencedStream(c.maxHeldBytes, (i) => i.size);
        const receiver = new SequenceReceiver();
        let items = 0;
        c.steps.forEach((/** @type {any} */ s, /** @type {number} */ i) => {
            const where = `${c.name} step ${i}: ${JSON.stringify(s)}`;
            /** @type {number[]} */
            const seen = [];
            const see = (/** @type {Item} */ x) => { seen.push(x.tag); };
            switch (s.op) {
                case 'send':
                case 'offer': {
                    const item = { tag: ++items, size: s.size };
                    assert.equal(stream.fits(item.size), s.fits, where);
                    const n = s.op === 'send' ? stream.send(item) : stream.offer(item);
                    assert.equal(n, s.expect, where);
                    break;
                }
                case 'ack':
                    assert.equal(stream.acknowledge(wire(s.n), see), s.expect, where);
                    assert.deepEqual(seen, s.confirmed, where);
                    break;
                case 'replayAfter': {
                    /** @type {number[]} */
                    const confirmed = [];
                    assert.equal(stream.replayAfter(wire(s.n), see, (x) => { confirmed.push(x.tag); }), s.expect, where);
                    assert.deepEqual(confirmed, s.confirmed, where);
                    assert.deepEqual(seen, s.frames, where);
                    break;
                }
                case 'reset':
                    stream.reset(see);
                    assert.deepEqual(seen, s.unconfirmed, where);
                    break;
                case 'receive':
                    assert.equal(receiver.receive(wire(s.stated)), s.expect, where);
                    break;
                case 'ackDue':
                    assert.equal(receiver.ackDue(), s.expect, where);
                    break;
                case 'resetReceiver':
                    receiver.reset();
                    break;
                case 'check':
                    assert.deepEqual({ sent: stream.sent, acknowledged: stream.acknowledged, held: stream.held,
                        heldBytes: stream.heldBytes, lastReceived: receiver.lastReceived },
                    { sent: s.sent, acknowledged: s.acknowledged, held: s.held, heldBytes: s.heldBytes,
                        lastReceived: s.lastReceived }, where);
                    break;
                default:
                    assert.fail(`unknown op in ${where}`);
            }
        });
    });
}

test('the vectors cover every operation and outcome', () => {
    const seen = new Set();
    for (const c of vectors.cases) {
        for (const s of c.steps) {
            seen.add(s.op);
            if (typeof s.expect === 'string') {
                seen.add(s.expect);
            }
        }
    }
    for (const x of ['send', 'offer', 'ack', 'replayAfter', 'reset', 'receive', 'ackDue', 'resetReceiver', 'check',
        'CONFIRMED', 'STALE', 'BEYOND_SENT', 'INVALID', 'REPLAYED', 'NO_LONGER_HELD', 'IN_ORDER', 'DUPLICATE', 'GAP']) {
        assert.ok(seen.has(x), `no vector exercises ${x}`);
    }
    assert.equal(FULL, 0);
});
