// What the user decides and watches: each token's policy (access, chats and folders, approvals, limits),
// the writes waiting for approval, and the activity log. Uses window.FMT from app.js.
'use strict';

(() => {
  const { call, el, $, show, toast } = window.FMT;

  // ---------- policy ----------
  function summary(p) {
    if (!p) return '';
    const parts = [p.access];
    const n = (k, what) => `${k} ${what}${k === 1 ? '' : 's'}`;
    const af = (p.allow_folders || []).length;
    const scope = [p.allow_chats ? n(p.allow_chats.length, 'chat') : null, af ? n(af, 'folder') : null].filter(Boolean);
    parts.push(scope.length ? scope.join(' + ') : 'all chats');
    if (p.deny_chats && p.deny_chats.length) parts.push(`${p.deny_chats.length} denied`);
    if (p.deny_folders && p.deny_folders.length) parts.push(`${n(p.deny_folders.length, 'folder')} denied`);
    if (p.allow_sensitive) parts.push('sensitive chats allowed');
    if (p.approval === 'new_chats') parts.push('asks for new chats');
    if (p.approval === 'every_write') parts.push('asks for every write');
    return parts.join(' · ');
  }

  const dialog = $('#policy-dialog');
  let editing = null; // { token, allow: Map(id -> title), deny: Map, folders: [{ rule, state }] }

  // Chat folders: one row per folder of the account (and per rule naming a folder it no longer
  // has), each allowed, denied or neither. Rules keep the folder's id once it is known.
  const folderList = el('ul', { id: 'policy-folders', class: 'chat-pick', 'data-testid': 'policy-folders' });
  $('#policy-chats').after(el('p', { class: 'sub', text: 'Chat folders (their chats as Telegram groups them):' }), folderList);
  const norm = (t) => (t || '').trim().split(/\s+/).join(' ').toLowerCase();

  function renderFolders(found) {
    const rows = [];
    const pending = editing.folders.slice();
    for (const f of found) {
      const i = pending.findIndex((x) => (x.rule.id != null ? x.rule.id === f.id : norm(x.rule.title) === norm(f.title)));
      const state = i >= 0 ? pending.splice(i, 1)[0].state : 'none';
      rows.push({ rule: { id: f.id, title: f.title }, state });
    }
    rows.push(...pending); // rules naming folders the account no longer has stay visible
    editing.folders = rows;
    folderList.replaceChildren();
    for (const row of rows) {
      const name = row.rule.title || `folder ${row.rule.id}`;
      const pick = el('select', { 'data-folder-id': String(row.rule.id ?? ''), 'aria-label': `Rule for folder ${name}` },
        el('option', { value: 'none', text: '—' }), el('option', { value: 'allow', text: 'allow' }), el('option', { value: 'deny', text: 'deny' }));
      pick.value = row.state;
      pick.addEventListener('change', () => { row.state = pick.value; });
      folderList.append(el('li', {}, el('span', { text: name }), el('span', { class: 'sub', text: row.rule.id != null ? `folder ${row.rule.id}` : 'not found' }), pick));
    }
  }

  async function loadFolders() {
    try {
      renderFolders(await call('folders_pick', { id: editing.token.id }));
    } catch (e) {
      renderFolders([]);
      const msg = $('#policy-msg');
      msg.className = 'msg err';
      msg.textContent = `Folders: ${e.message}`;
    }
  }

  function renderChats(list) {
    const ul = $('#policy-chats');
    ul.replaceChildren();
    const shown = new Map();
    for (const c of list) shown.set(c.id, c.title || [c.first_name, c.last_name].filter(Boolean).join(' ') || (c.username ? '@' + c.username : String(c.id)));
    // Chats already in a list stay visible even when the search does not find them.
    for (const [id, title] of [...editing.allow, ...editing.deny]) if (!shown.has(id)) shown.set(id, title || String(id));
    for (const [id, title] of shown) {
      const state = editing.allow.has(id) ? 'allow' : editing.deny.has(id) ? 'deny' : 'none';
      const pick = el('select', { 'data-chat-id': String(id), 'aria-label': `Rule for ${title}` },
        el('option', { value: 'none', text: '—' }), el('option', { value: 'allow', text: 'allow' }), el('option', { value: 'deny', text: 'deny' }));
      pick.value = state;
      pick.addEventListener('change', () => {
        editing.allow.delete(id);
        editing.deny.delete(id);
        if (pick.value === 'allow') editing.allow.set(id, title);
        if (pick.value === 'deny') editing.deny.set(id, title);
      });
      ul.append(el('li', {}, el('span', { text: title }), el('span', { class: 'sub', text: String(id) }), pick));
    }
  }

  async function searchChats() {
    const msg = $('#policy-msg');
    msg.className = 'msg';
    msg.textContent = 'Loading chats…';
    try {
      const r = await call('chats_pick', { token_id: editing.token.id, query: $('#policy-search').value.trim() || null });
      renderChats(r.chats || []);
      msg.textContent = '';
    } catch (e) {
      msg.className = 'msg err';
      msg.textContent = e.message;
      renderChats([]);
    }
  }

  function edit(t) {
    const p = t.policy;
    const rules = (list) => new Map((list || []).map((c) => [c.id, c.title || '']));
    const folderRules = (list, state) => (list || []).map((rule) => ({ rule, state }));
    editing = {
      token: t, allow: rules(p.allow_chats), deny: rules(p.deny_chats),
      folders: [...folderRules(p.allow_folders, 'allow'), ...folderRules(p.deny_folders, 'deny')],
    };
    $('#policy-title').textContent = `What “${t.label}” may do`;
    $('#policy-access').value = p.access;
    $('#policy-approval').value = p.approval || 'none';
    $(p.allow_chats || (p.allow_folders || []).length ? '#policy-only' : '#policy-all').checked = true;
    $('#policy-sensitive').checked = !!p.allow_sensitive;
    $('#policy-per-minute').value = p.limits.per_minute;
    $('#policy-new-chats').value = p.limits.new_chats_per_day;
    $('#policy-search').value = '';
    $('#policy-msg').textContent = '';
    renderChats([]);
    renderFolders([]);
    dialog.showModal();
    if (t.account) {
      searchChats();
      loadFolders();
    }
  }

  $('#policy-search-go').addEventListener('click', searchChats);
  $('#policy-search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); searchChats(); } });
  $('#policy-cancel').addEventListener('click', () => dialog.close());
  $('#policy-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = editing.token;
    const toRules = (m) => [...m].map(([id, title]) => (title ? { id, title } : { id }));
    const only = $('#policy-only').checked;
    const folders = (state) => editing.folders.filter((f) => f.state === state).map((f) => f.rule);
    const policy = {
      access: $('#policy-access').value,
      approval: $('#policy-approval').value,
      // Only folders allowed: no chat list (an empty one would read "0 chats").
      allow_chats: only && (editing.allow.size || !folders('allow').length) ? toRules(editing.allow) : null,
      deny_chats: toRules(editing.deny),
      allow_folders: only ? folders('allow') : [],
      deny_folders: folders('deny'),
      allow_sensitive: $('#policy-sensitive').checked,
      approved_chats: t.policy.approved_chats || [],
      limits: { per_minute: Number($('#policy-per-minute').value), new_chats_per_day: Number($('#policy-new-chats').value) },
    };
    if (!policy.allow_chats) delete policy.allow_chats;
    try {
      await call('token_set_policy', { id: t.id, policy });
      dialog.close();
      toast(`“${t.label}” may now: ${summary(policy)}`);
      window.FMT.loadTokens();
    } catch (err) {
      $('#policy-msg').className = 'msg err';
      $('#policy-msg').textContent = err.message;
    }
  });

  // ---------- approvals ----------
  // The list is pushed (`fmt:changed`); only the "N s left" countdown ticks, while something waits.
  let countdown = null;

  function tickCountdown() {
    const now = Math.floor(Date.now() / 1000);
    for (const s of document.querySelectorAll('#approvals-list [data-expires-at]')) {
      s.textContent = ` (${Math.max(0, Number(s.dataset.expiresAt) - now)} s left)`;
    }
  }

  async function loadApprovals() {
    let list;
    try {
      list = await call('approvals_list');
    } catch (_) {
      return;
    }
    const ul = $('#approvals-list');
    ul.replaceChildren();
    for (const p of list) {
      const decide = (approve, always, text, cls) => el('button', {
        type: 'button', class: `small ${cls}`, text, 'data-decision': approve ? (always ? 'always' : 'approve') : 'deny',
        onclick: async () => {
          try {
            await call('approval_decide', { id: p.id, approve, always });
            toast(approve ? 'Approved' : 'Declined');
          } catch (e) {
            toast(e.message, true);
          }
          loadApprovals();
        },
      });
      const left = Math.max(0, p.expires_at - Math.floor(Date.now() / 1000));
      ul.append(el('li', { 'data-approval-id': p.id },
        el('div', {}, el('strong', { text: p.token_label || p.token_id }), ` wants to ${p.tool.replace(/_/g, ' ')} to `,
          el('strong', { text: p.chat_title }), el('span', { class: 'sub', 'data-expires-at': String(p.expires_at), text: ` (${left} s left)` })),
        el('blockquote', { text: p.preview }),
        el('div', { class: 'actions' }, decide(true, false, 'Send it', 'primary'), ' ',
          decide(true, true, 'Always allow this chat', ''), ' ', decide(false, false, 'Decline', 'danger'))));
    }
    show($('#approvals'), list.length > 0);
    clearInterval(countdown);
    countdown = list.length ? setInterval(tickCountdown, 1000) : null;
  }

  // The first status look (and a window reopened while something waits) shows the list.
  let looked = false;
  document.addEventListener('fmt:status', (e) => {
    if (!looked && e.detail.pending_approvals > 0) loadApprovals();
    looked = true;
  });
  document.addEventListener('fmt:changed', (e) => {
    if (e.detail.approvals) loadApprovals();
    if (e.detail.activity && window.FMT.visible('activity')) loadActivity();
  });

  // ---------- activity ----------
  async function loadActivity() {
    const sel = $('#activity-token');
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '', text: 'All tokens' }));
    for (const t of window.FMT.tokens()) sel.append(el('option', { value: t.id, text: t.label }));
    sel.value = keep;
    const chat = $('#activity-chat').value.trim();
    const filter = { limit: 200 };
    if (sel.value) filter.token_id = sel.value;
    if ($('#activity-tool').value.trim()) filter.tool = $('#activity-tool').value.trim();
    if (chat) filter.chat = Number(chat);
    let rows;
    try {
      rows = await call('activity_list', filter);
    } catch (e) {
      toast(e.message, true);
      return;
    }
    const labels = new Map(window.FMT.tokens().map((t) => [t.id, t.label]));
    const body = $('#activity-table tbody');
    body.replaceChildren();
    for (const r of rows) {
      const outcome = r.outcome === 'ok' ? 'ok' : `${r.error_kind || 'error'}: ${r.error || ''}`;
      const sent = r.outcome === 'ok' && r.tool.startsWith('send_message') && r.token_id && (r.message_ids || []).length && (r.chats || []).length === 1;
      const undo = sent ? el('button', {
        type: 'button', class: 'small danger', 'data-action': 'undo', text: 'Delete for everyone',
        onclick: () => undoSend(r),
      }) : null;
      body.append(el('tr', { class: r.outcome === 'ok' ? '' : 'failed' },
        el('td', { text: new Date(r.ts_ms).toLocaleString() }),
        el('td', { text: labels.get(r.token_id) || r.token_id || '(no token)' }),
        el('td', { text: r.tool }),
        el('td', { text: (r.chats || []).join(', ') }),
        el('td', { title: r.text ? `Text: ${r.text}` : '' }, outcome, undo ? ' ' : null, undo),
        el('td', { text: String(r.duration_ms) })));
    }
    show($('#activity-empty'), rows.length === 0);
  }

  async function undoSend(r) {
    const n = r.message_ids.length;
    const c = await window.FMT.confirmDialog({
      title: 'Delete for everyone?',
      text: `${n === 1 ? 'The message' : `The ${n} messages`} this assistant sent to chat ${r.chats[0]} will be deleted for everyone.`,
      ok: 'Delete',
    });
    if (!c.ok) return;
    try {
      for (const id of r.message_ids) await call('message_delete', { token_id: r.token_id, chat_id: r.chats[0], message_id: id });
      toast(n === 1 ? 'Message deleted' : `${n} messages deleted`);
    } catch (e) {
      toast(e.message, true);
    }
    loadActivity();
  }

  $('#tab-activity').addEventListener('click', async () => {
    await window.FMT.loadTokens(false);
    loadActivity();
  });
  $('#activity-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    loadActivity();
  });

  window.FMT_policy = { summary, edit };
  // The tokens table may have been drawn before this script ran.
  window.FMT.loadTokens();
})();
