// The tray window's life (issue 18), on the real app under Xvfb: what changes is pushed to the open
// window; closing it frees its web view (the WebKit web process exits) while the MCP server, the
// owner socket and a login in progress keep running; a second launch opens it again where the user
// left (the tab, the login waiting for its code), and the login completes there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, bin, mcpInitialize, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { childNames as children, displayEnv, startApp } from './driver.mjs';

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
  await dc?.proc.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const appPid = () => JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8')).pid;

const webProcesses = () => children(appPid()).filter((c) => c.startsWith('WebKitWebProces'));

/** The CLI against the running app (through its owner socket). */
function cli(...args) {
  const r = spawnSync(bin('fast-mcp-telegram'), args, { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `fast-mcp-telegram ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const env2 = () => ({ ...env, ...displayEnv() });

test('what changes is pushed to the open window (no polling)', async () => {
  await waitFor(() => app.exec('return document.documentElement.dataset.live === "true";'), { message: 'the page listens to the app' });
  await app.click('#tab-tokens');
  const pushes = Number(await app.exec('return document.documentElement.dataset.pushes || "0";'));
  cli('token', 'new', '--label', 'Pushed from the CLI');
  await waitFor(() => app.exec('return document.querySelector("#tokens-table").textContent.includes("Pushed from the CLI");'), { message: 'the new token in the table' });
  assert.ok(Number(await app.exec('return document.documentElement.dataset.pushes;')) > pushes, 'it came by a push');
  assert.match(await app.exec('return document.querySelector("#status-line").textContent;'), /1 token\b/);
});

test('closing frees the web view; the server, the CLI and a login in progress keep running', async () => {
  await app.click('#tab-login');
  await app.type('#phone-input', ACCOUNT_A.phone);
  await app.click('#phone-submit');
  await waitFor(() => app.visible('#code-form'), { timeout: 20000, message: 'code screen' });
  const addr = /running on (127\.0\.0\.1:\d+)/.exec(await app.exec('return document.querySelector("#status-line").textContent;'))[1];
  assert.equal(webProcesses().length, 1, 'the open window has its web process');

  // The same close request as the window manager's button (the window's close(), not a destroy).
  await app.exec('setTimeout(() => window.__TAURI__.window.getCurrentWindow().close(), 50); return true;');
  await waitFor(() => webProcesses().length === 0, { timeout: 20000, message: 'the web process to exit' });
  assert.deepEqual(await app.wd('GET', app.s('/window/handles')), [], 'no window is left');

  assert.equal(await mcpInitialize(`http://${addr}`, null), 401, 'the MCP server still answers');
  assert.match(cli('token', 'list'), /Pushed from the CLI/, 'the owner socket still answers');
});

test('a second launch opens the window again where it was, and the login completes there', async () => {
  const second = spawnSync(bin('fast-mcp-telegram-tray'), [], { env: env2(), cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(second.status, 0, `the second launch hands over and exits: ${second.stderr}`);
  const handles = await waitFor(async () => {
    const h = await app.wd('GET', app.s('/window/handles'));
    return h.length === 1 && h;
  }, { timeout: 20000, message: 'a new window' });
  await app.wd('POST', app.s('/window'), { handle: handles[0] });
  await waitFor(() => app.exec('return document.documentElement.dataset.ready === "true";'), { message: 'the reopened page' });
  assert.equal(webProcesses().length, 1);
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
  await app.exec('setTimeout(() => window.__TAURI__.window.getCurrentWindow().close(), 50); return true;');
  await waitFor(() => webProcesses().length === 0, { timeout: 20000, message: 'the web process to exit' });
  assert.equal(spawnSync(bin('fast-mcp-telegram-tray'), [], { env: env2(), cwd: dir, timeout: 30000 }).status, 0);
  const handles = await waitFor(async () => {
    const h = await app.wd('GET', app.s('/window/handles'));
    return h.length === 1 && h;
  }, { timeout: 20000, message: 'a new window' });
  await app.wd('POST', app.s('/window'), { handle: handles[0] });
  await waitFor(() => app.exec('return document.documentElement.dataset.ready === "true";'), { message: 'the reopened page' });
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
  await app.exec('setTimeout(() => window.__TAURI__.window.getCurrentWindow().close(), 50); return true;');
  await waitFor(async () => (await app.exec('return document.visibilityState;')) === 'hidden', { message: 'the window hidden' });
  assert.deepEqual(await app.wd('GET', app.s('/window/handles')), before, 'the same web view lives on');
  assert.equal(webProcesses().length, 1);
});
