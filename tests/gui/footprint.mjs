// Benchmark (not a test; `scripts/bench.sh --tray` runs it): the release tray app's memory, as PSS
// summed over the app and its WebKit processes (/proc/<pid>/smaps_rollup), with the window open,
// after closing it, and after an idle stretch with 3 connected stdio clients (with the CPU the app
// used meanwhile), then how long reopening the window takes. Writes target/bench/tray-footprint.json.
// FOOTPRINT_PROFILE=debug measures the debug build instead (for a quick look at wake-ups).
// Needs a display and a D-Bus session (bench.sh runs it under xvfb-run and dbus-run-session).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, TARGET, bin, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { displayEnv, startApp } from './driver.mjs';

const IDLE_MINUTES = Number(process.env.FOOTPRINT_IDLE_MINUTES || 10);
const TICKS = 100; // USER_HZ on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procs() {
  const out = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8').trim();
      const m = /^(\d+) \((.*)\) (\S) (.*)$/.exec(st);
      const f = m[4].split(' ');
      out.push({ pid: Number(m[1]), comm: m[2], ppid: Number(f[0]), cpu: Number(f[10]) + Number(f[11]) });
    } catch { /* gone */ }
  }
  return out;
}

/** The app and its descendants: PSS in MiB, CPU ticks, and the process names. */
function measure(root) {
  const all = procs();
  const tree = [all.find((p) => p.pid === root)].filter(Boolean);
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((p) => p.ppid === tree[i].pid));
  let pss = 0;
  const parts = {};
  const ticks = {};
  for (const p of tree) ticks[p.comm] = (ticks[p.comm] || 0) + p.cpu;
  for (const p of tree) {
    try {
      const kib = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'))[1]);
      pss += kib;
      parts[p.comm] = Math.round(((parts[p.comm] || 0) + kib / 1024) * 10) / 10;
    } catch { /* gone */ }
  }
  return { pss_mib: Math.round((pss / 1024) * 10) / 10, parts, cpu_ticks: tree.reduce((a, p) => a + p.cpu, 0), ticks };
}

const dir = tmpDir('tgmcp-footprint-');
const dc = await startFakeDc(path.join(dir, 'sessions'));
const env = serverEnv(dir, dc.addr, { PORT: '0', LOG_LEVEL: 'warn' });
const display = displayEnv();
const PROFILE = process.env.FOOTPRINT_PROFILE || 'release';
const app = await startApp(dir, env, ['--show-window'], PROFILE);
const clients = [];
const result = { idle_minutes: IDLE_MINUTES };
try {
  await waitFor(() => app.exec('return document.documentElement.dataset.ready === "true";'), { timeout: 30000, message: 'the window' });
  const pid = JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8')).pid;
  // One account, three tokens on its session (three AI clients).
  const ids = await app.execAsync(`const done = arguments[arguments.length - 1];
    const inv = (c, a) => window.__TAURI__.core.invoke(c, { args: a });
    (async () => {
      const s = await inv('login_start_code', { phone: '${ACCOUNT_A.phone}', label: 'client 1' });
      const d = await inv('login_submit_code', { login_id: s.login_id, code: '${ACCOUNT_A.code}' });
      const first = d.issued.record.id;
      const more = [];
      for (const n of [2, 3]) more.push((await inv('token_create', { label: 'client ' + n, same_session_as: first })).record.id);
      return [first, ...more];
    })().then(done, (e) => done({ error: String(e && e.error ? e.error.message : e) }));`);
  if (ids.error) throw new Error(ids.error);
  await sleep(3000);
  result.window_open = measure(pid);

  await app.exec('setTimeout(() => window.__TAURI__.window.getCurrentWindow().close(), 50); return true;');
  await waitFor(() => !procs().some((p) => p.ppid === pid && p.comm.startsWith('WebKitWebProces')), { timeout: 30000, message: 'the web process to exit' });
  await sleep(5000);
  result.window_closed = measure(pid);

  for (const id of ids) {
    const c = spawn(bin('fast-mcp-telegram', PROFILE), ['serve', '--transport', 'stdio', '--token-id', id], { env, cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    const rpc = (id2, method, params) => c.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: id2, method, params }) + '\n');
    rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'footprint', version: '1' } });
    await waitFor(() => out.includes('"id":1'), { timeout: 30000, message: 'initialize' });
    c.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    rpc(2, 'tools/call', { name: 'get_messages', arguments: { chat_id: 'carol', limit: 5 } });
    await waitFor(() => out.includes('"id":2'), { timeout: 30000, message: 'a first call' });
    clients.push(c);
  }
  const start = measure(pid);
  const t0 = Date.now();
  await sleep(IDLE_MINUTES * 60000);
  const end = measure(pid);
  const seconds = (Date.now() - t0) / 1000;
  const percent = (a, b) => Math.round(((a - b) / TICKS / seconds) * 100 * 1000) / 1000;
  const byProcess = Object.fromEntries(Object.keys(end.ticks).map((k) => [k, percent(end.ticks[k], start.ticks[k] || 0)]));
  result.idle_with_3_clients = { ...end, cpu_percent: percent(end.cpu_ticks, start.cpu_ticks), cpu_percent_by_process: byProcess };

  const t1 = Date.now();
  const second = spawnSync(bin('fast-mcp-telegram-tray', PROFILE), [], { env: { ...env, ...display }, cwd: dir, timeout: 30000 });
  if (second.status !== 0) throw new Error(`second launch: ${second.status}`);
  const [handle] = await waitFor(async () => {
    const h = await app.wd('GET', app.s('/window/handles'));
    return h.length === 1 && h;
  }, { timeout: 30000, message: 'the reopened window' });
  await app.wd('POST', app.s('/window'), { handle });
  await waitFor(() => app.exec('return document.documentElement.dataset.ready === "true";'), { timeout: 30000, interval: 10, message: 'the reopened page' });
  result.reopen_ms = Date.now() - t1;
  await sleep(3000);
  result.window_reopened = measure(pid);
} finally {
  for (const c of clients) c.kill('SIGTERM');
  await app.stop();
  await dc.proc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
fs.mkdirSync(path.join(TARGET, 'bench'), { recursive: true });
fs.writeFileSync(path.join(TARGET, 'bench', 'tray-footprint.json'), JSON.stringify(result, null, 2) + '\n');
const row = (k, m) => console.log(`${k.padEnd(28)} ${String(m.pss_mib).padStart(7)} MiB PSS  ${JSON.stringify(m.parts)}`);
console.log(`\ntray app (${PROFILE}) footprint`);
row('window open', result.window_open);
row('window closed', result.window_closed);
row(`idle ${IDLE_MINUTES} min, 3 clients`, result.idle_with_3_clients);
console.log(`${''.padEnd(28)} CPU ${result.idle_with_3_clients.cpu_percent} % over the idle stretch ${JSON.stringify(result.idle_with_3_clients.cpu_percent_by_process)}`);
row('window reopened', result.window_reopened);
console.log(`${'reopen (launch → page ready)'.padEnd(28)} ${result.reopen_ms} ms`);
