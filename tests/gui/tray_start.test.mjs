// Started in the tray with setup done (as at login), the app creates no window and so no web view
// (no WebKit process) until one is wanted: a write waiting for the user's approval brings it up
// (with a desktop notification), and a second launch shows it. Runs the app directly (no
// WebDriver: a WebDriver session would itself ask for a window).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, Proc, bin, mcpTool, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { displayEnv, webProcesses, windowProcesses } from './driver.mjs';

let dir, dc, env, tray, token;

before(async () => {
  dir = tmpDir('tgmcp-gui-start-');
  dc = await startFakeDc(path.join(dir, 'sessions'));
  env = { ...serverEnv(dir, dc.addr, { PORT: '0', APPROVAL_TIMEOUT_SECONDS: '5' }), ...displayEnv() };
  // Setup is done: credentials in the environment and a logged-in token that asks before every write.
  const login = spawnSync(bin('fast-mcp-telegram'), ['login', '--phone', ACCOUNT_A.phone, '--label', 'Existing'], { env, cwd: dir, encoding: 'utf8', input: `${ACCOUNT_A.code}\n`, timeout: 60000 });
  assert.equal(login.status, 0, login.stderr);
  token = login.stdout.trim().split('\n').pop();
  const id = /token id: (tok_[0-9a-f]+)/.exec(login.stderr)[1];
  const edit = spawnSync(bin('fast-mcp-telegram'), ['token', 'edit', id, '--approval', 'every_write'], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(edit.status, 0, edit.stderr);
});

after(async () => {
  await tray?.stop();
  await dc?.proc.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('no web view while no window is wanted', async () => {
  tray = new Proc('tray', bin('fast-mcp-telegram-tray'), [], { env, cwd: dir });
  await tray.waitForLine(/^LISTENING /, 60000);
  // The owner socket answers: the app is fully up.
  const listed = spawnSync(bin('fast-mcp-telegram'), ['token', 'list'], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.match(listed.stdout, /Existing/);
  const pid = tray.child.pid;
  assert.deepEqual(webProcesses(pid), [], 'no WebKit process while no window was asked for');
  assert.doesNotMatch(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'), /libwebkit/, 'the tray app itself loads no web engine');
});

test('a write waiting for approval brings the window up and notifies', async () => {
  const pid = tray.child.pid;
  const base = (await tray.waitForLine(/^LISTENING (http:\/\/\S+)/))[1];
  const sending = mcpTool(base, token, 'send_message', { chat_id: 100003, message: 'Needs a yes' });
  await waitFor(() => webProcesses(pid).length > 0, { timeout: 30000, message: 'the window brought up for the approval' });
  // The desktop notification (shown by whatever notification service the private D-Bus session
  // activates, or reported as not shown when there is none).
  await tray.waitForLine(/(desktop notification shown|notification not shown .*): An assistant is waiting for your yes/, 30000);
  const r = await sending; // nobody answers: the approval times out (APPROVAL_TIMEOUT_SECONDS=5)
  assert.equal(r.isError, true, JSON.stringify(r));
});

test('a second launch shows the window', async () => {
  const pid = tray.child.pid;
  // The window the approval opened, ended (the tray app stays).
  for (const w of windowProcesses(pid)) process.kill(w.pid, 'SIGTERM');
  await waitFor(() => webProcesses(pid).length === 0, { timeout: 20000, message: 'no window left' });
  const second = spawnSync(bin('fast-mcp-telegram-tray'), [], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(second.status, 0, second.stderr);
  await waitFor(() => webProcesses(pid).length > 0, { timeout: 30000, message: 'the window\'s web process' });
});
