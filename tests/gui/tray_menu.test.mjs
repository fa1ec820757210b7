// The tray menu, clicked the way a desktop shell clicks it: over D-Bus. The app's tray icon is a
// StatusNotifierItem whose menu is exported with com.canonical.dbusmenu; a panel reads the
// layout (GetLayout) and sends "clicked" events (Event). This test does the same with gdbus, so
// the real menu items run their real handlers: the status line follows changes, "Open window"
// brings up the window, "Copy client config" fills the clipboard, "Quit" stops the app cleanly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, ACCOUNT_B, Proc, bin, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { displayEnv, webProcesses, windowProcesses } from './driver.mjs';

let dir, dc, env, tray, token, menu;

/** One method call on the session bus; the reply in GVariant text form (`--`: arguments such as
 * -1 are not options). */
function call(dest, objectPath, method, ...args) {
  return execFileSync('gdbus', ['call', '--session', '--dest', dest, '--object-path', objectPath, '--method', method, '--', ...args], {
    encoding: 'utf8',
    timeout: 10000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The unique bus names of process `pid` (GTK, the keyring client and others each open one). */
function busNamesOf(pid) {
  const names = call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames').match(/':\d+\.\d+'/g) ?? [];
  return names.map((q) => q.slice(1, -1)).filter((name) => {
    try {
      const owner = call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetConnectionUnixProcessID', name);
      return Number(/uint32 (\d+)/.exec(owner)[1]) === pid;
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** The object path of the dbusmenu that connection `name` exports, if any. */
function menuPathOf(name) {
  let tree;
  try {
    // The timeout bounds a connection that never answers (not every connection serves objects).
    tree = execFileSync('gdbus', ['introspect', '--session', '--dest', name, '--object-path', '/', '--recurse'], {
      encoding: 'utf8',
      timeout: 3000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return null;
  }
  let node = null;
  for (const line of tree.split('\n')) {
    const n = /^\s*node (\S+) \{/.exec(line);
    if (n) node = n[1];
    if (node && /interface com\.canonical\.dbusmenu \{/.test(line)) return node;
  }
  return null;
}

/** The menu's items: [{ id, label, enabled }] in order (GetLayout of the root, all levels). */
function items() {
  const layout = call(menu.name, menu.path, 'com.canonical.dbusmenu.GetLayout', '0', '-1', '[]');
  const out = [];
  for (const m of layout.matchAll(/\((\d+), \{([^}]*)\}/g)) {
    const label = /'label': <'((?:[^'\\]|\\.)*)'>/.exec(m[2]);
    if (!label) continue;
    out.push({ id: Number(m[1]), label: label[1], enabled: !/'enabled': <false>/.test(m[2]) });
  }
  return out;
}

/** Clicks the item whose label matches `re`, as a panel does. */
function click(re) {
  const item = items().find((i) => re.test(i.label));
  assert.ok(item, `a menu item matching ${re} in ${JSON.stringify(items())}`);
  call(menu.name, menu.path, 'com.canonical.dbusmenu.Event', String(item.id), 'clicked', '<int32 0>', '0');
}

function cli(args, input) {
  const r = spawnSync(bin('fast-mcp-telegram'), args, { env, cwd: dir, encoding: 'utf8', input, timeout: 60000 });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

before(async () => {
  dir = tmpDir('tgmcp-gui-menu-');
  dc = await startFakeDc(path.join(dir, 'sessions'));
  env = { ...serverEnv(dir, dc.addr, { PORT: '0' }), ...displayEnv() };
  const login = cli(['login', '--phone', ACCOUNT_A.phone, '--label', 'Existing'], `${ACCOUNT_A.code}\n`);
  token = login.stdout.trim().split('\n').pop();
  tray = new Proc('tray', bin('fast-mcp-telegram-tray'), [], { env, cwd: dir });
  await tray.waitForLine(/^LISTENING /, 60000);
  // The tray icon and its menu are on the bus once the app has set up its tray.
  menu = await waitFor(() => {
    for (const name of busNamesOf(tray.child.pid)) {
      const p = menuPathOf(name);
      if (p) return { name, path: p };
    }
    return null;
  }, { timeout: 60000, message: 'the tray menu exported on D-Bus' });
});

after(async () => {
  await tray?.stop();
  await dc?.proc.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the menu lists its items and a status line that follows changes', async () => {
  const base = (await tray.waitForLine(/^LISTENING (http:\/\/\S+)/))[1];
  const addr = new URL(base).host;
  await waitFor(() => items().some((i) => i.label === `Server: running on ${addr} · 1 account logged in`), {
    timeout: 15000,
    message: `the status line for one account (${JSON.stringify(items())})`,
  });
  const labels = items().map((i) => i.label);
  assert.deepEqual(labels.filter((l) => !l.startsWith('Server:')), ['Open window', 'Copy client config', 'Quit']);
  assert.equal(items().find((i) => i.label.startsWith('Server:')).enabled, false, 'the status line is not clickable');
  // A second account logged in from the command line (through the app, the owner) shows at once.
  cli(['login', '--phone', ACCOUNT_B.phone, '--label', 'Second'], `${ACCOUNT_B.code}\n${ACCOUNT_B.password}\n`);
  await waitFor(() => items().some((i) => i.label === `Server: running on ${addr} · 2 accounts logged in`), {
    timeout: 15000,
    message: `the status line for two accounts (${JSON.stringify(items())})`,
  });
});

test('"Copy client config" puts the newest token\'s config on the clipboard', async () => {
  const base = (await tray.waitForLine(/^LISTENING (http:\/\/\S+)/))[1];
  // xclip stays behind to serve the selection: it must not hold our pipes.
  execFileSync('xclip', ['-selection', 'clipboard', '-i'], { input: 'before', stdio: ['pipe', 'ignore', 'ignore'], timeout: 10000 });
  click(/^Copy client config$/);
  const clip = await waitFor(() => {
    const text = execFileSync('xclip', ['-selection', 'clipboard', '-o'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    return text !== 'before' ? text : null;
  }, { timeout: 15000, message: 'the clipboard to change' });
  const config = JSON.parse(clip);
  const server = config.mcpServers.telegram;
  assert.equal(server.url, `${base}/v1/mcp`);
  // The newest logged-in token is the second account's; its secret is in the keyring.
  assert.match(server.headers.Authorization, /^Bearer \S+$/);
  assert.notEqual(server.headers.Authorization, `Bearer ${token}`, 'the newest token, not the first');
});

test('"Open window" brings up the window', async () => {
  const pid = tray.child.pid;
  assert.deepEqual(webProcesses(pid), [], 'no window yet');
  click(/^Open window$/);
  await waitFor(() => windowProcesses(pid).length === 1 && webProcesses(pid).length === 1, { timeout: 30000, message: 'the window process and its web process' });
});

test('"Quit" stops the app, closes its window and gives up the config dir', async () => {
  const [win] = windowProcesses(tray.child.pid);
  assert.ok(win, 'the window opened above is still open');
  click(/^Quit$/);
  const exited = await tray.exitPromise;
  assert.equal(exited.code, 0, tray.tail());
  await waitFor(() => !fs.existsSync(`/proc/${win.pid}`) || /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${win.pid}/stat`, 'utf8')), {
    timeout: 20000,
    message: 'the window process to exit with the app',
  });
  // Nobody owns the config dir any more: a CLI command takes the lock itself.
  const status = spawnSync(bin('fast-mcp-telegram'), ['agent', 'status'], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.match(`${status.stdout}${status.stderr}`, /no .*owner|not running/i);
  assert.equal(fs.existsSync(path.join(dir, 'agent.sock')), false, 'the socket file is gone');
});
