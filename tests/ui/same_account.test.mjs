// Logging in an account that is already logged in offers to keep one Telegram session: the new
// token moves onto the existing session, the duplicate login is signed out, and both tokens work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ACCOUNT_A, mcpTool, screenshotSet, setupApi, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

describe('the same account logged in twice', () => {
  let dir, dc, server, browser, page, first;

  let post;


  const tool = (token, name, args) => mcpTool(server.base, token, name, args);

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    server = await startServer(dir, dc.addr);
    post = setupApi(server);
    const start = await post('login_start_code', { phone: ACCOUNT_A.phone, label: 'First' });
    first = (await post('login_submit_code', { login_id: start.login_id, code: ACCOUNT_A.code })).issued;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
    await page.goto(server.setupUrl);
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'ready' });
  });

  after(async () => {
    await browser?.close();
    await server?.proc.stop();
    await dc?.proc.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the page offers one session, and keeping one moves the new token onto it', async () => {
    await page.fill('#phone-input', ACCOUNT_A.phone);
    await page.click('#phone-submit');
    await page.locator('#code-form').waitFor({ state: 'visible' });
    await page.fill('#code-input', ACCOUNT_A.code);
    await page.click('#code-submit');
    await page.locator('#login-done').waitFor({ state: 'visible' });
    const offer = page.locator('#done-same-account');
    await offer.waitFor({ state: 'visible' });
    assert.match(await offer.textContent(), /already logged in \(token “First”\)/);
    await screenshotSet(page, 'ui-same-account');
    const second = await page.inputValue('#done-token');
    const before = await post('tokens_list');
    const newSession = before.find((t) => t.id !== first.record.id).session_id;
    assert.notEqual(newSession, first.record.session_id, 'two sessions before');

    await page.click('#done-merge');
    await offer.waitFor({ state: 'hidden' });
    const after = await post('tokens_list');
    assert.deepEqual([...new Set(after.map((t) => t.session_id))], [first.record.session_id], 'one session for both tokens');
    await waitFor(() => !fs.existsSync(path.join(dir, 'sessions', `${newSession}.session`)), { message: 'duplicate session deleted' });
    // Asked again, it refuses clearly and changes nothing.
    const again = await fetch(`${server.base}/api/session_merge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-setup-key': server.key },
      body: JSON.stringify({ token_id: after[1].id, into_token_id: first.record.id }),
    });
    assert.equal(again.status, 400);
    assert.match((await again.json()).error.message, /already use the same session/);
    for (const token of [first.token, second]) {
      const me = await tool(token, 'get_chat_info', { chat_id: 'me' });
      assert.notEqual(me.isError, true, JSON.stringify(me));
      assert.match(me.structuredContent.title, /Alice/);
    }
  });
});
