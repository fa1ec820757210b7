// Settings the environment fixes: shown read-only in /setup, refused by the API, settings.json untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { screenshotSet, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

describe('settings fixed by the environment', () => {
  let dir, dc, server, browser, page;

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    server = await startServer(dir, dc.addr, { MAX_FILE_SIZE_MB: '20', DISABLE_AUTH: 'false' });
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

  const post = (cmd, body = {}) => fetch(`${server.base}/api/${cmd}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-setup-key': server.key },
    body: JSON.stringify(body),
  });

  test('fixed fields are read-only and name their variable; the others still save', async () => {
    await page.click('#tab-settings');
    await waitFor(async () => (await page.inputValue('#set-max-size')) === '20', { message: 'settings loaded' });
    assert.equal(await page.isDisabled('#set-max-size'), true);
    assert.equal(await page.isDisabled('#set-disable-auth'), true);
    assert.equal(await page.isDisabled('#set-block-private'), false);
    assert.equal(await page.isDisabled('#set-ttl'), false);
    const notes = await page.locator('.fixed-note').allTextContents();
    assert.equal(notes.length, 2, notes.join(' | '));
    assert.ok(notes.some((n) => n.includes('MAX_FILE_SIZE_MB')) && notes.some((n) => n.includes('DISABLE_AUTH')), notes.join(' | '));
    await screenshotSet(page, 'ui-settings-env-fixed');

    await page.fill('#set-ttl', '7200');
    await page.click('#settings-save');
    await waitFor(async () => /saved/i.test(await page.textContent('#settings-msg')), { message: 'settings saved' });
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'));
    assert.equal(saved.ATTACHMENT_TICKET_TTL_SECONDS, '7200');
  });

  test('the API refuses to change a fixed setting and writes nothing', async () => {
    const before = fs.readFileSync(path.join(dir, 'settings.json'), 'utf8');
    for (const patch of [{ max_file_size_mb: 30 }, { disable_auth: true }]) {
      const r = await post('settings_set', patch);
      assert.equal(r.status, 400);
      const e = await r.json();
      const variable = Object.keys(patch)[0].toUpperCase();
      assert.match(e.error.message, new RegExp(`${variable}.*environment`), e.error.message);
    }
    assert.equal(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'), before);
    const g = await (await post('settings_get')).json();
    assert.deepEqual([...g.env_fixed].sort(), ['DISABLE_AUTH', 'MAX_FILE_SIZE_MB']);
    assert.equal(g.settings.max_file_size_mb, 20);
    assert.equal(g.settings.disable_auth, false);
  });
});
