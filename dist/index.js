import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 770:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

module.exports = __nccwpck_require__(218);


/***/ }),

/***/ 218:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

var __webpack_unused_export__;


var net = __nccwpck_require__(278);
var tls = __nccwpck_require__(756);
var http = __nccwpck_require__(611);
var https = __nccwpck_require__(692);
var events = __nccwpck_require__(434);
var assert = __nccwpck_require__(613);
var util = __nccwpck_require__(23);


exports.httpOverHttp = httpOverHttp;
exports.httpsOverHttp = httpsOverHttp;
exports.httpOverHttps = httpOverHttps;
exports.httpsOverHttps = httpsOverHttps;


function httpOverHttp(options) {
  var agent = new TunnelingAgent(options);
  agent.request = http.request;
  return agent;
}

function httpsOverHttp(options) {
  var agent = new TunnelingAgent(options);
  agent.request = http.request;
  agent.createSocket = createSecureSocket;
  agent.defaultPort = 443;
  return agent;
}

function httpOverHttps(options) {
  var agent = new TunnelingAgent(options);
  agent.request = https.request;
  return agent;
}

function httpsOverHttps(options) {
  var agent = new TunnelingAgent(options);
  agent.request = https.request;
  agent.createSocket = createSecureSocket;
  agent.defaultPort = 443;
  return agent;
}


function TunnelingAgent(options) {
  var self = this;
  self.options = options || {};
  self.proxyOptions = self.options.proxy || {};
  self.maxSockets = self.options.maxSockets || http.Agent.defaultMaxSockets;
  self.requests = [];
  self.sockets = [];

  self.on('free', function onFree(socket, host, port, localAddress) {
    var options = toOptions(host, port, localAddress);
    for (var i = 0, len = self.requests.length; i < len; ++i) {
      var pending = self.requests[i];
      if (pending.host === options.host && pending.port === options.port) {
        // Detect the request to connect same origin server,
        // reuse the connection.
        self.requests.splice(i, 1);
        pending.request.onSocket(socket);
        return;
      }
    }
    socket.destroy();
    self.removeSocket(socket);
  });
}
util.inherits(TunnelingAgent, events.EventEmitter);

TunnelingAgent.prototype.addRequest = function addRequest(req, host, port, localAddress) {
  var self = this;
  var options = mergeOptions({request: req}, self.options, toOptions(host, port, localAddress));

  if (self.sockets.length >= this.maxSockets) {
    // We are over limit so we'll add it to the queue.
    self.requests.push(options);
    return;
  }

  // If we are under maxSockets create a new one.
  self.createSocket(options, function(socket) {
    socket.on('free', onFree);
    socket.on('close', onCloseOrRemove);
    socket.on('agentRemove', onCloseOrRemove);
    req.onSocket(socket);

    function onFree() {
      self.emit('free', socket, options);
    }

    function onCloseOrRemove(err) {
      self.removeSocket(socket);
      socket.removeListener('free', onFree);
      socket.removeListener('close', onCloseOrRemove);
      socket.removeListener('agentRemove', onCloseOrRemove);
    }
  });
};

TunnelingAgent.prototype.createSocket = function createSocket(options, cb) {
  var self = this;
  var placeholder = {};
  self.sockets.push(placeholder);

  var connectOptions = mergeOptions({}, self.proxyOptions, {
    method: 'CONNECT',
    path: options.host + ':' + options.port,
    agent: false,
    headers: {
      host: options.host + ':' + options.port
    }
  });
  if (options.localAddress) {
    connectOptions.localAddress = options.localAddress;
  }
  if (connectOptions.proxyAuth) {
    connectOptions.headers = connectOptions.headers || {};
    connectOptions.headers['Proxy-Authorization'] = 'Basic ' +
        new Buffer(connectOptions.proxyAuth).toString('base64');
  }

  debug('making CONNECT request');
  var connectReq = self.request(connectOptions);
  connectReq.useChunkedEncodingByDefault = false; // for v0.6
  connectReq.once('response', onResponse); // for v0.6
  connectReq.once('upgrade', onUpgrade);   // for v0.6
  connectReq.once('connect', onConnect);   // for v0.7 or later
  connectReq.once('error', onError);
  connectReq.end();

  function onResponse(res) {
    // Very hacky. This is necessary to avoid http-parser leaks.
    res.upgrade = true;
  }

  function onUpgrade(res, socket, head) {
    // Hacky.
    process.nextTick(function() {
      onConnect(res, socket, head);
    });
  }

  function onConnect(res, socket, head) {
    connectReq.removeAllListeners();
    socket.removeAllListeners();

    if (res.statusCode !== 200) {
      debug('tunneling socket could not be established, statusCode=%d',
        res.statusCode);
      socket.destroy();
      var error = new Error('tunneling socket could not be established, ' +
        'statusCode=' + res.statusCode);
      error.code = 'ECONNRESET';
      options.request.emit('error', error);
      self.removeSocket(placeholder);
      return;
    }
    if (head.length > 0) {
      debug('got illegal response body from proxy');
      socket.destroy();
      var error = new Error('got illegal response body from proxy');
      error.code = 'ECONNRESET';
      options.request.emit('error', error);
      self.removeSocket(placeholder);
      return;
    }
    debug('tunneling connection has established');
    self.sockets[self.sockets.indexOf(placeholder)] = socket;
    return cb(socket);
  }

  function onError(cause) {
    connectReq.removeAllListeners();

    debug('tunneling socket could not be established, cause=%s\n',
          cause.message, cause.stack);
    var error = new Error('tunneling socket could not be established, ' +
                          'cause=' + cause.message);
    error.code = 'ECONNRESET';
    options.request.emit('error', error);
    self.removeSocket(placeholder);
  }
};

TunnelingAgent.prototype.removeSocket = function removeSocket(socket) {
  var pos = this.sockets.indexOf(socket)
  if (pos === -1) {
    return;
  }
  this.sockets.splice(pos, 1);

  var pending = this.requests.shift();
  if (pending) {
    // If we have pending requests and a socket gets closed a new one
    // needs to be created to take over in the pool for the one that closed.
    this.createSocket(pending, function(socket) {
      pending.request.onSocket(socket);
    });
  }
};

function createSecureSocket(options, cb) {
  var self = this;
  TunnelingAgent.prototype.createSocket.call(self, options, function(socket) {
    var hostHeader = options.request.getHeader('host');
    var tlsOptions = mergeOptions({}, self.options, {
      socket: socket,
      servername: hostHeader ? hostHeader.replace(/:.*$/, '') : options.host
    });

    // 0 is dummy port for v0.6
    var secureSocket = tls.connect(0, tlsOptions);
    self.sockets[self.sockets.indexOf(socket)] = secureSocket;
    cb(secureSocket);
  });
}


function toOptions(host, port, localAddress) {
  if (typeof host === 'string') { // since v0.10
    return {
      host: host,
      port: port,
      localAddress: localAddress
    };
  }
  return host; // for v0.11 or later
}

function mergeOptions(target) {
  for (var i = 1, len = arguments.length; i < len; ++i) {
    var overrides = arguments[i];
    if (typeof overrides === 'object') {
      var keys = Object.keys(overrides);
      for (var j = 0, keyLen = keys.length; j < keyLen; ++j) {
        var k = keys[j];
        if (overrides[k] !== undefined) {
          target[k] = overrides[k];
        }
      }
    }
  }
  return target;
}


var debug;
if (process.env.NODE_DEBUG && /\btunnel\b/.test(process.env.NODE_DEBUG)) {
  debug = function() {
    var args = Array.prototype.slice.call(arguments);
    if (typeof args[0] === 'string') {
      args[0] = 'TUNNEL: ' + args[0];
    } else {
      args.unshift('TUNNEL:');
    }
    console.error.apply(console, args);
  }
} else {
  debug = function() {};
}
__webpack_unused_export__ = debug; // for test


/***/ }),

/***/ 916:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   cb: () => (/* binding */ AttemptError),
/* harmony export */   dz: () => (/* binding */ InputError),
/* harmony export */   lZ: () => (/* binding */ ActionError)
/* harmony export */ });
class ActionError extends Error {
}
class InputError extends ActionError {
    input;
    constructor(input, message) {
        super(message);
        this.input = input;
    }
}
class AttemptError extends ActionError {
    options;
    constructor(message, options) {
        super(message);
        this.options = options;
    }
}


/***/ }),

/***/ 922:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   CN: () => (/* binding */ htmlDecode),
/* harmony export */   YZ: () => (/* binding */ percentDecode),
/* harmony export */   pm: () => (/* binding */ formEncode)
/* harmony export */ });
function formEncode(value) {
    const wellFormed = value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
    return encodeURIComponent(wellFormed).replace(/[!'()~]|%20/g, c => c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
function percentDecode(text) {
    return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, run => {
        const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
        let out = '';
        for (let i = 0; i < bytes.length;) {
            const length = utf8SequenceLength(bytes, i);
            out += length ? bytes.toString('utf8', i, i + length) : run.slice(3 * i, 3 * i + 3);
            i += length || 1;
        }
        return out;
    });
}
function utf8SequenceLength(bytes, i) {
    const lead = bytes[i];
    if (lead < 0x80)
        return 1;
    let length;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf)
        length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead === 0xe0)
            low = 0xa0;
        if (lead === 0xed)
            high = 0x9f;
    }
    else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead === 0xf0)
            low = 0x90;
        if (lead === 0xf4)
            high = 0x8f;
    }
    else
        return 0;
    for (let k = 1; k < length; k++) {
        const byte = bytes[i + k];
        if (!(byte >= (k === 1 ? low : 0x80) && byte <= (k === 1 ? high : 0xbf)))
            return 0;
    }
    return length;
}
const NAMED_REFERENCES = new Map([
    ['amp', '&'],
    ['AMP', '&'],
    ['lt', '<'],
    ['LT', '<'],
    ['gt', '>'],
    ['GT', '>'],
    ['quot', '"'],
    ['QUOT', '"'],
    ['apos', "'"],
    ['COPY', '\u00a9'],
    ['REG', '\u00ae'],
    ...('nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
        'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml ' +
        'Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde ' +
        'Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ' +
        'ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide ' +
        'oslash ugrave uacute ucirc uuml yacute thorn yuml')
        .split(' ')
        .map((name, i) => [name, String.fromCharCode(0xa0 + i)])
]);
const LONGEST_NAME = 6;
function htmlDecode(text) {
    return text.replace(/&(?:#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));?|([A-Za-z][A-Za-z0-9]*)(;?))/g, (reference, hex, decimal, name, semicolon) => {
        if (name === undefined)
            return codePoint(hex === undefined ? parseInt(decimal, 10) : parseInt(hex, 16));
        for (let length = Math.min(name.length, LONGEST_NAME); length > 0; length--) {
            const character = NAMED_REFERENCES.get(name.slice(0, length));
            if (character !== undefined)
                return character + reference.slice(1 + length + (length === name.length ? semicolon.length : 0));
        }
        return reference;
    });
}
function codePoint(value) {
    const valid = value > 0 && value <= 0x10ffff && !(value >= 0xd800 && value <= 0xdfff);
    return valid ? String.fromCodePoint(value) : '\ufffd';
}


/***/ }),

/***/ 719:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  pO: () => (/* binding */ Redactor),
  sN: () => (/* binding */ logSafe),
  a0: () => (/* binding */ neutralizeLine)
});

// UNUSED EXPORTS: WITHHELD

