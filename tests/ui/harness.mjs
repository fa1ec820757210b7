// Shared helpers for the UI tests (tests/ui) and the Tauri smoke test (tests/gui):
// start the real binaries, wait for their machine-readable lines, poll for conditions.
// No sleeps as synchronisation: every wait is for a line, an exit, or a polled condition.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
export const API_ID = '12345';
export const API_HASH = '0123456789abcdef0123456789abcdef';
export const ACCOUNT_A = { phone: '+15550001', code: '12345', name: 'Alice' };
export const ACCOUNT_B = { phone: '+15550002', code: '22222', password: 'hunter2', hint: 'pet name', name: 'Bob' };

/** Absolute path of a built binary; a clear error if it was not built. */
export function bin(name, profile = 'debug') {
  const p = path.join(TARGET, profile, name);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: build it first (cargo build --bins)`);
  return p;
}

/** A fresh private temp dir. */
export function tmpDir(prefix = 'tgmcp-ui-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o700);
  return d;
}

export function artifact(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** A child process whose stdout/stderr lines are collected and can be awaited. */
export class Proc {
  constructor(name, cmd, args, opts = {}) {
    this.name = name;
    this.lines = [];
    this.waiters = [];
    this.exited = null;
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.name} exited (${code ?? signal}) before printing ${w.re}\n${this.tail()}`));
        resolve(this.exited);
      });
    });
  }

  onLine(line) {
    this.lines.push(line);
    if (process.env.TEST_VERBOSE) process.stderr.write(`[${this.name}] ${line}\n`);
    for (const w of [...this.waiters]) {
      const m = w.re.exec(line);
      if (m) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  }

  /** Resolves with the first line matching `re` (already printed or future). The timeout is only a safety net. */
  waitForLine(re, timeoutMs = 60000) {
    for (const l of this.lines) {
      const m = re.exec(l);
      if (m) return Promise.resolve(m);
    }
    if (this.exited) return Promise.reject(new Error(`${this.name} already exited\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const w = { re, resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  tail(n = 30) {
    return this.lines.slice(-n).map((l) => `  | ${l}`).join('\n');
  }

  /** SIGTERM, then SIGKILL if it does not exit in time; resolves when it has exited. */
  async stop(graceMs = 5000) {
    if (this.exited) return this.exited;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, graceMs);
    const r = await this.exitPromise;
    clearTimeout(t);
    return r;
  }
}

/** Starts `fake-tg-dc --port 0 --watch-dir <sessions>`; stdin stays open (closing it stops the DC). */
export async function startFakeDc(sessionsDir) {
  fs.mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
  const proc = new Proc('fake-dc', bin('fake-tg-dc'), ['--port', '0', '--watch-dir', sessionsDir], { env: { PATH: process.env.PATH } });
  const m = await proc.waitForLine(/^FAKE_DC_LISTENING (\S+)/);
  return { proc, addr: m[1] };
}

/** Asks a fake DC started by startFakeDc to accept a QR login token (base64url) for `phone`. */
export async function fakeDcScanQr(dc, tokenB64, phone) {
  const seen = dc.proc.lines.length;
  dc.proc.child.stdin.write(`scan_qr ${tokenB64} ${phone}\n`);
  const m = await waitFor(() => dc.proc.lines.slice(seen).map((l) => /^QR_SCANNED (\S+)/.exec(l)).find(Boolean), { timeout: 10000, message: 'fake DC answer to scan_qr' });
  return m[1] === 'ok' || m[1] === 'true';
}

/** Environment for our binaries: a private config dir, test API credentials, the fake DC. */
export function serverEnv(dir, dcAddr, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
    XDG_DATA_HOME: path.join(dir, 'xdg-data'),
    SESSION_DIR: dir,
    API_ID,
    API_HASH,
    TELEGRAM_DC_ADDR: dcAddr,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Starts `fast-mcp-telegram serve --transport http --port 0` and reads its LISTENING and SETUP lines. */
export async function startServer(dir, dcAddr, extraEnv = {}) {
  const proc = new Proc('server', bin('fast-mcp-telegram'), ['serve', '--transport', 'http', '--port', '0'], {
    cwd: dir, // no stray .env from the repo
    env: serverEnv(dir, dcAddr, extraEnv),
  });
  const listening = await proc.waitForLine(/^LISTENING (http:\/\/\S+)/);
  const setup = await proc.waitForLine(/^SETUP (http:\/\/\S+\/setup#key=(\S+))/);
  return { proc, base: listening[1], setupUrl: setup[1], key: setup[2] };
}

/** Polls `fn` until it returns a truthy value (which is returned). */
export async function waitFor(fn, { timeout = 15000, interval = 50, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${message}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** POSTs an MCP initialize to /v1/mcp with an optional bearer token; returns the HTTP status. */
export async function mcpInitialize(base, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}/v1/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'ui-test', version: '1' } } }),
  });
  await r.arrayBuffer();
  return r.status;
}

/** A free TCP port on 127.0.0.1 (for tools that need a fixed port, like tauri-driver). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A caller of the `/setup` API of `server` (`post(command, body)` → the JSON answer; fails the test on an error status). */
export function setupApi(server) {
  return async (cmd, body = {}) => {
    const r = await fetch(`${server.base}/api/${cmd}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-setup-key': server.key },
      body: JSON.stringify(body),
    });
    const v = await r.json();
    if (!r.ok) throw new Error(`${cmd}: HTTP ${r.status} ${JSON.stringify(v)}`);
    return v;
  };
}

/** One MCP `tools/call` over HTTP as the assistant holding `token`; resolves with the MCP result (JSON or SSE answer). */
export async function mcpTool(base, token, name, args) {
  const r = await fetch(`${base}/v1/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: args } }),
  });
  let text = await r.text();
  const data = text.split('\n').find((l) => l.startsWith('data:'));
  if (data) text = data.slice(5);
  return JSON.parse(text).result;
}

/** Screenshots of the page as it is now at 720 and 1280 px wide, light and dark (artifacts
 *  `<name>-<width>-<scheme>.png`); the viewport and colour scheme are put back afterwards. */
export async function screenshotSet(page, name) {
  const vp = page.viewportSize();
  for (const width of [720, 1280]) {
    for (const colorScheme of ['light', 'dark']) {
      await page.setViewportSize({ width, height: vp ? vp.height : 800 });
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: artifact(`${name}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: null });
  if (vp) await page.setViewportSize(vp);
}
