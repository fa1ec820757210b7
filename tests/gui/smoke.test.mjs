// Smoke test of the real Tauri window over WebDriver (tauri-driver → WebKitWebDriver), with plain
// fetch calls (no client library). Run through tests/gui/run.sh (Xvfb + a private D-Bus session).
// Checks: the window renders the UI, the page talks Tauri IPC (not HTTP), a phone login against the
// fake DC works through IPC, and the token it issues is accepted by the app's embedded MCP server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNT_A, API_HASH, API_ID, artifact, mcpInitialize, serverEnv, startFakeDc, tmpDir, waitFor } from '../ui/harness.mjs';
import { startApp } from './driver.mjs';

let dir, dc, app, wd, s, find, exec, visible;

before(async () => {
  dir = tmpDir('tgmcp-gui-');
  dc = await startFakeDc(path.join(dir, 'sessions'));
  // The app inherits this environment: private config dir, the fake DC, any free port, and NO API
  // credentials: the first test enters them in the UI (the app then restarts its server in-process).
  const env = serverEnv(dir, dc.addr, { PORT: '0' });
  delete env.API_ID; // (unset, not empty: an empty variable would still shadow settings.json)
  delete env.API_HASH;
  app = await startApp(dir, env);
  ({ wd, s, find, exec, visible } = app);
});

after(async () => {
  await app?.stop();
  await dc?.proc.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the tray window renders the setup UI and uses Tauri IPC', async () => {
  assert.equal(await wd('GET', s('/title')), 'fast-mcp-telegram');
  await waitFor(() => exec('return document.documentElement.dataset.ready === "true";'), { message: 'first IPC status call' });
  assert.equal(await exec('return document.documentElement.dataset.mode;'), 'tauri-ipc');
  assert.equal(await exec('return !!(window.__TAURI__ && window.__TAURI__.core);'), true);
  assert.equal(await exec('return document.querySelector("#app-title").textContent;'), 'fast-mcp-telegram');
  const line = await exec('return document.querySelector("#status-line").textContent;');
  const m = /running on (127\.0\.0\.1:\d+)/.exec(line);
  assert.ok(m, `status line shows the embedded server: ${line}`);
  // The embedded MCP server is really there: auth is required.
  assert.equal(await mcpInitialize(`http://${m[1]}`, null), 401);
});

test('API credentials entered in the window are saved and applied without restarting the app', async () => {
  assert.equal(await visible('#api-missing'), true, 'the credentials form is shown');
  await wd('POST', s(`/element/${await find('#api-id')}/value`), { text: API_ID });
  await wd('POST', s(`/element/${await find('#api-hash')}/value`), { text: API_HASH });
  await wd('POST', s(`/element/${await find('#api-save')}/click`), {});
  await waitFor(async () => /applied/.test(await exec('return document.querySelector("#api-msg").textContent;')), { timeout: 20000, message: 'credentials applied' });
  await waitFor(async () => !(await visible('#api-missing')), { message: 'banner hidden' });
  const settings = path.join(dir, 'settings.json');
  assert.equal(JSON.parse(fs.readFileSync(settings, 'utf8')).API_ID, API_ID);
  assert.equal(fs.statSync(settings).mode & 0o777, 0o600);
});

test('a phone login works through IPC and its token opens the embedded MCP server', async () => {
  await wd('POST', s(`/element/${await find('#phone-input')}/value`), { text: ACCOUNT_A.phone });
  await wd('POST', s(`/element/${await find('#phone-submit')}/click`), {});
  await waitFor(() => visible('#code-form'), { timeout: 20000, message: 'code screen' });
  await wd('POST', s(`/element/${await find('#code-input')}/value`), { text: ACCOUNT_A.code });
  await wd('POST', s(`/element/${await find('#code-submit')}/click`), {});
  await waitFor(() => visible('#login-done'), { timeout: 20000, message: 'login done' });
  assert.match(await exec('return document.querySelector("#done-account").textContent;'), /Alice/);
  const token = await exec('return document.querySelector("#done-token").value;');
  assert.equal(token.length, 43);
  const line = await exec('return document.querySelector("#status-line").textContent;');
  const addr = /running on (127\.0\.0\.1:\d+)/.exec(line)[1];
  assert.equal(await mcpInitialize(`http://${addr}`, token), 200);
  // run.sh provides an unlocked Secret Service: the token is kept in the OS keyring and can be revealed over IPC.
  assert.match(await exec('return document.querySelector("#done-token-keyring").textContent;'), /saved in your OS keyring/);
  const revealed = await wd('POST', s('/execute/async'), {
    script: `const done = arguments[arguments.length - 1];
      const inv = window.__TAURI__.core.invoke;
      inv('tokens_list', { args: {} })
        .then((list) => inv('token_reveal', { args: { id: list[0].id } }))
        .then((r) => done(r.token), (e) => done('error: ' + JSON.stringify(e)));`,
    args: [],
  });
  assert.equal(revealed, token);
  // Two animation frames, so the screenshot shows the current DOM.
  await wd('POST', s('/execute/async'), { script: 'const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));', args: [] });
  const png = await wd('GET', s('/screenshot'));
  fs.writeFileSync(artifact('gui-smoke.png'), Buffer.from(png, 'base64'));
});
