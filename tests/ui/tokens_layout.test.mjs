// The tokens table: grouped by Telegram session, a sign-out that names the other tokens it
// revokes, and every control on screen from the window's minimum width (720 px) up, light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ACCOUNT_A, artifact, setupApi, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

describe('tokens table layout and grouping', () => {
  let dir, dc, server, browser, first, second;

  let post;

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    server = await startServer(dir, dc.addr);
    post = setupApi(server);
    const start = await post('login_start_code', { phone: ACCOUNT_A.phone, label: 'Claude Desktop with a long label' });
    const done = await post('login_submit_code', { login_id: start.login_id, code: ACCOUNT_A.code });
    first = done.issued.record;
    second = (await post('token_create', { label: 'Cursor', same_session_as: first.id })).record;
    await post('token_create', { label: 'Not logged in yet' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    await server?.proc.stop();
    await dc?.proc.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const width of [720, 1280]) {
    for (const colorScheme of ['light', 'dark']) {
      test(`at ${width} px, ${colorScheme}: grouped by session and every action on screen`, async () => {
        const page = await (await browser.newContext({ viewport: { width, height: 800 }, colorScheme })).newPage();
        await page.goto(server.setupUrl);
        await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'ready' });
        await page.click('#tab-tokens');
        const group = page.locator(`#tokens-table tr.group[data-session-id="${first.session_id}"]`);
        await group.waitFor();
        assert.match(await group.textContent(), /2 tokens share this Telegram session/);
        // The two tokens of the session follow its header.
        const rows = await page.locator('#tokens-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.tokenId || `group:${tr.dataset.sessionId}`));
        const at = rows.indexOf(`group:${first.session_id}`);
        assert.deepEqual(rows.slice(at + 1, at + 3).sort(), [first.id, second.id].sort());
        for (const b of await page.locator('#tokens-table button').all()) {
          const box = await b.boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${await b.textContent()} is off screen at ${width} px`);
        }
        await page.screenshot({ path: artifact(`ui-tokens-${width}-${colorScheme}.png`), fullPage: true });
        await page.context().close();
      });
    }
  }

  test('signing out names the other tokens it revokes', async () => {
    const page = await (await browser.newContext({ viewport: { width: 720, height: 800 } })).newPage();
    await page.goto(server.setupUrl);
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'ready' });
    await page.click('#tab-tokens');
    await page.locator(`tr[data-token-id="${second.id}"] button[data-action="signout"]`).click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#confirm-text'), /also revokes the other token on this session: “Claude Desktop with a long label”/);
    await page.click('#confirm-cancel');
    assert.equal((await post('tokens_list')).length, 3, 'nothing revoked on cancel');
    await page.context().close();
  });
});