// EXTERNAL MODULE: ./src/text/encoding.ts
var encoding = __nccwpck_require__(922);
;// CONCATENATED MODULE: ./src/text/search.ts
const NO_COUNT = () => undefined;
class Pattern {
    value;
    count;
    border;
    constructor(value, count = NO_COUNT) {
        this.value = value;
        this.count = count;
    }
    borders() {
        if (this.border)
            return this.border;
        const { value } = this;
        const border = new Int32Array(value.length);
        let steps = 0;
        for (let i = 1, k = 0; i < value.length; i++) {
            while (k > 0 && value.charCodeAt(i) !== value.charCodeAt(k)) {
                k = border[k - 1];
                steps++;
            }
            if (value.charCodeAt(i) === value.charCodeAt(k))
                k++;
            border[i] = k;
            steps++;
        }
        this.count(steps);
        this.border = border;
        return border;
    }
    search(text, found) {
        const { value } = this;
        const length = value.length;
        if (length === 0) {
            found(0);
            return;
        }
        const border = this.borders();
        let steps = 0;
        for (let i = 0, k = 0; i < text.length; i++) {
            while (k > 0 && text.charCodeAt(i) !== value.charCodeAt(k)) {
                k = border[k - 1];
                steps++;
            }
            steps++;
            if (text.charCodeAt(i) === value.charCodeAt(k))
                k++;
            if (k === length) {
                if (found(i + 1 - length))
                    break;
                k = border[k - 1];
            }
        }
        this.count(steps);
    }
    occursIn(text) {
        if (this.value.length > text.length)
            return false;
        let found = false;
        this.search(text, () => (found = true));
        return found;
    }
}
const P1 = 67108859;
const P2 = 67108837;
function randomBase(prime) {
    return 256 + Math.floor(Math.random() * (prime - 512));
}
function leadingWeight(base, prime, length) {
    let weight = 1;
    for (let i = 1; i < length; i++)
        weight = (weight * base) % prime;
    return weight;
}
class SharedRuns {
    count;
    groups = new Map();
    pending = new Map();
    constructor(count = NO_COUNT) {
        this.count = count;
    }
    add(value, length) {
        const pending = this.pending.get(length);
        if (pending)
            pending.push(value);
        else
            this.pending.set(length, [value]);
    }
    store(longest) {
        for (const [length, values] of this.pending) {
            if (length > longest)
                continue;
            this.pending.delete(length);
            let table = this.groups.get(length);
            if (!table) {
                table = new WindowTable(length);
                this.groups.set(length, table);
            }
            for (const value of values)
                this.count(value.length + table.add(value));
        }
    }
    get size() {
        this.store(Infinity);
        let size = 0;
        for (const table of this.groups.values())
            size += table.size;
        return size;
    }
    sharedWith(text) {
        this.store(text.length);
        for (const table of this.groups.values()) {
            if (text.length < table.length)
                continue;
            const { shared, steps } = table.sharedWith(text);
            this.count(text.length + steps);
            if (shared)
                return true;
        }
        return false;
    }
}
class WindowTable {
    length;
    b1 = randomBase(P1);
    b2 = randomBase(P2);
    w1;
    w2;
    sources = [];
    size = 0;
    probes = 0;
    slots = new Int32Array(4 * 1024);
    constructor(length) {
        this.length = length;
        this.w1 = leadingWeight(this.b1, P1, length);
        this.w2 = leadingWeight(this.b2, P2, length);
    }
    add(value) {
        const index = this.sources.push(value) - 1;
        const hashes = this.hashes(value);
        const probes = this.probes;
        this.grow(hashes.length / 2);
        for (let start = 0; start < hashes.length / 2; start++) {
            const slot = this.find(hashes[2 * start], hashes[2 * start + 1]);
            if (this.slots[slot + 3] === 0)
                this.store(slot, hashes[2 * start], hashes[2 * start + 1], index, start + 1);
        }
        return this.probes - probes;
    }
    sharedWith(text) {
        const { length } = this;
        const hashes = this.hashes(text);
        const probes = this.probes;
        let steps = 0;
        let shared = false;
        for (let start = 0; start < hashes.length / 2 && !shared; start++) {
            const slot = this.find(hashes[2 * start], hashes[2 * start + 1]);
            if (this.slots[slot + 3] === 0)
                continue;
            const source = this.sources[this.slots[slot + 2]];
            const from = this.slots[slot + 3] - 1;
            steps += length;
            shared = text.slice(start, start + length) === source.slice(from, from + length);
        }
        return { shared, steps: steps + this.probes - probes };
    }
    store(slot, h1, h2, index, start) {
        this.slots[slot] = h1;
        this.slots[slot + 1] = h2;
        this.slots[slot + 2] = index;
        this.slots[slot + 3] = start;
        this.size++;
    }
    find(h1, h2) {
        const { slots } = this;
        const wrap = slots.length - 1;
        let slot = (4 * (h1 ^ Math.imul(h2, 0x9e3779b1))) & wrap;
        this.probes++;
        while (slots[slot + 3] !== 0 && (slots[slot] !== h1 || slots[slot + 1] !== h2)) {
            slot = (slot + 4) & wrap;
            this.probes++;
        }
        return slot;
    }
    grow(more) {
        let capacity = this.slots.length / 4;
        if (2 * (this.size + more) <= capacity)
            return;
        while (2 * (this.size + more) > capacity)
            capacity *= 2;
        const old = this.slots;
        this.slots = new Int32Array(4 * capacity);
        this.size = 0;
        for (let i = 0; i < old.length; i += 4) {
            if (old[i + 3] !== 0)
                this.store(this.find(old[i], old[i + 1]), old[i], old[i + 1], old[i + 2], old[i + 3]);
        }
    }
    hashes(text) {
        const { length, b1, b2, w1, w2 } = this;
        const hashes = new Int32Array(2 * Math.max(0, text.length - length + 1));
        let h1 = 0;
        let h2 = 0;
        for (let i = 0; i < text.length; i++) {
            const incoming = text.charCodeAt(i);
            const outgoing = i >= length ? text.charCodeAt(i - length) : 0;
            h1 = h1 - outgoing * w1;
            h1 -= Math.floor(h1 / P1) * P1;
            h1 = h1 * b1 + incoming;
            h1 -= Math.floor(h1 / P1) * P1;
            if (h1 < 0)
                h1 += P1;
            else if (h1 >= P1)
                h1 -= P1;
            h2 = h2 - outgoing * w2;
            h2 -= Math.floor(h2 / P2) * P2;
            h2 = h2 * b2 + incoming;
            h2 -= Math.floor(h2 / P2) * P2;
            if (h2 < 0)
                h2 += P2;
            else if (h2 >= P2)
                h2 -= P2;
            if (i + 1 >= length) {
                hashes[2 * (i + 1 - length)] = h1;
                hashes[2 * (i + 1 - length) + 1] = h2;
            }
        }
        return hashes;
    }
}
const CODES = 0x10000;
class Dictionary {
    count;
    words = new Set();
    trie;
    constructor(count = NO_COUNT) {
        this.count = count;
    }
    get size() {
        return this.words.size;
    }
    values() {
        return this.words.values();
    }
    add(value) {
        if (!value || this.words.has(value))
            return;
        this.words.add(value);
        this.trie = undefined;
    }
    search(text, found) {
        const trie = (this.trie ??= this.build());
        const { fail, longest, root } = trie;
        let steps = 0;
        let state = 0;
        for (let i = 0; i < text.length; i++) {
            const code = text.charCodeAt(i);
            let target = state === 0 ? root[code] : child(trie, state, code);
            while (target === 0 && state !== 0) {
                state = fail[state];
                target = child(trie, state, code);
                steps++;
            }
            state = target;
            steps++;
            if (longest[state] > 0 && found(i + 1, longest[state]))
                break;
        }
        this.count(steps);
    }
    occursIn(text) {
        let found = false;
        this.search(text, () => (found = true));
        return found;
    }
    build() {
        let size = 1;
        for (const word of this.words)
            size += word.length;
        const trie = {
            firstCode: new Int32Array(size).fill(-1),
            firstChild: new Int32Array(size),
            root: new Int32Array(CODES),
            more: new Map(),
            branches: new Uint8Array(size),
            fail: new Int32Array(size),
            longest: new Int32Array(size)
        };
        const parent = new Int32Array(size);
        const code = new Int32Array(size);
        const depth = new Int32Array(size);
        const word = new Int32Array(size);
        let states = 1;
        let deepest = 0;
        for (const value of this.words) {
            let state = 0;
            for (let i = 0; i < value.length; i++) {
                const c = value.charCodeAt(i);
                let next = child(trie, state, c);
                if (next === 0) {
                    next = states++;
                    if (state === 0)
                        trie.root[c] = next;
                    else if (trie.firstCode[state] === -1) {
                        trie.firstCode[state] = c;
                        trie.firstChild[state] = next;
                    }
                    else {
                        trie.more.set(state * CODES + c, next);
                        trie.branches[state] = 1;
                    }
                    parent[next] = state;
                    code[next] = c;
                    depth[next] = i + 1;
                }
                state = next;
            }
            word[state] = value.length;
            deepest = Math.max(deepest, value.length);
        }
        const first = new Int32Array(deepest + 2);
        for (let state = 0; state < states; state++)
            first[depth[state] + 1]++;
        for (let d = 1; d < first.length; d++)
            first[d] += first[d - 1];
        const byDepth = new Int32Array(states);
        for (let state = 0; state < states; state++)
            byDepth[first[depth[state]]++] = state;
        const { fail, longest } = trie;
        let steps = size + states;
        for (const state of byDepth) {
            let link = 0;
            if (parent[state] !== 0) {
                let candidate = fail[parent[state]];
                let target = child(trie, candidate, code[state]);
                while (target === 0 && candidate !== 0) {
                    candidate = fail[candidate];
                    target = child(trie, candidate, code[state]);
                    steps++;
                }
                link = target;
            }
            fail[state] = link;
            longest[state] = word[state] || longest[link];
        }
        this.count(steps);
        return trie;
    }
}
function child(trie, state, code) {
    if (state === 0)
        return trie.root[code];
    if (trie.firstCode[state] === code)
        return trie.firstChild[state];
    return trie.branches[state] ? (trie.more.get(state * CODES + code) ?? 0) : 0;
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
        (0,encoding/* formEncode */.pm)(value)
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
function sharedRunLength(letters) {
    return Math.min(letters, Math.max(MIN_SHARED_RUN, Math.ceil(letters / 2)));
}
const MAX_DECODING_DEPTH = 4;
const LONG_FORM = 4096;
const DECODERS = [encoding/* percentDecode */.YZ, encoding/* htmlDecode */.CN];
const WITHHELD = '[withheld: it repeats a secret]';
class Redactor {
    count;
    forms;
    longForms = new Map();
    lowerForms;
    longLowerForms = new Map();
    skeletons;
    constructor(count = NO_COUNT) {
        this.count = count;
        this.forms = new Dictionary(count);
        this.lowerForms = new Dictionary(count);
        this.skeletons = new SharedRuns(count);
    }
    add(secret) {
        if (!secret)
            return;
        for (const form of echoForms(secret)) {
            this.addForm(form);
            const sanitized = logSafe(form, Infinity);
            if (sanitized.length >= MIN_SANITIZED_FORM)
                this.addForm(sanitized);
        }
        const letters = skeleton(secret);
        if (letters.length >= MIN_SKELETON)
            this.skeletons.add(letters, sharedRunLength(letters.length));
    }
    addForm(form) {
        const lower = form.toLowerCase();
        if (form.length <= LONG_FORM) {
            this.forms.add(form);
            this.lowerForms.add(lower);
            return;
        }
        if (!this.longForms.has(form))
            this.longForms.set(form, new Pattern(form, this.count));
        if (!this.longLowerForms.has(lower))
            this.longLowerForms.set(lower, new Pattern(lower, this.count));
    }
    get stored() {
        const all = [
            ...this.forms.values(),
            ...this.lowerForms.values(),
            ...this.longForms.keys(),
            ...this.longLowerForms.keys()
        ];
        const characters = all.reduce((sum, form) => sum + form.length, 0);
        return { forms: all.length, characters, windows: this.skeletons.size };
    }
    redact(text) {
        const found = [];
        this.forms.search(text, (end, length) => {
            found.push(end - length, end);
            return false;
        });
        for (const pattern of this.longForms.values()) {
            const { length } = pattern.value;
            if (length > text.length)
                continue;
            pattern.search(text, start => {
                found.push(start, start + length);
                return false;
            });
        }
        if (found.length === 0)
            return text;
        return cover(text, found, this.count);
    }
    mentions(text) {
        const decoded = decodings(text, this.count);
        return decoded === undefined || decoded.some(value => this.mentionedIn(value));
    }
    mentionedIn(value) {
        const lower = value.toLowerCase();
        if (this.lowerForms.occursIn(lower))
            return true;
        for (const pattern of this.longLowerForms.values())
            if (pattern.occursIn(lower))
                return true;
        return this.skeletons.sharedWith(skeleton(value));
    }
    overlaps(text) {
        if (this.mentions(text))
            return true;
        const part = new Pattern(text.toLowerCase(), this.count);
        for (const lower of [...this.lowerForms.values(), ...this.longLowerForms.keys()])
            if (part.occursIn(lower))
                return true;
        return false;
    }
    quote(text, maxLength) {
        let decoded = this.redact(text);
        for (let depth = 0;; depth++) {
            const next = (0,encoding/* htmlDecode */.CN)(decoded);
            if (next === decoded)
                break;
            if (depth === MAX_DECODING_DEPTH)
                return WITHHELD;
            decoded = this.redact(next);
        }
        if (this.mentions(decoded))
            return WITHHELD;
        return truncate(this.redact(logSafe(decoded, Infinity)), maxLength);
    }
}
function cover(text, found, count) {
    const ends = new Int32Array(text.length);
    for (let k = 0; k < found.length; k += 2)
        ends[found[k]] = Math.max(ends[found[k]], found[k + 1]);
    let out = '';
    let kept = 0;
    for (let i = 0; i < text.length; i++) {
        if (ends[i] === 0)
            continue;
        let end = ends[i];
        for (let j = i + 1; j < end; j++)
            end = Math.max(end, ends[j]);
        out += `${text.slice(kept, i)}***`;
        kept = end;
        i = end - 1;
    }
    count(text.length + found.length / 2);
    return out + text.slice(kept);
}
function decodings(text, count) {
    const seen = new Set([text]);
    let layer = [text];
    for (let depth = 0; layer.length > 0; depth++) {
        const next = [];
        for (const value of layer) {
            for (const decode of DECODERS) {
                const decoded = decode(value);
                count(value.length);
                if (seen.has(decoded))
                    continue;
                if (depth === MAX_DECODING_DEPTH)
                    return undefined;
                seen.add(decoded);
                next.push(decoded);
            }
        }
        layer = next;
    }
    return [...seen];
}


/***/ }),

/***/ 613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 24:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 30:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 23:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
var __webpack_exports__ = {};

// NAMESPACE OBJECT: ./node_modules/@actions/core/lib/platform.js
var platform_namespaceObject = {};
__nccwpck_require__.r(platform_namespaceObject);
__nccwpck_require__.d(platform_namespaceObject, {
  arch: () => (arch),
  getDetails: () => (getDetails),
  isLinux: () => (isLinux),
  isMacOS: () => (isMacOS),
  isWindows: () => (isWindows),
  platform: () => (platform)
});

// NAMESPACE OBJECT: ./node_modules/@actions/core/lib/core.js
var core_namespaceObject = {};
__nccwpck_require__.r(core_namespaceObject);
__nccwpck_require__.d(core_namespaceObject, {
  ExitCode: () => (ExitCode),
  addPath: () => (addPath),
  debug: () => (debug),
  endGroup: () => (endGroup),
  error: () => (error),
  exportVariable: () => (exportVariable),
  getBooleanInput: () => (getBooleanInput),
  getIDToken: () => (getIDToken),
  getInput: () => (getInput),
  getMultilineInput: () => (getMultilineInput),
  getState: () => (getState),
  group: () => (group),
  info: () => (info),
  isDebug: () => (isDebug),
  markdownSummary: () => (markdownSummary),
  notice: () => (notice),
  platform: () => (platform_namespaceObject),
  saveState: () => (saveState),
  setCommandEcho: () => (setCommandEcho),
  setFailed: () => (setFailed),
  setOutput: () => (setOutput),
  setSecret: () => (setSecret),
  startGroup: () => (startGroup),
  summary: () => (summary),
  toPlatformPath: () => (toPlatformPath),
  toPosixPath: () => (toPosixPath),
  toWin32Path: () => (toWin32Path),
  warning: () => (warning)
});

;// CONCATENATED MODULE: external "node:dns"
const external_node_dns_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");
var external_node_dns_default = /*#__PURE__*/__nccwpck_require__.n(external_node_dns_namespaceObject);
;// CONCATENATED MODULE: ./src/exchange/lookup.ts

const pending = new Map();
function pendingLookups() {
    return pending.size;
}
const sharedLookup = ((hostname, options, callback) => {
    const key = JSON.stringify([hostname, options.family, options.all, options.hints, options.order, options.verbatim]);
    const waiting = pending.get(key);
    if (waiting) {
        waiting.push(callback);
        return;
    }
    pending.set(key, [callback]);
    external_node_dns_default().lookup(hostname, options, (...answer) => {
        const callbacks = pending.get(key) ?? [];
        pending.delete(key);
        for (const waiter of callbacks)
            waiter(...answer);
    });
});

// EXTERNAL MODULE: ./src/text/log-text.ts + 1 modules
var log_text = __nccwpck_require__(719);
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
    constructor(streams, redactor = new log_text/* Redactor */.pO()) {
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
        return (0,log_text/* neutralizeLine */.a0)(this.redactor.redact(line));
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
        const text = (0,log_text/* neutralizeLine */.a0)(output.redactor.redact(`Node.js warning (${name}): ${message}`));
        output.line('stdout', `::debug::${text.replace(/%/g, '%25')}`);
    });
    return { output, end };
}
async function finish(proc, output, options) {
    await within(options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS, output.flush());
    const code = Number(proc.exitCode ?? 0);
    if (code !== 0) {
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

;// CONCATENATED MODULE: ./src/runner/installed-guard.ts


const processGuard = installProcessGuard(process, { pendingLookups: pendingLookups });

;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_namespaceObject.EOL);
}
function issue(name, message = '') {
    issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_namespaceObject.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_namespaceObject.appendFileSync(filePath, `${toCommandValue(message)}${external_os_namespaceObject.EOL}`, {
        encoding: 'utf8'
    });
}
function prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_namespaceObject.randomUUID()}`;
    const convertedValue = toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_namespaceObject.EOL}${convertedValue}${external_os_namespaceObject.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");
// EXTERNAL MODULE: external "http"
var external_http_ = __nccwpck_require__(611);
var external_http_namespaceObject = /*#__PURE__*/__nccwpck_require__.t(external_http_, 2);
// EXTERNAL MODULE: external "https"
var external_https_ = __nccwpck_require__(692);
var external_https_namespaceObject = /*#__PURE__*/__nccwpck_require__.t(external_https_, 2);
;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/proxy.js
function getProxyUrl(reqUrl) {
    const usingSsl = reqUrl.protocol === 'https:';
    if (checkBypass(reqUrl)) {
        return undefined;
    }
    const proxyVar = (() => {
        if (usingSsl) {
            return process.env['https_proxy'] || process.env['HTTPS_PROXY'];
        }
        else {
            return process.env['http_proxy'] || process.env['HTTP_PROXY'];
        }
    })();
    if (proxyVar) {
        try {
            return new DecodedURL(proxyVar);
        }
        catch (_a) {
            if (!proxyVar.startsWith('http://') && !proxyVar.startsWith('https://'))
                return new DecodedURL(`http://${proxyVar}`);
        }
    }
    else {
        return undefined;
    }
}
function checkBypass(reqUrl) {
    if (!reqUrl.hostname) {
        return false;
    }
    const reqHost = reqUrl.hostname;
    if (isLoopbackAddress(reqHost)) {
        return true;
    }
    const noProxy = process.env['no_proxy'] || process.env['NO_PROXY'] || '';
    if (!noProxy) {
        return false;
    }
    // Determine the request port
    let reqPort;
    if (reqUrl.port) {
        reqPort = Number(reqUrl.port);
    }
    else if (reqUrl.protocol === 'http:') {
        reqPort = 80;
    }
    else if (reqUrl.protocol === 'https:') {
        reqPort = 443;
    }
    // Format the request hostname and hostname with port
    const upperReqHosts = [reqUrl.hostname.toUpperCase()];
    if (typeof reqPort === 'number') {
        upperReqHosts.push(`${upperReqHosts[0]}:${reqPort}`);
    }
    // Compare request host against noproxy
    for (const upperNoProxyItem of noProxy
        .split(',')
        .map(x => x.trim().toUpperCase())
        .filter(x => x)) {
        if (upperNoProxyItem === '*' ||
            upperReqHosts.some(x => x === upperNoProxyItem ||
                x.endsWith(`.${upperNoProxyItem}`) ||
                (upperNoProxyItem.startsWith('.') &&
                    x.endsWith(`${upperNoProxyItem}`)))) {
            return true;
        }
    }
    return false;
}
function isLoopbackAddress(host) {
    const hostLower = host.toLowerCase();
    return (hostLower === 'localhost' ||
        hostLower.startsWith('127.') ||
        hostLower.startsWith('[::1]') ||
        hostLower.startsWith('[0:0:0:0:0:0:0:1]'));
}
class DecodedURL extends URL {
    constructor(url, base) {
        super(url, base);
        this._decodedUsername = decodeURIComponent(super.username);
        this._decodedPassword = decodeURIComponent(super.password);
    }
    get username() {
        return this._decodedUsername;
    }
    get password() {
        return this._decodedPassword;
    }
}
//# sourceMappingURL=proxy.js.map
// EXTERNAL MODULE: ./node_modules/tunnel/index.js
var tunnel = __nccwpck_require__(770);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(24);
;// CONCATENATED MODULE: external "node:module"
const external_node_module_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(760);
;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");
;// CONCATENATED MODULE: ./src/exchange/lazy-undici.ts




let undici;
function loadUndici() {
    const require = (0,external_node_module_namespaceObject.createRequire)(import.meta.url);
    const beside = (0,external_node_fs_.existsSync)((0,external_node_path_.join)((0,external_node_path_.dirname)((0,external_node_url_namespaceObject.fileURLToPath)(import.meta.url)), 'undici'));
    undici ??= require(beside ? './undici/index.js' : '../undici/index.js');
    return undici;
}
class ProxyAgent {
    constructor(options) {
        return new (loadUndici().ProxyAgent)(options);
    }
}

