// fast-mcp-telegram setup UI. The same page runs in the tray app (Tauri IPC) and
// at http://127.0.0.1:PORT/setup (HTTP + a per-launch setup key). No build step.
'use strict';

(() => {
  // ---------- transport shim ----------
  const TAURI = window.__TAURI__ && window.__TAURI__.core;
  const MODE = TAURI ? 'tauri-ipc' : 'http';
  let setupKey = null;
  if (!TAURI) {
    const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (m) {
      setupKey = decodeURIComponent(m[1]);
      try { sessionStorage.setItem('setupKey', setupKey); } catch (_) { /* storage may be off */ }
      // Keep the key out of the address bar and history.
      history.replaceState(null, '', location.pathname + location.search);
    } else {
      try { setupKey = sessionStorage.getItem('setupKey'); } catch (_) { setupKey = null; }
    }
  }

  class ApiError extends Error {
    constructor(message, code, retryAfter) {
      super(message);
      this.code = code || 'error';
      this.retryAfter = retryAfter;
    }
  }

  function toApiError(body, status) {
    const e = body && body.error;
    if (e && typeof e === 'object') return new ApiError(e.message || 'Request failed', e.code, e.retry_after);
    if (typeof e === 'string') return new ApiError(e, status === 403 ? 'forbidden' : 'error');
    if (typeof body === 'string') return new ApiError(body, 'error');
    return new ApiError(status ? `Request failed (HTTP ${status})` : 'Request failed', 'error');
  }

  async function call(cmd, args = {}) {
    if (TAURI) {
      try {
        return await TAURI.invoke(cmd, { args });
      } catch (e) {
        throw toApiError(e);
      }
    }
    let r;
    try {
      r = await fetch('/api/' + cmd, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-setup-key': setupKey || '' },
        body: JSON.stringify(args),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (_) {
      throw new ApiError('The server is not reachable. Is fast-mcp-telegram still running?', 'offline');
    }
    let body = null;
    try { body = await r.json(); } catch (_) { body = null; }
    if (!r.ok) throw toApiError(body, r.status);
    return body;
  }

  // ---------- helpers ----------
  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, props = {}, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) n.append(c);
    return n;
  };
  const show = (node, on = true) => { node.hidden = !on; };
  const fmtTime = (secs) => (secs ? new Date(secs * 1000).toLocaleString() : '—');

  let toastTimer = null;
  function toast(msg, isError = false) {
    const t = $('#toast');
    t.textContent = msg;
    t.classList.toggle('err', isError);
    show(t);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => show(t, false), isError ? 6000 : 2500);
  }

  async function copyText(text, what = 'Copied') {
    try {
      if (TAURI) await call('clipboard_write', { text });
      else await navigator.clipboard.writeText(text);
    } catch (_) {
      const ta = el('textarea', { class: 'offscreen', readonly: true });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      try { document.execCommand('copy'); } finally { ta.remove(); }
    }
    toast(what + ' to the clipboard');
  }

  // A promise-based confirm dialog with an optional checkbox.
  function confirmDialog({ title, text, ok = 'Confirm', danger = true, extra = null }) {
    const d = $('#confirm-dialog');
    $('#confirm-title').textContent = title;
    $('#confirm-text').textContent = text;
    const okBtn = $('#confirm-ok');
    okBtn.textContent = ok;
    okBtn.className = danger ? 'danger' : 'primary';
    show($('#confirm-extra'), !!extra);
    $('#confirm-extra-box').checked = false;
    if (extra) $('#confirm-extra-text').textContent = extra;
    return new Promise((resolve) => {
      const done = (v) => {
        d.removeEventListener('close', onClose);
        $('#confirm-cancel').removeEventListener('click', onCancel);
        resolve(v);
      };
      const onClose = () => done(d.returnValue === 'ok' ? { ok: true, extra: $('#confirm-extra-box').checked } : { ok: false });
      const onCancel = () => d.close('cancel');
      d.addEventListener('close', onClose);
      $('#confirm-cancel').addEventListener('click', onCancel);
      d.returnValue = '';
      d.showModal();
      $('#confirm-cancel').focus();
    });
  }

  // Token plaintexts this page has seen (memory only; never stored).
  const knownSecrets = new Map();
  let lastStatus = null;
  let tokensCache = [];

  // ---------- what the window shows, kept across a closed window ----------
  // The tray app destroys its window on close (the web view's memory goes with it) and keeps this
  // in memory, so the reopened window starts where the user left: the tab, and a login waiting for
  // its code, password or QR scan. A browser tab keeps the tab in sessionStorage (closing it
  // cancels its login).
  const uiState = { view: 'login', login: null };

  function saveUiState() {
    if (TAURI) {
      call('ui_state_set', { state: uiState }).catch(() => { /* an older app: nothing kept */ });
      return;
    }
    try { sessionStorage.setItem('uiState', JSON.stringify({ view: uiState.view })); } catch (_) { /* storage may be off */ }
  }

  async function loadUiState() {
    try {
      const s = TAURI ? (await call('ui_state_get')).state : JSON.parse(sessionStorage.getItem('uiState') || 'null');
      return s && typeof s === 'object' ? s : null;
    } catch (_) {
      return null;
    }
  }

  // ---------- tabs ----------
  function switchView(name) {
    uiState.view = name;
    saveUiState();
    for (const b of document.querySelectorAll('.tabs [role=tab]')) {
      const on = b.dataset.view === name;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      show($('#view-' + b.dataset.view), on);
    }
    if (name === 'tokens') loadTokens();
    if (name === 'clients') loadClientsView();
    if (name === 'settings') loadSettings();
  }
  for (const b of document.querySelectorAll('.tabs [role=tab]')) {
    b.addEventListener('click', () => switchView(b.dataset.view));
    b.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const tabs = [...document.querySelectorAll('.tabs [role=tab]')];
      const i = tabs.indexOf(b) + (e.key === 'ArrowRight' ? 1 : -1);
      const next = tabs[(i + tabs.length) % tabs.length];
      next.focus();
      switchView(next.dataset.view);
    });
  }

  // ---------- status ----------
  async function refreshStatus() {
    let s;
    try {
      s = await call('status');
    } catch (e) {
      $('#status-line').textContent = e.code === 'forbidden' ? 'Setup key missing or wrong' : e.message;
      if (e.code === 'forbidden') show($('#no-key'));
      return null;
    }
    lastStatus = s;
    $('#version').textContent = 'v' + s.version;
    const line = $('#status-line');
    line.replaceChildren();
    const dot = el('span', { class: 'dot' + (s.server.running ? '' : ' off'), 'aria-hidden': 'true' });
    const where = s.server.running && s.server.addr ? `running on ${s.server.addr}` : 'not running';
    const offline = (s.sessions || []).filter((a) => a.state === 'offline').length;
    const sessions = `${s.accounts} account${s.accounts === 1 ? '' : 's'} logged in` + (offline ? ` · Telegram unreachable (${offline})` : '');
    const tokens = `${s.tokens} token${s.tokens === 1 ? '' : 's'}`;
    const atRest = s.at_rest === 'encrypted' ? 'sessions encrypted' : 'sessions PLAIN (no keyring)';
    line.append(dot, `Server: ${where} · ${sessions} · ${tokens} · auth ${s.auth_disabled ? 'OFF' : 'on'} · ${atRest}`);
    line.dataset.running = String(s.server.running);
    line.dataset.atRest = s.at_rest;
    line.dataset.authDisabled = String(s.auth_disabled);
    show($('#auth-warning'), s.auth_disabled);
    $('#dev-acts-as').textContent = s.dev_acts_as
      ? `Requests without a token act as ${s.dev_acts_as}.`
      : 'No account is logged in yet, so requests without a token cannot use Telegram.';
    const srvErr = $('#server-error');
    srvErr.textContent = s.server.error ? `The MCP server is not running: ${s.server.error}` : '';
    show(srvErr, !!s.server.error);
    show($('#api-missing'), !s.api_credentials_configured);
    const importable = s.importable_sessions || [];
    show($('#import-found'), importable.length > 0);
    $('#import-found').textContent = importable.length
      ? `Found ${importable.length} login${importable.length === 1 ? '' : 's'} of the Python server: ${importable.join(', ')}`
      : '';
    if (importable.length && !$('#import-path').value) $('#import-path').value = importable[0];
    document.dispatchEvent(new CustomEvent('fmt:status', { detail: s }));
    return s;
  }

  // ---------- API credentials ----------
  async function saveApiCredentials(idInput, hashInput, msg) {
    msg.className = 'msg';
    msg.textContent = 'Saving…';
    try {
      const r = await call('settings_set', { api_id: idInput.value.trim(), api_hash: hashInput.value.trim() });
      hashInput.value = '';
      msg.className = 'msg ok';
      msg.textContent = r.api_credentials_applied
        ? 'Saved and applied.'
        : 'Saved. They apply when the server (fast-mcp-telegram serve) restarts.';
      await refreshStatus();
      if (!$('#view-settings').hidden) loadSettings();
    } catch (e) {
      msg.className = 'msg err';
      msg.textContent = e.message;
    }
  }
  $('#api-form').addEventListener('submit', (e) => {
    e.preventDefault();
    saveApiCredentials($('#api-id'), $('#api-hash'), $('#api-msg'));
  });
  $('#api-form-2').addEventListener('submit', (e) => {
    e.preventDefault();
    saveApiCredentials($('#api-id-2'), $('#api-hash-2'), $('#api-msg-2'));
  });

  // ---------- login ----------
  const login = { id: null, method: 'phone', tokenId: null, qrTimer: null, qrUrl: null, expiresAt: 0, floodTimer: null, busy: false };
  const loginPanels = ['#login-start', '#code-form', '#password-form', '#qr-panel', '#login-done'];

  function loginShow(panel) {
    for (const p of loginPanels) show($(p), p === panel);
    const focus = { '#login-start': '#phone-input', '#code-form': '#code-input', '#password-form': '#password-input' }[panel];
    if (focus && !(panel === '#login-start' && login.method === 'qr')) setTimeout(() => $(focus).focus(), 0);
  }

  function clearLoginError() {
    show($('#login-error'), false);
    $('#login-error').dataset.code = '';
    stopFlood();
  }

  function stopFlood() {
    clearInterval(login.floodTimer);
    login.floodTimer = null;
    show($('#flood-countdown'), false);
    for (const b of document.querySelectorAll('#login-card button[type=submit]')) b.disabled = false;
  }

  function showLoginError(e) {
    const box = $('#login-error');
    box.dataset.code = e.code;
    const friendly = {
      invalid_code: 'That code is wrong or has expired. Check the latest code in Telegram and try again.',
      invalid_password: 'Wrong password. Try again (the hint is shown above).',
      invalid_phone: 'That phone number is not valid. Use the international format, e.g. +15551234567.',
      unknown_login: 'This login has expired. Start again.',
      flood_wait: 'Telegram asks you to wait before trying again.',
    }[e.code];
    $('#login-error-text').textContent = friendly || e.message;
    show(box);
    if (e.code === 'flood_wait' && e.retryAfter) startFlood(e.retryAfter);
  }

  function startFlood(seconds) {
    stopFlood();
    const end = Date.now() + seconds * 1000;
    const cd = $('#flood-countdown');
    const buttons = [...document.querySelectorAll('#login-card button[type=submit]')];
    const tick = () => {
      const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (left <= 0) {
        stopFlood();
        $('#login-error-text').textContent = 'You can try again now.';
        return;
      }
      cd.textContent = `Try again in ${formatDuration(left)}.`;
      cd.dataset.seconds = String(left);
      for (const b of buttons) b.disabled = true;
    };
    show(cd);
    tick();
    login.floodTimer = setInterval(tick, 250);
  }

  function formatDuration(s) {
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${s % 60} s`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  function setMethod(method) {
    login.method = method;
    $('#method-phone').classList.toggle('active', method === 'phone');
    $('#method-qr').classList.toggle('active', method === 'qr');
    $('#method-phone').setAttribute('aria-pressed', String(method === 'phone'));
    $('#method-qr').setAttribute('aria-pressed', String(method === 'qr'));
  }

  async function withBusy(button, fn) {
    if (login.busy) return;
    login.busy = true;
    const old = button.textContent;
    button.disabled = true;
    button.textContent = old + '…';
    try {
      await fn();
    } finally {
      login.busy = false;
      button.textContent = old;
      if (!login.floodTimer) button.disabled = false;
    }
  }

  function rememberStep(step) {
    uiState.login = step && ['code', 'password', 'qr'].includes(step.next) ? { ...step, method: login.method } : null;
    saveUiState();
  }

  async function handleStep(step) {
    clearLoginError();
    login.id = step.login_id || null;
    rememberStep(step);
    switch (step.next) {
      case 'code':
        $('#code-input').value = '';
        loginShow('#code-form');
        break;
      case 'password':
        stopQrPolling();
        $('#password-input').value = '';
        $('#password-hint').textContent = step.hint || '';
        show($('#password-hint-line'), !!step.hint);
        loginShow('#password-form');
        break;
      case 'qr':
        loginShow('#qr-panel');
        renderQr(step.url, step.expires_at);
        scheduleQrPoll();
        break;
      case 'done':
        stopQrPolling();
        login.id = null;
        await showDone(step);
        break;
      default:
        throw new ApiError('Unexpected answer from the server', 'internal');
    }
  }

  $('#method-phone').addEventListener('click', () => {
    setMethod('phone');
    $('#phone-form').hidden = false;
    $('#phone-input').focus();
  });
  $('#method-qr').addEventListener('click', async () => {
    setMethod('qr');
    clearLoginError();
    try {
      const step = await call('login_start_qr', loginTargetArgs());
      await handleStep(step);
    } catch (e) {
      setMethod('phone');
      showLoginError(e);
    }
  });

  function loginTargetArgs() {
    const args = {};
    const label = $('#login-label-input').value.trim();
    if (label) args.label = label;
    if (login.tokenId) args.token_id = login.tokenId;
    return args;
  }

  $('#phone-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearLoginError();
    withBusy($('#phone-submit'), async () => {
      try {
        const step = await call('login_start_code', { phone: $('#phone-input').value, ...loginTargetArgs() });
        await handleStep(step);
      } catch (err) {
        showLoginError(err);
      }
    });
  });

  $('#code-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearLoginError();
    withBusy($('#code-submit'), async () => {
      const id = login.id;
      try {
        const step = await call('login_submit_code', { login_id: id, code: $('#code-input').value });
        if (!stale(id, step)) await handleStep(step);
      } catch (err) {
        if (login.id !== id) return; // cancelled meanwhile
        showLoginError(err);
        if (err.code === 'unknown_login') resetLogin();
        else $('#code-input').select();
      }
    });
  });

  $('#password-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearLoginError();
    withBusy($('#password-submit'), async () => {
      const id = login.id;
      try {
        const step = await call('login_submit_password', { login_id: id, password: $('#password-input').value });
        if (!stale(id, step)) await handleStep(step);
      } catch (err) {
        if (login.id !== id) return; // cancelled meanwhile
        showLoginError(err);
        if (err.code === 'unknown_login') resetLogin();
        else { $('#password-input').value = ''; $('#password-input').focus(); }
      }
    });
  });

  for (const b of document.querySelectorAll('.login-back')) {
    b.addEventListener('click', async () => {
      // Back at once: the server lets a running step (e.g. a QR long-poll) finish before it cancels.
      const cancelled = cancelLogin();
      resetLogin();
      await cancelled;
    });
  }

  async function cancelLogin() {
    stopQrPolling();
    if (login.id) {
      const id = login.id;
      login.id = null;
      rememberStep(null);
      try { await call('login_cancel', { login_id: id }); } catch (_) { /* already gone */ }
    }
  }

  function resetLogin(keepError = true) {
    stopQrPolling();
    rememberStep(null);
    setMethod('phone');
    if (!keepError) clearLoginError();
    $('#phone-form').hidden = false;
    loginShow('#login-start');
  }

  // QR rendering (vendor/qrcode.js, MIT) onto a canvas, with a quiet zone.
  function renderQr(url, expiresAt) {
    login.expiresAt = expiresAt || 0;
    const canvas = $('#qr-canvas');
    if (url !== login.qrUrl) {
      login.qrUrl = url;
      canvas.dataset.url = url;
      const qr = window.qrcode(0, 'M');
      qr.addData(url, 'Byte');
      qr.make();
      const n = qr.getModuleCount();
      const quiet = 4;
      const scale = Math.max(2, Math.floor(264 / (n + quiet * 2)));
      const size = (n + quiet * 2) * scale;
      canvas.width = size;
      canvas.height = size;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, size, size);
      ctx.fillStyle = '#000000';
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < n; c++) {
          if (qr.isDark(r, c)) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
        }
      }
      canvas.dataset.renders = String(Number(canvas.dataset.renders || 0) + 1);
    }
    updateQrExpiry();
  }

  function updateQrExpiry() {
    const left = Math.max(0, Math.round(login.expiresAt - Date.now() / 1000));
    $('#qr-expiry').textContent = login.expiresAt ? (left > 0 ? `Code refreshes in ${left} s` : 'Refreshing the code…') : '';
  }

  function scheduleQrPoll() {
    clearTimeout(login.qrTimer);
    login.qrTimer = setTimeout(pollQr, 2500);
  }

  async function pollQr() {
    if (!login.id || $('#qr-panel').hidden) return;
    const id = login.id;
    updateQrExpiry();
    try {
      const step = await call('login_poll_qr', { login_id: id });
      if (stale(id, step)) return;
      await handleStep(step);
    } catch (e) {
      if (login.id !== id) return; // cancelled meanwhile
      if (e.code === 'network_error' || e.code === 'offline') {
        $('#qr-expiry').textContent = 'Connection problem; retrying…';
        scheduleQrPoll();
      } else {
        stopQrPolling();
        showLoginError(e);
        resetLogin();
      }
    }
  }

  // An answer that arrives after its login was cancelled is dropped, unless it logged in
  // (then a token was issued, and it is shown).
  const stale = (id, step) => login.id !== id && step.next !== 'done';

  function stopQrPolling() {
    clearTimeout(login.qrTimer);
    login.qrTimer = null;
    login.qrUrl = null;
  }

  async function showDone(step) {
    const account = step.account || {};
    $('#done-account').textContent = account.name ? account.name + (account.username ? ` (@${account.username})` : '') : 'your account';
    const issued = step.issued;
    show($('#done-token-box'), !!issued);
    show($('#done-existing'), !issued);
    const tokenInput = $('#done-token');
    tokenInput.type = 'password';
    $('#done-token-toggle').textContent = 'Show';
    let args = {};
    if (issued) {
      knownSecrets.set(issued.record.id, issued.token);
      tokenInput.value = issued.token;
      $('#done-token-label').textContent = issued.record.label;
      $('#done-token-keyring').textContent = issued.stored_in_keyring
        ? 'It is also saved in your OS keyring: you can show it again under Tokens.'
        : 'No OS keyring is available: this is the only time it is shown. Copy it now.';
      args = { token: issued.token };
    } else if (step.existing_token) {
      $('#done-existing').textContent = `The token “${step.existing_token.label}” now uses this account.`;
      args = knownSecrets.has(step.existing_token.id)
        ? { token: knownSecrets.get(step.existing_token.id) }
        : { token_id: step.existing_token.id };
    }
    // The same account logged in again: offer to keep one Telegram session for all its tokens.
    const same = step.same_account || [];
    const mine = issued ? issued.record : step.existing_token;
    show($('#done-same-account'), same.length > 0 && !!mine);
    if (same.length && mine) {
      const names = same.map((t) => `“${t.label}”`).join(', ');
      $('#done-same-account-text').textContent =
        `This account was already logged in (token${same.length === 1 ? '' : 's'} ${names}), so there are now two Telegram sessions for it. ` +
        `Keep one: “${mine.label}” then uses the existing session, and this new login is signed out.`;
      $('#done-merge').onclick = async () => {
        try {
          await call('session_merge', { token_id: mine.id, into_token_id: same[0].id });
          show($('#done-same-account'), false);
          toast(`One session now serves “${mine.label}” and ${names}`);
          refreshStatus();
        } catch (e) {
          toast(e.message, true);
        }
      };
      $('#done-keep-both').onclick = () => show($('#done-same-account'), false);
    }
    login.tokenId = null;
    show($('#login-target'), false);
    $('#login-label-input').disabled = false;
    loginShow('#login-done');
    refreshStatus();
    try {
      renderConfigs($('#done-configs'), await call('client_configs', args));
    } catch (e) {
      $('#done-configs').textContent = e.message;
    }
  }

  $('#done-token-toggle').addEventListener('click', () => {
    const i = $('#done-token');
    const showIt = i.type === 'password';
    i.type = showIt ? 'text' : 'password';
    $('#done-token-toggle').textContent = showIt ? 'Hide' : 'Show';
    $('#done-token-toggle').setAttribute('aria-pressed', String(showIt));
  });
  $('#done-token-copy').addEventListener('click', () => copyText($('#done-token').value, 'Token copied'));
  $('#login-again').addEventListener('click', () => {
    $('#phone-input').value = '';
    $('#login-label-input').value = '';
    resetLogin(false);
  });

  function startLoginForToken(t) {
    login.tokenId = t.id;
    $('#login-target').textContent = `Logging in the session of token “${t.label}”. No new token will be created.`;
    show($('#login-target'));
    $('#login-label-input').disabled = true;
    switchView('login');
    resetLogin(false);
  }

  // ---------- client configs ----------
  let selectedClient = 'claude_desktop';
  function renderConfigs(container, data) {
    container.replaceChildren();
    const tabs = el('div', { class: 'config-tabs', role: 'tablist', 'aria-label': 'MCP clients' });
    const meta = el('div', { class: 'config-meta' });
    const pre = el('pre', { class: 'config-text', 'data-testid': 'config-text', tabindex: '0' });
    const note = el('p', { class: 'muted', 'data-testid': 'config-note' });
    const copy = el('button', { type: 'button', class: 'small primary', 'data-testid': 'config-copy', text: 'Copy' });
    const location = el('span', { 'data-testid': 'config-location' });
    meta.append(location, copy);
    // One rule for secrets: masked by default, shown on request, copied whole, never clipped.
    const reveal = el('button', { type: 'button', class: 'small', 'data-testid': 'config-reveal', 'aria-pressed': 'false', text: 'Show token' });
    let revealed = false;
    const TOKEN_RE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
    const shown = (text) => (revealed || !data.token_included ? text : text.replace(TOKEN_RE, '•'.repeat(12)));
    if (data.token_included) meta.append(reveal);
    const tokenNote = el('p', { class: 'muted', 'data-testid': 'config-token-note' });
    tokenNote.textContent = data.token_included
      ? 'These snippets contain your token: keep them private.'
      : 'Replace the placeholder with your token (Tokens tab → Show, or rotate it to get a new one).';
    if (!data.configs.some((c) => c.id === selectedClient)) selectedClient = data.configs[0].id;
    const select = (id) => {
      selectedClient = id;
      const c = data.configs.find((x) => x.id === id);
      for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.client === id));
      pre.textContent = shown(c.text);
      pre.dataset.client = id;
      location.textContent = c.location;
      note.textContent = c.note;
    };
    for (const c of data.configs) {
      tabs.append(el('button', {
        type: 'button', role: 'tab', 'data-client': c.id, 'data-testid': 'config-tab-' + c.id, text: c.name,
        onclick: () => select(c.id),
      }));
    }
    copy.addEventListener('click', () => copyText(data.configs.find((x) => x.id === selectedClient).text, 'Configuration copied'));
    reveal.addEventListener('click', () => {
      revealed = !revealed;
      reveal.textContent = revealed ? 'Hide token' : 'Show token';
      reveal.setAttribute('aria-pressed', String(revealed));
      select(selectedClient);
    });
    container.append(tabs, meta, pre, note, tokenNote);
    select(selectedClient);
  }

  async function loadClientsView() {
    const sel = $('#configs-token');
    const keep = sel.value;
    await loadTokens(false);
    sel.replaceChildren(el('option', { value: '', text: 'No token (placeholder)' }));
    for (const t of tokensCache) sel.append(el('option', { value: t.id, text: `${t.label}${t.account ? ' — ' + t.account : ''}` }));
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
    await Promise.all([renderClientsFor(sel.value), loadClientSetup()]);
  }

  // One-click setup: our entry in each client's own config file (client_setup_* commands).
  async function loadClientSetup() {
    let list;
    try {
      list = await call('client_setup_list');
    } catch (e) {
      $('#setup-msg').textContent = e.message;
      return;
    }
    const body = $('#setup-table tbody');
    body.replaceChildren();
    for (const c of list.clients) {
      const state = c.error ? `Unreadable: ${c.error}`
        : c.entry === 'present' ? `Added (${c.token_id || '?'})`
        : c.entry === 'foreign' ? 'Another server is named “telegram”'
        : c.client_found ? 'Not added' : 'Not added (client not found)';
      const button = (action, text) => el('button', {
        type: 'button', class: 'small', 'data-action': action, text, onclick: () => clientSetup(action, c),
      });
      body.append(el('tr', { 'data-client': c.client },
        el('td', {}, c.name, el('span', { class: 'sub', text: c.path })),
        el('td', { text: state }),
        el('td', { class: 'actions-cell' },
          c.entry === 'foreign' || c.error ? null : button('add', c.entry === 'present' ? 'Update' : `Add to ${c.name}`), ' ',
          c.entry === 'present' ? button('remove', 'Remove') : null)));
    }
  }

  async function clientSetup(action, c) {
    const msg = $('#setup-msg');
    const args = { client: c.client };
    if (action === 'add' && $('#configs-token').value) args.token_id = $('#configs-token').value;
    msg.className = 'msg';
    try {
      const r = await call(action === 'add' ? 'client_setup_add' : 'client_setup_remove', args);
      const done = { added: 'Added to', updated: 'Updated in', unchanged: 'Already in', removed: 'Removed from', not_present: 'Not in' }[r.outcome];
      msg.className = 'msg ok';
      msg.textContent = `${done} ${c.name}: ${r.path}.` + (r.backup ? ` The file as it was: ${r.backup}.` : '') +
        (r.outcome === 'unchanged' || r.outcome === 'not_present' ? '' : ` Restart ${c.name} to apply.`);
    } catch (e) {
      msg.className = 'msg err';
      msg.textContent = e.message;
    }
    await loadClientSetup();
  }

  async function renderClientsFor(tokenId) {
    let args = {};
    if (tokenId) args = knownSecrets.has(tokenId) ? { token: knownSecrets.get(tokenId) } : { token_id: tokenId };
    try {
      renderConfigs($('#clients-configs'), await call('client_configs', args));
    } catch (e) {
      $('#clients-configs').textContent = e.message;
    }
  }
  $('#configs-token').addEventListener('change', (e) => renderClientsFor(e.target.value));

  // ---------- tokens ----------
  async function loadTokens(render = true) {
    try {
      tokensCache = await call('tokens_list');
    } catch (e) {
      toast(e.message, true);
      return;
    }
    if (!render) return;
    const body = $('#tokens-table tbody');
    body.replaceChildren();
    // Grouped by Telegram session: tokens that share one are signed out together.
    const bySession = new Map();
    for (const t of tokensCache) {
      if (!bySession.has(t.session_id)) bySession.set(t.session_id, []);
      bySession.get(t.session_id).push(t);
    }
    const groups = [...bySession.values()].sort((a, b) => (a[0].account ? 0 : 1) - (b[0].account ? 0 : 1));
    const ordered = [];
    for (const g of groups) {
      const who = g[0].account || 'Not logged in';
      const shared = g.length > 1 ? ` · ${g.length} tokens share this Telegram session` : '';
      ordered.push({ header: `${who}${shared}`, session: g[0].session_id });
      for (const t of g) ordered.push({ t });
    }
    for (const item of ordered) {
      if (item.header) {
        body.append(el('tr', { class: 'group', 'data-session-id': item.session }, el('th', { colspan: '6', scope: 'colgroup', text: item.header })));
        continue;
      }
      const t = item.t;
      const act = (action, text, cls = 'small') => el('button', { type: 'button', class: cls, 'data-action': action, text, onclick: () => tokenAction(action, t) });
      const account = t.account
        ? el('td', {}, t.account)
        : el('td', {}, el('span', { class: 'muted', text: 'Not logged in' }), ' ', act('login', 'Log in', 'small link'));
      const policy = el('td', { class: 'policy-cell' }, el('span', { text: window.FMT_policy ? window.FMT_policy.summary(t.policy) : '' }),
        ' ', act('policy', 'Change', 'small link'));
      body.append(el('tr', { 'data-token-id': t.id },
        el('td', {}, t.label, el('span', { class: 'sub', text: t.id })),
        account,
        policy,
        el('td', { text: fmtTime(t.created_at) }),
        el('td', { text: fmtTime(t.last_used_at) }),
        el('td', { class: 'actions-cell' },
          act('reveal', 'Show'), ' ', act('configs', 'Configs'), ' ', act('rotate', 'Rotate'), ' ',
          act('revoke', 'Revoke'), ' ', t.account ? act('signout', 'Sign out') : null)));
    }
    show($('#tokens-empty'), tokensCache.length === 0);
    show($('#tokens-table'), tokensCache.length > 0);
    const sel = $('#token-session');
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '', text: 'New session (log in afterwards)' }));
    const seen = new Set();
    for (const t of tokensCache) {
      if (!t.account || seen.has(t.session_id)) continue;
      seen.add(t.session_id);
      sel.append(el('option', { value: t.id, text: `Same account as “${t.label}” — ${t.account}` }));
    }
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }

  function showSecret(title, note, token) {
    $('#secret-title').textContent = title;
    $('#secret-note').textContent = note;
    $('#secret-value').type = 'password';
    $('#secret-toggle').textContent = 'Show';
    $('#secret-toggle').setAttribute('aria-pressed', 'false');
    $('#secret-value').value = token;
    show($('#secret-panel'));
    $('#secret-value').focus();
    $('#secret-value').select();
  }
  $('#secret-copy').addEventListener('click', () => copyText($('#secret-value').value, 'Token copied'));
  $('#secret-toggle').addEventListener('click', () => {
    const i = $('#secret-value');
    const showIt = i.type === 'password';
    i.type = showIt ? 'text' : 'password';
    $('#secret-toggle').textContent = showIt ? 'Hide' : 'Show';
    $('#secret-toggle').setAttribute('aria-pressed', String(showIt));
  });
  function hideSecret() {
    $('#secret-value').value = '';
    show($('#secret-panel'), false);
  }
  $('#secret-close').addEventListener('click', () => {
    $('#secret-value').value = '';
    show($('#secret-panel'), false);
  });

  $('#token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const args = { label: $('#token-label').value };
    if ($('#token-session').value) args.same_session_as = $('#token-session').value;
    try {
      const r = await call('token_create', args);
      knownSecrets.set(r.record.id, r.token);
      $('#token-label').value = '';
      showSecret(`New token “${r.record.label}”`, r.record.account
        ? `It uses ${r.record.account}. ${keepNote(r.stored_in_keyring)}`
        : `It has its own new session: log it in with “Log in” in the list. ${keepNote(r.stored_in_keyring)}`, r.token);
      await loadTokens();
      refreshStatus();
    } catch (err) {
      toast(err.message, true);
    }
  });

  const keepNote = (inKeyring) => (inKeyring ? 'It is saved in your OS keyring.' : 'Copy it now: no OS keyring is available, so it is shown only once.');

  async function tokenAction(action, t) {
    if (action === 'policy') return window.FMT_policy.edit(t);
    try {
      if (action === 'reveal') {
        if (knownSecrets.has(t.id)) return showSecret(`Token “${t.label}”`, 'Treat it like a password.', knownSecrets.get(t.id));
        // Never leave another token's secret on screen under this one's name.
        hideSecret();
        let r;
        try {
          r = await call('token_reveal', { id: t.id });
        } catch (e) {
          const why = e.code === 'keyring_unavailable'
            ? 'no OS keyring is available, so tokens are shown only once'
            : e.code === 'not_in_keyring' ? 'its secret is not in the OS keyring' : e.message;
          return toast(`“${t.label}”: ${why}. Rotate it to get a new secret.`, true);
        }
        showSecret(`Token “${t.label}”`, 'From your OS keyring. Treat it like a password.', r.token);
      } else if (action === 'configs') {
        switchView('clients');
        $('#configs-token').value = t.id;
        await loadClientsView();
        $('#configs-token').value = t.id;
        await renderClientsFor(t.id);
      } else if (action === 'login') {
        startLoginForToken(t);
      } else if (action === 'rotate') {
        const c = await confirmDialog({ title: 'Rotate token?', text: `“${t.label}” gets a new secret. The old one stops working immediately; update your client afterwards.`, ok: 'Rotate' });
        if (!c.ok) return;
        const r = await call('token_rotate', { id: t.id });
        knownSecrets.set(t.id, r.token);
        showSecret(`New secret for “${t.label}”`, `The old secret no longer works. ${keepNote(r.stored_in_keyring)}`, r.token);
        await loadTokens();
      } else if (action === 'revoke') {
        const c = await confirmDialog({
          title: 'Revoke token?',
          text: `Clients using “${t.label}” lose access immediately.`,
          ok: 'Revoke',
          extra: 'Also log out and delete its Telegram session (if no other token uses it)',
        });
        if (!c.ok) return;
        const r = await call('token_revoke', { id: t.id, delete_session: c.extra });
        knownSecrets.delete(t.id);
        show($('#secret-panel'), false);
        toast(r.warning ? `Revoked. ${r.warning}` : r.session_deleted ? 'Token revoked and session deleted' : 'Token revoked');
        await loadTokens();
        refreshStatus();
      } else if (action === 'signout') {
        const others = tokensCache.filter((x) => x.session_id === t.session_id && x.id !== t.id).map((x) => `“${x.label}”`);
        const also = others.length
          ? ` It also revokes ${others.length === 1 ? 'the other token' : `the ${others.length} other tokens`} on this session: ${others.join(', ')}.`
          : '';
        const c = await confirmDialog({ title: 'Sign out of Telegram?', text: `This logs the session of “${t.label}” (${t.account}) out of Telegram, deletes it, and revokes every token that uses it.${also}`, ok: 'Sign out' });
        if (!c.ok) return;
        const r = await call('session_sign_out', { token_id: t.id });
        for (const id of r.revoked) knownSecrets.delete(id);
        toast(`Signed out; ${r.revoked.length} token(s) revoked`);
        await loadTokens();
        refreshStatus();
      }
    } catch (e) {
      toast(e.message, true);
    }
  }

  // ---------- settings ----------
  const settingFields = {
    disable_auth: '#set-disable-auth',
    block_private_ips: '#set-block-private',
    allow_http_urls: '#set-allow-http',
    allow_dangerous_mtproto: '#set-dangerous',
    allowed_file_roots: '#set-file-roots',
    port: '#set-port',
    attachment_ticket_ttl_seconds: '#set-ttl',
    max_file_size_mb: '#set-max-size',
    dev_token_id: '#set-dev-token',
    keep_window_loaded: '#set-keep-window',
  };
  let loadedSettings = null;

  async function loadSettings() {
    let g;
    try {
      g = await call('settings_get');
    } catch (e) {
      $('#settings-msg').textContent = e.message;
      return;
    }
    loadedSettings = g.settings;
    await loadTokens(false);
    const devSel = $('#set-dev-token');
    devSel.replaceChildren(el('option', { value: '', text: 'The first logged-in token' }));
    for (const t of tokensCache) devSel.append(el('option', { value: t.id, text: `${t.label} (${t.account || 'not logged in'})` }));
    const fixed = new Set((g.env_fixed || []).map((v) => v.toLowerCase()));
    for (const [k, sel] of Object.entries(settingFields)) {
      const input = $(sel);
      if (input.type === 'checkbox') input.checked = !!g.settings[k];
      else if (input.tagName === 'TEXTAREA') input.value = (g.settings[k] || []).join('\n');
      else if (input.tagName === 'SELECT') input.value = g.settings[k] || '';
      else input.value = g.settings[k];
      markFixed(input, fixed.has(k) ? k.toUpperCase() : null);
    }
    showRestart(g.restart_required, g.can_restart);
    loadAutostart();
    const a = g.api;
    $('#api-state').textContent = a.configured
      ? `Configured (api_id ${a.api_id}). ${a.stored_in_settings ? 'Stored in the settings file.' : 'From the environment or .env.'}`
      : a.stored_in_settings ? 'Saved; they apply after a restart.' : 'Not configured yet.';
    if (a.api_id) $('#api-id-2').value = a.api_id;
  }

  /** A setting the environment fixes is read-only here: a change would be undone at the next start. */
  function markFixed(input, variable) {
    input.disabled = !!variable;
    const host = input.closest('label') || input.parentElement;
    let note = host.querySelector(':scope > .fixed-note');
    if (!variable) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement('small');
      note.className = 'fixed-note';
      host.appendChild(note);
    }
    note.textContent = `Set by ${variable} in the environment or .env, which wins at every start; change it there.`;
  }

  // Start at login: a tray-app setting kept by the OS (login item), so only under Tauri.
  async function loadAutostart() {
    if (!TAURI) return;
    try {
      $('#set-autostart').checked = !!(await call('autostart_get')).enabled;
      show($('#desktop-settings'));
    } catch (e) {
      $('#settings-msg').textContent = e.message;
    }
  }

  $('#set-autostart').addEventListener('change', async (e) => {
    const msg = $('#settings-msg');
    try {
      const r = await call('autostart_set', { enabled: e.target.checked });
      e.target.checked = !!r.enabled;
      msg.className = 'msg ok';
      msg.textContent = r.enabled ? 'The app will start at login.' : 'The app will not start at login.';
    } catch (err) {
      e.target.checked = !e.target.checked;
      msg.className = 'msg err';
      msg.textContent = err.message;
    }
  });

  function showRestart(fields, canRestart) {
    const n = $('#restart-notice');
    if (!fields || fields.length === 0) return show(n, false);
    $('#restart-text').textContent = `Saved, but ${fields.join(', ')} ${fields.length === 1 ? 'applies' : 'apply'} only after the server restarts.` +
      (canRestart ? '' : ' Restart the server (fast-mcp-telegram serve) to apply.');
    show($('#server-restart'), !!canRestart);
    show(n);
  }

  $('#set-disable-auth').addEventListener('change', async (e) => {
    if (!e.target.checked) return;
    const c = await confirmDialog({
      title: 'Disable authentication?',
      text: 'While this is on, any program on this computer that can reach the MCP endpoint can read and send your Telegram messages without a token. Use it only for development.',
      ok: 'I understand',
    });
    if (!c.ok) e.target.checked = false;
  });

  $('#settings-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const msg = $('#settings-msg');
    const patch = {};
    for (const [k, sel] of Object.entries(settingFields)) {
      const input = $(sel);
      if (input.type === 'checkbox') patch[k] = input.checked;
      else if (input.tagName === 'TEXTAREA') patch[k] = input.value.split('\n').map((l) => l.trim()).filter(Boolean);
      else if (input.tagName === 'SELECT') patch[k] = input.value || null;
      else patch[k] = Number(input.value);
    }
    msg.className = 'msg';
    msg.textContent = 'Saving…';
    try {
      const r = await call('settings_set', patch);
      loadedSettings = r.settings;
      msg.className = 'msg ok';
      msg.textContent = 'Settings saved.';
      showRestart(r.restart_required, lastStatus && lastStatus.can_restart);
      await refreshStatus();
    } catch (err) {
      msg.className = 'msg err';
      msg.textContent = err.message;
    }
  });

  $('#auth-warning-off').addEventListener('click', async () => {
    try {
      await call('settings_set', { disable_auth: false });
      toast('Authentication is on again');
      await refreshStatus();
      if (!$('#view-settings').hidden) loadSettings();
    } catch (e) {
      toast(e.message, true);
    }
  });

  $('#server-restart').addEventListener('click', async () => {
    try {
      const s = await call('server_restart');
      toast(s.running ? `Server restarted on ${s.addr}` : `Server failed to start: ${s.error}`, !s.running);
      await refreshStatus();
      loadSettings();
    } catch (e) {
      toast(e.message, true);
    }
  });

  // ---------- backup, restore, import ----------
  const runForm = (form, msg, work) => $(form).addEventListener('submit', async (e) => {
    e.preventDefault();
    const m = $(msg);
    m.className = 'msg';
    m.textContent = 'Working…';
    try {
      m.textContent = await work();
      m.className = 'msg ok';
    } catch (err) {
      m.textContent = err.message;
      m.className = 'msg err';
    }
  });
  runForm('#backup-form', '#backup-msg', async () => {
    const r = await call('backup_create', {
      path: $('#backup-path').value.trim(), passphrase: $('#backup-pass').value, include_secrets: $('#backup-secrets').checked,
    });
    $('#backup-pass').value = '';
    return `Backup written: ${r.sessions} sessions, ${r.tokens} tokens, ${r.secrets} token secrets.`;
  });
  runForm('#restore-form', '#backup-msg', async () => {
    const r = await call('backup_restore', {
      path: $('#restore-path').value.trim(), passphrase: $('#restore-pass').value, force: $('#restore-force').checked,
    });
    $('#restore-pass').value = '';
    refreshStatus();
    return `Restored ${r.sessions} sessions and ${r.tokens} tokens.`;
  });
  runForm('#import-form', '#import-msg', async () => {
    const r = await call('session_import', { path: $('#import-path').value.trim() });
    refreshStatus();
    const who = r.record.account || 'the account';
    return r.token
      ? `Imported ${who}. New token (shown once): ${r.token}`
      : `Imported ${who}. The token in the file's name works here now.`;
  });

  // What the other scripts of the page use (oversight.js).
  const visible = (view) => !$('#view-' + view).hidden;
  window.FMT = {
    call, el, $, show, toast, fmtTime, confirmDialog, loadTokens, tokens: () => tokensCache, refreshStatus, visible,
    setupKey: () => setupKey, mode: MODE,
  };

  // ---------- start ----------
  document.documentElement.dataset.mode = MODE;
  $('#mode').textContent = MODE === 'tauri-ipc' ? 'App' : 'Browser';
  $('#mode').dataset.mode = MODE;
  if (!TAURI && !setupKey) show($('#no-key'));

  // A restarted server has a new key: take it from a pasted link, or from the address bar when
  // the new link is opened in this tab (only the fragment changes, so the page does not reload).
  function useKey(key) {
    setupKey = key;
    try { sessionStorage.setItem('setupKey', key); } catch (_) { /* storage may be off */ }
    history.replaceState(null, '', location.pathname + location.search);
    show($('#no-key'), false);
    document.dispatchEvent(new CustomEvent('fmt:key'));
    refreshStatus().then((s) => {
      if (s) document.documentElement.dataset.ready = 'true';
    });
  }
  window.addEventListener('hashchange', () => {
    const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (m && !TAURI) useKey(decodeURIComponent(m[1]));
  });
  $('#key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const m = /[#&]key=([A-Za-z0-9_-]{20,})/.exec($('#key-link').value.trim());
    if (!m) return toast('That is not a setup link: it ends with #key=…', true);
    $('#key-link').value = '';
    useKey(m[1]);
  });
  refreshStatus().then(async (s) => {
    const saved = await loadUiState();
    if (saved && saved.view && saved.view !== 'login' && document.getElementById('view-' + saved.view)) switchView(saved.view);
    if (TAURI && saved && saved.login && saved.login.login_id) {
      // The window was closed during a login: it goes on where it stopped (or says it expired).
      setMethod(saved.login.method === 'qr' ? 'qr' : 'phone');
      try { await handleStep(saved.login); } catch (_) { resetLogin(); }
    }
    document.documentElement.dataset.ready = s ? 'true' : 'error';
  });
  // No timer: the owner pushes what changed (live.js). A closed browser tab cancels its login; a
  // closed app window does not (the reopened window resumes it).
  if (!TAURI) window.addEventListener('beforeunload', () => { if (login.id) cancelLogin(); });
})();
