export const id = 679;
export const ids = [679];
export const modules = {

/***/ 679:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  startKeeper: () => (/* binding */ startKeeper)
});

// UNUSED EXPORTS: READY_TIMEOUT_MS

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(421);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(24);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(760);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(916);
// EXTERNAL MODULE: ./src/text/log-text.ts + 1 modules
var log_text = __webpack_require__(719);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(30);
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
    return (0,external_node_path_.join)(runnerTemp, CHANNEL_DIR_NAME);
}
function channelFilePath(dir) {
    return (0,external_node_path_.join)(dir, 'channel.json');
}
function commandDir(dir) {
    return (0,external_node_path_.join)(dir, 'bin');
}
function readChannel(dir) {
    let value;
    try {
        value = JSON.parse((0,external_node_fs_.readFileSync)(channelFilePath(dir), 'utf8'));
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
        const socket = (0,external_node_net_.connect)(channel.socket);
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

;// CONCATENATED MODULE: ./src/keeper/socket-location.ts



const MAX_SOCKET_PATH_BYTES = 103;
function socketLocation(dir, platform, suffix, temporaryDir = (0,external_node_os_.tmpdir)()) {
    if (platform === 'win32')
        return { socket: `\\\\.\\pipe\\datasaur-token-${suffix}` };
    const inChannel = (0,external_node_path_.join)(dir, 'keeper.sock');
    if (Buffer.byteLength(inChannel) <= MAX_SOCKET_PATH_BYTES)
        return { socket: inChannel };
    const base = Buffer.byteLength(temporaryDir) <= 60 ? temporaryDir : '/tmp';
    const socketDir = (0,external_node_fs_.mkdtempSync)((0,external_node_path_.join)(base, 'dtk-'));
    return { socket: (0,external_node_path_.join)(socketDir, 'keeper.sock'), socketDir };
}

;// CONCATENATED MODULE: ./src/keeper/environment.ts
const KEEPER_VARIABLES = [
    'PATH',
    'HOME',
    'USERPROFILE',
    'SYSTEMROOT',
    'SYSTEMDRIVE',
    'WINDIR',
    'TEMP',
    'TMP',
    'TMPDIR',
    'RUNNER_TEMP',
    'RUNNER_TRACKING_ID',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'ALL_PROXY',
    'NO_PROXY',
    'NODE_EXTRA_CA_CERTS',
    'NODE_USE_SYSTEM_CA',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR'
];
function keeperEnvironment(env) {
    const allowed = new Set(KEEPER_VARIABLES);
    const result = {};
    for (const [name, value] of Object.entries(env)) {
        if (value !== undefined && allowed.has(name.toUpperCase()))
            result[name] = value;
    }
    return result;
}

;// CONCATENATED MODULE: ./src/keeper/payload.ts
function encodePayload(settings, token, rest) {
    const payload = {
        ...rest,
        settings: { ...settings, tokenUrl: settings.tokenUrl.href },
        token: {
            accessToken: token.accessToken,
            tokenType: token.tokenType,
            expiresIn: token.expiresIn,
            expiresAtMs: token.expiresAt?.getTime()
        }
    };
    return JSON.stringify(payload);
}
function decodePayload(text) {
    const payload = JSON.parse(text);
    const settings = { ...payload.settings, tokenUrl: new URL(payload.settings.tokenUrl) };
    const { accessToken, tokenType, expiresIn, expiresAtMs } = payload.token;
    const token = {
        accessToken,
        tokenType,
        expiresIn,
        expiresAt: expiresAtMs === undefined ? undefined : new Date(expiresAtMs)
    };
    return { payload, settings, token };
}

;// CONCATENATED MODULE: ./src/keeper/scripts.ts
function shellQuote(text) {
    return `'${text.replaceAll("'", "'\\''")}'`;
}
function cmdQuote(text) {
    return `"${text.replaceAll('%', '%%')}"`;
}
function commandScripts(node, entry, channelFile) {
    const posix = [node, entry, '--channel', channelFile].map(shellQuote).join(' ');
    const windows = [node, entry, '--channel', channelFile].map(cmdQuote).join(' ');
    return {
        posix: `#!/bin/sh\nexec ${posix} "$@"\n`,
        windows: `@${windows} %*\r\n@exit /b %ERRORLEVEL%\r\n`
    };
}

;// CONCATENATED MODULE: ./src/keeper/stop.ts


const STOP_TIMEOUT_MS = 1500;
async function stop_stopKeeper(dir, timeoutMs = STOP_TIMEOUT_MS) {
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
            (0,external_node_fs_.rmSync)(channel.socketDir, { recursive: true, force: true });
    }
    (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true });
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

;// CONCATENATED MODULE: ./src/keeper/start.ts














const READY_TIMEOUT_MS = 10_000;
async function startKeeper(settings, token, obtainedAtMs, options) {
    const dir = channelDir(options.runnerTemp);
    try {
        return await start(settings, token, obtainedAtMs, options, dir);
    }
    catch (error) {
        await stop_stopKeeper(dir, 0).catch(() => undefined);
        const reason = error instanceof StartFailure ? error.message : describe(error);
        throw new errors/* ActionError */.lZ(`The token keeper that refresh: true starts did not start (${reason}), so nothing was published. Re-run ` +
            'the job; if it fails again, set refresh: false and request a token in each step that needs one.');
    }
}
class StartFailure extends Error {
}
function describe(error) {
    const { code, path } = error;
    return code ? `${code}${path ? ` at ${(0,log_text/* logSafe */.sN)(path, 200)}` : ''}` : 'an unexpected error';
}
async function start(settings, token, obtainedAtMs, options, dir) {
    await stop_stopKeeper(dir);
    (0,external_node_fs_.mkdirSync)(dir, { recursive: true, mode: 0o700 });
    (0,external_node_fs_.chmodSync)(dir, 0o700);
    const key = (0,external_node_crypto_.randomBytes)(32).toString('hex');
    const location = socketLocation(dir, options.platform, (0,external_node_crypto_.randomBytes)(8).toString('hex'));
    const child = (0,external_node_child_process_.spawn)(options.node, [(0,external_node_path_.join)(options.distDir, 'keeper', 'index.js')], {
        detached: true,
        windowsHide: true,
        stdio: ['pipe', 'pipe', 'ignore'],
        env: keeperEnvironment(options.env),
        cwd: (0,external_node_os_.tmpdir)()
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(encodePayload(settings, token, { obtainedAtMs, key, socket: location.socket, dir }));
    try {
        await ready(child, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    }
    catch (error) {
        child.kill('SIGKILL');
        throw error;
    }
    child.unref();
    const channel = { key, ...location };
    (0,external_node_fs_.writeFileSync)(channelFilePath(dir), JSON.stringify(channel), { mode: 0o600 });
    const bin = commandDir(dir);
    (0,external_node_fs_.mkdirSync)(bin, { mode: 0o700 });
    const scripts = commandScripts(options.node, (0,external_node_path_.join)(options.distDir, 'command', 'index.js'), channelFilePath(dir));
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(bin, 'datasaur-token'), scripts.posix, { mode: 0o700 });
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(bin, 'datasaur-token.cmd'), scripts.windows, { mode: 0o700 });
    return { commandDir: bin, state: [CHANNEL_STATE, dir], stop: async () => void (await stop_stopKeeper(dir)) };
}
function ready(child, timeoutMs) {
    return new Promise((resolve, reject) => {
        let said = '';
        const timer = setTimeout(() => done(new StartFailure(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        const done = (error) => {
            clearTimeout(timer);
            child.stdout?.destroy();
            child.removeAllListeners('exit');
            if (error)
                reject(error);
            else
                resolve();
        };
        child.on('error', error => done(new StartFailure(error.code ?? 'spawn failed')));
        child.on('exit', code => done(new StartFailure(`it ended with exit code ${code}`)));
        child.stdout?.setEncoding('utf8');
        child.stdout?.on('data', (chunk) => {
            said += chunk;
            if (said.startsWith('ready\n'))
                done();
        });
    });
}


/***/ })

};