;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/index.js
/* eslint-disable @typescript-eslint/no-explicit-any */
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};





var HttpCodes;
(function (HttpCodes) {
    HttpCodes[HttpCodes["OK"] = 200] = "OK";
    HttpCodes[HttpCodes["MultipleChoices"] = 300] = "MultipleChoices";
    HttpCodes[HttpCodes["MovedPermanently"] = 301] = "MovedPermanently";
    HttpCodes[HttpCodes["ResourceMoved"] = 302] = "ResourceMoved";
    HttpCodes[HttpCodes["SeeOther"] = 303] = "SeeOther";
    HttpCodes[HttpCodes["NotModified"] = 304] = "NotModified";
    HttpCodes[HttpCodes["UseProxy"] = 305] = "UseProxy";
    HttpCodes[HttpCodes["SwitchProxy"] = 306] = "SwitchProxy";
    HttpCodes[HttpCodes["TemporaryRedirect"] = 307] = "TemporaryRedirect";
    HttpCodes[HttpCodes["PermanentRedirect"] = 308] = "PermanentRedirect";
    HttpCodes[HttpCodes["BadRequest"] = 400] = "BadRequest";
    HttpCodes[HttpCodes["Unauthorized"] = 401] = "Unauthorized";
    HttpCodes[HttpCodes["PaymentRequired"] = 402] = "PaymentRequired";
    HttpCodes[HttpCodes["Forbidden"] = 403] = "Forbidden";
    HttpCodes[HttpCodes["NotFound"] = 404] = "NotFound";
    HttpCodes[HttpCodes["MethodNotAllowed"] = 405] = "MethodNotAllowed";
    HttpCodes[HttpCodes["NotAcceptable"] = 406] = "NotAcceptable";
    HttpCodes[HttpCodes["ProxyAuthenticationRequired"] = 407] = "ProxyAuthenticationRequired";
    HttpCodes[HttpCodes["RequestTimeout"] = 408] = "RequestTimeout";
    HttpCodes[HttpCodes["Conflict"] = 409] = "Conflict";
    HttpCodes[HttpCodes["Gone"] = 410] = "Gone";
    HttpCodes[HttpCodes["TooManyRequests"] = 429] = "TooManyRequests";
    HttpCodes[HttpCodes["InternalServerError"] = 500] = "InternalServerError";
    HttpCodes[HttpCodes["NotImplemented"] = 501] = "NotImplemented";
    HttpCodes[HttpCodes["BadGateway"] = 502] = "BadGateway";
    HttpCodes[HttpCodes["ServiceUnavailable"] = 503] = "ServiceUnavailable";
    HttpCodes[HttpCodes["GatewayTimeout"] = 504] = "GatewayTimeout";
})(HttpCodes || (HttpCodes = {}));
var Headers;
(function (Headers) {
    Headers["Accept"] = "accept";
    Headers["ContentType"] = "content-type";
})(Headers || (Headers = {}));
var MediaTypes;
(function (MediaTypes) {
    MediaTypes["ApplicationJson"] = "application/json";
})(MediaTypes || (MediaTypes = {}));
/**
 * Returns the proxy URL, depending upon the supplied url and proxy environment variables.
 * @param serverUrl  The server URL where the request will be sent. For example, https://api.github.com
 */
function lib_getProxyUrl(serverUrl) {
    const proxyUrl = pm.getProxyUrl(new URL(serverUrl));
    return proxyUrl ? proxyUrl.href : '';
}
const HttpRedirectCodes = [
    HttpCodes.MovedPermanently,
    HttpCodes.ResourceMoved,
    HttpCodes.SeeOther,
    HttpCodes.TemporaryRedirect,
    HttpCodes.PermanentRedirect
];
const HttpResponseRetryCodes = [
    HttpCodes.BadGateway,
    HttpCodes.ServiceUnavailable,
    HttpCodes.GatewayTimeout
];
const RetryableHttpVerbs = ['OPTIONS', 'GET', 'DELETE', 'HEAD'];
const ExponentialBackoffCeiling = 10;
const ExponentialBackoffTimeSlice = 5;
class HttpClientError extends Error {
    constructor(message, statusCode) {
        super(message);
        this.name = 'HttpClientError';
        this.statusCode = statusCode;
        Object.setPrototypeOf(this, HttpClientError.prototype);
    }
}
class HttpClientResponse {
    constructor(message) {
        this.message = message;
    }
    readBody() {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve) => __awaiter(this, void 0, void 0, function* () {
                let output = Buffer.alloc(0);
                this.message.on('data', (chunk) => {
                    output = Buffer.concat([output, chunk]);
                });
                this.message.on('end', () => {
                    resolve(output.toString());
                });
            }));
        });
    }
    readBodyBuffer() {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve) => __awaiter(this, void 0, void 0, function* () {
                const chunks = [];
                this.message.on('data', (chunk) => {
                    chunks.push(chunk);
                });
                this.message.on('end', () => {
                    resolve(Buffer.concat(chunks));
                });
            }));
        });
    }
}
function isHttps(requestUrl) {
    const parsedUrl = new URL(requestUrl);
    return parsedUrl.protocol === 'https:';
}
class HttpClient {
    constructor(userAgent, handlers, requestOptions) {
        this._ignoreSslError = false;
        this._allowRedirects = true;
        this._allowRedirectDowngrade = false;
        this._maxRedirects = 50;
        this._allowRetries = false;
        this._maxRetries = 1;
        this._keepAlive = false;
        this._disposed = false;
        this.userAgent = this._getUserAgentWithOrchestrationId(userAgent);
        this.handlers = handlers || [];
        this.requestOptions = requestOptions;
        if (requestOptions) {
            if (requestOptions.ignoreSslError != null) {
                this._ignoreSslError = requestOptions.ignoreSslError;
            }
            this._socketTimeout = requestOptions.socketTimeout;
            if (requestOptions.allowRedirects != null) {
                this._allowRedirects = requestOptions.allowRedirects;
            }
            if (requestOptions.allowRedirectDowngrade != null) {
                this._allowRedirectDowngrade = requestOptions.allowRedirectDowngrade;
            }
            if (requestOptions.maxRedirects != null) {
                this._maxRedirects = Math.max(requestOptions.maxRedirects, 0);
            }
            if (requestOptions.keepAlive != null) {
                this._keepAlive = requestOptions.keepAlive;
            }
            if (requestOptions.allowRetries != null) {
                this._allowRetries = requestOptions.allowRetries;
            }
            if (requestOptions.maxRetries != null) {
                this._maxRetries = requestOptions.maxRetries;
            }
        }
    }
    options(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('OPTIONS', requestUrl, null, additionalHeaders || {});
        });
    }
    get(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('GET', requestUrl, null, additionalHeaders || {});
        });
    }
    del(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('DELETE', requestUrl, null, additionalHeaders || {});
        });
    }
    post(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('POST', requestUrl, data, additionalHeaders || {});
        });
    }
    patch(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('PATCH', requestUrl, data, additionalHeaders || {});
        });
    }
    put(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('PUT', requestUrl, data, additionalHeaders || {});
        });
    }
    head(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('HEAD', requestUrl, null, additionalHeaders || {});
        });
    }
    sendStream(verb, requestUrl, stream, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request(verb, requestUrl, stream, additionalHeaders);
        });
    }
    /**
     * Gets a typed object from an endpoint
     * Be aware that not found returns a null.  Other errors (4xx, 5xx) reject the promise
     */
    getJson(requestUrl_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, additionalHeaders = {}) {
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            const res = yield this.get(requestUrl, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    postJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.post(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    putJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.put(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    patchJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.patch(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    /**
     * Makes a raw http request.
     * All other methods such as get, post, patch, and request ultimately call this.
     * Prefer get, del, post and patch
     */
    request(verb, requestUrl, data, headers) {
        return __awaiter(this, void 0, void 0, function* () {
            if (this._disposed) {
                throw new Error('Client has already been disposed.');
            }
            const parsedUrl = new URL(requestUrl);
            let info = this._prepareRequest(verb, parsedUrl, headers);
            // Only perform retries on reads since writes may not be idempotent.
            const maxTries = this._allowRetries && RetryableHttpVerbs.includes(verb)
                ? this._maxRetries + 1
                : 1;
            let numTries = 0;
            let response;
            do {
                response = yield this.requestRaw(info, data);
                // Check if it's an authentication challenge
                if (response &&
                    response.message &&
                    response.message.statusCode === HttpCodes.Unauthorized) {
                    let authenticationHandler;
                    for (const handler of this.handlers) {
                        if (handler.canHandleAuthentication(response)) {
                            authenticationHandler = handler;
                            break;
                        }
                    }
                    if (authenticationHandler) {
                        return authenticationHandler.handleAuthentication(this, info, data);
                    }
                    else {
                        // We have received an unauthorized response but have no handlers to handle it.
                        // Let the response return to the caller.
                        return response;
                    }
                }
                let redirectsRemaining = this._maxRedirects;
                while (response.message.statusCode &&
                    HttpRedirectCodes.includes(response.message.statusCode) &&
                    this._allowRedirects &&
                    redirectsRemaining > 0) {
                    const redirectUrl = response.message.headers['location'];
                    if (!redirectUrl) {
                        // if there's no location to redirect to, we won't
                        break;
                    }
                    const parsedRedirectUrl = new URL(redirectUrl);
                    if (parsedUrl.protocol === 'https:' &&
                        parsedUrl.protocol !== parsedRedirectUrl.protocol &&
                        !this._allowRedirectDowngrade) {
                        throw new Error('Redirect from HTTPS to HTTP protocol. This downgrade is not allowed for security reasons. If you want to allow this behavior, set the allowRedirectDowngrade option to true.');
                    }
                    // we need to finish reading the response before reassigning response
                    // which will leak the open socket.
                    yield response.readBody();
                    // strip authorization header if redirected to a different hostname
                    if (parsedRedirectUrl.hostname !== parsedUrl.hostname) {
                        for (const header in headers) {
                            // header names are case insensitive
                            if (header.toLowerCase() === 'authorization') {
                                delete headers[header];
                            }
                        }
                    }
                    // let's make the request with the new redirectUrl
                    info = this._prepareRequest(verb, parsedRedirectUrl, headers);
                    response = yield this.requestRaw(info, data);
                    redirectsRemaining--;
                }
                if (!response.message.statusCode ||
                    !HttpResponseRetryCodes.includes(response.message.statusCode)) {
                    // If not a retry code, return immediately instead of retrying
                    return response;
                }
                numTries += 1;
                if (numTries < maxTries) {
                    yield response.readBody();
                    yield this._performExponentialBackoff(numTries);
                }
            } while (numTries < maxTries);
            return response;
        });
    }
    /**
     * Needs to be called if keepAlive is set to true in request options.
     */
    dispose() {
        if (this._agent) {
            this._agent.destroy();
        }
        this._disposed = true;
    }
    /**
     * Raw request.
     * @param info
     * @param data
     */
    requestRaw(info, data) {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve, reject) => {
                function callbackForResult(err, res) {
                    if (err) {
                        reject(err);
                    }
                    else if (!res) {
                        // If `err` is not passed, then `res` must be passed.
                        reject(new Error('Unknown error'));
                    }
                    else {
                        resolve(res);
                    }
                }
                this.requestRawWithCallback(info, data, callbackForResult);
            });
        });
    }
    /**
     * Raw request with callback.
     * @param info
     * @param data
     * @param onResult
     */
    requestRawWithCallback(info, data, onResult) {
        if (typeof data === 'string') {
            if (!info.options.headers) {
                info.options.headers = {};
            }
            info.options.headers['Content-Length'] = Buffer.byteLength(data, 'utf8');
        }
        let callbackCalled = false;
        function handleResult(err, res) {
            if (!callbackCalled) {
                callbackCalled = true;
                onResult(err, res);
            }
        }
        const req = info.httpModule.request(info.options, (msg) => {
            const res = new HttpClientResponse(msg);
            handleResult(undefined, res);
        });
        let socket;
        req.on('socket', sock => {
            socket = sock;
        });
        // If we ever get disconnected, we want the socket to timeout eventually
        req.setTimeout(this._socketTimeout || 3 * 60000, () => {
            if (socket) {
                socket.end();
            }
            handleResult(new Error(`Request timeout: ${info.options.path}`));
        });
        req.on('error', function (err) {
            // err has statusCode property
            // res should have headers
            handleResult(err);
        });
        if (data && typeof data === 'string') {
            req.write(data, 'utf8');
        }
        if (data && typeof data !== 'string') {
            data.on('close', function () {
                req.end();
            });
            data.pipe(req);
        }
        else {
            req.end();
        }
    }
    /**
     * Gets an http agent. This function is useful when you need an http agent that handles
     * routing through a proxy server - depending upon the url and proxy environment variables.
     * @param serverUrl  The server URL where the request will be sent. For example, https://api.github.com
     */
    getAgent(serverUrl) {
        const parsedUrl = new URL(serverUrl);
        return this._getAgent(parsedUrl);
    }
    getAgentDispatcher(serverUrl) {
        const parsedUrl = new URL(serverUrl);
        const proxyUrl = getProxyUrl(parsedUrl);
        const useProxy = proxyUrl && proxyUrl.hostname;
        if (!useProxy) {
            return;
        }
        return this._getProxyAgentDispatcher(parsedUrl, proxyUrl);
    }
    _prepareRequest(method, requestUrl, headers) {
        const info = {};
        info.parsedUrl = requestUrl;
        const usingSsl = info.parsedUrl.protocol === 'https:';
        info.httpModule = usingSsl ? external_https_namespaceObject : external_http_namespaceObject;
        const defaultPort = usingSsl ? 443 : 80;
        info.options = {};
        info.options.host = info.parsedUrl.hostname;
        info.options.port = info.parsedUrl.port
            ? parseInt(info.parsedUrl.port)
            : defaultPort;
        info.options.path =
            (info.parsedUrl.pathname || '') + (info.parsedUrl.search || '');
        info.options.method = method;
        info.options.headers = this._mergeHeaders(headers);
        if (this.userAgent != null) {
            info.options.headers['user-agent'] = this.userAgent;
        }
        info.options.agent = this._getAgent(info.parsedUrl);
        // gives handlers an opportunity to participate
        if (this.handlers) {
            for (const handler of this.handlers) {
                handler.prepareRequest(info.options);
            }
        }
        return info;
    }
    _mergeHeaders(headers) {
        if (this.requestOptions && this.requestOptions.headers) {
            return Object.assign({}, lowercaseKeys(this.requestOptions.headers), lowercaseKeys(headers || {}));
        }
        return lowercaseKeys(headers || {});
    }
    /**
     * Gets an existing header value or returns a default.
     * Handles converting number header values to strings since HTTP headers must be strings.
     * Note: This returns string | string[] since some headers can have multiple values.
     * For headers that must always be a single string (like Content-Type), use the
     * specialized _getExistingOrDefaultContentTypeHeader method instead.
     */
    _getExistingOrDefaultHeader(additionalHeaders, header, _default) {
        let clientHeader;
        if (this.requestOptions && this.requestOptions.headers) {
            const headerValue = lowercaseKeys(this.requestOptions.headers)[header];
            if (headerValue) {
                clientHeader =
                    typeof headerValue === 'number' ? headerValue.toString() : headerValue;
            }
        }
        const additionalValue = additionalHeaders[header];
        if (additionalValue !== undefined) {
            return typeof additionalValue === 'number'
                ? additionalValue.toString()
                : additionalValue;
        }
        if (clientHeader !== undefined) {
            return clientHeader;
        }
        return _default;
    }
    /**
     * Specialized version of _getExistingOrDefaultHeader for Content-Type header.
     * Always returns a single string (not an array) since Content-Type should be a single value.
     * Converts arrays to comma-separated strings and numbers to strings to ensure type safety.
     * This was split from _getExistingOrDefaultHeader to provide stricter typing for callers
     * that assign the result to places expecting a string (e.g., additionalHeaders[Headers.ContentType]).
     */
    _getExistingOrDefaultContentTypeHeader(additionalHeaders, _default) {
        let clientHeader;
        if (this.requestOptions && this.requestOptions.headers) {
            const headerValue = lowercaseKeys(this.requestOptions.headers)[Headers.ContentType];
            if (headerValue) {
                if (typeof headerValue === 'number') {
                    clientHeader = String(headerValue);
                }
                else if (Array.isArray(headerValue)) {
                    clientHeader = headerValue.join(', ');
                }
                else {
                    clientHeader = headerValue;
                }
            }
        }
        const additionalValue = additionalHeaders[Headers.ContentType];
        // Return the first non-undefined value, converting numbers or arrays to strings if necessary
        if (additionalValue !== undefined) {
            if (typeof additionalValue === 'number') {
                return String(additionalValue);
            }
            else if (Array.isArray(additionalValue)) {
                return additionalValue.join(', ');
            }
            else {
                return additionalValue;
            }
        }
        if (clientHeader !== undefined) {
            return clientHeader;
        }
        return _default;
    }
    _getAgent(parsedUrl) {
        let agent;
        const proxyUrl = getProxyUrl(parsedUrl);
        const useProxy = proxyUrl && proxyUrl.hostname;
        if (this._keepAlive && useProxy) {
            agent = this._proxyAgent;
        }
        if (!useProxy) {
            agent = this._agent;
        }
        // if agent is already assigned use that agent.
        if (agent) {
            return agent;
        }
        const usingSsl = parsedUrl.protocol === 'https:';
        let maxSockets = 100;
        if (this.requestOptions) {
            maxSockets = this.requestOptions.maxSockets || external_http_.globalAgent.maxSockets;
        }
        // This is `useProxy` again, but we need to check `proxyURl` directly for TypeScripts's flow analysis.
        if (proxyUrl && proxyUrl.hostname) {
            const agentOptions = {
                maxSockets,
                keepAlive: this._keepAlive,
                proxy: Object.assign(Object.assign({}, ((proxyUrl.username || proxyUrl.password) && {
                    proxyAuth: `${proxyUrl.username}:${proxyUrl.password}`
                })), { host: proxyUrl.hostname, port: proxyUrl.port })
            };
            let tunnelAgent;
            const overHttps = proxyUrl.protocol === 'https:';
            if (usingSsl) {
                tunnelAgent = overHttps ? tunnel.httpsOverHttps : tunnel.httpsOverHttp;
            }
            else {
                tunnelAgent = overHttps ? tunnel.httpOverHttps : tunnel.httpOverHttp;
            }
            agent = tunnelAgent(agentOptions);
            this._proxyAgent = agent;
        }
        // if tunneling agent isn't assigned create a new agent
        if (!agent) {
            const options = { keepAlive: this._keepAlive, maxSockets };
            agent = usingSsl ? new external_https_.Agent(options) : new external_http_.Agent(options);
            this._agent = agent;
        }
        if (usingSsl && this._ignoreSslError) {
            // we don't want to set NODE_TLS_REJECT_UNAUTHORIZED=0 since that will affect request for entire process
            // http.RequestOptions doesn't expose a way to modify RequestOptions.agent.options
            // we have to cast it to any and change it directly
            agent.options = Object.assign(agent.options || {}, {
                rejectUnauthorized: false
            });
        }
        return agent;
    }
    _getProxyAgentDispatcher(parsedUrl, proxyUrl) {
        let proxyAgent;
        if (this._keepAlive) {
            proxyAgent = this._proxyAgentDispatcher;
        }
        // if agent is already assigned use that agent.
        if (proxyAgent) {
            return proxyAgent;
        }
        const usingSsl = parsedUrl.protocol === 'https:';
        proxyAgent = new ProxyAgent(Object.assign({ uri: proxyUrl.href, pipelining: !this._keepAlive ? 0 : 1 }, ((proxyUrl.username || proxyUrl.password) && {
            token: `Basic ${Buffer.from(`${proxyUrl.username}:${proxyUrl.password}`).toString('base64')}`
        })));
        this._proxyAgentDispatcher = proxyAgent;
        if (usingSsl && this._ignoreSslError) {
            // we don't want to set NODE_TLS_REJECT_UNAUTHORIZED=0 since that will affect request for entire process
            // http.RequestOptions doesn't expose a way to modify RequestOptions.agent.options
            // we have to cast it to any and change it directly
            proxyAgent.options = Object.assign(proxyAgent.options.requestTls || {}, {
                rejectUnauthorized: false
            });
        }
        return proxyAgent;
    }
    _getUserAgentWithOrchestrationId(userAgent) {
        const baseUserAgent = userAgent || 'actions/http-client';
        const orchId = process.env['ACTIONS_ORCHESTRATION_ID'];
        if (orchId) {
            // Sanitize the orchestration ID to ensure it contains only valid characters
            // Valid characters: 0-9, a-z, _, -, .
            const sanitizedId = orchId.replace(/[^a-z0-9_.-]/gi, '_');
            return `${baseUserAgent} actions_orchestration_id/${sanitizedId}`;
        }
        return baseUserAgent;
    }
    _performExponentialBackoff(retryNumber) {
        return __awaiter(this, void 0, void 0, function* () {
            retryNumber = Math.min(ExponentialBackoffCeiling, retryNumber);
            const ms = ExponentialBackoffTimeSlice * Math.pow(2, retryNumber);
            return new Promise(resolve => setTimeout(() => resolve(), ms));
        });
    }
    _processResponse(res, options) {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve, reject) => __awaiter(this, void 0, void 0, function* () {
                const statusCode = res.message.statusCode || 0;
                const response = {
                    statusCode,
                    result: null,
                    headers: {}
                };
                // not found leads to null obj returned
                if (statusCode === HttpCodes.NotFound) {
                    resolve(response);
                }
                // get the result from the body
                function dateTimeDeserializer(key, value) {
                    if (typeof value === 'string') {
                        const a = new Date(value);
                        if (!isNaN(a.valueOf())) {
                            return a;
                        }
                    }
                    return value;
                }
                let obj;
                let contents;
                try {
                    contents = yield res.readBody();
                    if (contents && contents.length > 0) {
                        if (options && options.deserializeDates) {
                            obj = JSON.parse(contents, dateTimeDeserializer);
                        }
                        else {
                            obj = JSON.parse(contents);
                        }
                        response.result = obj;
                    }
                    response.headers = res.message.headers;
                }
                catch (err) {
                    // Invalid resource (contents not json);  leaving result obj null
                }
                // note that 3xx redirects are handled by the http layer.
                if (statusCode > 299) {
                    let msg;
                    // if exception/error in body, attempt to get better error
                    if (obj && obj.message) {
                        msg = obj.message;
                    }
                    else if (contents && contents.length > 0) {
                        // it may be the case that the exception is in the body message as string
                        msg = contents;
                    }
                    else {
                        msg = `Failed request: (${statusCode})`;
                    }
                    const err = new HttpClientError(msg, statusCode);
                    err.result = response.result;
                    reject(err);
                }
                else {
                    resolve(response);
                }
            }));
        });
    }
}
const lowercaseKeys = (obj) => Object.keys(obj).reduce((c, k) => ((c[k.toLowerCase()] = obj[k]), c), {});
//# sourceMappingURL=index.js.map
;// CONCATENATED MODULE: ./src/runner/no-oidc-auth.ts
class BearerCredentialHandler {
    constructor() {
        throw new Error("@actions/http-client's credential handlers are not bundled with this action.");
    }
}

