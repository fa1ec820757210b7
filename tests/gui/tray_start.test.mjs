// Started in the tray with setup done (as at login), the app creates no window and so no web view
// (no WebKit process) until one is asked for; a second launch then opens it. Runs the app directly
// (no WebDriver: a WebDriver session would itself ask for a window).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Proc, bin, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { childNames as children } from './driver.mjs';

let dir, dc, env, tray;

before(async () => {
  dir = tmpDir('tgmcp-gui-start-');
  dc = await startFakeDc(path.join(dir, 'sessions'));
  env = { ...serverEnv(dir, dc.addr, { PORT: '0' }), ...Object.fromEntries(['DISPLAY', 'XAUTHORITY', 'DBUS_SESSION_BUS_ADDRESS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]])) };
  // Setup is done: credentials in the environment and a token in the index.
  const made = spawnSync(bin('fast-mcp-telegram'), ['token', 'new', '--label', 'Existing'], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(made.status, 0, made.stderr);
});

after(async () => {
  await tray?.stop();
  await dc?.proc.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('no web view until the window is asked for, then one', async () => {
  tray = new Proc('tray', bin('fast-mcp-telegram-tray'), [], { env, cwd: dir });
  await tray.waitForLine(/^LISTENING /, 60000);
  // The owner socket answers: the app is fully up.
  const listed = spawnSync(bin('fast-mcp-telegram'), ['token', 'list'], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.match(listed.stdout, /Existing/);
  const pid = tray.child.pid;
  assert.deepEqual(children(pid).filter((c) => c.startsWith('WebKit')), [], 'no WebKit process while no window was asked for');

  const second = spawnSync(bin('fast-mcp-telegram-tray'), [], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(second.status, 0, second.stderr);
  await waitFor(() => children(pid).some((c) => c.startsWith('WebKitWebProces')), { timeout: 30000, message: 'the window\'s web process' });
});
