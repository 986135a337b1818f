// Credentials: what HELLO and AUTH present (protocol.md section 6a), from options or a supplier.

import { InvalidArgumentError } from './errors.js';
import { utf8Length } from './subjects.js';

/**
 * @typedef {import('./options.js').Credentials} Credentials
 * @typedef {import('./options.js').CredentialsSupplier} CredentialsSupplier
 * @typedef {import('./options.js').ConnectOptions} ConnectOptions
 */

const utf8Encoder = new TextEncoder();

/**
 * Credentials as they go on the wire.
 * @typedef {{ scheme: string, bytes: Uint8Array }} EncodedCredentials
 */

/** @type {Credentials} */
const NO_CREDENTIALS = Object.freeze({ scheme: '', credentials: '' });

/**
 * The supplier the options describe: `token`, `jwt` or `credentials`, at most one; none: anonymous.
 * @param {ConnectOptions} options @returns {CredentialsSupplier}
 */
export function credentialsSupplier(options) {
    const given = /** @type {const} */ (['token', 'jwt', 'credentials']).filter((k) => options[k] !== undefined);
    if (given.length > 1) {
        throw new InvalidArgumentError(`options ${given.join(' and ')} exclude each other: give one way to authenticate`);
    }
    if (options.token !== undefined) {
        /** @type {Credentials} */
        const c = { scheme: options.authScheme || 'token', credentials: options.token };
        encodeCredentials(c, 'options.token');
        return () => c;
    }
    if (options.jwt !== undefined) {
        /** @type {Credentials} */
        const c = { scheme: 'jwt', credentials: options.jwt };
        encodeCredentials(c, 'options.jwt');
        return () => c;
    }
    const c = options.credentials;
    if (c === undefined) {
        return () => NO_CREDENTIALS;
    }
    if (typeof c === 'function') {
        return c;
    }
    encodeCredentials(c, 'options.credentials');
    return () => c;
}

/**
 * Checks credentials and encodes them for HELLO or AUTH.
 * @param {unknown} c @param {string} [what] where they come from, for the error message
 * @returns {EncodedCredentials}
 */
export function encodeCredentials(c, what = 'the credentials supplier') {
    if (c === null || typeof c !== 'object') {
        throw new InvalidArgumentError(`${what} must give { scheme, credentials }, not ${c === null ? 'null' : typeof c}`);
    }
    const { scheme, credentials } = /** @type {{ scheme?: unknown, credentials?: unknown }} */ (c);
    if (typeof scheme !== 'string') {
        throw new InvalidArgumentError(`${what}: the scheme must be a string ('token', 'jwt', ...), not ${typeof scheme}`);
    }
    const bytes = typeof credentials === 'string' ? utf8Encoder.encode(credentials)
        : credentials instanceof Uint8Array ? credentials : null;
    if (bytes === null) {
        throw new InvalidArgumentError(`${what}: the credentials must be a string or a Uint8Array, not ${typeof credentials}`);
    }
    if (bytes.length > 0xffff || utf8Length(scheme) > 0xffff) {
        throw new InvalidArgumentError(`${what}: a scheme or credentials of more than 65535 bytes do not fit HELLO or AUTH`);
    }
    return { scheme, bytes };
}