;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/oidc-utils.js
var oidc_utils_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



class OidcClient {
    static createHttpClient(allowRetry = true, maxRetry = 10) {
        const requestOptions = {
            allowRetries: allowRetry,
            maxRetries: maxRetry
        };
        return new HttpClient('actions/oidc-client', [new BearerCredentialHandler(OidcClient.getRequestToken())], requestOptions);
    }
    static getRequestToken() {
        const token = process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
        if (!token) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable');
        }
        return token;
    }
    static getIDTokenUrl() {
        const runtimeUrl = process.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
        if (!runtimeUrl) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        }
        return runtimeUrl;
    }
    static getCall(id_token_url) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            var _a;
            const httpclient = OidcClient.createHttpClient();
            const res = yield httpclient
                .getJson(id_token_url)
                .catch(error => {
                throw new Error(`Failed to get ID Token. \n 
        Error Code : ${error.statusCode}\n 
        Error Message: ${error.message}`);
            });
            const id_token = (_a = res.result) === null || _a === void 0 ? void 0 : _a.value;
            if (!id_token) {
                throw new Error('Response json body do not have ID Token field');
            }
            return id_token;
        });
    }
    static getIDToken(audience) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            try {
                // New ID Token is requested from action service
                let id_token_url = OidcClient.getIDTokenUrl();
                if (audience) {
                    const encodedAudience = encodeURIComponent(audience);
                    id_token_url = `${id_token_url}&audience=${encodedAudience}`;
                }
                debug(`ID token url is ${id_token_url}`);
                const id_token = yield OidcClient.getCall(id_token_url);
                setSecret(id_token);
                return id_token;
            }
            catch (error) {
                throw new Error(`Error message: ${error.message}`);
            }
        });
    }
}
//# sourceMappingURL=oidc-utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/summary.js
var summary_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_namespaceObject.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return summary_awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_namespaceObject.constants.R_OK | external_fs_namespaceObject.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return summary_awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return summary_awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_namespaceObject.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = _summary;
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, external_path_namespaceObject.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: ./src/runner/no-exec.ts
function notBundled() {
    throw new Error('@actions/exec is not bundled with this action: it runs no programs.');
}
const exec = (/* unused pure expression or super */ null && (notBundled));
const getExecOutput = notBundled;

;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_namespaceObject.platform();
const arch = external_os_namespaceObject.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};






