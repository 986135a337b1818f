
// Subjects, queue groups and headers (protocol.md sections 8 and 9): validation and matching.

import { InvalidArgumentError } from './errors.js';


/** @param {number} c a code point */
function isForbiddenSubjectChar(c) {
    return c <= 0x20 || c === 0x7f || c === 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200a)
        || c === 0x2028 || c === 0x2029 || c === 0x205f || c === 0x3000;
}

/**
 * Why a subject or pattern breaks section 8, or null if it is valid.
 * @param {string} s
 * @param {boolean} wildcards whether `*` and `>` tokens are allowed (patterns)
 * @param {number} maxBytes
 * @returns {string | null}
 */
export function subjectProblem(s, wildcards, maxBytes) {
    if (typeof s !== 'string' || s.length === 0) {
        return 'is empty';
    }
    if (utf8Length(s) > maxBytes) {
        return `is longer than ${maxBytes} bytes`;
    }
    const tokens = s.split('.');
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t.length === 0) {
            return 'has an empty token';
        }
        for (const ch of t) {
            const c = /** @type {number} */ (ch.codePointAt(0));
            if (c >= 0xd800 && c <= 0xdfff) {
                return 'holds a lone surrogate';
            }
            if (isForbiddenSubjectChar(c)) {
                return 'holds whitespace or a control character';
            }
        }
        if (t === '*' || t === '>') {
            if (!wildcards) {
                return `holds the wildcard '${t}'`;
            }
            if (t === '>' && i !== tokens.length - 1) {
                return "has '>' before its last token";
            }
        } else if (t.includes('*') || t.includes('>')) {
            return "has '*' or '>' inside a token";
        }
    }
    return null;
}

/**
 * Why a queue group name breaks section 8, or null.
 * @param {string} q @param {number} maxBytes
 */
export function queueGroupProblem(q, maxBytes) {
    if (typeof q !== 'string' || q.length === 0) {
        return 'is empty';
    }
    if (utf8Length(q) > maxBytes) {
        return `is longer than ${maxBytes} bytes`;
    }
    for (const ch of q) {
        const c = /** @type {number} */ (ch.codePointAt(0));
        if (c <= 0x20 || c === 0x7f || c === 0x2e || c === 0x2a || c === 0x3e || (c >= 0xd800 && c <= 0xdfff)) {
            return "holds a control character, a space, '.', '*' or '>'";
        }
    }
    return null;
}

/**
 * Whether a subject matches a pattern (section 8).
 * @param {string} pattern @param {string} subject
 */
export function subjectMatches(pattern, subject) {
    const p = pattern.split('.');
    const s = subject.split('.');
    for (let i = 0; i < p.length; i++) {
        if (p[i] === '>') {
            return s.length > i;
        }
        if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) {
            return false;
        }
    }
    return p.length === s.length;
}

/** @param {string} s */
export function utf8Length(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x80) {
            n += 1;
        } else if (c < 0x800) {
            n += 2;
        } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
            n += 4;
            i++;
        } else {
            n += 3;
        }
    }
    return n;
}

/**
 * Headers: an ordered list of name/value pairs (names may repeat).
 * @typedef {Array<[string, string]>} HeaderList
 */

/**
 * Headers as callers may give them: an object, a Map or a list of pairs.
 * @typedef {HeaderList | Map<string, string> | Record<string, string>} HeadersInit
 */

/**
 * @param {HeadersInit | undefined | null} h
 * @returns {HeaderList}
 */
export function toHeaderList(h) {
    if (h == null) {
        return [];
    }
    /** @type {HeaderList} */
    const list = [];
    const entries = Array.isArray(h) ? h : h instanceof Map ? [...h.entries()] : Object.entries(h);
    for (const e of entries) {
        if (!Array.isArray(e) || e.length !== 2) {
            throw new InvalidArgumentError('a header must be a [name, value] pair');
        }
        const [name, value] = e;
        if (typeof name !== 'string' || name.length < 1 || name.length > 255 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
            throw new InvalidArgumentError(`invalid header name '${name}': 1 to 255 visible ASCII characters other than ':'`, 431);
        }
        const v = String(value);
        if (/[\r\n\0]/.test(v) || utf8Length(v) > 65535) {
            throw new InvalidArgumentError(`invalid value of header '${name}': no CR, LF or NUL, at most 65535 bytes`, 431);
        }
        list.push([name, v]);
    }
    return list;
}

// -------------------------------------------------------------------------------------------------
// Codec (sections 2 to 5)
