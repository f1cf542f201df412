import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
var __webpack_exports__ = {};

;// CONCATENATED MODULE: ./src/text/encoding.ts
function formEncode(value) {
    return new URLSearchParams([['', value]]).toString().slice(1);
}
function percentDecode(text) {
    return text.replace(/(%[0-9A-Fa-f]{2})+/g, run => {
        try {
            return decodeURIComponent(run);
        }
        catch {
            return run;
        }
    });
}

;// CONCATENATED MODULE: ./src/text/log-text.ts

const UNSAFE_CHARACTERS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;
function breakLegacyCommands(text) {
    return text.replace(/#(?=#\[)/g, '# ');
}
function breakLeadingCommand(text) {
    return text.replace(/^([\s\u0085]*):(?=:)/, '$1: ');
}
function logSafe(text, maxLength) {
    const printable = text
        .replace(/[\s\p{Cc}]/gu, ' ')
        .replace(UNSAFE_CHARACTERS, '')
        .replace(/ {2,}/g, ' ')
        .trim();
    return truncate(breakLeadingCommand(breakLegacyCommands(printable)), maxLength);
}
function truncate(text, maxLength) {
    return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}
function neutralizeLine(line) {
    return breakLeadingCommand(breakLegacyCommands(line.replace(/[\r\n\u2028\u2029]+/g, ' ')));
}
function echoForms(secret) {
    const normalized = ['NFC', 'NFD', 'NFKC', 'NFKD'].map(form => secret.normalize(form));
    const forms = [secret, ...normalized].flatMap(value => [
        value,
        JSON.stringify(value).slice(1, -1),
        JSON.stringify(value)
            .slice(1, -1)
            .replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
        encodeURIComponent(value),
        formEncode(value)
    ]);
    return [...new Set(forms)];
}
function skeleton(text) {
    return text
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '');
}
const MIN_SANITIZED_FORM = 4;
const MIN_SKELETON = 6;
const MIN_SHARED_RUN = 8;
function skeletonRuns(letters) {
    const length = Math.min(letters.length, Math.max(MIN_SHARED_RUN, Math.ceil(letters.length / 2)));
    return Array.from({ length: letters.length - length + 1 }, (_, i) => letters.slice(i, i + length));
}
const WITHHELD = '[withheld: it repeats a secret]';
class Redactor {
    forms = new Set();
    skeletons = new Set();
    add(secret) {
        if (!secret)
            return;
        for (const form of echoForms(secret)) {
            this.forms.add(form);
            const sanitized = logSafe(form, Infinity);
            if (sanitized.length >= MIN_SANITIZED_FORM)
                this.forms.add(sanitized);
        }
        const letters = skeleton(secret);
        if (letters.length >= MIN_SKELETON)
            for (const run of skeletonRuns(letters))
                this.skeletons.add(run);
    }
    redact(text) {
        const forms = [...this.forms].sort((a, b) => b.length - a.length);
        return forms.reduce((out, form) => out.split(form).join('***'), text);
    }
    mentions(text) {
        const candidates = [text, percentDecode(text)];
        const lower = candidates.map(value => value.toLowerCase());
        const exact = [...this.forms].some(form => lower.some(value => value.includes(form.toLowerCase())));
        return exact || candidates.some(value => [...this.skeletons].some(s => skeleton(value).includes(s)));
    }
    overlaps(text) {
        const lower = text.toLowerCase();
        return this.mentions(text) || [...this.forms].some(form => form.toLowerCase().includes(lower));
    }
    quote(text, maxLength) {
        if (this.mentions(this.redact(text)))
            return WITHHELD;
        return truncate(this.redact(logSafe(this.redact(text), Infinity)), maxLength);
    }
}

;// CONCATENATED MODULE: external "node:string_decoder"
const external_node_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:string_decoder");
;// CONCATENATED MODULE: ./src/runner/output-guard.ts