/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function setSecret(secret) {
    issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${external_path_namespaceObject.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_namespaceObject.EOL);
    issueCommand('set-output', { name }, toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function debug(message) {
    issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    issueCommand('error', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    issueCommand('warning', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_namespaceObject.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return issueFileCommand('STATE', prepareKeyValueMessage(name, value));
    }
    issueCommand('save-state', { name }, toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map
;// CONCATENATED MODULE: ./src/exchange/endpoint.ts

function isLoopbackHost(hostname) {
    const host = hostname.toLowerCase();
    return (host === 'localhost' ||
        /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
        host === '[::1]');
}
function describeEndpoint(url) {
    return `${url.origin}${url.pathname}`;
}
function checkRedirect(from, status, location, mentionsSecret) {
    if (!location)
        return { follow: false, reason: `answered ${status} without a Location header` };
    if (mentionsSecret(location)) {
        return { follow: false, reason: `redirected (${status}) to a Location that contains the client secret` };
    }
    let target;
    try {
        target = new URL(location, from);
    }
    catch {
        return { follow: false, reason: `answered ${status} with an invalid Location header` };
    }
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        const scheme = target.protocol.replace(/[^a-z0-9+.-]/gi, '').slice(0, 20);
        return { follow: false, reason: `redirected (${status}) to a URL that is not http or https (scheme '${scheme}')` };
    }
    const where = (0,log_text/* logSafe */.sN)(describeEndpoint(target), 200);
    if (status !== 307 && status !== 308) {
        return { follow: false, reason: `redirected (${status}) to ${where}, which would drop the POST body` };
    }
    if (target.username || target.password) {
        return { follow: false, reason: `redirected (${status}) to a URL with embedded credentials` };
    }
    const secure = target.protocol === 'https:' || isLoopbackHost(target.hostname);
    const downgrade = from.protocol === 'https:' && target.protocol !== 'https:';
    if (!secure || downgrade) {
        return { follow: false, reason: `redirected (${status}) to ${where}, which is not https` };
    }
    const fromHost = from.hostname.toLowerCase();
    const toHost = target.hostname.toLowerCase();
    if ((toHost !== fromHost && !toHost.endsWith(`.${fromHost}`)) || target.port !== from.port) {
        return { follow: false, reason: `redirected (${status}) to another host or port, ${where}` };
    }
    if (target.protocol !== from.protocol) {
        return { follow: false, reason: `redirected (${status}) to ${where}, which changes the scheme` };
    }
    return { follow: true, url: target };
}

// EXTERNAL MODULE: ./src/errors.ts
var errors = __nccwpck_require__(916);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __nccwpck_require__(30);
// EXTERNAL MODULE: ./src/text/encoding.ts
var encoding = __nccwpck_require__(922);
;// CONCATENATED MODULE: ./src/exchange/proxy.ts




const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];
const VARIABLES_BY_SCHEME = {
    'https:': ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'],
    'http:': ['http_proxy', 'all_proxy', 'ALL_PROXY']
};
const SOCKS_SCHEMES = new Set(['socks', 'socks4', 'socks4a', 'socks5', 'socks5h']);
const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
const BAD_HOST = 'has a host that is not a valid host name or IP address (an IPv6 address goes in brackets)';
const FORM = 'write it as http://host:port (or host:port, or https://host:port for TLS to the proxy), with user:password@ ' +
    'before the host if the proxy needs credentials.';
function readProxyEnvironment(env, protocol) {
    const noProxy = env.no_proxy || env.NO_PROXY || '';
    for (const variable of VARIABLES_BY_SCHEME[protocol]) {
        const value = env[variable];
        if (value)
            return { proxy: parseProxy(variable, value), noProxy };
    }
    return { noProxy };
}
function parseProxy(variable, value) {
    const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
    if (!schemeMatch && value.includes('://')) {
        throw unusable(variable, 'is not a URL this action can read as a proxy');
    }
    const scheme = schemeMatch ? schemeMatch[1].toLowerCase() : 'http';
    if (SOCKS_SCHEMES.has(scheme)) {
        throw new errors/* ActionError */.lZ(`${variable} names a SOCKS proxy (${scheme}://), which this action does not support: in the env of this ` +
            `step, set https_proxy to an HTTP or HTTPS proxy, or set ${variable} to '' if the endpoint is reachable ` +
            'directly. Nothing was requested.');
    }
    if (scheme !== 'http' && scheme !== 'https') {
        throw unusable(variable, `has the scheme ${scheme.slice(0, 20)}://, which is not http:// or https://`);
    }
    const protocol = scheme === 'https' ? 'https:' : 'http:';
    const rest = value.slice(schemeMatch ? schemeMatch[0].length : 0);
    const at = rest.lastIndexOf('@');
    const authority = rest.slice(at + 1).split(/[/?#]/, 1)[0];
    const { hostname, portText } = splitHostPort(authority);
    const host = canonicalHost(variable, hostname);
    const port = portText === '' ? DEFAULT_PORTS[protocol] : Number(portText);
    if (!/^\d{0,5}$/.test(portText) || port < 1 || port > 65535) {
        const shown = at >= 0 ? ` (${scheme}://${displayHost(host)})` : '';
        throw unusable(variable, `has a port that is not a number from 1 to 65535${shown}`);
    }
    const proxy = { variable, protocol, hostname: host, port, address: `${displayHost(host)}:${port}` };
    const userinfo = at >= 0 ? rest.slice(0, at) : '';
    if (userinfo) {
        const { user, password } = splitUserinfo(userinfo);
        proxy.auth = `${(0,encoding/* percentDecode */.YZ)(user)}:${(0,encoding/* percentDecode */.YZ)(password)}`;
    }
    return proxy;
}
function splitHostPort(authority) {
    const bracketed = /^(\[[^\]]*\])(?::(.*))?$/.exec(authority);
    if (bracketed)
        return { hostname: bracketed[1], portText: bracketed[2] ?? '' };
    const colon = authority.indexOf(':');
    if (colon < 0)
        return { hostname: authority, portText: '' };
    return { hostname: authority.slice(0, colon), portText: authority.slice(colon + 1) };
}
function canonicalHost(variable, hostname) {
    if (hostname === '' || hostname === '[]')
        throw unusable(variable, 'has no proxy host');
    let url;
    try {
        url = new URL(`http://${hostname}`);
    }
    catch {
        throw unusable(variable, BAD_HOST);
    }
    if (url.pathname !== '/')
        throw unusable(variable, BAD_HOST);
    return unbracket(url.hostname);
}
function unbracket(hostname) {
    return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}
function displayHost(host) {
    return host.includes(':') ? `[${host}]` : host;
}
function splitUserinfo(userinfo) {
    const colon = userinfo.indexOf(':');
    return colon < 0
        ? { user: userinfo, password: '' }
        : { user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) };
}
function unusable(variable, problem) {
    return new errors/* ActionError */.lZ(`${variable} is set to a proxy this action cannot use: it ${problem}; ${FORM} Nothing was requested.`);
}
function proxyFor(proxies, url) {
    if (!proxies?.proxy || isLoopbackHost(url.hostname) || bypassesProxy(proxies.noProxy, url))
        return undefined;
    return proxies.proxy;
}
function bypassesProxy(noProxy, url) {
    const host = unbracket(url.hostname.toLowerCase()).replace(/\.$/, '');
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return noProxy.split(/[\s,]+/).some(entry => entryMatches(entry, host, port));
}
function entryMatches(entry, host, port) {
    if (entry === '*')
        return true;
    const { name, entryPort } = splitEntry(entry);
    if (entryPort !== undefined && entryPort !== port)
        return false;
    const family = (0,external_node_net_.isIP)(host);
    if (family !== 0)
        return addressMatches(name, host, family);
    const domain = name
        .toLowerCase()
        .replace(/^\*?\./, '')
        .replace(/\.$/, '');
    return host === domain || host.endsWith(`.${domain}`);
}
function splitEntry(entry) {
    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
    if (bracketed)
        return { name: bracketed[1], entryPort: bracketed[2] === undefined ? undefined : portOf(bracketed[2]) };
    const colon = entry.indexOf(':');
    if (colon < 0 || entry.includes(':', colon + 1))
        return { name: entry };
    return { name: entry.slice(0, colon), entryPort: portOf(entry.slice(colon + 1)) };
}
function portOf(text) {
    return /^\d+$/.test(text) ? Number(text) : NaN;
}
function addressMatches(name, host, family) {
    const [address, bits, ...extra] = name.split('/');
    const entryFamily = (0,external_node_net_.isIP)(address);
    if (entryFamily !== family || extra.length > 0)
        return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const list = new external_node_net_.BlockList();
    if (bits === undefined) {
        list.addAddress(address, type);
    }
    else {
        const prefix = portOf(bits);
        if (!(prefix <= (family === 4 ? 32 : 128)))
            return false;
        list.addSubnet(address, prefix, type);
    }
    return list.check(host, type);
}
function proxyCredentials(value) {
    if (!value)
        return [];
    const rest = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const at = rest.lastIndexOf('@');
    if (at <= 0)
        return [];
    const { user, password } = splitUserinfo(rest.slice(0, at));
    const credential = password || user;
    const pairs = [`${user}:${password}`, `${(0,encoding/* percentDecode */.YZ)(user)}:${(0,encoding/* percentDecode */.YZ)(password)}`];
    const forms = [
        credential,
        (0,encoding/* percentDecode */.YZ)(credential),
        ...pairs,
        ...pairs.map(pair => Buffer.from(pair).toString('base64'))
    ];
    return [...new Set(forms)];
}
function endpointProtocol(settings) {
    return settings.tokenUrl.protocol === 'http:' ? 'http:' : 'https:';
}
function proxySecrets(env) {
    return PROXY_VARIABLES.flatMap(name => proxyCredentials(env[name]));
}

;// CONCATENATED MODULE: ./src/runner/environment.ts




function readEnvironment(env, exportEnv, refresh = false, protocol = 'https:') {
    const files = { output: commandFile(env, 'GITHUB_OUTPUT') };
    if (exportEnv)
        files.env = commandFile(env, 'GITHUB_ENV');
    if (refresh) {
        files.path = commandFile(env, 'GITHUB_PATH');
        files.state = commandFile(env, 'GITHUB_STATE');
    }
    const runnerTemp = refresh ? requiredVariable(env, 'RUNNER_TEMP') : undefined;
    const extraCaFile = env.NODE_EXTRA_CA_CERTS || undefined;
    if (extraCaFile)
        checkCaFile(extraCaFile);
    return {
        files,
        runnerTemp,
        extraCaFile,
        proxies: readProxyEnvironment(env, protocol),
        tlsVerificationOffRequested: env.NODE_TLS_REJECT_UNAUTHORIZED === '0'
    };
}
function commandFile(env, variable) {
    const path = env[variable];
    if (path)
        return { variable, path };
    throw new errors/* ActionError */.lZ(`${variable} is not set, so the token cannot be handed to later steps: this action needs a runner that ` +
        'supports file commands and the node24 runtime (2.327.1 or later). Nothing was requested or published.');
}
function requiredVariable(env, variable) {
    const value = env[variable];
    if (value)
        return value;
    throw new errors/* ActionError */.lZ(`${variable} is not set, and refresh: true needs it for the token keeper: run the action on a GitHub ` +
        'Actions runner, or set refresh: false. Nothing was requested or published.');
}
function checkCaFile(path) {
    const shown = `'${(0,log_text/* logSafe */.sN)(path, 200)}'`;
    let contents;
    try {
        contents = (0,external_node_fs_.readFileSync)(path);
    }
    catch (error) {
        const code = error.code;
        const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
        throw new errors/* ActionError */.lZ(`NODE_EXTRA_CA_CERTS is set to ${shown}, but that file ${problem}: check the path (a file from the ` +
            'repository needs actions/checkout before this step).');
    }
    if (!contents.includes('-----BEGIN CERTIFICATE-----')) {
        throw new errors/* ActionError */.lZ(`NODE_EXTRA_CA_CERTS is set to ${shown}, but that file holds no PEM certificate ` +
            '(-----BEGIN CERTIFICATE-----): convert the CA certificate to PEM.');
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(598);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(161);
;// CONCATENATED MODULE: ./src/runner/file-commands.ts





function formatFileCommand(name, value) {
    const delimiter = `ghadelimiter_${(0,external_node_crypto_.randomUUID)()}`;
    return `${name}<<${delimiter}${external_node_os_.EOL}${value}${external_node_os_.EOL}${delimiter}${external_node_os_.EOL}`;
}
const APPEND_FLAGS = external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_APPEND | external_node_fs_.constants.O_CREAT | (external_node_fs_.constants.O_NONBLOCK ?? 0);
function notAFile(stats) {
    if (stats.isFile() || stats.isCharacterDevice())
        return undefined;
    if (stats.isFIFO())
        return 'a FIFO (named pipe)';
    if (stats.isDirectory())
        return 'a directory';
    if (stats.isSocket())
        return 'a socket';
    return 'a block device';
}
function kindOfPath(path) {
    try {
        return notAFile((0,external_node_fs_.statSync)(path));
    }
    catch {
        return undefined;
    }
}
function notWritable(file, problem) {
    return new errors/* ActionError */.lZ(`The runner's ${file.variable} file cannot be written (${problem}), so the token could not be handed to ` +
        'later steps; nothing was published. Check the runner and its disk.');
}
const BEFORE_REQUEST = 'nothing was requested or published';
const AFTER_REQUEST = 'nothing was published';
function notARegularFile(file, kind, undone) {
    return new errors/* ActionError */.lZ(`${file.variable} names ${kind} ('${(0,log_text/* logSafe */.sN)(file.path, 200)}'), not a regular file, so the token cannot be ` +
        `handed to later steps; ${undone}. Point ${file.variable} at a file, or leave it as the runner sets it.`);
}
function openForAppend(file, undone) {
    let fd;
    try {
        fd = (0,external_node_fs_.openSync)(file.path, APPEND_FLAGS, 0o666);
    }
    catch (error) {
        const kind = kindOfPath(file.path);
        if (kind)
            throw notARegularFile(file, kind, undone);
        throw notWritable(file, String(error.code));
    }
    const kind = notAFile((0,external_node_fs_.fstatSync)(fd));
    if (kind) {
        (0,external_node_fs_.closeSync)(fd);
        throw notARegularFile(file, kind, undone);
    }
    return fd;
}
function openAll(files, undone) {
    const opened = [];
    try {
        for (const file of files)
            opened.push(openForAppend(file, undone));
        return opened;
    }
    catch (error) {
        for (const fd of opened)
            (0,external_node_fs_.closeSync)(fd);
        throw error;
    }
}
function checkWritable(files) {
    for (const fd of openAll(files, BEFORE_REQUEST))
        (0,external_node_fs_.closeSync)(fd);
}
function writeFileCommands(files) {
    const opened = openAll(files, AFTER_REQUEST);
    const sizes = opened.map(fd => (0,external_node_fs_.fstatSync)(fd).size);
    try {
        files.forEach((file, i) => {
            const entries = 'values' in file
                ? file.values.map(([name, value]) => formatFileCommand(name, value))
                : file.lines.map(line => `${line}${external_node_os_.EOL}`);
            const text = Buffer.from(entries.join(''));
            for (let written = 0; written < text.length;)
                written += (0,external_node_fs_.writeSync)(opened[i], text, written);
        });
    }
    catch (error) {
        opened.forEach((fd, i) => truncateQuietly(fd, sizes[i]));
        const code = error.code;
        throw new errors/* ActionError */.lZ(`Writing the runner's files failed (${code}), so the token could not be handed to later steps; nothing ` +
            'was published. Check the runner and its disk.');
    }
    finally {
        for (const fd of opened)
            (0,external_node_fs_.closeSync)(fd);
    }
}
function truncateQuietly(fd, size) {
    try {
        (0,external_node_fs_.ftruncateSync)(fd, size);
    }
    catch {
    }
}

;// CONCATENATED MODULE: external "node:tls"
const external_node_tls_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");
;// CONCATENATED MODULE: ./src/exchange/client-certificate.ts







const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';
const BOTH = 'client_certificate takes the certificate (PEM text or a file; a PKCS#12 file holds the key too) and ' +
    'client_key its private key.';
function maskKey(text, mask) {
    mask(text);
    for (const line of text.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed.length >= 8 && !trimmed.startsWith('-----'))
            mask(trimmed);
    }
}
function maskKeyBlocks(text, mask) {
    for (const [block, type] of text.matchAll(PEM_BLOCK))
        if (type.endsWith('PRIVATE KEY'))
            maskKey(block, mask);
}
function loadClientCertificate(inputs, mask, now = Date.now()) {
    const { certificate, key, passphrase } = inputs;
    if (passphrase)
        mask(passphrase);
    if (key && !(0,external_node_fs_.existsSync)(key))
        maskKey(key, mask);
    maskKeyBlocks(certificate, mask);
    if (!certificate && !key) {
        if (passphrase)
            fail('client_key_passphrase', 'is set, but client_certificate and client_key are empty: set them too.');
        return undefined;
    }
    if (!certificate)
        fail('client_certificate', `is empty while client_key is set: ${BOTH}`);
    const cert = readValue('client_certificate', certificate);
    const text = cert.data.toString('utf8');
    if (!text.includes('-----BEGIN')) {
        if (key)
            fail('client_key', 'must be empty when client_certificate is a PKCS#12 file, which holds the key.');
        return { ...loadPkcs12(cert.data, passphrase, now), keyFile: cert.file };
    }
    if (cert.file)
        maskKeyBlocks(text, mask);
    const blocks = [...text.matchAll(PEM_BLOCK)];
    const certificates = blocks.filter(([, type]) => type === 'CERTIFICATE').map(([block]) => block);
    if (certificates.length === 0) {
        fail('client_certificate', `holds no PEM certificate (-----BEGIN CERTIFICATE-----). ${BOTH}`);
    }
    const chain = certificates.map(block => parseCertificate(block));
    let keyText;
    let keyFile = cert.file;
    if (key) {
        const value = readValue('client_key', key);
        keyText = value.data.toString('utf8');
        keyFile = value.file;
        if (keyFile)
            maskKeyBlocks(keyText, mask);
    }
    else {
        keyText =
            blocks.find(([, type]) => type.endsWith('PRIVATE KEY'))?.[0] ??
                fail('client_key', `is empty while client_certificate is set: ${BOTH}`);
    }
    const privateKey = parseKey(keyText, passphrase);
    if (!chain[0].checkPrivateKey(privateKey)) {
        fail('client_key', 'does not match the certificate in client_certificate: give the key the certificate was issued for, ' +
            'and the certificate first in client_certificate (before its chain).');
    }
    for (const x509 of chain)
        checkValidity(x509, now);
    checkUsage(chain[0]);
    return { cert: `${certificates.join('\n')}\n`, key: keyText, passphrase: passphrase || undefined, keyFile };
}
function keyFileWarning(certificate, workspace) {
    const file = certificate?.keyFile;
    if (!file || !workspace)
        return undefined;
    const inside = (0,external_node_path_.relative)((0,external_node_path_.resolve)(workspace), file);
    if (inside.startsWith('..') || (0,external_node_path_.isAbsolute)(inside))
        return undefined;
    return (`The private key of the client certificate is read from a file in the workspace (${(0,log_text/* logSafe */.sN)(inside, 200)}): ` +
        'if it is committed, everyone who can read the repository has the key. Write it from a secret to a file ' +
        'in RUNNER_TEMP instead.');
}
function fail(input, problem) {
    throw new errors/* InputError */.dz(input, `Input '${input}' ${problem}`);
}
function readValue(input, value) {
    if (value.includes('-----BEGIN'))
        return { data: Buffer.from(value) };
    try {
        return { data: (0,external_node_fs_.readFileSync)(value), file: (0,external_node_path_.resolve)(value) };
    }
    catch (error) {
        return fail(input, `is neither PEM text (-----BEGIN ...) nor the path of a readable file (${errorCode(error)}). Pass the PEM ` +
            'itself, e.g. from a secret, or the path of a file that holds it (a file from the repository needs ' +
            'actions/checkout first).');
    }
}
function parseCertificate(pem) {
    try {
        return new external_node_crypto_.X509Certificate(pem);
    }
    catch (error) {
        return fail('client_certificate', `holds a certificate that cannot be read (${errorCode(error)}).`);
    }
}
function parseKey(pem, passphrase) {
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
        const swapped = pem.includes('-----BEGIN CERTIFICATE-----') ? ': it holds a certificate; are the two swapped?' : '.';
        fail('client_key', `holds no PEM private key (-----BEGIN PRIVATE KEY-----)${swapped} ${BOTH}`);
    }
    const encrypted = pem.includes('ENCRYPTED');
    if (encrypted && !passphrase)
        fail('client_key', 'is encrypted: set client_key_passphrase to its passphrase.');
    try {
        return (0,external_node_crypto_.createPrivateKey)({ key: pem, passphrase: passphrase || undefined });
    }
    catch (error) {
        if (encrypted) {
            fail('client_key_passphrase', `does not decrypt client_key (${errorCode(error)}): check the passphrase.`);
        }
        return fail('client_key', `holds a private key that cannot be read (${errorCode(error)}).`);
    }
}
function loadPkcs12(data, passphrase, now) {
    let socket;
    try {
        socket = new external_node_tls_namespaceObject.TLSSocket(new external_node_net_.Socket(), { secureContext: (0,external_node_tls_namespaceObject.createSecureContext)({ pfx: data, passphrase }) });
    }
    catch (error) {
        const reason = (0,log_text/* logSafe */.sN)(String(error.message), 60);
        if (/mac verify/i.test(reason)) {
            return passphrase
                ? fail('client_key_passphrase', `does not open the PKCS#12 file in client_certificate (${reason}).`)
                : fail('client_key_passphrase', 'is empty, and the PKCS#12 file in client_certificate needs its passphrase.');
        }
        if (/unsupported pkcs12/i.test(reason)) {
            fail('client_certificate', 'names a PKCS#12 file encrypted the old way (RC2 or DES), which Node no longer reads: convert it with ' +
                '`openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12`, or pass PEM files.');
        }
        return fail('client_certificate', `names a file that is neither PEM nor PKCS#12 (${reason}). ${BOTH}`);
    }
    const leaf = new external_node_crypto_.X509Certificate(socket.getCertificate().raw);
    socket.destroy();
    checkValidity(leaf, now);
    checkUsage(leaf);
    return { pfx: data.toString('base64'), passphrase: passphrase || undefined };
}
function checkValidity(x509, now) {
    const subject = (0,log_text/* logSafe */.sN)(x509.subject, 100);
    const from = new Date(x509.validFrom);
    const to = new Date(x509.validTo);
    if (now < from.getTime()) {
        fail('client_certificate', `holds a certificate (${subject}) that is not valid until ${isoDate(from)}.`);
    }
    if (now > to.getTime()) {
        fail('client_certificate', `holds a certificate (${subject}) that expired on ${isoDate(to)}: renew it.`);
    }
}
function checkUsage(x509) {
    const usage = x509.keyUsage;
    if (usage && !usage.includes(CLIENT_AUTH) && !usage.includes(ANY_USAGE)) {
        fail('client_certificate', `holds a certificate (${(0,log_text/* logSafe */.sN)(x509.subject, 100)}) that is not for TLS client authentication (its ` +
            'extended key usage lacks clientAuth): ask for a client certificate.');
    }
}
function isoDate(date) {
    return `${date.toISOString().slice(0, 19)}Z`;
}
function errorCode(error) {
    return String(error.code);
}

;// CONCATENATED MODULE: ./src/inputs.ts




const INPUT_DEFAULTS = {
    client_id: undefined,
    client_secret: undefined,
    base_url: 'https://datasaur.ai',
    token_url: '',
    auth_method: 'client_secret_post',
    scope: '',
    export_env: 'true',
    env_name: 'DATASAUR_ACCESS_TOKEN',
    max_attempts: '5',
    timeout_seconds: '30',
    rate_limit_wait_seconds: '120',
    refresh: 'false',
    client_certificate: '',
    client_key: '',
    client_key_passphrase: ''
};
const AUTH_METHODS = ['client_secret_post', 'client_secret_basic'];
const TOKEN_PATH = 'api/oauth/token';
const OTHER_DOCUMENTED_BASE_URL = 'https://app.datasaur.ai';
const OTHER_HOST_HINT = `Datasaur also serves its API at ${OTHER_DOCUMENTED_BASE_URL}: if your workspace is there, set ` +
    `base_url: ${OTHER_DOCUMENTED_BASE_URL}.`;
const CREDENTIAL_LENGTH_LIMIT = 1024;
const MAX_ATTEMPTS_LIMIT = 10;
const TIMEOUT_SECONDS_LIMIT = 300;
const RATE_LIMIT_WAIT_SECONDS_LIMIT = 900;
function getSettings(source) {
    const clientSecret = source.getInput('client_secret');
    if (clientSecret)
        source.setSecret(clientSecret);
    const read = (name) => source.getInput(name) || (INPUT_DEFAULTS[name] ?? '');
    const clientId = bounded('client_id', required('client_id', read('client_id')));
    bounded('client_secret', required('client_secret', clientSecret));
    const tokenUrlInput = read('token_url');
    const baseUrlInput = read('base_url');
    const tokenUrl = tokenUrlInput
        ? parseEndpoint('token_url', tokenUrlInput)
        : tokenUrlFromBase(parseBaseUrl(baseUrlInput));
    const defaultEndpoint = !tokenUrlInput && baseUrlInput === INPUT_DEFAULTS.base_url;
    return {
        clientId,
        clientSecret,
        tokenUrl,
        endpointInput: tokenUrlInput ? 'token_url' : 'base_url',
        otherHostHint: defaultEndpoint ? OTHER_HOST_HINT : undefined,
        baseUrlIgnored: Boolean(tokenUrlInput) && baseUrlInput !== INPUT_DEFAULTS.base_url,
        authMethod: parseAuthMethod(read('auth_method')),
        scope: parseScope(read('scope')),
        exportEnv: parseBoolean('export_env', read('export_env')),
        envName: parseEnvName(read('env_name')),
        maxAttempts: parseMaxAttempts(read('max_attempts')),
        timeoutMs: parseSeconds('timeout_seconds', read('timeout_seconds'), TIMEOUT_SECONDS_LIMIT) * 1000,
        rateLimitBudgetMs: parseSeconds('rate_limit_wait_seconds', read('rate_limit_wait_seconds'), RATE_LIMIT_WAIT_SECONDS_LIMIT) * 1000,
        refresh: parseBoolean('refresh', read('refresh')),
        clientCertificate: loadClientCertificate({
            certificate: source.getInput('client_certificate'),
            key: source.getInput('client_key'),
            passphrase: source.getInput('client_key_passphrase')
        }, value => source.setSecret(value))
    };
}
function required(name, value) {
    if (!value) {
        throw new errors/* InputError */.dz(name, `Input '${name}' is required but was empty. If it comes from a secret or variable, make sure it ` +
            'is defined and available to this workflow (secrets are not passed to workflows triggered from forks).');
    }
    return value;
}
function bounded(name, value) {
    const length = value.length > CREDENTIAL_LENGTH_LIMIT ? Array.from(value).length : value.length;
    if (length > CREDENTIAL_LENGTH_LIMIT) {
        throw new errors/* InputError */.dz(name, `Input '${name}' is ${length} characters long, more than the ${CREDENTIAL_LENGTH_LIMIT} a client credential ` +
            `can be; check that the ${name} secret holds the credential alone.`);
    }
    return value;
}
function parseEndpoint(name, value) {
    const quoted = quoteInput(value.replace(/\/\/[^/?#]*@/, '//***@'));
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new errors/* InputError */.dz(name, `Input '${name}' is not a valid URL: ${quoted}. Expected an https URL such as https://datasaur.ai.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new errors/* InputError */.dz(name, `Input '${name}' must be an https URL, got the scheme '${(0,log_text/* logSafe */.sN)(url.protocol, 20)}'.`);
    }
    if (url.username || url.password) {
        throw new errors/* InputError */.dz(name, `Input '${name}' must not contain credentials (user:password@); pass them as client_id and client_secret.`);
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        throw new errors/* InputError */.dz(name, `Input '${name}' uses plain http to '${url.hostname}'; use https so the credentials are encrypted in transit.`);
    }
    if (value.includes('#') || (name === 'base_url' && (url.search || value.includes('?')))) {
        const what = name === 'base_url' ? 'a query or fragment' : 'a fragment';
        throw new errors/* InputError */.dz(name, `Input '${name}' must not contain ${what}.`);
    }
    return url;
}
function parseBaseUrl(value) {
    const url = parseEndpoint('base_url', value);
    const path = url.pathname.replace(/\/+$/, '');
    const root = (suffix) => {
        const rootUrl = new URL(url.href);
        rootUrl.pathname = path.replace(suffix, '');
        return rootUrl.href.replace(/\/$/, '');
    };
    if (/\/graphql$/i.test(path)) {
        throw new errors/* InputError */.dz('base_url', `Input 'base_url' is the GraphQL API's URL, ${url.href}; set it to the deployment's root ` +
            `(${root(/\/graphql$/i)}): the action adds /${TOKEN_PATH}.`);
    }
    if (/\/oauth\/token$/i.test(path)) {
        throw new errors/* InputError */.dz('base_url', `Input 'base_url' is a token endpoint URL, ${url.href}; set base_url to the deployment's root ` +
            `(${root(/(\/api)?\/oauth\/token$/i)}), or pass the full endpoint URL as token_url.`);
    }
    return url;
}
function quoteInput(value) {
    return `'${(0,log_text/* logSafe */.sN)(value, 100)}'`;
}
function tokenUrlFromBase(base) {
    const url = new URL(base.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${TOKEN_PATH}`;
    return url;
}
function parseAuthMethod(value) {
    const method = AUTH_METHODS.find(m => m === value);
    if (!method) {
        throw new errors/* InputError */.dz('auth_method', `Input 'auth_method' must be one of ${AUTH_METHODS.join(', ')}; got ${quoteInput(value)}.`);
    }
    return method;
}
function parseScope(value) {
    const scope = value.split(/[ \t\r\n]+/).join(' ');
    if (!/^[\x21\x23-\x5B\x5D-\x7E ]*$/.test(scope)) {
        throw new errors/* InputError */.dz('scope', "Input 'scope' must be space-separated scope names of visible ASCII characters, without '\"' or '\\'.");
    }
    return scope;
}
function parseBoolean(name, value) {
    if (['true', 'True', 'TRUE'].includes(value))
        return true;
    if (['false', 'False', 'FALSE'].includes(value))
        return false;
    throw new errors/* InputError */.dz(name, `Input '${name}' must be a boolean (true or false); got ${quoteInput(value)}.`);
}
const RESERVED_ENV_PREFIXES = [
    'GITHUB_',
    'RUNNER_',
    'ACTIONS_',
    'INPUT_',
    'STATE_',
    'LD_',
    'DYLD_',
    'NODE_',
    'NPM_CONFIG_',
    'GIT_',
    'SSH_',
    'SSL',
    'PYTHON',
    'JAVA_',
    'PERL',
    'RUBY',
    'BASH',
    'CURL_',
    'DOTNET_',
    'DOCKER_',
    'CARGO_',
    'LC_'
];
const RESERVED_ENV_SUFFIX = '_PROXY';
const RESERVED_ENV_NAMES = [
    'PATH',
    'HOME',
    'SHELL',
    'ENV',
    'IFS',
    'SHELLOPTS',
    'CDPATH',
    'PS4',
    'PROMPT_COMMAND',
    'TMPDIR',
    'TEMP',
    'TMP',
    'LANG',
    'TZ',
    'CI',
    'CLASSPATH',
    'JDK_JAVA_OPTIONS',
    '_JAVA_OPTIONS',
    'REQUESTS_CA_BUNDLE',
    'GLIBC_TUNABLES',
    'GCONV_PATH',
    'MAVEN_OPTS',
    'GRADLE_OPTS',
    'GOFLAGS',
    'RUSTFLAGS'
];
function parseEnvName(value) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
        throw new errors/* InputError */.dz('env_name', "Input 'env_name' must be a valid environment variable name (letters, digits and '_', not starting " +
            `with a digit); got ${quoteInput(value)}.`);
    }
    const upper = value.toUpperCase();
    const reserved = RESERVED_ENV_NAMES.includes(upper) ||
        RESERVED_ENV_PREFIXES.some(prefix => upper.startsWith(prefix)) ||
        upper.endsWith(RESERVED_ENV_SUFFIX);
    if (reserved) {
        throw new errors/* InputError */.dz('env_name', `Input 'env_name' must not be ${value}: the runner, a shell or a tool in later steps reads that ` +
            'variable, and a token in it would change what they do. Choose another name, such as DATASAUR_ACCESS_TOKEN.');
    }
    return value;
}
function parseMaxAttempts(value) {
    const attempts = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(attempts >= 1 && attempts <= MAX_ATTEMPTS_LIMIT)) {
        throw new errors/* InputError */.dz('max_attempts', `Input 'max_attempts' must be a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}; got ${quoteInput(value)}.`);
    }
    return attempts;
}
function parseSeconds(name, value, limit) {
    const seconds = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : NaN;
    if (!(seconds > 0 && seconds <= limit)) {
        throw new errors/* InputError */.dz(name, `Input '${name}' must be a number of seconds above 0 and at most ${limit}; got ${quoteInput(value)}.`);
    }
    return seconds;
}

;// CONCATENATED MODULE: ./src/runner/step-log.ts

function passThrough() {
    return { redactor: new log_text/* Redactor */.pO(), trusted: write => write() };
}
class StepLog {
    runner;
    output;
    redactor;
    constructor(runner, output = passThrough()) {
        this.runner = runner;
        this.output = output;
        this.redactor = output.redactor;
    }
    mask(value) {
        this.output.trusted(() => this.runner.setSecret(value));
        this.redactor.add(value);
    }
    clean(text) {
        return (0,log_text/* neutralizeLine */.a0)(this.redactor.redact(text));
    }
    info(text) {
        this.output.trusted(() => this.runner.info(this.clean(text)));
    }
    debug(text) {
        this.output.trusted(() => this.runner.debug(this.clean(text)));
    }
    warning(text) {
        this.output.trusted(() => this.runner.warning(this.clean(text)));
    }
    fail(text) {
        this.output.trusted(() => this.runner.setFailed(this.clean(text)));
    }
}

;// CONCATENATED MODULE: ./src/exchange/retry.ts

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
function isRetryableStatus(status) {
    return RETRYABLE_STATUSES.has(status);
}
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 20_000;
const MAX_RETRY_AFTER_MS = 60_000;
function backoffCeilingMs(failedAttempts) {
    return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** failedAttempts);
}
function backoffDelayMs(failedAttempts, random) {
    return Math.floor(random() * backoffCeilingMs(failedAttempts));
}
function retryDelayMs(failedAttempts, retryAfterMs, random, limitMs = Infinity) {
    if (retryAfterMs === undefined)
        return backoffDelayMs(failedAttempts, random);
    const ceiling = Math.min(backoffCeilingMs(failedAttempts), limitMs);
    if (retryAfterMs >= ceiling)
        return retryAfterMs;
    return retryAfterMs + Math.floor(random() * (ceiling - retryAfterMs));
}
function tenthsUp(ms) {
    return Math.ceil(ms / 100) / 10;
}
function tenthsDown(ms) {
    return Math.floor(ms / 100) / 10;
}
function parseRetryAfterMs(value, nowMs) {
    if (!value)
        return undefined;
    const text = value.trim();
    if (/^\d+$/.test(text))
        return Number(text) * 1000;
    const date = parseHttpDate(text, nowMs);
    return date === undefined ? undefined : Math.max(0, date - nowMs);
}
const DAY_NAMES = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
const LONG_DAY_NAMES = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^(?:${DAY_NAMES}), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:${LONG_DAY_NAMES}), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:${DAY_NAMES}) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);
function parseHttpDate(text, nowMs) {
    let fields;
    let match;
    if ((match = IMF_FIXDATE.exec(text))) {
        fields = [match[1], match[2], Number(match[3]), match[4], match[5], match[6]];
    }
    else if ((match = RFC850_DATE.exec(text))) {
        const thisYear = new Date(nowMs).getUTCFullYear();
        let year = Math.floor(thisYear / 100) * 100 + Number(match[3]);
        if (year > thisYear + 50)
            year -= 100;
        fields = [match[1], match[2], year, match[4], match[5], match[6]];
    }
    else if ((match = ASCTIME_DATE.exec(text))) {
        fields = [match[2], match[1], Number(match[6]), match[3], match[4], match[5]];
    }
    if (!fields)
        return undefined;
    const [day, month, year, hours, minutes, seconds] = fields;
    const monthIndex = MONTHS.indexOf(month);
    const date = Date.UTC(year, monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds));
    const outOfRange = Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59;
    if (outOfRange || new Date(date).getUTCMonth() !== monthIndex)
        return undefined;
    return date;
}
const systemClock = {
    now: () => Date.now(),
    sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
    random: () => Math.random()
};
async function withRetries(attempt, options) {
    const { maxAttempts, rateLimitBudgetMs, clock } = options;
    const startedMs = clock.now();
    let counted = 0;
    for (let failures = 0;; failures++) {
        try {
            return await attempt(failures + 1);
        }
        catch (error) {
            if (!(error instanceof errors/* AttemptError */.cb) || !error.options.retryable)
                throw error;
            const nowMs = clock.now();
            const retryAfterMs = parseRetryAfterMs(error.options.retryAfter, nowMs);
            const made = `${failures + 1} ${failures === 0 ? 'attempt' : 'attempts'}`;
            if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
                throw new errors/* ActionError */.lZ(`${error.message} The server asked to wait ${Math.ceil(retryAfterMs / 1000)} s before trying ` +
                    `again (Retry-After), longer than the ${MAX_RETRY_AFTER_MS / 1000} s this action waits; ` +
                    `gave up after ${made}, re-run the job later.`);
            }
            const leftMs = rateLimitBudgetMs - (nowMs - startedMs);
            const delayMs = retryDelayMs(failures + 1, retryAfterMs, clock.random, leftMs);
            const notice = { attempt: counted + 1, maxAttempts, reason: error.options.reason, delayMs };
            if (retryAfterMs === undefined) {
                counted++;
                if (counted >= maxAttempts) {
                    const attempts = `${counted} ${counted === 1 ? 'attempt' : 'attempts'}`;
                    throw new errors/* ActionError */.lZ(`${error.message} Gave up after ${attempts} (max_attempts).`);
                }
                options.onRetry(notice);
            }
            else {
                if (retryAfterMs > leftMs) {
                    throw new errors/* ActionError */.lZ(`${error.message} The server asked to wait ${tenthsUp(retryAfterMs)} s (Retry-After), but only ` +
                        `${tenthsDown(Math.max(0, leftMs))} s of the ${rateLimitBudgetMs / 1000} s of rate_limit_wait_seconds ` +
                        `were left; gave up after ${made} in ${tenthsDown(nowMs - startedMs)} s. Raise ` +
                        'rate_limit_wait_seconds, or re-run the job later.');
                }
                const usedMs = nowMs + delayMs - startedMs;
                options.onRetry({ ...notice, rateLimited: { usedMs, budgetMs: rateLimitBudgetMs } });
            }
            await clock.sleep(delayMs);
        }
    }
}

;// CONCATENATED MODULE: external "node:http"
const external_node_http_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");
var external_node_http_default = /*#__PURE__*/__nccwpck_require__.n(external_node_http_namespaceObject);
;// CONCATENATED MODULE: external "node:https"
const external_node_https_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");
var external_node_https_default = /*#__PURE__*/__nccwpck_require__.n(external_node_https_namespaceObject);
;// CONCATENATED MODULE: ./src/exchange/attempt-connections.ts





const TUNNELS = {
    'https:': { overHttp: tunnel.httpsOverHttp, overHttps: tunnel.httpsOverHttps },
    'http:': { overHttp: tunnel.httpOverHttp, overHttps: tunnel.httpOverHttps }
};
class SwitchedProtocols extends Error {
}
class AttemptConnections {
    proxies;
    proxySockets = [];
    directAgents = [];
    proxyInUse;
    proxyFailure;
    otherSockets = [];
    switchedProtocols;
    switchProtocols = () => undefined;
    constructor(proxies) {
        this.proxies = proxies;
        this.switchedProtocols = new Promise((_, reject) => (this.switchProtocols = reject));
        this.switchedProtocols.catch(() => undefined);
    }
    get proxy() {
        return this.proxyInUse?.address;
    }
    requestInfo(method, url, headers) {
        const secure = url.protocol === 'https:';
        const options = {
            host: url.hostname,
            port: url.port ? Number(url.port) : secure ? 443 : 80,
            path: `${url.pathname}${url.search}`,
            method,
            headers
        };
        const proxy = proxyFor(this.proxies, url);
        if (proxy) {
            this.proxyInUse = proxy;
            options.agent = this.tunnel(proxy, url.protocol);
        }
        else {
            const agent = secure ? new (external_node_https_default()).Agent() : new (external_node_http_default()).Agent();
            this.directAgents.push(agent);
            options.agent = agent;
            if (url.hostname.startsWith('['))
                options.host = url.hostname.slice(1, -1);
            options.lookup = sharedLookup;
        }
        this.watchUpgrades(options.agent);
        return { options, parsedUrl: url, httpModule: secure ? (external_node_https_default()) : (external_node_http_default()) };
    }
    watchUpgrades(agent) {
        const add = agent.addRequest;
        agent.addRequest = (request, ...rest) => {
            request.on('upgrade', (_response, socket) => {
                socket.destroy();
                this.switchProtocols(new SwitchedProtocols());
            });
            add.call(agent, request, ...rest);
        };
    }
    tunnel(proxy, protocol) {
        const kinds = TUNNELS[protocol];
        const create = proxy.protocol === 'https:' ? kinds.overHttps : kinds.overHttp;
        const agent = create({ proxy: { host: proxy.hostname, port: proxy.port } });
        const authorization = proxy.auth
            ? { 'Proxy-Authorization': `Basic ${Buffer.from(proxy.auth).toString('base64')}` }
            : {};
        const request = agent.request;
        agent.request = options => {
            const connect = request({ ...options, lookup: sharedLookup, headers: { ...options.headers, ...authorization } });
            connect.on('socket', socket => this.proxySockets.push(socket));
            connect.once('error', error => (this.proxyFailure ??= error));
            return connect;
        };
        return agent;
    }
    destroyAll() {
        for (const socket of this.proxySockets)
            socket.destroy();
        for (const agent of this.directAgents)
            agent.destroy();
        for (const socket of this.otherSockets)
            socket.destroy();
    }
    track(socket) {
        this.otherSockets.push(socket);
    }
}

;// CONCATENATED MODULE: ./src/exchange/client-tls.ts
function certificateOptions(certificate) {
    if (!certificate)
        return {};
    const { cert, key, pfx, passphrase } = certificate;
    return pfx ? { pfx: Buffer.from(pfx, 'base64'), passphrase } : { cert, key, passphrase };
}
class ClientTls {
    certificateRequested = false;
    options;
    wrapped = new WeakSet();
    constructor(certificate) {
        this.options = certificateOptions(certificate);
    }
    prepareRequest(options) {
        const agent = options.agent;
        const tunnel = agent.proxyOptions !== undefined;
        Object.assign(tunnel ? agent.options : options, this.options);
        if (this.wrapped.has(agent))
            return;
        this.wrapped.add(agent);
        if (tunnel) {
            const create = agent.createSocket;
            agent.createSocket = (opts, done) => create.call(agent, opts, socket => done(this.watch(socket)));
        }
        else {
            const create = agent.createConnection;
            agent.createConnection = (...args) => this.watch(create.apply(agent, args));
        }
    }
    watch(socket) {
        this.certificateRequested = false;
        const tls = socket;
        tls.on('keylog', () => {
            if (tls.getSharedSigalgs().length > 0)
                this.certificateRequested = true;
        });
        return socket;
    }
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return Promise.reject(new Error('not supported'));
    }
}

;// CONCATENATED MODULE: ./src/exchange/client-certificate-errors.ts


const VERDICTS = {
    CERTIFICATE_REQUIRED: 'the server received none: its key type or signature algorithm may be one the server does not accept',
    HANDSHAKE_FAILURE: 'the server ended the handshake after receiving it',
    UNKNOWN_CA: "it was not issued by a CA the server trusts: ask the server's operators which CA issues its client " +
        'certificates, and add any intermediate certificates to client_certificate',
    BAD_CERTIFICATE: "the server found it invalid (by the server's clock it may not be valid yet)",
    UNSUPPORTED_CERTIFICATE: 'the server does not accept this kind of certificate: it must be one for TLS client authentication',
    CERTIFICATE_EXPIRED: "it has expired by the server's clock: renew it",
    CERTIFICATE_REVOKED: 'it has been revoked: ask for a new one',
    CERTIFICATE_UNKNOWN: 'the server could not verify it: add any intermediate certificates to client_certificate',
    ACCESS_DENIED: "the certificate is valid but not allowed here: ask the server's operators to authorise it",
    DECRYPT_ERROR: 'its signature did not verify: client_key must be the key of this certificate'
};
const SET_BOTH = 'set client_certificate and client_key to the certificate and key issued for this client.';
function clientCertificateError(error, context) {
    const { code, message } = Object(error);
    const alert = /(?:sslv3|tlsv13?|ssl\/tls)(?:_alert_(\w+)| alert ([a-z]+ [a-z]+))/i.exec(`${code} ${message}`);
    const name = String(alert?.[1] ?? alert?.[2])
        .toUpperCase()
        .replace(/ /g, '_');
    const asked = context.certificateRequested === true;
    const verdict = name !== 'HANDSHAKE_FAILURE' || asked ? VERDICTS[name] : undefined;
    const reset = asked && (code === 'ECONNRESET' || code === 'EPIPE');
    if (!verdict && !reset)
        return undefined;
    const where = describeEndpoint(context.endpoint);
    const cause = verdict ? `TLS alert ${name.toLowerCase().replace(/_/g, ' ')}` : String(code);
    if (!context.clientCertificateSet) {
        return client_certificate_errors_final(`The token endpoint ${where} requires a TLS client certificate, and none is set (${cause}): ${SET_BOTH}`);
    }
    if (verdict) {
        return client_certificate_errors_final(`The token endpoint ${where} rejected the TLS client certificate in client_certificate (${cause}): ${verdict}.`);
    }
    return client_certificate_errors_final(`The token endpoint ${where} closed the connection (${code}) right after a TLS handshake in which it asked ` +
        'for a client certificate: it most likely rejected the one in client_certificate (a TLS 1.3 server often ' +
        'says so only with a reset). Check that it was issued by a CA the server trusts, for TLS client ' +
        'authentication, with any intermediate certificates.');
}
function ingressCertificateError(status, body, where, clientCertificateSet) {
    if (status !== 400)
        return undefined;
    const answered = `The token endpoint ${where} answered HTTP 400`;
    if (/No required SSL certificate was sent/i.test(body)) {
        return client_certificate_errors_final(clientCertificateSet
            ? `${answered} "No required SSL certificate was sent", although client_certificate is set: the ` +
                'certificate did not reach the server, as when a TLS-inspecting proxy or load balancer ends the TLS ' +
                'connection before it; ask for this host to be passed through.'
            : `${answered} "No required SSL certificate was sent": it requires a TLS client certificate, and none is ` +
                `set: ${SET_BOTH}`);
    }
    if (/The SSL certificate error/i.test(body)) {
        return client_certificate_errors_final(`${answered} "The SSL certificate error": it rejected the TLS client certificate in client_certificate. ` +
            'Check that it was issued by a CA the server trusts, is valid, and carries any intermediate certificates.');
    }
    return undefined;
}
function client_certificate_errors_final(message) {
    return new errors/* AttemptError */.cb(message, { retryable: false, reason: 'client certificate' });
}

;// CONCATENATED MODULE: ./src/exchange/network-errors.ts




const TRANSIENT_CODES = new Set([
    'EAI_AGAIN',
    'ECONNABORTED',
    'ECONNREFUSED',
    'ECONNRESET',
    'EHOSTDOWN',
    'EHOSTUNREACH',
    'ENETDOWN',
    'ENETUNREACH',
    'EPIPE',
    'EPROTO',
    'ETIMEDOUT'
]);
const CERTIFICATE_PROBLEMS = {
    ERR_TLS_CERT_ALTNAME_INVALID: 'wrong name',
    HOSTNAME_MISMATCH: 'wrong name',
    CERT_HAS_EXPIRED: 'expired',
    CERT_NOT_YET_VALID: 'not yet valid',
    CERT_UNTRUSTED: 'unknown issuer',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown issuer',
    SELF_SIGNED_CERT_IN_CHAIN: 'unknown issuer',
    UNABLE_TO_GET_ISSUER_CERT: 'unknown issuer',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown issuer',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown issuer',
    CERT_CHAIN_TOO_LONG: 'invalid',
    CERT_REJECTED: 'invalid',
    CERT_REVOKED: 'invalid',
    CERT_SIGNATURE_FAILURE: 'invalid',
    INVALID_CA: 'invalid',
    INVALID_PURPOSE: 'invalid',
    PATH_LENGTH_EXCEEDED: 'invalid',
    UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'invalid',
    UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'invalid'
};
function networkError(error, context) {
    const code = network_errors_errorCode(error);
    const message = error instanceof Error ? error.message : '';
    const where = describeEndpoint(context.endpoint);
    const host = context.url.host;
    if (/^(tunneling socket could not be established|got illegal response body from proxy)/.test(message)) {
        return proxyError(message, code, context);
    }
    const clientCertificate = clientCertificateError(error, context);
    if (clientCertificate)
        return clientCertificate;
    const problem = CERTIFICATE_PROBLEMS[code];
    if (problem)
        return network_errors_final(certificateMessage(problem, code, context), code);
    if (code === 'ENOTFOUND') {
        return network_errors_final(`Could not resolve the host ${context.url.hostname} of the token endpoint ${where} (ENOTFOUND): check the ` +
            `spelling of '${context.endpointInput}', that the runner has DNS and network access to it, and ` +
            'https_proxy if the runner must go through a proxy.', code);
    }
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
        return network_errors_final(`${host} did not answer with TLS (${code}): it may serve plain http on this port; check the scheme and ` +
            `port of '${context.endpointInput}'.`, code);
    }
    if (code.startsWith('HPE_') && context.url.protocol === 'http:' && isTlsRecord(error)) {
        return plainHttpToTls(context, `it answered with a TLS alert, ${code}`, code);
    }
    if (code.startsWith('HPE_')) {
        return network_errors_final(`The token endpoint ${where} answered with something that is not HTTP (${code}): check that ` +
            `'${context.endpointInput}' points at the Datasaur server and not at another service.`, code);
    }
    if (!TRANSIENT_CODES.has(code) && code !== NO_CODE) {
        return network_errors_final(`Could not reach the token endpoint ${where} (${code}).`, code);
    }
    const hint = code === 'ECONNREFUSED'
        ? ` Nothing accepted the connection to ${host}: check the port in '${context.endpointInput}' and that the server is running.`
        : code === 'ETIMEDOUT'
            ? ` Check that the runner can reach ${context.url.hostname} (a firewall may drop the traffic).`
            : '';
    return new errors/* AttemptError */.cb(`Could not reach the token endpoint ${where} (${code}).${hint}`, {
        retryable: true,
        reason: code
    });
}
function isTlsRecord(error) {
    const raw = error.rawPacket;
    return Buffer.isBuffer(raw) && (raw[0] === 0x15 || raw[0] === 0x16) && raw[1] === 0x03;
}
function plainHttpToTls(context, how, reason) {
    return network_errors_final(`The server at ${context.url.host} speaks TLS, but the token endpoint ${describeEndpoint(context.endpoint)} ` +
        `was asked in plain http (${how}): use https:// in '${context.endpointInput}'.`, reason);
}
function timeoutError(context, timeoutMs) {
    const via = context.proxy ? ` through the proxy ${context.proxy}` : '';
    return new errors/* AttemptError */.cb(`The token endpoint ${describeEndpoint(context.endpoint)} did not answer within ${timeoutMs / 1000} s ` +
        `(timeout_seconds)${via}. Check that the runner can reach ${context.url.hostname}, or raise ` +
        'timeout_seconds if the server is slow.', { retryable: true, reason: `timed out after ${timeoutMs / 1000} s` });
}
function network_errors_final(message, reason) {
    return new errors/* AttemptError */.cb(message, { retryable: false, reason });
}
function certificateMessage(problem, code, context) {
    const { hostname } = context.url;
    const subject = `The TLS certificate of ${context.url.host}`;
    switch (problem) {
        case 'wrong name':
            return (`${subject} is for another name (${code}): check the host in '${context.endpointInput}'; it must be ` +
                'a name the certificate lists.');
        case 'expired':
            return (`${subject} has expired (${code}): the server's certificate must be renewed; if it should still be ` +
                "valid, check the runner's clock.");
        case 'not yet valid':
            return (`${subject} is not valid yet (${code}): check the runner's clock, or the certificate's start date on ` +
                'the server.');
        case 'unknown issuer':
            return context.extraCaFile
                ? `${subject} was issued by a CA that is not trusted (${code}): the file NODE_EXTRA_CA_CERTS names ` +
                    `(${(0,log_text/* logSafe */.sN)(context.extraCaFile, 200)}) was loaded but does not contain the issuer of this certificate; add the ` +
                    `CA certificate that issued the certificate of ${hostname}.`
                : `${subject} was issued by a CA that is not trusted (${code}). If the server uses a private or ` +
                    'corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path of the CA certificate (PEM).';
        case 'invalid':
            return `${subject} was not accepted (${code}): the server's certificate chain must be fixed.`;
    }
}
function proxyError(message, code, context) {
    const variable = context.proxyVariable ?? 'https_proxy';
    const proxy = context.proxy ?? `configured in ${variable}`;
    const target = context.url.host;
    const status = Number(/statusCode=(\d{3})\b/.exec(message)?.[1]);
    if (status === 407) {
        return network_errors_final(`The proxy ${proxy} asked for authentication (407): check the user and password in ${variable}.`, 'proxy HTTP 407');
    }
    if (status === 403) {
        return network_errors_final(`The proxy ${proxy} refused to connect to ${target} (403): ask for it to be allowed, or add it to no_proxy ` +
            'if it is reachable directly.', 'proxy HTTP 403');
    }
    if (status === 502 || status === 503 || status === 504) {
        return new errors/* AttemptError */.cb(`The proxy ${proxy} answered HTTP ${status} to the tunnel to ${target}: the proxy could not reach the token ` +
            `endpoint ${describeEndpoint(context.endpoint)}.`, { retryable: true, reason: `proxy HTTP ${status}` });
    }
    if (status) {
        return network_errors_final(`The proxy ${proxy} refused the tunnel to ${target} (HTTP ${status}): check ${variable}.`, `proxy HTTP ${status}`);
    }
    const cause = context.proxyFailure === undefined ? code : network_errors_errorCode(context.proxyFailure);
    if (CERTIFICATE_PROBLEMS[cause]) {
        return network_errors_final(`The TLS certificate of the proxy ${proxy} was not accepted (${cause}): if the proxy's certificate is issued ` +
            'by a private or corporate CA, set NODE_EXTRA_CA_CERTS in the env of this step to the path of that CA (PEM).', `proxy ${cause}`);
    }
    if (cause === 'ENOTFOUND') {
        return network_errors_final(`Could not resolve the host of the proxy ${proxy} (ENOTFOUND): check ${variable}.`, cause);
    }
    return new errors/* AttemptError */.cb(`Could not connect to the proxy ${proxy} (${cause}): check ${variable}.`, {
        retryable: TRANSIENT_CODES.has(cause) || cause === NO_CODE,
        reason: `proxy ${cause}`
    });
}
function network_errors_errorCode(error) {
    const code = String(error?.code);
    return /^[A-Z0-9_]+$/.test(code) ? code : NO_CODE;
}
const NO_CODE = 'network error';

;// CONCATENATED MODULE: ./src/exchange/tls-probe.ts



const PROBE_TIMEOUT_MS = 2000;
function speaksTls(url, track, timeoutMs = PROBE_TIMEOUT_MS) {
    return new Promise(resolve => {
        const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
        const socket = (0,external_node_tls_namespaceObject.connect)({ host, port: Number(url.port || 80), lookup: sharedLookup });
        track(socket);
        const answer = (tls) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(tls);
        };
        const timer = setTimeout(() => answer(false), timeoutMs);
        socket.once('secureConnect', () => answer(true));
        socket.once('error', error => answer(isTlsAnswer(error)));
        socket.once('close', () => answer(false));
    });
}
function isTlsAnswer(error) {
    const code = String(error.code);
    return CERTIFICATE_PROBLEMS[code] !== undefined || /_ALERT_/.test(code);
}

;// CONCATENATED MODULE: ./src/version.ts
const VERSION = '1.0.0';
const USER_AGENT = `datasaur-token-action/${VERSION}`;

;// CONCATENATED MODULE: ./src/exchange/token-request.ts










const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
function buildTokenRequest(settings) {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers = {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json'
    };
    const encodedSecret = (0,encoding/* formEncode */.pm)(settings.clientSecret);
    const derivedSecrets = [...new Set([encodedSecret, encodeURIComponent(settings.clientSecret)])].filter(value => value !== settings.clientSecret);
    if (settings.authMethod === 'client_secret_basic') {
        const credentials = Buffer.from(`${(0,encoding/* formEncode */.pm)(settings.clientId)}:${encodedSecret}`).toString('base64');
        headers.Authorization = `Basic ${credentials}`;
        derivedSecrets.push(credentials);
    }
    else {
        form.set('client_id', settings.clientId);
        form.set('client_secret', settings.clientSecret);
    }
    if (settings.scope)
        form.set('scope', settings.scope);
    return {
        url: settings.tokenUrl,
        endpointInput: settings.endpointInput,
        otherHostHint: settings.otherHostHint,
        headers,
        body: form.toString(),
        derivedSecrets
    };
}
async function sendTokenRequest(request, options) {
    const connections = new AttemptConnections(options.proxies);
    const clientTls = new ClientTls(options.clientCertificate);
    const client = new HttpClient(USER_AGENT, undefined, {
        allowRedirects: false,
        socketTimeout: options.timeoutMs
    });
    const exchange = new Exchange(request, options, connections, clientTls);
    let timer;
    const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(exchange.context(), options.timeoutMs)), options.timeoutMs);
    });
    try {
        return await Promise.race([exchange.run(client), deadline]);
    }
    finally {
        clearTimeout(timer);
        connections.destroyAll();
        client.dispose();
    }
}
class Exchange {
    request;
    options;
    connections;
    clientTls;
    url;
    constructor(request, options, connections, clientTls) {
        this.request = request;
        this.options = options;
        this.connections = connections;
        this.clientTls = clientTls;
        this.url = request.url;
    }
    context() {
        return {
            endpoint: this.request.url,
            url: this.url,
            endpointInput: this.request.endpointInput,
            proxy: this.connections.proxy,
            proxyVariable: this.connections.proxyInUse?.variable,
            proxyFailure: this.connections.proxyFailure,
            extraCaFile: this.options.extraCaFile,
            clientCertificateSet: this.options.clientCertificate !== undefined,
            certificateRequested: this.clientTls.certificateRequested
        };
    }
    async run(client) {
        const { request } = this;
        for (let hop = 0;; hop++) {
            let message;
            try {
                const info = this.connections.requestInfo('POST', this.url, this.headers(client));
                this.clientTls.prepareRequest(info.options);
                const sent = client.requestRaw(info, request.body);
                message = (await Promise.race([sent, this.connections.switchedProtocols])).message;
            }
            catch (error) {
                if (error instanceof SwitchedProtocols)
                    throw this.switchedProtocols();
                throw await this.connectionError(error);
            }
            const status = message.statusCode ?? 0;
            if (status === 101)
                throw this.switchedProtocols();
            if (!REDIRECT_STATUSES.has(status)) {
                const body = await this.readBody(status, message);
                return { url: request.url, status, headers: message.headers, body };
            }
            const decision = checkRedirect(this.url, status, message.headers.location, text => this.options.redactor.mentions(text));
            const where = describeEndpoint(request.url);
            const fix = `Set '${request.endpointInput}' to the endpoint's final address.`;
            if (!decision.follow) {
                const hint = request.otherHostHint ? ` ${request.otherHostHint}` : '';
                throw new errors/* AttemptError */.cb(`The token endpoint ${where} ${decision.reason}; the request was not sent there. ${fix}${hint}`, { retryable: false, reason: `HTTP ${status}` });
            }
            if (hop >= MAX_REDIRECTS) {
                throw new errors/* AttemptError */.cb(`The token endpoint ${where} redirected more than ${MAX_REDIRECTS} times. ${fix}`, {
                    retryable: false,
                    reason: `HTTP ${status}`
                });
            }
            this.url = decision.url;
        }
    }
    headers(client) {
        return { ...this.request.headers, 'User-Agent': String(client.userAgent) };
    }
    async connectionError(error) {
        const context = this.context();
        if (this.url.protocol === 'http:' && network_errors_errorCode(error) === 'ECONNRESET') {
            if (await speaksTls(this.url, socket => this.connections.track(socket))) {
                return plainHttpToTls(context, 'it closed the connection, ECONNRESET', 'ECONNRESET');
            }
        }
        return networkError(error, context);
    }
    switchedProtocols() {
        return new errors/* AttemptError */.cb(`The token endpoint ${describeEndpoint(this.request.url)} answered 101 Switching Protocols: it is not a ` +
            `token endpoint (a WebSocket or other upgrade service answers so). Check '${this.request.endpointInput}'.`, { retryable: false, reason: 'HTTP 101' });
    }
    readBody(status, message) {
        const tooLarge = () => new errors/* AttemptError */.cb(`The token endpoint ${describeEndpoint(this.request.url)} answered HTTP ${status} with a body larger than ` +
            `${MAX_RESPONSE_BYTES / 1024} KiB, which is not a token response.`, { retryable: isRetryableStatus(status), reason: `HTTP ${status}, oversized body` });
        return new Promise((resolve, reject) => {
            if (Number(message.headers['content-length']) > MAX_RESPONSE_BYTES) {
                reject(tooLarge());
                return;
            }
            const chunks = [];
            let size = 0;
            message.on('data', (chunk) => {
                size += chunk.length;
                if (size > MAX_RESPONSE_BYTES) {
                    reject(tooLarge());
                }
                else {
                    chunks.push(chunk);
                }
            });
            message.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
            message.on('error', error => reject(networkError(error, { ...this.context(), certificateRequested: false })));
        });
    }
}

