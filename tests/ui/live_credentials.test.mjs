// API credentials entered in /setup of the headless server apply at once (issue 14 item 5): the
// banner goes, and a login started right after uses them, with no restart of the process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ACCOUNT_A, API_HASH, API_ID, mcpTool, screenshotSet, setupApi, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

describe('API credentials saved in /setup apply live (headless server + Chromium)', () => {
  let dir, dc, server, browser, page, post;

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    // No credentials in the environment (an empty variable counts as unset).
    server = await startServer(dir, dc.addr, { API_ID: '', API_HASH: '' });
    post = setupApi(server);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await page.goto(server.setupUrl);
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'first status call' });
  });

  after(async () => {
    await browser?.close();
    await server?.proc.stop();
    await dc?.proc.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without credentials the banner asks for them and a login is refused with a clear error', async () => {
    await page.locator('#api-missing').waitFor({ state: 'visible' });
    await assert.rejects(post('login_start_code', { phone: ACCOUNT_A.phone, label: 'Before' }), /HTTP 409 .*api_credentials_missing.*API_ID/);
  });

  test('saved in the page, they apply at once: banner gone, a new login works in the same process', async () => {
    await page.fill('#api-id', API_ID);
    await page.fill('#api-hash', API_HASH);
    await page.click('#api-save');
    await waitFor(async () => (await page.textContent('#api-msg')) === 'Saved and applied.', { message: 'applied message' });
    await page.locator('#api-missing').waitFor({ state: 'hidden' });
    await screenshotSet(page, 'ui-api-credentials-applied');
    const status = await post('status');
    assert.equal(status.api_credentials_configured, true);
    assert.deepEqual((await post('settings_get')).restart_required, [], 'nothing waits for a restart');

    const start = await post('login_start_code', { phone: ACCOUNT_A.phone, label: 'After' });
    const done = await post('login_submit_code', { login_id: start.login_id, code: ACCOUNT_A.code });
    assert.equal(done.next, 'done');
    const me = await mcpTool(server.base, done.issued.token, 'get_chat_info', { chat_id: 'me' });
    assert.notEqual(me.isError, true, JSON.stringify(me));
    assert.equal(me.structuredContent.first_name, ACCOUNT_A.name);
    assert.equal(server.proc.child.exitCode, null, 'the server was never restarted');
    // And they are kept for the next start.
    assert.ok(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8').includes(`"API_ID": "${API_ID}"`));
  });
});
