// The real tray app under tauri-driver (WebDriver → WebKitWebDriver → the app's web view), with
// plain fetch calls (no client library). Shared by the tests in this folder.
import fs from 'node:fs';
import { Proc, bin, freePort, waitFor } from '../ui/harness.mjs';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** What a process needs from this environment to reach the test's display and D-Bus session. */
export function displayEnv() {
  return Object.fromEntries(['DISPLAY', 'XAUTHORITY', 'DBUS_SESSION_BUS_ADDRESS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
}

/** Starts tauri-driver and a session on the app with `env` (the app inherits it) and `args`. */
export async function startApp(dir, env, args = ['--show-window'], profile = 'debug') {
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
    capabilities: { alwaysMatch: { 'tauri:options': { application: bin('fast-mcp-telegram-tray', profile), args } } },
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
    async stop() {
      await wd('DELETE', `/session/${session.sessionId}`).catch(() => {});
      await driver.stop(); // SIGTERM: tauri-driver then stops WebKitWebDriver (SIGKILL would orphan it)
    },
  };
  return app;
}

/** Names of the live child processes of `pid` (`/proc/<pid>/stat`: "pid (comm) state ppid …"). */
export function childNames(pid) {
  const out = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const m = /^(\d+) \((.*)\) (\S) (\d+)/.exec(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
      if (m && Number(m[4]) === pid && m[3] !== 'Z') out.push(m[2]);
    } catch { /* exited meanwhile */ }
  }
  return out;
}
