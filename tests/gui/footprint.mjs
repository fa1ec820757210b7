// Benchmark (not a test; `scripts/bench.sh --tray` runs it): the release tray app's memory, as PSS
// summed over the app, its window process and that one's WebKit processes
// (/proc/<pid>/smaps_rollup), with the window open, after closing it, and after an idle stretch
// with 3 connected stdio clients (with the CPU the app used meanwhile), then how long reopening the
// window takes (second launch → the new page loaded). Writes target/bench/tray-footprint.json.
// FOOTPRINT_PROFILE=debug measures the debug build instead (for a quick look at wake-ups);
// FOOTPRINT_STRACE=<file> records the tray's system calls (strace -f) over the idle stretch's first
// minute, to see what wakes it.
// Needs a display and a D-Bus session (bench.sh runs it under xvfb-run and dbus-run-session).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, Proc, TARGET, bin, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { displayEnv } from './driver.mjs';

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
      // Our two processes share the 15-character name: told apart by their program.
      const comm = m[2].startsWith('fast-mcp-telegr') ? path.basename(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]) : m[2];
      out.push({ pid: Number(m[1]), comm, ppid: Number(f[0]), cpu: Number(f[10]) + Number(f[11]) });
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
  return { pss_mib: Math.round((pss / 1024) * 10) / 10, parts, cpu_ticks: tree.reduce((a, p) => a + p.cpu, 0), ticks, threads: threadCpu(root) };
}

/** The CPU time of each thread of `pid` in µs, summed by thread name: exact, from the
 * scheduler's own count (/proc/<pid>/task/<tid>/schedstat, nanoseconds on the CPU), where the
 * tick counts above are 10 ms samples (what wakes an idle app, and how much). */
function threadCpu(pid) {
  const out = {};
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      const ns = Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      out[name] = (out[name] || 0) + Math.round(ns / 1000);
    } catch { /* gone */ }
  }
  return out;
}