;// CONCATENATED MODULE: ./src/exchange/token-response.ts




const MIN_TOKEN_LENGTH = 8;
const MIN_CONTAINED_SECRET = 8;
const OAUTH_ERROR_HINTS = new Map(Object.entries({
    invalid_client: 'The client ID or secret was rejected: check the client_id and client_secret secrets. ' +
        'Regenerating Datasaur OAuth credentials invalidates the old ones, and OAuth credentials need a Growth or Enterprise plan.',
    invalid_request: 'The server found the request malformed: check token_url or base_url points at a Datasaur token endpoint.',
    unauthorized_client: 'This client is not allowed to use the client_credentials grant: check the credentials were generated for API access.',
    unsupported_grant_type: 'The server does not accept the client_credentials grant at this endpoint: check token_url or base_url.',
    invalid_scope: "The server rejected the requested scope: check the 'scope' input or leave it empty.",
    invalid_grant: 'The server rejected the grant: check the client credentials and the endpoint.'
}));
const BASIC_AUTH_HINT = "Datasaur documents the form post (auth_method: client_secret_post, the default): remove 'auth_method' and try again.";
const STATUS_HINTS = new Map([
    [401, 'Check the client_id and client_secret secrets, and auth_method.'],
    [
        403,
        'The server or a proxy refused the request; check the credentials and that the runner may reach this endpoint.'
    ],
    [404, "No token endpoint at this address: check 'base_url' or 'token_url'."],
    [405, "This address does not accept POST: check 'base_url' or 'token_url'."]
]);
const LATEST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
function parseTokenResponse(response, sentAt, context) {
    const where = describeEndpoint(response.url);
    const json = parseJson(response.body);
    const contentType = context.redactor.quote(String(response.headers['content-type'] ?? 'none'), 60);
    if (response.status !== 200)
        throw endpointError(response, where, json, contentType, context);
    if (!response.body.trim()) {
        throw new errors/* AttemptError */.cb(`The token endpoint ${where} answered HTTP 200 with an empty body.`, {
            retryable: true,
            reason: 'HTTP 200, empty body'
        });
    }
    if (!isObject(json)) {
        throw invalid(`The token endpoint ${where} answered HTTP 200 with content type '${contentType}', but a JSON object was ` +
            `expected; a proxy or login page may be in the way. Check '${context.endpointInput}'.${otherHost(context)}`);
    }
    const accessToken = json.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
        throw invalid(`The token endpoint ${where} answered HTTP 200 without an access_token.`);
    }
    if (!/^[\x21-\x7E]+$/.test(accessToken)) {
        throw invalid(`The token endpoint ${where} answered with an access_token containing characters outside visible ASCII; it was not used.`);
    }
    refuseUnpublishable(accessToken, where, context);
    const tokenType = json.token_type;
    if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
        const quotable = typeof tokenType === 'string' &&
            /^[A-Za-z0-9_.-]{1,20}$/.test(tokenType) &&
            !accessToken.includes(tokenType) &&
            !context.redactor.overlaps(tokenType);
        const got = quotable ? `'${tokenType}'` : typeof tokenType === 'string' ? 'an unsupported value' : 'none';
        throw invalid(`The token endpoint ${where} answered with token_type ${got}; only bearer tokens are supported.`);
    }
    const expiresIn = parseExpiresIn(json.expires_in, where);
    const expiresAt = expiresIn === undefined ? undefined : new Date(sentAt.getTime() + expiresIn * 1000);
    if (expiresAt && !(expiresAt.getTime() <= LATEST_EXPIRY_MS)) {
        throw invalid(`The token endpoint ${where} answered with an expires_in of ${expiresIn} s, which ends after the year 9999 ` +
            'and is not a token lifetime.');
    }
    return { accessToken, tokenType, expiresIn, expiresAt };
}
function refuseUnpublishable(accessToken, where, context) {
    const token = accessToken.toLowerCase();
    const repeatsSecret = context.secrets.some(secret => {
        const form = secret.toLowerCase();
        return token === form || (form.length >= MIN_CONTAINED_SECRET && token.includes(form));
    });
    if (repeatsSecret) {
        throw invalid(`The token endpoint ${where} answered with an access_token that repeats the client secret; it was not used, ` +
            `so the secret is not handed to later steps. Check that '${context.endpointInput}' points at a Datasaur ` +
            'token endpoint and not at a service that echoes the request.');
    }
    if (accessToken.length < MIN_TOKEN_LENGTH) {
        throw invalid(`The token endpoint ${where} answered with an access_token shorter than ${MIN_TOKEN_LENGTH} characters; it ` +
            'was not used, since masking it would hide that text everywhere in the log. Check that ' +
            `'${context.endpointInput}' points at a Datasaur token endpoint.`);
    }
    if (accessToken.startsWith('::') || accessToken.includes('##[')) {
        throw invalid(`The token endpoint ${where} answered with an access_token that the runner would read as a workflow ` +
            "command (it begins with '::' or contains '##['); it was not used.");
    }
}
function parseExpiresIn(value, where) {
    if (value === undefined || value === null)
        return undefined;
    const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (!isWholeSeconds(seconds)) {
        throw invalid(`The token endpoint ${where} answered with an expires_in that is not a whole number of seconds.`);
    }
    return seconds === 0 ? undefined : seconds;
}
function isWholeSeconds(value) {
    return Number.isSafeInteger(value) && value >= 0;
}
function endpointError(response, where, json, contentType, context) {
    const { status } = response;
    const certificate = ingressCertificateError(status, response.body, where, context.clientCertificateSet);
    if (certificate)
        return certificate;
    const serverText = (key, maxLength) => isObject(json) && typeof json[key] === 'string' ? context.redactor.quote(json[key], maxLength) : '';
    const oauthError = serverText('error', 64);
    const description = serverText('error_description', 200);
    const oauthHint = OAUTH_ERROR_HINTS.get(oauthError);
    const retryable = isRetryableStatus(status) && !oauthHint;
    const notJson = Boolean(response.body.trim()) && json === undefined;
    let message = `The token endpoint ${where} answered HTTP ${status}`;
    if (oauthError) {
        message += ` with error '${oauthError}'${description ? ` (${description})` : ''}`;
    }
    else if (notJson) {
        message += ` with content type '${contentType}' where JSON was expected`;
    }
    message += '.';
    const hint = oauthHint ?? STATUS_HINTS.get(status);
    if (hint)
        message += ` ${hint}`;
    if (oauthError === 'invalid_client' && context.authMethod === 'client_secret_basic')
        message += ` ${BASIC_AUTH_HINT}`;
    if (!oauthError && (status === 404 || status === 405 || notJson))
        message += otherHost(context);
    return new errors/* AttemptError */.cb(message, {
        retryable,
        reason: `HTTP ${status}${oauthError ? ` ${oauthError}` : ''}`,
        retryAfter: response.headers['retry-after']
    });
}
function otherHost(context) {
    return context.otherHostHint ? ` ${context.otherHostHint}` : '';
}
function invalid(message) {
    return new errors/* AttemptError */.cb(message, { retryable: false, reason: 'invalid token response' });
}
function parseJson(body) {
    try {
        return JSON.parse(body.replace(/^\uFEFF/, ''));
    }
    catch {
        return undefined;
    }
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

;// CONCATENATED MODULE: ./src/exchange/exchange.ts




async function exchangeToken(settings, environment, log, clock) {
    const request = buildTokenRequest(settings);
    for (const value of request.derivedSecrets)
        log.mask(value);
    const endpoint = describeEndpoint(settings.tokenUrl);
    const sendOptions = {
        timeoutMs: settings.timeoutMs,
        redactor: log.redactor,
        extraCaFile: environment.extraCaFile,
        proxies: environment.proxies,
        clientCertificate: settings.clientCertificate
    };
    const responseContext = {
        redactor: log.redactor,
        endpointInput: settings.endpointInput,
        authMethod: settings.authMethod,
        otherHostHint: settings.otherHostHint,
        clientCertificateSet: settings.clientCertificate !== undefined,
        secrets: [settings.clientSecret, ...request.derivedSecrets]
    };
    return withRetries(async (attempt) => {
        log.debug(`Attempt ${attempt}: POST ${endpoint} (${settings.authMethod}).`);
        const sentAt = new Date(clock.now());
        const response = await sendTokenRequest(request, sendOptions);
        log.debug(`Attempt ${attempt}: HTTP ${response.status}, ${Buffer.byteLength(response.body)} bytes.`);
        const token = parseTokenResponse(response, sentAt, responseContext);
        log.mask(token.accessToken);
        return token;
    }, {
        maxAttempts: settings.maxAttempts,
        rateLimitBudgetMs: settings.rateLimitBudgetMs,
        clock,
        onRetry: notice => log.info(retryLine(notice))
    });
}
function retryLine({ attempt, maxAttempts, reason, delayMs, rateLimited }) {
    const retrying = `Attempt ${attempt} of ${maxAttempts} failed (${reason}); retrying in ${seconds(delayMs)} s`;
    if (!rateLimited)
        return `${retrying}.`;
    return (`${retrying} as Retry-After asks, not counted against max_attempts ` +
        `(${seconds(rateLimited.usedMs)} of ${seconds(rateLimited.budgetMs)} s of rate_limit_wait_seconds used).`);
}
function seconds(ms) {
    return (ms / 1000).toFixed(1);
}

;// CONCATENATED MODULE: ./src/main.ts












const OUTPUT_NAMES = ['access_token', 'token_type', 'expires_in', 'expires_at'];
async function run(runner = core_namespaceObject, clock = systemClock, env = process.env, options = {}) {
    const log = new StepLog(runner, options.output);
    try {
        const settings = getSettings({
            getInput: (name) => runner.getInput(name),
            setSecret: value => log.mask(value)
        });
        for (const value of proxySecrets(env))
            log.mask(value);
        const environment = readEnvironment(env, settings.exportEnv, settings.refresh, endpointProtocol(settings));
        checkWritable(Object.values(environment.files));
        if (environment.tlsVerificationOffRequested) {
            delete env.NODE_TLS_REJECT_UNAUTHORIZED;
            log.warning('NODE_TLS_REJECT_UNAUTHORIZED=0 is set but ignored: this action always verifies TLS certificates. ' +
                'For a private CA, set NODE_EXTRA_CA_CERTS to its certificate instead.');
        }
        if (settings.baseUrlIgnored)
            log.warning("Input 'base_url' is not used because 'token_url' is set.");
        const keyWarning = keyFileWarning(settings.clientCertificate, env.GITHUB_WORKSPACE);
        if (keyWarning)
            log.warning(keyWarning);
        const token = await exchangeToken(settings, environment, log, clock);
        const keeper = settings.refresh ? await startRefresh(settings, token, environment, clock, env, options) : undefined;
        try {
            publish(settings, token, environment.files, log, keeper);
        }
        catch (error) {
            await keeper?.stop();
            throw error;
        }
    }
    catch (error) {
        log.fail(error instanceof Error ? error.message : String(error));
    }
}
async function startRefresh(settings, token, environment, clock, env, options) {
    const { startKeeper } = await __nccwpck_require__.e(/* import() */ 679).then(__nccwpck_require__.bind(__nccwpck_require__, 679));
    return startKeeper(settings, token, clock.now(), {
        env,
        runnerTemp: environment.runnerTemp ?? '',
        distDir: options.distDir ?? (0,external_node_path_.dirname)((0,external_node_url_namespaceObject.fileURLToPath)(import.meta.url)),
        node: process.execPath,
        platform: process.platform
    });
}
function publish(settings, token, files, log, keeper) {
    const expiresAt = token.expiresAt ? `${token.expiresAt.toISOString().slice(0, 19)}Z` : '';
    const outputs = {
        access_token: token.accessToken,
        token_type: token.tokenType,
        expires_in: token.expiresIn === undefined ? '' : String(token.expiresIn),
        expires_at: expiresAt
    };
    const commands = [{ ...files.output, values: OUTPUT_NAMES.map(name => [name, outputs[name]]) }];
    if (files.env)
        commands.push({ ...files.env, values: [[settings.envName, token.accessToken]] });
    if (keeper && files.path && files.state) {
        commands.push({ ...files.path, lines: [keeper.commandDir] });
        commands.push({ ...files.state, values: [keeper.state] });
    }
    writeFileCommands(commands);
    log.info(`Obtained a ${token.tokenType} token from ${describeEndpoint(settings.tokenUrl)}` +
        `${expiresAt ? `, valid until ${expiresAt}` : ' (no expiry given)'}` +
        `${settings.exportEnv ? `; exported as ${settings.envName}` : ''}.`);
    if (keeper) {
        log.info('The token keeper is running: later steps of this job get a valid token from `datasaur-token`.');
    }
}

;// CONCATENATED MODULE: ./src/index.ts


void run(undefined, undefined, undefined, { output: processGuard.output }).finally(() => processGuard.end());

