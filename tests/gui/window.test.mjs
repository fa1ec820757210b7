// The tray window's life (issue 18), on the real app under Xvfb. The window is a process of its
// own (fast-mcp-telegram-window, the web view) beside the tray app (the owner, no web engine):
// what changes is pushed to the open window; closing it ends the window process and its WebKit
// processes while the MCP server, the owner socket and a login in progress keep running in the
// tray app; a second launch of the app opens a window again, and a window opened again resumes
// where the user left (the tab, the login waiting for its code), which the tray app kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, bin, mcpInitialize, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { displayEnv, processes, startApp, stopTray, trayPid, webProcesses, windowProcesses } from './driver.mjs';

let dir, dc, env, app;

before(async () => {
  dir = tmpDir('tgmcp-gui-window-');
  dc = await startFakeDc(path.join(dir, 'sessions'));
  env = serverEnv(dir, dc.addr, { PORT: '0' });
  app = await startApp(dir, env);
  await waitFor(() => app.exec('return document.documentElement.dataset.ready === "true";'), { message: 'first status' });
});

after(async () => {
  await app?.stop();
  await stopTray(dir);
  await dc?.proc.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The window processes and web processes of this test's app (under WebDriver or the tray app). */
const windows = () => windowProcesses(trayPid(dir), app.driver.child.pid);
const webViews = () => webProcesses(trayPid(dir), app.driver.child.pid);

/** The CLI against the running app (through its owner socket). */
function cli(...args) {
  const r = spawnSync(bin('fast-mcp-telegram'), args, { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `fast-mcp-telegram ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const env2 = () => ({ ...env, ...displayEnv() });

/** Closes the window the way the window manager's button does (the window's close()). */
const closeWindow = () => app.exec('setTimeout(() => window.__TAURI__.window.getCurrentWindow().close(), 50); return true;');

/** A new WebDriver session on a new window process (as the tray app starts one), on the same app. */
async function reopenUnderWebDriver() {
  await app.stop({ keepTray: true });
  app = await startApp(dir, env);
  await waitFor(() => app.exec('return document.documentElement.dataset.ready === "true";'), { message: 'the reopened page' });
}

test('the tray app is its own process and loads no web engine', () => {
  const tray = trayPid(dir);
  assert.ok(tray, 'the window started the tray app (it owns the config dir)');
  const me = processes().find((p) => p.pid === tray);
  assert.match(me.argv0, /fast-mcp-telegram-tray$/);
  const maps = fs.readFileSync(`/proc/${tray}/maps`, 'utf8');
  assert.doesNotMatch(maps, /libwebkit|libjavascriptcoregtk/, 'no WebKit library mapped in the tray app');
  assert.equal(windows().length, 1);
  assert.equal(webViews().length, 1, 'the open window has its web process');
});

test('what changes is pushed to the open window (no polling)', async () => {
  await waitFor(() => app.exec('return document.documentElement.dataset.live === "true";'), { message: 'the page listens to the app' });
  await app.click('#tab-tokens');
  const pushes = Number(await app.exec('return document.documentElement.dataset.pushes || "0";'));
  cli('token', 'new', '--label', 'Pushed from the CLI');
  await waitFor(() => app.exec('return document.querySelector("#tokens-table").textContent.includes("Pushed from the CLI");'), { message: 'the new token in the table' });
  assert.ok(Number(await app.exec('return document.documentElement.dataset.pushes;')) > pushes, 'it came by a push');
  assert.match(await app.exec('return document.querySelector("#status-line").textContent;'), /1 token\b/);
});

test('closing ends the window process; the server, the CLI and a login in progress keep running', async () => {
  await app.click('#tab-login');
  await app.type('#phone-input', ACCOUNT_A.phone);
  await app.click('#phone-submit');
  await waitFor(() => app.visible('#code-form'), { timeout: 20000, message: 'code screen' });
  const addr = /running on (127\.0\.0\.1:\d+)/.exec(await app.exec('return document.querySelector("#status-line").textContent;'))[1];

  await closeWindow();
  await waitFor(() => windows().length === 0 && webViews().length === 0, { timeout: 20000, message: 'the window and web processes to exit' });

  assert.equal(await mcpInitialize(`http://${addr}`, null), 401, 'the MCP server still answers');
  assert.match(cli('token', 'list'), /Pushed from the CLI/, 'the owner socket still answers');
});

test('a second launch of the app opens a window, and never a second one', async () => {
  const tray = trayPid(dir);
  const second = spawnSync(bin('fast-mcp-telegram-tray'), [], { env: env2(), cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(second.status, 0, `the second launch hands over and exits: ${second.stderr}`);
  await waitFor(() => windowProcesses(tray).length === 1 && webProcesses(tray).length === 1, { timeout: 30000, message: 'a window started by the tray app' });
  // A second launch while it is open shows the same window: never two.
  assert.equal(spawnSync(bin('fast-mcp-telegram-tray'), [], { env: env2(), cwd: dir, timeout: 30000 }).status, 0);
  const [win] = windowProcesses(tray);
  await waitFor(() => windowProcesses(tray).length === 1 && processes().filter((p) => p.argv0.endsWith('fast-mcp-telegram-window')).length === 1, {
    timeout: 30000,
    message: 'the second window process to hand over and exit',
  });
  assert.equal(windowProcesses(tray)[0].pid, win.pid, 'the first window stays');
  // Ended from outside (as the session ends): the tray app keeps running.
  process.kill(win.pid, 'SIGTERM');
  await waitFor(() => windowProcesses(tray).length === 0 && webProcesses(tray).length === 0, { timeout: 20000, message: 'the window to exit' });
  assert.match(cli('token', 'list'), /Pushed from the CLI/);
});

test('a window opened again resumes where the user left, and the login completes there', async () => {
  await reopenUnderWebDriver();
  assert.equal(webViews().length, 1);
  assert.equal(await app.visible('#code-form'), true, 'the login waits for its code again');
  assert.equal(await app.exec('return document.querySelector("#tab-login").getAttribute("aria-selected");'), 'true');

  await app.type('#code-input', ACCOUNT_A.code);
  await app.click('#code-submit');
  await waitFor(() => app.visible('#login-done'), { timeout: 20000, message: 'login done' });
  assert.match(await app.exec('return document.querySelector("#done-account").textContent;'), /Alice/);
  const token = await app.exec('return document.querySelector("#done-token").value;');
  const addr = /running on (127\.0\.0\.1:\d+)/.exec(await app.exec('return document.querySelector("#status-line").textContent;'))[1];
  assert.equal(await mcpInitialize(`http://${addr}`, token), 200);
  await waitFor(() => app.exec('return document.documentElement.dataset.live === "true";'), { message: 'the new page listens too' });
});

test('the tab the user was on survives a close', async () => {
  await app.click('#tab-activity');
  await closeWindow();
  await waitFor(() => windows().length === 0 && webViews().length === 0, { timeout: 20000, message: 'the window to exit' });
  await reopenUnderWebDriver();
  assert.equal(await app.exec('return document.querySelector("#tab-activity").getAttribute("aria-selected");'), 'true');
  assert.equal(await app.visible('#view-activity'), true);
});

test('with "keep the window loaded" on, closing only hides it', async () => {
  await app.click('#tab-settings');
  await waitFor(() => app.visible('#set-keep-window'), { message: 'desktop settings' });
  await app.click('#set-keep-window');
  await app.click('#settings-save');
  await waitFor(() => JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')).KEEP_WINDOW_LOADED === 'true', { message: 'saved' });
  const before = await app.wd('GET', app.s('/window/handles'));
  await closeWindow();
  await waitFor(async () => (await app.exec('return document.visibilityState;')) === 'hidden', { message: 'the window hidden' });
  assert.deepEqual(await app.wd('GET', app.s('/window/handles')), before, 'the same web view lives on');
  assert.equal(windows().length, 1);
  assert.equal(webViews().length, 1);
});

test('quitting the tray app closes the open window', async () => {
  await stopTray(dir);
  await waitFor(() => windows().length === 0 && webViews().length === 0, { timeout: 20000, message: 'the window process to exit with the app' });
});