class OutputGuard {
    streams;
    redactor;
    raw = {};
    pending = { stdout: '', stderr: '' };
    afterCarriageReturn = { stdout: false, stderr: false };
    decoders = { stdout: new external_node_string_decoder_namespaceObject.StringDecoder('utf8'), stderr: new external_node_string_decoder_namespaceObject.StringDecoder('utf8') };
    trustedDepth = 0;
    constructor(streams, redactor = new Redactor()) {
        this.streams = streams;
        this.redactor = redactor;
    }
    install() {
        for (const name of ['stdout', 'stderr']) {
            const stream = this.streams[name];
            const original = stream.write.bind(stream);
            this.raw[name] = original;
            stream.write = ((chunk, ...rest) => {
                const callback = rest.find(arg => typeof arg === 'function');
                const encoding = typeof rest[0] === 'string' ? rest[0] : 'utf8';
                const bytes = typeof chunk === 'string' && encoding !== 'utf8' ? Buffer.from(chunk, encoding) : chunk;
                if (this.trustedDepth > 0)
                    return original(bytes, callback);
                return this.foreign(name, bytes, callback);
            });
        }
        return this;
    }
    trusted(write) {
        this.endPendingLines();
        this.trustedDepth++;
        try {
            return write();
        }
        finally {
            this.trustedDepth--;
        }
    }
    line(stream, text) {
        this.trusted(() => this.write(stream, `${text}\n`));
    }
    flush() {
        this.endPendingLines();
        return Promise.all(['stdout', 'stderr'].map(name => new Promise(resolve => this.write(name, '', () => resolve())))).then(() => undefined);
    }
    write(stream, text, callback) {
        const raw = this.raw[stream];
        if (raw)
            return raw(text, callback);
        return this.streams[stream].write(text, callback);
    }
    foreign(stream, chunk, callback) {
        let text = typeof chunk === 'string' ? chunk : this.decoders[stream].write(Buffer.from(chunk));
        if (this.afterCarriageReturn[stream] && text.startsWith('\n'))
            text = text.slice(1);
        if (text)
            this.afterCarriageReturn[stream] = text.endsWith('\r');
        const parts = (this.pending[stream] + text).split(/\r\n|\r|\n/);
        this.pending[stream] = parts.pop() ?? '';
        const out = parts.map(line => `${this.clean(line)}\n`).join('');
        if (!out && !callback)
            return true;
        return this.write(stream, out, callback);
    }
    clean(line) {
        return neutralizeLine(this.redactor.redact(line));
    }
    endPendingLines() {
        for (const stream of ['stdout', 'stderr']) {
            const rest = this.pending[stream] + this.decoders[stream].end();
            this.pending[stream] = '';
            if (rest)
                this.write(stream, `${this.clean(rest)}\n`);
        }
    }
}

;// CONCATENATED MODULE: ./src/runner/process-guard.ts


const UNEXPECTED_FAILURE = 'The action stopped on an unexpected internal error; its details are withheld because they could contain a ' +
    'secret. Re-run the job, and report the problem if it happens again.';
const FLUSH_TIMEOUT_MS = 2000;
const LOOKUP_GRACE_MS = 200;
function installProcessGuard(proc, options) {
    const output = new OutputGuard({ stdout: proc.stdout, stderr: proc.stderr }).install();
    proc.stdout.on('error', () => undefined);
    proc.stderr.on('error', () => undefined);
    let ending;
    const end = () => {
        ending ??= finish(proc, output, options);
        return ending;
    };
    const fail = () => {
        if (ending)
            return;
        if (options.reportFailure)
            options.reportFailure(output);
        else
            output.line('stdout', `::error::${UNEXPECTED_FAILURE}`);
        proc.exitCode = 1;
        void end();
    };
    proc.on('uncaughtException', fail);
    proc.on('unhandledRejection', fail);
    proc.removeAllListeners('warning');
    proc.on('warning', warning => {
        const { name, message } = warning;
        const text = neutralizeLine(output.redactor.redact(`Node.js warning (${name}): ${message}`));
        output.line('stdout', `::debug::${text.replace(/%/g, '%25')}`);
    });
    return { output, end };
}
async function finish(proc, output, options) {
    await within(options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS, output.flush());
    const code = Number(proc.exitCode ?? 0);
    if (code !== 0 && options.pendingLookups() > 0) {
        await within(options.lookupGraceMs ?? LOOKUP_GRACE_MS, lookupsSettled(options.pendingLookups));
        if (options.pendingLookups() > 0) {
            proc.kill(proc.pid, 'SIGKILL');
            return;
        }
    }
    proc.exit(code);
}
async function within(ms, promise) {
    let timer;
    const timeout = new Promise(resolve => {
        timer = setTimeout(resolve, ms);
        timer.unref();
    });
    await Promise.race([promise, timeout]);
    clearTimeout(timer);
}
function lookupsSettled(pendingLookups) {
    return new Promise(resolve => {
        const poll = () => {
            if (pendingLookups() === 0)
                resolve();
            else
                setTimeout(poll, 10).unref();
        };
        poll();
    });
}

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: ./src/keeper/protocol.ts
const MAX_REQUEST_BYTES = 4096;
const REQUEST_TIMEOUT_MS = 5000;
const KEY_PATTERN = /^[0-9a-f]{64}$/;
function encodeRequest(key, request) {
    return `${JSON.stringify({ key, ...request })}\n`;
}
function parseRequest(line, key) {
    const request = parseObject(line);
    if (!request)
        return undefined;
    if (typeof request.key !== 'string' || !sameKey(request.key, key))
        return undefined;
    if (request.op === 'stop')
        return { op: 'stop' };
    if (request.op !== 'token')
        return undefined;
    const minValidity = request.minValidity;
    if (minValidity === undefined)
        return { op: 'token' };
    return Number.isSafeInteger(minValidity) && minValidity >= 0
        ? { op: 'token', minValidity: minValidity }
        : undefined;
}
function sameKey(given, key) {
    if (given.length !== key.length)
        return false;
    let difference = 0;
    for (let i = 0; i < key.length; i++)
        difference |= given.charCodeAt(i) ^ key.charCodeAt(i);
    return difference === 0;
}
function encodeResponse(response) {
    return `${JSON.stringify(response)}\n`;
}
function parseResponse(line) {
    const response = parseObject(line);
    if (!response)
        return undefined;
    if (response.ok === false)
        return typeof response.error === 'string' ? { ok: false, error: response.error } : undefined;
    if (response.ok !== true)
        return undefined;
    if (response.op === 'stop') {
        return typeof response.minted === 'number' ? { ok: true, op: 'stop', minted: response.minted } : undefined;
    }
    const { token, expiresAt, masks, announced } = response;
    const valid = response.op === 'token' &&
        typeof token === 'string' &&
        typeof expiresAt === 'number' &&
        Array.isArray(masks) &&
        masks.every(mask => typeof mask === 'string') &&
        typeof announced === 'boolean';
    return valid ? { ok: true, op: 'token', token, expiresAt, masks: masks, announced } : undefined;
}
function parseObject(line) {
    let value;
    try {
        value = JSON.parse(line);
    }
    catch {
        return undefined;
    }
    return typeof value === 'object' && value !== null ? value : undefined;
}

