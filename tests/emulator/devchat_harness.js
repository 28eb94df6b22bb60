// Runs the dev chat page's script in Node against a live emulator, with a tiny DOM stand-in.
// Usage: node devchat_harness.js <page.html> <emulator base url> <user first name> [scenario]
// Scenario "chat" (the default): picks the user, sends /start, waits for the bot's reply,
// presses its first button and waits for the answer toast. Scenario "multiline": types a
// message over two lines with Shift+Enter, which must not send, and sends it with Enter
// (an Enter while an input method composes must not send either). Prints a JSON summary;
// exit code 0 on success.
"use strict";
const fs = require("fs");
const vm = require("vm");

const [pagePath, baseUrl, userName, scenario = "chat"] = process.argv.slice(2);
const html = fs.readFileSync(pagePath, "utf8");
const script = html.match(/<script>([\s\S]*)<\/script>/)[1];
const watchers = [];

function notify() {
  for (const w of [...watchers]) {
    if (w.check()) { watchers.splice(watchers.indexOf(w), 1); w.resolve(); }
  }
}
function until(check, what) {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    watchers.push({ check, resolve });
    setTimeout(() => reject(new Error("timed out waiting for " + what)), 8000).unref();
  });
}

class El {
  constructor(id) {
    this.id = id; this._html = ""; this._text = ""; this.value = ""; this.children = [];
    this.style = {}; this.dataset = {}; this.listeners = {}; this.disabled = false;
    this.hidden = false; this.className = ""; this.files = [];
    this.scrollTop = 0; this.scrollHeight = 0; this.clientHeight = 0;
    const classes = new Set();
    this.classList = { add: (c) => classes.add(c), remove: (c) => classes.delete(c),
                       toggle: (c) => classes.has(c) ? classes.delete(c) : classes.add(c),
                       contains: (c) => classes.has(c) };
  }
  get innerHTML() { return this._html; }
  set innerHTML(v) { this._html = String(v); if (v === "") this.children = []; notify(); }
  get textContent() { return this._text; }
  set textContent(v) { this._text = String(v); notify(); }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  async fire(type, event) {
    for (const fn of this.listeners[type] || []) await fn(event || { preventDefault() {} });
  }
  appendChild(child) { this.children.push(child); notify(); return child; }
  closest() { return null; }
  focus() {} click() {}
}

const elements = new Map();
const document = {
  getElementById(id) { if (!elements.has(id)) elements.set(id, new El(id)); return elements.get(id); },
  createElement(tag) { return new El(tag); },
  body: new El("body"),
};
const context = {
  document, console, URLSearchParams, FormData, JSON, Promise, Map, Set, Number, String, Date,
  encodeURIComponent, setTimeout, clearTimeout,
  location: { hash: "" },
  window: { open() {} },
  confirm: () => true,
  fetch: (url, init) => fetch(baseUrl + url, init),
};
vm.createContext(context);
vm.runInContext(script, context);
const $ = (id) => document.getElementById(id);

function key(fields) {
  return { key: "Enter", shiftKey: false, isComposing: false, keyCode: 13, prevented: false,
           preventDefault() { this.prevented = true; }, ...fields };
}

async function multiline() {
  const box = $("text");
  box.value = "/stock PX-1 5";
  const shift = key({ shiftKey: true });
  await box.fire("keydown", shift);  // the browser then inserts the new line itself
  if (shift.prevented || box.value === "") throw new Error("Shift+Enter sent the message");
  box.value = "/stock PX-1 5\nAC-9 2";
  const composing = key({ isComposing: true, keyCode: 229 });
  await box.fire("keydown", composing);
  if (composing.prevented || box.value === "") throw new Error("Enter in an IME sent it");
  const enter = key({});
  await box.fire("keydown", enter);
  if (!enter.prevented) throw new Error("Enter did not send the message");
  await until(() => /AC-9 2/.test($("messages").innerHTML), "the message in the chat");
  console.log(JSON.stringify({ messages: $("messages").innerHTML, left: box.value }));
}

(async () => {
  await until(() => $("userlist").children.length > 0, "the user list");
  const li = $("userlist").children.find((c) => c.innerHTML.includes(userName));
  await li.fire("click");
  if (scenario === "multiline") { await multiline(); process.exit(0); }
  $("text").value = "/start";
  await $("composer").fire("submit");
  await until(() => /data-cb=/.test($("messages").innerHTML), "the bot's reply with buttons");
  const body = $("messages").innerHTML;
  const [, msg, cb] = body.match(/data-msg="(\d+)" data-cb="([^"]*)"/);
  const button = { dataset: { msg, cb } };
  await $("messages").fire("click", { target: { closest: (sel) => sel.includes("data-cb") ? button : null } });
  await until(() => $("toast").textContent !== "", "the answer toast");
  console.log(JSON.stringify({ messages: body, toast: $("toast").textContent,
                               title: $("chattitle").textContent }));
  process.exit(0);
})().catch((err) => { console.error(err.stack); process.exit(1); });
