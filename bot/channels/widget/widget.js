/* Sơn La public-services assistant: embeddable chat widget. No framework, no CDN.
 * <script src="https://HOST/widget/widget.js" data-title="..." data-color="#0a4b8c"
 *   data-position="right|left" data-greeting="..." data-server="https://HOST" defer></script>
 * Speaks Rasa's socket.io events (session_request/session_confirm/user_uttered/bot_uttered)
 * through a built-in minimal Socket.IO v5 / Engine.IO v4 client over WebSocket.
 * The conversation is kept in sessionStorage (this tab only); "Kết thúc" erases it.
 * License: same as the project. See docs/widget.md. */
(function () {
  'use strict';
  if (window.SonLaChat) return;
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  var ds = script.dataset;
  var base = script.src.replace(/[^/?#]*([?#].*)?$/, '');
  var server = (ds.server || new URL(script.src).origin).replace(/\/+$/, '');
  var T = {
    title: 'Trợ lý dịch vụ công',
    subtitle: 'Trợ lý ảo, không phải cán bộ',
    launcher: 'Hỏi trợ lý ảo',
    open: '(mở cửa sổ trò chuyện)',
    close: 'Đóng cửa sổ trò chuyện',
    send: 'Gửi',
    label: 'Câu hỏi của bạn',
    placeholder: 'Nhập câu hỏi của bạn…',
    restart: 'Bắt đầu lại',
    end: 'Kết thúc',
    endHint: 'Kết thúc và xóa cuộc trò chuyện khỏi trình duyệt này',
    log: 'Nội dung trò chuyện',
    you: 'Bạn',
    bot: 'Trợ lý',
    typing: 'Trợ lý đang trả lời…',
    connecting: 'Đang kết nối tới trợ lý…',
    offline: 'Chưa kết nối được tới trợ lý. Đang thử lại…',
    offlineQueued: 'Chưa kết nối được tới trợ lý. Tin nhắn của bạn được giữ lại và sẽ tự gửi khi có kết nối.',
    online: 'Đã kết nối lại với trợ lý.',
    pending: 'Đang chờ gửi',
    replies: 'Gợi ý câu hỏi',
    newTab: '(mở trong thẻ mới)',
    greeting: 'Xin chào! Tôi là trợ lý ảo dịch vụ công tỉnh Sơn La. Bạn cần hỏi về thủ tục nào? Ví dụ: "làm giấy khai sinh cần gì". Đừng gửi mật khẩu, mã OTP hay số căn cước qua đây.'
  };
  Object.keys(T).forEach(function (k) {
    var v = ds['text' + k.charAt(0).toUpperCase() + k.slice(1)];
    if (v) T[k] = v;
  });
  if (ds.title) T.title = ds.title;
  if (ds.greeting) T.greeting = ds.greeting;

  /* ---- state kept in sessionStorage (survives reload and navigation, not the tab) ---- */
  var KEY = 'sonla-chat:' + server;
  var MAX_MSGS = 120;
  var st = load();
  function blank() { return { token: null, msgs: [], queue: [], open: false, seq: 0 }; }
  function load() {
    try {
      var s = JSON.parse(sessionStorage.getItem(KEY));
      if (s && Array.isArray(s.msgs) && Array.isArray(s.queue)) return s;
    } catch (e) { /* storage disabled or corrupt */ }
    return blank();
  }
  function save() {
    if (st.msgs.length > MAX_MSGS) st.msgs = st.msgs.slice(-MAX_MSGS);
    try { sessionStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* private mode */ }
  }
  function erase() { try { sessionStorage.removeItem(KEY); } catch (e) { /* ignore */ } }

  /* ---- minimal Socket.IO client (EIO=4, websocket transport, default namespace) ---- */
  var ws = null, ready = false, attempts = 0, retryTimer = null, pingTimer = null, stopped = true;
  var acks = {}, ackSeq = 0, inflight = {};
  var wsUrl = server.replace(/^http/, 'ws') + (ds.socketPath || '/socket.io') +
    '/?EIO=4&transport=websocket';
  function connect() {
    stopped = false;
    if (ws) return;
    clearTimeout(retryTimer);
    try { ws = new WebSocket(wsUrl); } catch (e) { ws = null; retry(); return; }
    ws.onmessage = function (e) { onPacket(String(e.data)); };
    ws.onclose = function () { dropped(); };
    ws.onerror = function () { /* onclose follows */ };
  }
  function disconnect() {
    stopped = true;
    clearTimeout(retryTimer);
    if (ws) { var w = ws; ws = null; w.onclose = null; try { w.close(); } catch (e) { /* */ } }
    ready = false; acks = {}; inflight = {};
  }
  function dropped() {
    ws = null; ready = false; acks = {}; inflight = {};
    clearTimeout(pingTimer);
    typing(false);
    if (!stopped) { status(st.queue.length ? T.offlineQueued : T.offline, true); retry(); }
  }
  function retry() {
    attempts++;
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts - 1)) * (0.75 + Math.random() / 2);
    retryTimer = setTimeout(connect, delay);
  }
  function heartbeat(ms) {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(function () { if (ws) ws.close(); }, ms);
  }
  var pingLimit = 45000;
  function raw(s) { if (ws && ws.readyState === 1) { ws.send(s); return true; } return false; }
  function emit(ev, data, cb) {
    var id = '';
    if (cb) { id = String(++ackSeq); acks[id] = cb; }
    return raw('42' + id + JSON.stringify([ev, data]));
  }
  function onPacket(p) {
    var t = p.charAt(0);
    if (t === '0') {
      var o = JSON.parse(p.slice(1));
      pingLimit = (o.pingInterval || 25000) + (o.pingTimeout || 20000);
      heartbeat(pingLimit);
      raw('40');
    } else if (t === '2') { heartbeat(pingLimit); raw('3'); }
    else if (t === '1') { if (ws) ws.close(); }
    else if (t === '4') {
      var k = p.charAt(1), body = p.slice(2);
      if (k === '0') { attempts = 0; emit('session_request', { session_id: st.token }); }
      else if (k === '2') { var a = JSON.parse(body); on(a[0], a[1]); }
      else if (k === '3') {
        var m = /^(\d+)(.*)$/.exec(body);
        if (m && acks[m[1]]) { var f = acks[m[1]]; delete acks[m[1]]; f(JSON.parse(m[2])); }
      } else if (k === '4' || k === '1') { if (ws) ws.close(); }
    }
  }
  function on(ev, data) {
    if (ev === 'session_confirm') {
      st.token = data; ready = true; save();
      if (shownOffline) status(T.online, false, 3000); else status('');
      flush();
    } else if (ev === 'session_refused') {
      ready = false;
      var reason = data && data.reason;
      if (reason !== 'no_session') { st.token = null; st.msgs = []; render(); }
      add({ f: 'n', t: (data && data.message) || '' });
      emit('session_request', { session_id: st.token });
    } else if (ev === 'bot_uttered') {
      botMessage(data || {});
    }
  }

  /* ---- sending: every message is queued until the server acknowledges it ---- */
  function send(text, shown) {
    text = String(text).trim();
    if (!text) return;
    var id = ++st.seq;
    if (shown !== null) add({ f: 'u', t: shown || text, id: id, p: 1 });
    st.queue.push({ id: id, text: text });
    save();
    clearReplies();
    if (!ready) { connect(); if (!ws || ws.readyState !== 1) status(T.offlineQueued, true); }
    flush();
  }
  function flush() {
    if (!ready) return;
    st.queue.forEach(function (item) {
      if (inflight[item.id]) return;
      var ok = emit('user_uttered', { message: item.text, session_id: st.token }, function (res) {
        delete inflight[item.id];
        if (res && res[0] === false) { updateTyping(); return; }
        st.queue = st.queue.filter(function (q) { return q.id !== item.id; });
        st.msgs.forEach(function (m) { if (m.id === item.id) delete m.p; });
        save(); updateTyping();
      });
      if (ok) { inflight[item.id] = 1; sent(item.id); }
    });
    updateTyping();
  }
  function sent(id) { /* on the wire: no longer shown as waiting (kept queued until acked) */
    var b = logEl.querySelector('[data-id="' + id + '"]');
    if (!b) return;
    b.classList.remove('pending');
    var p = b.querySelector('.pend');
    if (p) p.remove();
  }
  function updateTyping() { typing(Object.keys(inflight).length > 0); }
  function botMessage(d) {
    var text = d.text || '';
    if (!text && d.attachment && d.attachment.payload && d.attachment.payload.src) {
      text = d.attachment.payload.src;
    }
    var q = (d.quick_replies || d.buttons || []).filter(function (b) { return b && b.title; })
      .map(function (b) { return { title: String(b.title), payload: String(b.payload || b.title) }; });
    if (text || q.length) add({ f: 'b', t: text, q: q.length ? q : undefined });
  }

  /* ---- DOM ---- */
  function el(tag, cls, attrs, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  var host = el('div', null, { id: 'sonla-chat' });
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var css = el('link', null, { rel: 'stylesheet', href: base + 'widget.css' });
  var wrap = el('div', 'w ' + (ds.position === 'left' ? 'left' : 'right'));
  var launcher = el('button', 'launcher', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'sl-panel' });
  launcher.appendChild(el('span', 'icon', { 'aria-hidden': 'true' }, '💬'));
  launcher.appendChild(el('span', null, null, T.launcher));
  launcher.appendChild(el('span', 'sr', null, ' ' + T.open));
  var panel = el('div', 'panel', { id: 'sl-panel', role: 'dialog', 'aria-labelledby': 'sl-title', hidden: '' });
  var head = el('div', 'head');
  var titles = el('div', 'titles');
  titles.appendChild(el('h2', null, { id: 'sl-title' }, T.title));
  titles.appendChild(el('p', null, null, T.subtitle));
  var closeBtn = el('button', 'x', { type: 'button', 'aria-label': T.close }, '×');
  head.appendChild(titles); head.appendChild(closeBtn);
  var tools = el('div', 'tools');
  var restartBtn = el('button', 'tool', { type: 'button' }, T.restart);
  var endBtn = el('button', 'tool', { type: 'button', 'aria-label': T.endHint }, T.end);
  tools.appendChild(restartBtn); tools.appendChild(endBtn);
  var logEl = el('div', 'log', { role: 'log', 'aria-live': 'polite', 'aria-label': T.log, tabindex: '0' });
  var typingEl = el('div', 'typing', { role: 'status', hidden: '' });
  typingEl.appendChild(el('span', 'dots', { 'aria-hidden': 'true' }, '•••'));
  typingEl.appendChild(el('span', null, null, T.typing));
  var statusEl = el('div', 'status', { role: 'status', hidden: '' });
  var form = el('form', 'form');
  var label = el('label', 'sr', { 'for': 'sl-input' }, T.label);
  var input = el('textarea', null, { id: 'sl-input', rows: '1', maxlength: '2000', placeholder: T.placeholder, autocomplete: 'off' });
  var sendBtn = el('button', 'send', { type: 'submit' }, T.send);
  form.appendChild(label); form.appendChild(input); form.appendChild(sendBtn);
  [head, tools, logEl, typingEl, statusEl, form].forEach(function (c) { panel.appendChild(c); });
  wrap.appendChild(launcher); wrap.appendChild(panel);
  css.addEventListener('load', function () { logEl.scrollTop = logEl.scrollHeight; });
  root.appendChild(css); root.appendChild(wrap);
  if (ds.color && /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(ds.color)) {
    wrap.style.setProperty('--c', ds.color);
    wrap.style.setProperty('--on', textOn(ds.color));
  }

  function textOn(hex) { /* white or near-black, whichever contrasts more (WCAG) */
    var h = hex.length === 4 ? hex.replace(/([0-9a-f])/gi, '$1$1').slice(1) : hex.slice(1);
    var l = [0, 2, 4].map(function (i) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? '#fff' : '#111';
  }

  /* Text → DOM: no HTML is ever parsed; http(s) URLs become links; "• "/"- " lines a list. */
  function rich(text) {
    var frag = document.createDocumentFragment(), list = null;
    String(text).split('\n').forEach(function (line, i) {
      var m = /^\s*[•\-*]\s+(.*)$/.exec(line);
      if (m) {
        if (!list) { list = el('ul'); frag.appendChild(list); }
        var li = el('li'); links(li, m[1]); list.appendChild(li);
        return;
      }
      if (list) list = null; else if (i > 0) frag.appendChild(el('br'));
      links(frag, line);
    });
    return frag;
  }
  function links(parent, line) {
    var re = /https?:\/\/[^\s<>"']+/g, last = 0, m;
    while ((m = re.exec(line))) {
      var url = m[0].replace(/[.,;:!?)\]]+$/, '');
      parent.appendChild(document.createTextNode(line.slice(last, m.index)));
      var a = el('a', null, { href: url, target: '_blank', rel: 'noopener noreferrer' }, url);
      a.appendChild(el('span', 'sr', null, ' ' + T.newTab));
      parent.appendChild(a);
      last = m.index + url.length;
      re.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(line.slice(last)));
  }
  function bubble(m) {
    var who = m.f === 'u' ? T.you : m.f === 'b' ? T.bot : '';
    var b = el('div', 'msg ' + m.f + (m.p ? ' pending' : ''), m.id ? { 'data-id': m.id } : null);
    if (who) b.appendChild(el('span', 'sr', null, who + ': '));
    b.appendChild(rich(m.t));
    if (m.p) b.appendChild(el('span', 'pend', null, T.pending));
    return b;
  }
  function replies(m) {
    var g = el('div', 'replies', { role: 'group', 'aria-label': T.replies });
    m.q.forEach(function (q) {
      var btn = el('button', 'reply', { type: 'button' }, q.title);
      btn.addEventListener('click', function () { send(q.payload, q.title); input.focus(); });
      g.appendChild(btn);
    });
    return g;
  }
  function clearReplies() {
    st.msgs.forEach(function (m) { delete m.q; });
    var old = logEl.querySelectorAll('.replies');
    for (var i = 0; i < old.length; i++) old[i].remove();
  }
  function add(m) {
    if (!m.t && !m.q) return;
    st.msgs.push(m); save();
    append(m);
  }
  function append(m) {
    if (m.t) logEl.appendChild(bubble(m));
    if (m.q) logEl.appendChild(replies(m));
    logEl.scrollTop = logEl.scrollHeight;
  }
  function render() {
    logEl.textContent = '';
    append({ f: 'b', t: T.greeting });
    st.msgs.forEach(append);
  }
  var shownOffline = false, statusTimer = null;
  function status(text, offline, hideAfter) {
    clearTimeout(statusTimer);
    shownOffline = !!offline;
    statusEl.textContent = text || '';
    statusEl.hidden = !text;
    statusEl.className = 'status' + (offline ? ' off' : '');
    if (hideAfter) statusTimer = setTimeout(function () { status(''); }, hideAfter);
  }
  function typing(on) { typingEl.hidden = !on; }

  function open(focus) {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    wrap.classList.add('is-open');
    st.open = true; save();
    if (!ws) { if (!ready) status(T.connecting); connect(); }
    logEl.scrollTop = logEl.scrollHeight;
    if (focus !== false) input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    wrap.classList.remove('is-open');
    st.open = false; save();
    launcher.focus();
  }
  launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); close(); } });
  restartBtn.addEventListener('click', function () {
    st.msgs = []; render(); save();
    send('/restart', null);
    input.focus();
  });
  endBtn.addEventListener('click', function () {
    disconnect();
    erase();
    st = blank();
    render(); status(''); typing(false);
    close();
    erase();
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = input.value;
    if (!v.trim()) { input.focus(); return; }
    input.value = '';
    send(v);
    input.focus();
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  window.addEventListener('online', function () {
    if (!stopped && !ws) { attempts = 0; clearTimeout(retryTimer); connect(); }
  });

  function start() {
    document.body.appendChild(host);
    render();
    if (st.open) open(false);
    else if (st.queue.length) connect();
  }
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
  window.SonLaChat = { open: open, close: close, send: send };
})();
