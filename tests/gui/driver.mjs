// The real tray app's window under tauri-driver (WebDriver → WebKitWebDriver → the window process's
// web view), with plain fetch calls (no client library). The window process starts the tray app
// (the owner) when none runs, as a detached process: `stop()` ends both. Shared by the tests in
// this folder, with /proc helpers to find the app's processes.
import fs from 'node:fs';
import { Proc, bin, freePort, waitFor } from '../ui/harness.mjs';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** What a process needs from this environment to reach the test's display and D-Bus session. */
export function displayEnv() {
  return Object.fromEntries(['DISPLAY', 'XAUTHORITY', 'DBUS_SESSION_BUS_ADDRESS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
}

/** Starts tauri-driver and a session on the window with `env` (the window and the tray app it
 * starts inherit it). */
export async function startApp(dir, env, args = [], profile = 'debug') {
  const [port, nativePort] = [await freePort(), await freePort()];
  const passthrough = { ...displayEnv(), ...(process.env.RUST_LOG ? { RUST_LOG: process.env.RUST_LOG } : {}) };
  const driver = new Proc('tauri-driver', process.env.TAURI_DRIVER || 'tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    cwd: dir,
    env: { ...env, ...passthrough },
  });
  const base = `http://127.0.0.1:${port}`;
  async function wd(method, p, body, timeoutMs = 30000) {
    const r = await fetch(`${base}${p}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${p} → ${r.status}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }
  await waitFor(async () => (await fetch(`${base}/status`)).ok, { timeout: 20000, message: 'tauri-driver to listen' });
  // Without a display the session request would hang forever: the timeout bounds it.
  const session = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: bin('fast-mcp-telegram-window', profile), args } } },
  }, 90000);
  const s = (p) => `/session/${session.sessionId}${p}`;
  const app = {
    driver,
    wd,
    s,
    find: async (css) => (await wd('POST', s('/element'), { using: 'css selector', value: css }))[ELEMENT],
    exec: (script, ...a) => wd('POST', s('/execute/sync'), { script, args: a }),
    /** Runs an async script: `done` is its last argument. */
    execAsync: (script, ...a) => wd('POST', s('/execute/async'), { script, args: a }),
    visible: (css) => app.exec('const e = document.querySelector(arguments[0]); return !!e && !e.closest("[hidden]");', css),
    type: async (css, text) => wd('POST', s(`/element/${await app.find(css)}/value`), { text }),
    click: async (css) => wd('POST', s(`/element/${await app.find(css)}/click`), {}),
    /** Ends the WebDriver session and, unless `keepTray`, the tray app (SIGTERM: a clean quit). */
    async stop({ keepTray = false } = {}) {
      await wd('DELETE', `/session/${session.sessionId}`).catch(() => {});
      await driver.stop(); // SIGTERM: tauri-driver then stops WebKitWebDriver (SIGKILL would orphan it)
      if (!keepTray) await stopTray(dir);
    },
  };
  return app;
}

/** The tray app's pid (the owner of `dir`), or null. */
export function trayPid(dir) {
  try {
    return JSON.parse(fs.readFileSync(`${dir}/agent.json`, 'utf8')).pid;
  } catch {
    return null;
  }
}

/** Quits the tray app of `dir` (SIGTERM) and waits until it has exited. */
export async function stopTray(dir) {
  const pid = trayPid(dir);
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !alive(pid), { timeout: 20000, message: `the tray app (pid ${pid}) to exit` });
}

function alive(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every live process: pid, parent, name (15 characters) and program path (argv[0]). */
export function processes() {
  const out = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const m = /^(\d+) \((.*)\) (\S) (\d+)/.exec(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
      if (!m || m[3] === 'Z') continue;
      const argv0 = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0];
      out.push({ pid: Number(m[1]), ppid: Number(m[4]), comm: m[2], argv0 });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** The live descendants of the processes `roots` (not the roots themselves). */
export function descendants(...roots) {
  const all = processes();
  const found = [];
  const queue = roots.filter(Boolean);
  while (queue.length) {
    const parent = queue.shift();
    for (const p of all.filter((q) => q.ppid === parent)) {
      found.push(p);
      queue.push(p.pid);
    }
  }
  return found;
}

/** The window processes (`fast-mcp-telegram-window`) among the descendants of `roots`. */
export const windowProcesses = (...roots) => descendants(...roots).filter((p) => p.argv0.endsWith('fast-mcp-telegram-window'));

/** The WebKit web processes (one per open web view) among the descendants of `roots`. */
export const webProcesses = (...roots) => descendants(...roots).filter((p) => p.comm.startsWith('WebKitWebProces'));