;// CONCATENATED MODULE: ./src/keeper/channel.ts




const CHANNEL_DIR_NAME = 'datasaur-token';
function channelDir(runnerTemp) {
    return join(runnerTemp, CHANNEL_DIR_NAME);
}
function channelFilePath(dir) {
    return (0,external_node_path_namespaceObject.join)(dir, 'channel.json');
}
function commandDir(dir) {
    return join(dir, 'bin');
}
function readChannel(dir) {
    let value;
    try {
        value = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(channelFilePath(dir), 'utf8'));
    }
    catch {
        return undefined;
    }
    const channel = value;
    if (typeof channel?.socket !== 'string' || typeof channel.key !== 'string' || !KEY_PATTERN.test(channel.key)) {
        return undefined;
    }
    return channel;
}
class KeeperUnreachable extends Error {
    reason;
    constructor(reason) {
        super(reason);
        this.reason = reason;
    }
}
const MAX_RESPONSE_BYTES = 256 * 1024;
function requestKeeper(channel, request, timeoutMs) {
    return new Promise((resolve, reject) => {
        const socket = (0,external_node_net_namespaceObject.connect)(channel.socket);
        let received = '';
        const fail = (reason) => {
            socket.destroy();
            reject(new KeeperUnreachable(reason));
        };
        const timer = setTimeout(() => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
        socket.setEncoding('utf8');
        socket.on('connect', () => socket.write(encodeRequest(channel.key, request)));
        socket.on('data', (chunk) => {
            received += chunk;
            const end = received.indexOf('\n');
            if (end < 0 && received.length <= MAX_RESPONSE_BYTES)
                return;
            clearTimeout(timer);
            socket.destroy();
            const response = end < 0 ? undefined : parseResponse(received.slice(0, end));
            if (response)
                resolve(response);
            else
                reject(new KeeperUnreachable('an answer that is not the keeper’s'));
        });
        socket.on('error', error => {
            clearTimeout(timer);
            fail(error.code ?? 'connection error');
        });
        socket.on('close', () => {
            clearTimeout(timer);
            fail('the connection closed without an answer');
        });
    });
}

;// CONCATENATED MODULE: ./src/keeper/stop.ts


const STOP_TIMEOUT_MS = 1500;
async function stopKeeper(dir, timeoutMs = STOP_TIMEOUT_MS) {
    const channel = readChannel(dir);
    let minted;
    if (channel) {
        try {
            const response = await requestKeeper(channel, { op: 'stop' }, timeoutMs);
            if (response.ok && response.op === 'stop')
                minted = response.minted;
        }
        catch {
        }
        if (channel.socketDir)
            (0,external_node_fs_namespaceObject.rmSync)(channel.socketDir, { recursive: true, force: true });
    }
    (0,external_node_fs_namespaceObject.rmSync)(dir, { recursive: true, force: true });
    return { found: channel !== undefined, minted };
}


;// CONCATENATED MODULE: ./src/keeper/post-step.ts

const CHANNEL_STATE = 'keeper_channel';
async function runPostStep(env, output) {
    const dir = env[`STATE_${CHANNEL_STATE}`];
    if (!dir)
        return;
    const { minted } = await stopKeeper(dir);
    output.line('stdout', minted === undefined
        ? 'The token keeper had already stopped; its directory was removed.'
        : `Stopped the token keeper; it minted ${minted} ${minted === 1 ? 'token' : 'tokens'} after the first.`);
}

;// CONCATENATED MODULE: ./src/post.ts


const guard = installProcessGuard(process, { pendingLookups: () => 0 });
void runPostStep(process.env, guard.output).finally(() => guard.end());

