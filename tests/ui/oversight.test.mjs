// Approvals, token policies and the activity log in /setup, driven in Chromium against the real
// server and fake DC, while an MCP client (plain JSON-RPC over HTTP) sends as the assistant.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ACCOUNT_A, artifact, mcpTool, setupApi, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CAROL = 100003;

describe('approvals, policies and activity (headless server + Chromium)', () => {
  let dir, dc, server, browser, page, token, tokenId, approvedId;

  let post;


  const tool = (name, args) => mcpTool(server.base, token, name, args);

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    server = await startServer(dir, dc.addr, { APPROVAL_TIMEOUT_SECONDS: '12' });
    post = setupApi(server);
    const start = await post('login_start_code', { phone: ACCOUNT_A.phone, label: 'Assistant' });
    const done = await post('login_submit_code', { login_id: start.login_id, code: ACCOUNT_A.code });
    assert.equal(done.next, 'done');
    token = done.issued.token;
    tokenId = done.issued.record.id;
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

  const sends = async () => (await post('activity_list', { tool: 'send_message' })).filter((e) => e.outcome === 'ok').length;

  test('the status line counts logged-in accounts, not connected clients', async () => {
    await waitFor(async () => /1 account logged in/.test(await page.textContent('#status-line')), { message: 'account counted' });
  });

  test('the policy dialog sets every write to wait for approval', async () => {
    await page.click('#tab-tokens');
    const row = page.locator(`tr[data-token-id="${tokenId}"]`);
    await row.waitFor();
    assert.match(await row.locator('.policy-cell').textContent(), /write · all chats/);
    await row.locator('button[data-action="policy"]').click();
    await page.locator('#policy-dialog').waitFor({ state: 'visible' });
    await waitFor(async () => (await page.locator('#policy-chats li').count()) > 0, { message: 'the account\'s chats listed' });
    await page.selectOption('#policy-approval', 'every_write');
    await page.screenshot({ path: artifact('ui-policy-dialog.png') });
    await page.click('#policy-save');
    await waitFor(async () => /asks for every write/.test(await row.locator('.policy-cell').textContent()), { message: 'summary updated' });
    const [t] = (await post('tokens_list')).filter((x) => x.id === tokenId);
    assert.equal(t.policy.approval, 'every_write');
  });

  test('a write waits in the page until it is approved, and is sent only then', async () => {
    const call = tool('send_message', { chat_id: CAROL, message: 'Approved by a human' });
    const item = page.locator('#approvals li');
    await item.waitFor({ state: 'visible' });
    assert.match(await item.textContent(), /Approved by a human/);
    assert.equal(await sends(), 0, 'nothing sent before the yes');
    await page.screenshot({ path: artifact('ui-approval-pending.png') });
    await item.locator('button[data-decision="approve"]').click();
    const result = await call;
    assert.notEqual(result.isError, true, JSON.stringify(result));
    approvedId = result.structuredContent.messages[0].id;
    assert.equal(await sends(), 1);
    await page.locator('#approvals').waitFor({ state: 'hidden' });
  });

  test('a declined write is not sent and the assistant is told so', async () => {
    const call = tool('send_message', { chat_id: CAROL, message: 'Please decline me' });
    const item = page.locator('#approvals li');
    await item.waitFor({ state: 'visible' });
    await item.locator('button[data-decision="deny"]').click();
    const result = await call;
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.action, 'user_declined');
    assert.equal(await sends(), 1);
  });

  test('an unanswered write times out with a clear error and leaves the page', async () => {
    const result = await tool('send_message', { chat_id: CAROL, message: 'Nobody looks' });
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.action, 'ask_user_to_approve');
    assert.match(result.structuredContent.error, /nobody approved this write within 12 s/);
    await page.locator('#approvals').waitFor({ state: 'hidden' });
    assert.equal(await sends(), 1);
  });

  test('the activity page lists each call with its outcome and no message text', async () => {
    await page.click('#tab-activity');
    const rows = page.locator('#activity-table tbody tr');
    await waitFor(async () => (await rows.count()) >= 3, { message: 'activity rows' });
    const text = await page.locator('#activity-table').textContent();
    assert.match(text, /send_message/);
    assert.match(text, /forbidden: the user declined/);
    assert.ok(!text.includes('Approved by a human'), 'no message text by default');
    await page.fill('#activity-tool', 'get_messages');
    await page.click('#activity-refresh');
    await waitFor(async () => (await page.locator('#activity-empty').isVisible()), { message: 'filtered to nothing' });
    await page.screenshot({ path: artifact('ui-activity.png'), fullPage: true });
  });

  test('a sent message can be deleted for everyone from the activity page', async () => {
    const read = async () => (await tool('get_messages', { chat_id: CAROL, message_ids: [approvedId] })).structuredContent;
    assert.equal((await read()).messages[0].id, approvedId);
    await page.fill('#activity-tool', 'send_message');
    await page.click('#activity-refresh');
    const undo = page.locator('#activity-table button[data-action="undo"]');
    await undo.first().waitFor();
    assert.equal(await undo.count(), 1, 'only the send that went out can be undone');
    await undo.click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
    await waitFor(async () => /Message deleted/.test(await page.textContent('#toast')), { message: 'deleted toast' });
    const after = await read();
    assert.ok(!after.messages.some((m) => m && m.id === approvedId && m.text), JSON.stringify(after));
    const log = await post('activity_list', { tool: 'delete_message (by you, in the app)' });
    assert.equal(log[0].tool, 'delete_message (by you, in the app)');
    assert.deepEqual(log[0].message_ids, [approvedId]);
  });

  test('the policy dialog limits a token to a chat folder and denies another, by folder id', async () => {
    const DEV_FORUM = -1000000300010;
    await page.click('#tab-tokens');
    const row = page.locator(`tr[data-token-id="${tokenId}"]`);
    await row.locator('button[data-action="policy"]').click();
    await page.locator('#policy-dialog').waitFor({ state: 'visible' });
    const folders = page.locator('#policy-folders li');
    await waitFor(async () => (await folders.count()) === 3, { message: 'the account\'s three folders listed' });
    assert.deepEqual(await folders.locator('span:first-child').allTextContents(), ['Work', 'Personal', 'Bots']);
    await page.check('#policy-only');
    await page.selectOption('#policy-folders select[data-folder-id="2"]', 'allow');
    await page.selectOption('#policy-folders select[data-folder-id="4"]', 'deny');
    await page.screenshot({ path: artifact('ui-policy-folders.png') });
    await page.click('#policy-save');
    await waitFor(async () => /1 folder · 1 folder denied/.test(await row.locator('.policy-cell').textContent()), { message: 'summary updated' });
    const [t] = (await post('tokens_list')).filter((x) => x.id === tokenId);
    assert.deepEqual(t.policy.allow_folders, [{ id: 2, title: 'Work' }]);
    assert.deepEqual(t.policy.deny_folders, [{ id: 4, title: 'Bots' }]);
    assert.equal(t.policy.allow_chats, undefined, 'no empty chat list next to the folder');
    // The assistant now reaches the folder's chats and nothing else.
    const inFolder = await tool('get_messages', { chat_id: DEV_FORUM, limit: 1 });
    assert.notEqual(inFolder.isError, true, JSON.stringify(inFolder));
    const carol = await tool('get_messages', { chat_id: CAROL, limit: 1 });
    assert.equal(carol.isError, true);
    assert.equal(carol.structuredContent.action, 'ask_user_to_widen_token_policy');
    // Opened again, the dialog shows the folders as saved.
    await row.locator('button[data-action="policy"]').click();
    await page.locator('#policy-dialog').waitFor({ state: 'visible' });
    await waitFor(async () => (await page.inputValue('#policy-folders select[data-folder-id="2"]')) === 'allow', { message: 'Work shown allowed' });
    assert.equal(await page.inputValue('#policy-folders select[data-folder-id="4"]'), 'deny');
    assert.equal(await page.isChecked('#policy-only'), true);
    await page.click('#policy-cancel');
  });
});
