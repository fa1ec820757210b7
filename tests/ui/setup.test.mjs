// The /setup page of the headless server, driven in Debian Chromium against the real
// `fast-mcp-telegram serve --transport http` and the fake Telegram DC binary.
// Run: cargo build --bins && (cd tests/ui && npm test). Screenshots: tests/artifacts/ui-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';
import { ACCOUNT_A, ACCOUNT_B, artifact, fakeDcScanQr, mcpInitialize, screenshotSet, startFakeDc, startServer, tmpDir, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

describe('setup page (headless server + Chromium)', () => {
  let dir, dc, server, browser, context, page;
  const tokens = {}; // plaintexts seen during the run: a, b
  const pageErrors = [];

  before(async () => {
    dir = tmpDir();
    dc = await startFakeDc(path.join(dir, 'sessions'));
    server = await startServer(dir, dc.addr);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(server.setupUrl);
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'first status call' });
  });

  after(async () => {
    await browser?.close();
    await server?.proc.stop();
    await dc?.proc.stop();
    // The token index must hold digests only.
    if (dir && fs.existsSync(path.join(dir, 'tokens.json'))) {
      const raw = fs.readFileSync(path.join(dir, 'tokens.json'), 'utf8');
      for (const t of Object.values(tokens)) assert.ok(!raw.includes(t), 'no token plaintext on disk');
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page');
  });

  const shot = (name) => page.screenshot({ path: artifact(`ui-${name}.png`), fullPage: true });
  const post = (cmd, { key = server.key, headers = {}, body = '{}' } = {}) => {
    const h = { 'content-type': 'application/json', ...headers };
    if (key !== null) h['x-setup-key'] = key;
    return fetch(`${server.base}/api/${cmd}`, { method: 'POST', headers: h, body });
  };

  test('setup API refuses calls without the key, from foreign origins, and non-JSON bodies', async () => {
    assert.equal((await post('status', { key: null })).status, 403);
    assert.equal((await post('status', { key: 'x'.repeat(43) })).status, 403);
    assert.equal((await post('status', { headers: { origin: 'http://evil.example' } })).status, 403);
    assert.equal((await post('status', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' })).status, 415);
    const ok = await post('status');
    assert.equal(ok.status, 200);
    const s = await ok.json();
    assert.equal(s.server.running, true);
    assert.equal(s.api_credentials_configured, true);
    const pageResp = await fetch(`${server.base}/setup`);
    assert.match(pageResp.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    // The key never appears in what the server sends.
    assert.ok(!(await pageResp.text()).includes(server.key));
  });

  test('the page reads the key from the fragment, hides it, and shows the status', async () => {
    assert.equal(await page.getAttribute('html', 'data-mode'), 'http');
    assert.ok(!page.url().includes('key='), 'the key is removed from the address bar');
    const line = await page.textContent('#status-line');
    assert.match(line, new RegExp(`running on ${server.base.replace('http://', '').replace(/\./g, '\\.')}`));
    // The harness's server has no keyring: the page says plainly that sessions are stored plain.
    assert.match(line, /sessions PLAIN \(no keyring\)/);
    assert.equal(await page.getAttribute('#status-line', 'data-at-rest'), 'plain');
    assert.equal(await page.isVisible('#auth-warning'), false);
    assert.equal(await page.isVisible('#api-missing'), false);
    await shot('01-start');
  });

  test('a page opened without the key says how to get it', async () => {
    const p = await context.newPage();
    await p.goto(`${server.base}/setup`);
    await p.locator('#no-key').waitFor({ state: 'visible' });
    assert.match(await p.textContent('#status-line'), /setup key/i);
    await p.close();
  });

  test('phone login (account A): wrong code is refused, right code issues a working token', async () => {
    await page.click('#tab-login');
    await page.fill('#phone-input', ACCOUNT_A.phone);
    await page.fill('#login-label-input', 'Cursor');
    await page.click('#phone-submit');
    await page.locator('#code-form').waitFor({ state: 'visible' });
    await page.fill('#code-input', '99999');
    await page.click('#code-submit');
    await waitFor(async () => (await page.getAttribute('#login-error', 'data-code')) === 'invalid_code', { message: 'invalid code error' });
    assert.ok(await page.isVisible('#login-error'));
    assert.match(await page.textContent('#login-error-text'), /wrong or has expired/);
    await shot('02-wrong-code');
    await page.fill('#code-input', ACCOUNT_A.code);
    await page.click('#code-submit');
    await page.locator('#login-done').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#done-account'), /Alice/);
    const token = await page.inputValue('#done-token');
    assert.equal(token.length, 43);
    tokens.a = token;
    assert.equal(await page.getAttribute('#done-token', 'type'), 'password', 'masked until shown');
    assert.equal(await mcpInitialize(server.base, token), 200);
    assert.equal(await mcpInitialize(server.base, null), 401);

    // Client configs carry the token, in each client's own shape; masked until asked for, like the token above.
    await page.click('#done-configs [data-testid=config-tab-cursor]');
    const masked = JSON.parse(await page.textContent('#done-configs [data-testid=config-text]'));
    assert.deepEqual(masked.mcpServers.telegram.headers, { Authorization: 'Bearer ••••••••••••' });
    await page.click('#done-configs [data-testid=config-reveal]');
    const cursor = JSON.parse(await page.textContent('#done-configs [data-testid=config-text]'));
    assert.deepEqual(cursor.mcpServers.telegram, { url: `${server.base}/v1/mcp`, headers: { Authorization: `Bearer ${token}` } });
    await page.click('#done-configs [data-testid=config-tab-vscode]');
    const vscode = JSON.parse(await page.textContent('#done-configs [data-testid=config-text]'));
    assert.equal(vscode.servers.telegram.type, 'http');
    assert.equal(vscode.inputs[0].password, true);
    await page.click('#done-configs [data-testid=config-tab-windsurf]');
    assert.equal(JSON.parse(await page.textContent('#done-configs [data-testid=config-text]')).mcpServers.telegram.serverUrl, `${server.base}/v1/mcp`);
    await page.click('#done-configs [data-testid=config-tab-codex]');
    assert.match(await page.textContent('#done-configs [data-testid=config-text]'), /^\[mcp_servers\.telegram\]\nurl = "http:\/\/127\.0\.0\.1:\d+\/v1\/mcp"\nbearer_token_env_var/);
    await page.click('#done-configs [data-testid=config-tab-claude_desktop]');
    const claude = JSON.parse(await page.textContent('#done-configs [data-testid=config-text]'));
    assert.deepEqual(claude.mcpServers.telegram.args.slice(0, 4), ['serve', '--transport', 'stdio', '--token-id']);
    assert.match(claude.mcpServers.telegram.args[4], /^tok_[0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(claude).includes(token), 'the stdio config holds no secret');
    assert.ok(path.isAbsolute(claude.mcpServers.telegram.command), 'absolute path of the stdio binary');
    assert.ok(fs.existsSync(claude.mcpServers.telegram.command));

    await page.click('#done-token-copy');
    await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())) === token, { message: 'token in the clipboard' });
    await page.click('#done-token-toggle');
    assert.equal(await page.getAttribute('#done-token', 'type'), 'text');
    await shot('03-login-done');
    await screenshotSet(page, 'ui-03-login-done');
  });

  test('2FA login (account B): the hint is shown, a wrong password is refused, the right one works', async () => {
    await page.click('#login-again');
    await page.fill('#phone-input', ACCOUNT_B.phone);
    await page.click('#phone-submit');
    await page.locator('#code-form').waitFor({ state: 'visible' });
    await page.fill('#code-input', ACCOUNT_B.code);
    await page.click('#code-submit');
    await page.locator('#password-form').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#password-hint'), ACCOUNT_B.hint);
    await page.fill('#password-input', 'not-the-password');
    await page.click('#password-submit');
    await waitFor(async () => (await page.getAttribute('#login-error', 'data-code')) === 'invalid_password', { timeout: 30000, message: 'wrong password error' });
    assert.match(await page.textContent('#login-error-text'), /Wrong password/);
    assert.ok(await page.isVisible('#password-form'), 'still on the password step');
    await shot('04-wrong-password');
    await page.fill('#password-input', ACCOUNT_B.password);
    await page.click('#password-submit');
    await page.locator('#login-done').waitFor({ state: 'visible', timeout: 30000 });
    assert.match(await page.textContent('#done-account'), /Bob/);
    tokens.b = await page.inputValue('#done-token');
    assert.equal(await mcpInitialize(server.base, tokens.b), 200);
  });

  test('flood wait: the error shows a live countdown and re-enables the button', async () => {
    await page.route('**/api/login_start_code', (route) => route.fulfill({
      status: 429,
      contentType: 'application/json',
      body: JSON.stringify({ error: { message: 'Telegram asks to wait 2 s before trying again', code: 'flood_wait', retry_after: 2 } }),
    }));
    try {
      await page.click('#login-again');
      await page.fill('#phone-input', ACCOUNT_A.phone);
      await page.click('#phone-submit');
      await waitFor(async () => (await page.getAttribute('#login-error', 'data-code')) === 'flood_wait', { message: 'flood error' });
      assert.match(await page.textContent('#flood-countdown'), /Try again in [12] s/);
      assert.equal(await page.isDisabled('#phone-submit'), true);
      await shot('05-flood-wait');
      await waitFor(async () => !(await page.isDisabled('#phone-submit')), { timeout: 8000, message: 'countdown to finish' });
      assert.equal(await page.isVisible('#flood-countdown'), false);
      assert.match(await page.textContent('#login-error-text'), /try again now/);
    } finally {
      await page.unroute('**/api/login_start_code');
    }
  });

  test('QR login: the tg://login URL is rendered as a QR code locally (decodable)', async () => {
    await page.click('#method-qr');
    await page.locator('#qr-panel').waitFor({ state: 'visible' });
    const url = await page.getAttribute('#qr-canvas', 'data-url');
    assert.match(url, /^tg:\/\/login\?token=[A-Za-z0-9_-]+$/);
    const img = await page.evaluate(() => {
      const c = document.querySelector('#qr-canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      return { w: c.width, h: c.height, data: Array.from(d.data) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(img.data), img.w, img.h);
    assert.ok(decoded, 'the canvas holds a readable QR code');
    assert.equal(decoded.data, url);
    await shot('06-qr');
  });

  test('QR login completes after the phone scans it', async () => {
    // The fake DC binary takes `scan_qr` on stdin; there is no skip: an unsupported scan fails here.
    const url = await page.getAttribute('#qr-canvas', 'data-url');
    assert.ok(await fakeDcScanQr(dc, url.split('token=')[1], ACCOUNT_A.phone), 'the fake DC accepted the scan');
    await page.locator('#login-done').waitFor({ state: 'visible', timeout: 20000 });
    assert.match(await page.textContent('#done-account'), /Alice/);
    tokens.qr = await page.inputValue('#done-token');
    assert.equal(await mcpInitialize(server.base, tokens.qr), 200);
    await page.click('#login-again');
  });

  test('QR login cancelled while a poll is in flight stays cancelled (the late answer is dropped)', async () => {
    await page.click('#tab-login');
    await page.locator('#login-start').waitFor({ state: 'visible' });
    let release;
    const held = new Promise((r) => { release = r; });
    let answered;
    const delivered = new Promise((r) => { answered = r; });
    let polled;
    const inFlight = new Promise((r) => { polled = r; });
    // Resolves once the page has run everything it does with the late answer: the answer's body
    // is parsed, then the page's handlers run in microtasks, all before this macrotask.
    await page.evaluate(() => {
      const orig = window.fetch;
      window.__lateHandled = new Promise((done) => {
        window.fetch = async (...args) => {
          const r = await orig(...args);
          if (!String(args[0]).includes('login_poll_qr')) return r;
          window.fetch = orig;
          const json = r.json.bind(r);
          r.json = async () => {
            try { return await json(); } finally { setTimeout(done, 0); }
          };
          return r;
        };
      });
    });
    // The first poll gets its real answer from the server, which reaches the page only after Cancel.
    await page.route('**/api/login_poll_qr', async (route) => {
      polled();
      const resp = await route.fetch();
      await held;
      await route.fulfill({ response: resp });
      answered();
    }, { times: 1 });
    try {
      await page.click('#method-qr');
      await page.locator('#qr-panel').waitFor({ state: 'visible' });
      await inFlight;
      await page.click('#qr-cancel');
      await page.locator('#login-start').waitFor({ state: 'visible' });
      release();
      await delivered;
      await page.evaluate(() => window.__lateHandled);
      assert.equal(await page.isVisible('#qr-panel'), false, 'a late poll answer does not bring the cancelled QR login back');
      assert.ok(await page.isVisible('#login-start'));
      assert.equal(await page.isVisible('#login-error'), false);
    } finally {
      release();
      await page.unroute('**/api/login_poll_qr');
    }
  });

  test('tokens: create for the same account, rotate (old secret 401, new 200), revoke', async () => {
    await page.click('#tab-tokens');
    await page.locator('#tokens-table tbody tr').first().waitFor();
    const before = await page.locator('#tokens-table tbody tr').count();
    const alice = await page.$eval('#token-session', (s) => [...s.options].find((o) => o.text.includes('Alice'))?.value);
    assert.ok(alice, 'Alice is offered as an existing account');
    await page.fill('#token-label', 'Rotate me');
    await page.selectOption('#token-session', alice);
    await page.click('#token-create');
    await page.locator('#secret-panel').waitFor({ state: 'visible' });
    const t1 = await page.inputValue('#secret-value');
    assert.equal(t1.length, 43);
    tokens.r1 = t1;
    assert.equal(await mcpInitialize(server.base, t1), 200);
    const row = page.locator('#tokens-table tbody tr', { hasText: 'Rotate me' });
    await row.waitFor();
    assert.equal(await page.locator('#tokens-table tbody tr').count(), before + 1);
    assert.match(await row.textContent(), /Alice/);

    await row.locator('[data-action=rotate]').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
    const t2 = await waitFor(async () => { const v = await page.inputValue('#secret-value'); return v !== t1 && v.length === 43 && v; }, { message: 'rotated secret' });
    tokens.r2 = t2;
    assert.equal(await mcpInitialize(server.base, t1), 401, 'the old secret stops working');
    assert.equal(await mcpInitialize(server.base, t2), 200, 'the new secret works');
    await shot('07-rotated');

    await row.locator('[data-action=revoke]').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
    await row.waitFor({ state: 'detached' });
    assert.equal(await mcpInitialize(server.base, t2), 401, 'a revoked token is refused');
    assert.equal(await mcpInitialize(server.base, tokens.a), 200, 'other tokens of the account keep working');
  });

  test('a token created with a new session is logged in later from the list (no second token)', async () => {
    await page.fill('#token-label', 'Later');
    await page.selectOption('#token-session', '');
    await page.click('#token-create');
    const row = page.locator('#tokens-table tbody tr', { hasText: 'Later' });
    await row.waitFor();
    assert.match(await row.textContent(), /Not logged in/);
    const secret = await page.inputValue('#secret-value');
    tokens.later = secret;
    const count = await page.locator('#tokens-table tbody tr').count();
    await row.locator('[data-action=login]').click();
    await page.locator('#login-target').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#login-target'), /Later/);
    await page.fill('#phone-input', ACCOUNT_A.phone);
    await page.click('#phone-submit');
    await page.locator('#code-form').waitFor({ state: 'visible' });
    await page.fill('#code-input', ACCOUNT_A.code);
    await page.click('#code-submit');
    await page.locator('#login-done').waitFor({ state: 'visible' });
    assert.ok(await page.isVisible('#done-existing'));
    assert.equal(await page.isVisible('#done-token-box'), false, 'no new token');
    // The configs use the token this page created (held in memory only).
    await page.click('#done-configs [data-testid=config-tab-http]');
    // Masked until asked for; then whole.
    assert.ok(!(await page.textContent('#done-configs [data-testid=config-text]')).includes(secret), 'masked by default');
    await page.click('#done-configs [data-testid=config-reveal]');
    assert.match(await page.textContent('#done-configs [data-testid=config-text]'), new RegExp(`Bearer ${secret}`));
    await page.click('#tab-tokens');
    await waitFor(async () => /Alice/.test(await page.locator('#tokens-table tbody tr', { hasText: 'Later' }).textContent()), { message: 'account shown' });
    assert.equal(await page.locator('#tokens-table tbody tr').count(), count);
    assert.equal(await mcpInitialize(server.base, secret), 200);
  });

  test('reveal without an OS keyring explains why (after a reload, the key is kept for the tab)', async () => {
    await page.reload();
    await waitFor(() => page.evaluate(() => document.documentElement.dataset.ready === 'true'), { message: 'status after reload' });
    await page.click('#tab-tokens');
    const row = page.locator('#tokens-table tbody tr', { hasText: 'Cursor' });
    await row.locator('[data-action=reveal]').click();
    await waitFor(async () => /keyring/i.test((await page.textContent('#toast')) || ''), { message: 'keyring toast' });
    // The message names the token by its label, and no other secret is left on screen.
    assert.match(await page.textContent('#toast'), /“Cursor”/);
    assert.equal(await page.isVisible('#secret-panel'), false);
    assert.equal(await page.inputValue('#secret-value'), '');
  });

  test('client configs tab: per-client snippets, a placeholder when the secret is unknown', async () => {
    await page.click('#tab-clients');
    await page.locator('#clients-configs [data-testid=config-text]').waitFor();
    const later = await page.$eval('#configs-token', (s) => [...s.options].find((o) => o.text.includes('Later'))?.value);
    assert.ok(later);
    await page.selectOption('#configs-token', later);
    await page.click('#clients-configs [data-testid=config-tab-cursor]');
    await waitFor(async () => (await page.textContent('#clients-configs [data-testid=config-text]')).includes('<PASTE-YOUR-TOKEN-HERE>'), { message: 'placeholder' });
    assert.match(await page.textContent('#clients-configs [data-testid=config-token-note]'), /Replace the placeholder/);
    await page.click('#clients-configs [data-testid=config-copy]');
    await waitFor(async () => (await page.evaluate(() => navigator.clipboard.readText())).includes('"mcpServers"'), { message: 'config in the clipboard' });
    await shot('08-clients');
  });

  test('clients tab: "Add to Cursor" writes our entry into ~/.cursor/mcp.json, "Remove" restores the file', async () => {
    const file = path.join(dir, '.cursor', 'mcp.json'); // HOME is the temp dir
    const original = '{\n  "mcpServers": {\n    "other": { "url": "http://localhost:9/mcp" }\n  }\n}\n';
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, original);
    await page.click('#tab-tokens');
    await page.click('#tab-clients');
    const row = page.locator('#setup-table tr[data-client=cursor]');
    await row.locator('[data-action=add]').waitFor();
    const later = await page.$eval('#configs-token', (s) => [...s.options].find((o) => o.text.includes('Later'))?.value);
    await page.selectOption('#configs-token', later);
    await row.locator('[data-action=add]').click();
    await waitFor(async () => /Added to Cursor/.test(await page.textContent('#setup-msg')), { message: 'added message' });
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(written.mcpServers.telegram.args, ['serve', '--transport', 'stdio', '--token-id', later]);
    assert.equal(written.mcpServers.other.url, 'http://localhost:9/mcp');
    await waitFor(async () => (await row.textContent()).includes(`Added (${later})`), { message: 'row shows the entry' });
    await shot('08b-client-setup');
    await row.locator('[data-action=remove]').click();
    await waitFor(async () => /Removed from Cursor/.test(await page.textContent('#setup-msg')), { message: 'removed message' });
    assert.equal(fs.readFileSync(file, 'utf8'), original);
  });

  test('settings: DISABLE_AUTH is applied live, with a warning banner', async () => {
    assert.equal(await mcpInitialize(server.base, null), 401);
    await page.click('#tab-settings');
    await waitFor(async () => (await page.inputValue('#set-max-size')) !== '', { message: 'settings loaded' });
    await page.check('#set-disable-auth');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
    assert.equal(await page.isChecked('#set-disable-auth'), true);
    await page.click('#settings-save');
    await waitFor(async () => /saved/i.test(await page.textContent('#settings-msg')), { message: 'settings saved' });
    await page.locator('#auth-warning').waitFor({ state: 'visible' });
    assert.equal(await mcpInitialize(server.base, null), 200, 'tokenless requests pass while auth is off');
    await shot('09-auth-off');
    await page.click('#auth-warning-off');
    await page.locator('#auth-warning').waitFor({ state: 'hidden' });
    assert.equal(await mcpInitialize(server.base, null), 401, 'auth is back');

    // A refused value is reported and changes nothing.
    await page.fill('#set-max-size', '0');
    await page.$eval('#settings-form', (f) => { f.noValidate = true; });
    await page.click('#settings-save');
    await waitFor(async () => /MAX_FILE_SIZE_MB/.test(await page.textContent('#settings-msg')), { message: 'validation error' });
  });

  test('backup and restore from the settings page: wrong passphrase and newer state refused, force restores', async () => {
    await page.click('#tab-settings');
    const archive = `${dir}.fmtbackup`;
    await page.fill('#backup-path', archive);
    await page.fill('#backup-pass', 'a long enough passphrase');
    await page.click('#backup-save');
    await waitFor(async () => /^Backup written: \d+ sessions, \d+ tokens/.test(await page.textContent('#backup-msg')), { timeout: 30000, message: 'backup written' });
    assert.equal(fs.statSync(archive).mode & 0o777, 0o600);
    const before = (await (await post('tokens_list')).json()).map((t) => t.id).sort();

    const extra = await (await post('token_create', { body: JSON.stringify({ label: 'after the backup' }) })).json();
    await page.fill('#restore-path', archive);
    await page.fill('#restore-pass', 'not the passphrase');
    await page.click('#restore-run');
    await waitFor(async () => /wrong passphrase/.test(await page.textContent('#backup-msg')), { timeout: 30000, message: 'wrong passphrase refused' });
    await page.fill('#restore-pass', 'a long enough passphrase');
    await page.click('#restore-run');
    await waitFor(async () => /changed after the backup/.test(await page.textContent('#backup-msg')), { timeout: 30000, message: 'newer state refused' });
    assert.ok((await (await post('tokens_list')).json()).some((t) => t.id === extra.record.id), 'nothing changed');

    await page.check('#restore-force');
    await page.fill('#restore-pass', 'a long enough passphrase');
    await page.click('#restore-run');
    await waitFor(async () => /^Restored \d+ sessions/.test(await page.textContent('#backup-msg')), { timeout: 30000, message: 'restored' });
    assert.deepEqual((await (await post('tokens_list')).json()).map((t) => t.id).sort(), before, 'the state of the backup');
    assert.equal(await mcpInitialize(server.base, tokens.a), 200, 'the tokens of the backup work');
    await shot('11-backup-restore');
    fs.rmSync(archive, { force: true });
  });

  test('sign out (account B) revokes its token and deletes the session; revoke can delete a session', async () => {
    await page.click('#tab-tokens');
    const rowB = page.locator('#tokens-table tbody tr[data-token-id]', { hasText: 'Bob' });
    await rowB.waitFor();
    const list = await (await post('tokens_list')).json();
    const recB = list.find((t) => (t.account || '').includes('Bob'));
    const recA = list.find((t) => t.label === 'Cursor');
    const sessionB = path.join(dir, 'sessions', `${recB.session_id}.session`);
    assert.ok(fs.existsSync(sessionB), 'B has a session file before signing out');
    await rowB.locator('[data-action=signout]').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
    await rowB.waitFor({ state: 'detached' });
    assert.equal(await mcpInitialize(server.base, tokens.b), 401);
    assert.ok(!fs.existsSync(sessionB), 'session file deleted');
    const sessionFile = path.join(dir, 'sessions', `${recA.session_id}.session`);
    assert.ok(fs.existsSync(sessionFile), 'A has a session file before the revoke');

    const rowA = page.locator('#tokens-table tbody tr', { hasText: 'Cursor' });
    await rowA.locator('[data-action=revoke]').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.check('#confirm-extra-box');
    await page.click('#confirm-ok');
    await rowA.waitFor({ state: 'detached' });
    assert.equal(await mcpInitialize(server.base, tokens.a), 401);
    await waitFor(() => !fs.existsSync(sessionFile), { message: 'session of the revoked token deleted' });
    await shot('10-tokens-after');
  });
});
