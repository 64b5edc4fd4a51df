// The web chat. No cookies: the chat id the server issued and the transcript live in
// sessionStorage only, and "Thoát nhanh" wipes both and replaces this page in the history.
// The id travels in the JSON body of a message and in the X-Chat-Id header of a poll, never in a
// URL (proxies and access logs keep URLs).
"use strict";
(function () {
  var KEY = "donghanh-chat-2"; // ids are issued by the server since version 2
  var EXIT_URL = "/thoi-tiet";
  var POLL_MS = 5000;
  var URL_RE = /(https:\/\/[^\s]+[^\s.,;:!?)])/g;

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var sendButton = document.getElementById("send");
  var status = document.getElementById("status");
  var state = load();
  var polling = false;

  function fresh() {
    return { sender: "", after: 0, items: [] }; // the id is asked for with the first message
  }

  // A chat id from the server (signed: the server takes no id it did not issue).
  function chatId(current) {
    if (current.sender) { return Promise.resolve(current.sender); }
    return fetch("/webhooks/rest/session", {
      method: "POST", credentials: "omit", cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      current.sender = String(data.sender || "");
      if (current === state) { save(); }
      return current.sender;
    });
  }

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(KEY));
      if (saved && typeof saved.sender === "string" && Array.isArray(saved.items)) {
        return saved;
      }
    } catch (e) { /* unreadable: start afresh */ }
    return fresh();
  }

  function save() {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) { /* storage full or disabled: the chat still works on this page */ }
  }

  function appendText(parent, text) {
    // Text only (never innerHTML); https links become clickable.
    var parts = String(text).split(URL_RE);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = document.createElement("a");
        a.href = part;
        a.textContent = part;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        parent.appendChild(a);
      } else if (part) {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function bubble(item, isLast) {
    var div = document.createElement("div");
    div.className = "msg " + item.from;
    if (item.from === "counsellor") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = "Tư vấn viên";
      div.appendChild(who);
    }
    appendText(div, item.text);
    if (isLast && item.buttons && item.buttons.length) {
      var row = document.createElement("div");
      row.className = "choices";
      item.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () { send(b.payload, b.title); });
        row.appendChild(button);
      });
      div.appendChild(row);
    }
    return div;
  }

  function render() {
    log.textContent = "";
    state.items.forEach(function (item, i) {
      log.appendChild(bubble(item, i === state.items.length - 1));
    });
    log.scrollTop = log.scrollHeight;
  }

  function add(item) {
    state.items.push(item);
    save();
    render();
  }

  function say(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function messageId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // One id per message: if the server was busy or restarting, the retry is answered once.
  function post(body, tries) {
    return fetch("/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 503 && tries > 1) { throw new Error("retry"); }
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).catch(function (error) {
      if (tries <= 1 || /^[0-9]+$/.test(error.message)) { throw error; }
      return new Promise(function (resolve) { setTimeout(resolve, 1500); }).then(function () {
        return post(body, tries - 1);
      });
    });
  }

  // A 400 means the id is no longer taken (the server's key changed): a new one, once.
  function deliver(current, body, renewed) {
    return chatId(current).then(function (sender) {
      body.sender = sender;
      return post(body, 4);
    }).catch(function (error) {
      if (error.message !== "400" || renewed) { throw error; }
      current.sender = "";
      return deliver(current, body, true);
    });
  }

  function send(payload, shown) {
    var current = state;
    add({ from: "me", text: shown });
    say("Đang trả lời…");
    sendButton.disabled = true;
    deliver(current, { message: payload, message_id: messageId() }, false).then(function (replies) {
      if (current !== state) { return; } // cleared meanwhile
      say("");
      replies.forEach(function (r) {
        if (r.notice_at !== undefined) { // a notice the poll may have shown already
          if (r.notice_at <= state.after) { return; }
          state.after = Math.max(state.after, r.notice_at);
        }
        add({ from: "bot", text: r.text || "", buttons: r.buttons || [] });
      });
    }).catch(function () {
      say("Chưa gửi được. Bạn thử lại nhé. Nếu gấp, gọi 111.");
    }).then(function () {
      sendButton.disabled = false;
    });
  }

  function poll() {
    if (polling || !state.items.length || document.visibilityState === "hidden") { return; }
    if (!state.sender) { return; }
    polling = true;
    var current = state;
    var url = "/webhooks/rest/updates?after=" + encodeURIComponent(state.after);
    fetch(url, {
      headers: { "X-Chat-Id": current.sender }, credentials: "omit", cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : [];
    }).then(function (messages) {
      if (current !== state) { return; }
      messages.forEach(function (m) {
        state.after = Math.max(state.after, m.timestamp);
        add({ from: m.notice ? "bot" : "counsellor", text: m.text || "", buttons: m.buttons || [] });
      });
    }).catch(function () { /* offline: try again later */ }).then(function () {
      polling = false;
    });
  }

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    log.textContent = "";
    input.value = "";
    try { window.sessionStorage.clear(); } catch (e) { /* nothing stored */ }
    window.location.replace(EXIT_URL);
  }

  function clearChat() {
    state = fresh();
    save();
    render();
    say("");
    input.focus();
  }

  function submit(event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || sendButton.disabled) { return; }
    input.value = "";
    send(text, text);
  }

  form.addEventListener("submit", submit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { submit(event); }
  });
  document.getElementById("quick-exit").addEventListener("click", quickExit);
  document.getElementById("clear").addEventListener("click", clearChat);
  window.setInterval(poll, POLL_MS);
  render();
})();
