// The /setup tab survives a restart of the server: it says what to do, and the new link works in
// the same tab, pasted or opened (only the fragment changes, so the page does not reload). `/`
// leads to `/setup`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { bin, freePort, Proc, screenshotSet, serverEnv, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

describe('setup page across a server restart', () => {
  let dir, port, server, browser, page;

  async function start() {
    const proc = new Proc('server', bin('fast-mcp-telegram'), ['serve', '--transport', 'http', '--port', String(port)], {
      cwd: dir,
      env: serverEnv(dir, '127.0.0.1:1'),
    });
    const setup = await proc.waitForLine(/^SETUP (http:\/\/\S+\/setup#key=(\S+))/);
    return { proc, setupUrl: setup[1], key: setup[2] };
  }

  before(async () => {
    dir = tmpDir();
    port = await freePort();
    server = await start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.proc.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const ready = () => waitFor(async () => /running on/.test(await page.textContent('#status-line')), { message: 'status shown' });

  test('the root address leads to the setup page', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    assert.equal(r.status, 307);
    assert.equal(r.headers.get('location'), '/setup');
  });

  test('after a restart the tab asks for the new link and takes it pasted or opened', async () => {
    await page.goto(server.setupUrl);
    await ready();
    await server.proc.stop();
    server = await start();
    // The old key is refused: the page says so and offers to take the new link.
    await page.click('#tab-tokens');
    await page.evaluate(() => window.FMT.refreshStatus());
    await page.locator('#no-key').waitFor({ state: 'visible' });
    await screenshotSet(page, 'ui-restart-new-link');
    await page.fill('#key-link', server.setupUrl);
    await page.click('#key-use');
    await page.locator('#no-key').waitFor({ state: 'hidden' });
    await ready();
    assert.ok(!page.url().includes('key='), 'the key is kept out of the address bar');

    // Once more, now opening the new link in the same tab.
    await server.proc.stop();
    server = await start();
    await page.evaluate(() => window.FMT.refreshStatus());
    await page.locator('#no-key').waitFor({ state: 'visible' });
    await page.goto(server.setupUrl);
    await page.locator('#no-key').waitFor({ state: 'hidden' });
    await ready();
  });
});
