import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
var __webpack_exports__ = {};

;// CONCATENATED MODULE: ./src/text/encoding.ts
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
function sharedRunLength(letters) {
    return Math.min(letters, Math.max(MIN_SHARED_RUN, Math.ceil(letters / 2)));
}
const MAX_DECODING_DEPTH = 4;
const LONG_FORM = 4096;
const DECODERS = [percentDecode, htmlDecode];
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
            const next = htmlDecode(decoded);
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

