// Pushed changes: the owner says what changed (a Tauri event in the app, server-sent events at
// /setup) and the page refreshes just that. Nothing polls; an idle page makes no requests.
'use strict';

(() => {
  const F = window.FMT;
  const root = document.documentElement;

  // Tells the page's parts what changed: the status line and the tokens table here, approvals
  // and the activity log in oversight.js (through the `fmt:changed` event).
  function apply(c) {
    if (c.status) F.refreshStatus();
    if (c.tokens && F.visible('tokens')) F.loadTokens();
    document.dispatchEvent(new CustomEvent('fmt:changed', { detail: c }));
    root.dataset.pushes = String(Number(root.dataset.pushes || 0) + 1);
  }
  const ALL = { status: true, tokens: true, approvals: true, activity: true };

  if (F.mode === 'tauri-ipc') {
    const events = window.__TAURI__ && window.__TAURI__.event;
    if (!events) return;
    events.listen('fmt-changed', (e) => apply(e.payload || ALL)).then(
      () => { root.dataset.live = 'true'; },
      () => { root.dataset.live = 'false'; },
    );
    return;
  }

  // Browser: one long GET /api/events, read as a stream (EventSource cannot send the key header).
  const keyChanged = () => new Promise((res) => document.addEventListener('fmt:key', res, { once: true }));
  const pause = (ms) => new Promise((res) => setTimeout(res, ms));

  async function follow() {
    let backoff = 1000;
    let first = true;
    for (;;) {
      if (!F.setupKey()) {
        await keyChanged();
        continue;
      }
      let refused = false;
      try {
        const r = await fetch('/api/events', {
          headers: { 'x-setup-key': F.setupKey() },
          cache: 'no-store',
          credentials: 'omit',
        });
        refused = r.status === 403;
        if (r.ok && r.body) {
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let end;
            while ((end = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, end);
              buf = buf.slice(end + 2);
              const event = (/^event: ?(.*)$/m.exec(block) || [])[1];
              const data = (/^data: ?(.*)$/m.exec(block) || [])[1];
              if (event === 'ready') {
                root.dataset.live = 'true';
                backoff = 1000;
                // Back after a break: whatever happened meanwhile was not pushed.
                if (!first) apply(ALL);
                first = false;
              } else if (event === 'changed') {
                try { apply(JSON.parse(data)); } catch (_) { apply(ALL); }
              }
            }
          }
        }
      } catch (_) { /* the server went away; below */ }
      root.dataset.live = 'false';
      first = false;
      F.refreshStatus(); // says "not reachable" or "setup key wrong"
      if (refused) {
        // A restarted server has a new key: wait for the new link (app.js takes it).
        await keyChanged();
      } else {
        await pause(backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    }
  }
  follow();
})();