const dir = tmpDir('tgmcp-footprint-');
const dc = await startFakeDc(path.join(dir, 'sessions'));
const env = serverEnv(dir, dc.addr, { PORT: '0', LOG_LEVEL: 'warn' });
const display = displayEnv();
const PROFILE = process.env.FOOTPRINT_PROFILE || 'release';
const cli = (args, input) => {
  const r = spawnSync(bin('fast-mcp-telegram', PROFILE), args, { env, cwd: dir, encoding: 'utf8', input, timeout: 60000 });
  if (r.status !== 0) throw new Error(`fast-mcp-telegram ${args.join(' ')}: ${r.stderr}`);
  return r;
};
// One account, three tokens on its session (three AI clients), made before the app starts.
const first = /token id: (tok_[0-9a-f]+)/.exec(cli(['login', '--phone', ACCOUNT_A.phone, '--label', 'client 1'], `${ACCOUNT_A.code}\n`).stderr)[1];
const ids = [first];
for (const n of [2, 3]) ids.push(/token id: (tok_[0-9a-f]+)/.exec(cli(['token', 'new', '--label', `client ${n}`, '--same-session-as', first]).stderr)[1]);
// The app as the user starts it, the window asked for at once; its log tells when a window's page
// has loaded (the page asks the app for its kept state first thing).
const tray = new Proc('tray', bin('fast-mcp-telegram-tray', PROFILE), ['--show-window'], {
  env: { ...env, ...display, RUST_LOG: 'warn,fast_mcp_telegram_tray=info' },
  cwd: dir,
});
const loads = () => tray.lines.filter((l) => l.includes("the window's page is loaded")).length;
const pid = tray.child.pid;
const windowPids = () => procs().filter((p) => p.ppid === pid && p.comm === 'fast-mcp-telegram-window').map((p) => p.pid);
const clients = [];
const result = { idle_minutes: IDLE_MINUTES };
try {
  await waitFor(() => loads() === 1, { timeout: 60000, message: 'the window' });
  await sleep(3000);
  result.window_open = measure(pid);

  // Closed: the window process exits (SIGTERM here; the close button makes it exit the same way).
  for (const w of windowPids()) process.kill(w, 'SIGTERM');
  await waitFor(() => !procs().some((p) => p.comm.startsWith('WebKit')) && windowPids().length === 0, { timeout: 30000, message: 'the window to exit' });
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
  if (process.env.FOOTPRINT_STRACE) {
    spawn('timeout', ['60', 'strace', '-f', '-tt', '-o', process.env.FOOTPRINT_STRACE, '-p', String(pid)], { stdio: 'ignore' });
  }
  // Looked at after ten minutes (the CPU goal's stretch) and at the end of the idle stretch.
  for (const minutes of [...new Set([Math.min(10, IDLE_MINUTES), IDLE_MINUTES])]) {
    await sleep(t0 + minutes * 60000 - Date.now());
    const end = measure(pid);
    const seconds = (Date.now() - t0) / 1000;
    const percent = (a, b) => Math.round(((a - b) / TICKS / seconds) * 100 * 1000) / 1000;
    const byProcess = Object.fromEntries(Object.keys(end.ticks).map((k) => [k, percent(end.ticks[k], start.ticks[k] || 0)]));
    // The tray's threads by name, in µs on the CPU (threads that ended meanwhile are not in it; the
    // tick-based total above counts them).
    const byThread = Object.fromEntries(Object.keys(end.threads).map((k) => [k, end.threads[k] - (start.threads[k] || 0)]).filter(([, v]) => v > 0));
    const exact = Object.values(byThread).reduce((a, b) => a + b, 0);
    const look = {
      ...end,
      minutes,
      cpu_percent: percent(end.cpu_ticks, start.cpu_ticks),
      cpu_percent_by_process: byProcess,
      tray_cpu_percent_exact: Math.round((exact / 1e6 / seconds) * 100 * 10000) / 10000,
      tray_cpu_us_by_thread: byThread,
    };
    if (minutes === IDLE_MINUTES) result.idle_with_3_clients = look;
    else result.idle_10_minutes = look;
  }

  // Reopened by a second launch (as from the applications menu): until the new page has loaded.
  const t1 = Date.now();
  const second = spawnSync(bin('fast-mcp-telegram-tray', PROFILE), [], { env: { ...env, ...display }, cwd: dir, timeout: 30000 });
  if (second.status !== 0) throw new Error(`second launch: ${second.status}`);
  await waitFor(() => loads() === 2, { timeout: 30000, interval: 5, message: 'the reopened page' });
  result.reopen_ms = Date.now() - t1;
  await sleep(3000);
  result.window_reopened = measure(pid);
} finally {
  for (const c of clients) c.kill('SIGTERM');
  await tray.stop();
  await dc.proc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
fs.mkdirSync(path.join(TARGET, 'bench'), { recursive: true });
fs.writeFileSync(path.join(TARGET, 'bench', 'tray-footprint.json'), JSON.stringify(result, null, 2) + '\n');
const row = (k, m) => console.log(`${k.padEnd(28)} ${String(m.pss_mib).padStart(7)} MiB PSS  ${JSON.stringify(m.parts)}`);
const cpu = (m, over) => console.log(`${''.padEnd(28)} CPU ${m.cpu_percent} % over ${over} (ticks) ${JSON.stringify(m.cpu_percent_by_process)}; the tray ${m.tray_cpu_percent_exact} % (schedstat), µs by thread ${JSON.stringify(m.tray_cpu_us_by_thread)}`);
console.log(`\ntray app (${PROFILE}) footprint`);
row('window open', result.window_open);
row('window closed', result.window_closed);
if (result.idle_10_minutes) {
  row('idle 10 min, 3 clients', result.idle_10_minutes);
  cpu(result.idle_10_minutes, '10 minutes');
}
row(`idle ${IDLE_MINUTES} min, 3 clients`, result.idle_with_3_clients);
cpu(result.idle_with_3_clients, 'the idle stretch');
row('window reopened', result.window_reopened);
console.log(`${'reopen (launch → page ready)'.padEnd(28)} ${result.reopen_ms} ms`);
