// The /setup page is pushed what changes (GET /api/events) and never polls: with the page's timers
// under a fake clock, an idle hour makes no request at all, while a token made elsewhere, a tool
// call and a write waiting for approval reach the page at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ACCOUNT_A, mcpTool, setupApi, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

describe('pushed changes in /setup (headless server + Chromium)', () => {
  let dir, dc, server, browser, page, post, token;
  const calls = [];

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    server = await startServer(dir, dc.addr);
    post = setupApi(server);
    const start = await post('login_start_code', { phone: ACCOUNT_A.phone, label: 'Assistant' });
    token = (await post('login_submit_code', { login_id: start.login_id, code: ACCOUNT_A.code })).issued.token;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('request', (r) => {
      const m = /\/api\/(\w+)$/.exec(new URL(r.url()).pathname);
      if (m) calls.push(m[1]);
    });
    // The page's timers run on a fake clock the test moves.
    await page.clock.install();
    await page.goto(server.setupUrl);
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'first status call' });
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.live === 'true'), { message: 'the event stream' });
  });

  after(async () => {
    await browser?.close();
    await server?.proc.stop();
    await dc?.proc.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const pushes = () => page.evaluate(() => Number(document.documentElement.dataset.pushes || 0));

  test('an idle page makes no request in an hour', async () => {
    const before = calls.length;
    await page.clock.runFor('01:00:00');
    assert.deepEqual(calls.slice(before), [], 'no timer asked the server anything');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.live), 'true', 'still listening');
  });

  test('a token made elsewhere appears in the open tokens table', async () => {
    await page.click('#tab-tokens');
    const n = await pushes();
    await post('token_create', { label: 'Made elsewhere' });
    await page.locator('#tokens-table', { hasText: 'Made elsewhere' }).waitFor();
    assert.ok((await pushes()) > n);
    await waitFor(async () => /2 tokens/.test(await page.textContent('#status-line')), { message: 'status line counts it' });
  });

  test('a tool call appears in the open activity log', async () => {
    await page.click('#tab-activity');
    await page.locator('#activity-empty').waitFor({ state: 'visible' });
    const r = await mcpTool(server.base, token, 'find_chats', { query: 'Carol' });
    assert.ok(!r.isError, JSON.stringify(r));
    await page.locator('#activity-table tbody tr', { hasText: 'find_chats' }).waitFor();
  });

  test('a write waiting for approval shows up without a poll, and its countdown ticks on the page clock', async () => {
    // (The first test moved the page's clock an hour ahead; the countdown reads the clock.)
    await page.clock.setSystemTime(Date.now());
    const [t] = (await post('tokens_list')).filter((x) => x.label === 'Assistant');
    await post('token_set_policy', { id: t.id, policy: { ...t.policy, approval: 'every_write' } });
    const sending = mcpTool(server.base, token, 'send_message', { chat_id: 100003, message: 'Pushed approval' });
    const item = page.locator('#approvals li');
    await item.waitFor({ state: 'visible' });
    const left = async () => Number(/\((\d+) s left\)/.exec(await item.textContent())[1]);
    const first = await left();
    await page.clock.runFor(3000);
    assert.ok((await left()) < first, 'the countdown moved with the clock, without asking the server');
    await item.locator('button[data-decision="deny"]').click();
    await item.waitFor({ state: 'detached' });
    const r = await sending;
    assert.equal(r.isError, true);
  });
});
