// The review page: keys decide, the next article is already here. Cards arrive as HTML the server
// rendered with every field escaped; this script adds no markup of its own from data (textContent only).
"use strict";
(() => {
  const PRELOAD = 2;
  const page = document.getElementById("article");
  const note = document.getElementById("note");
  const help = document.getElementById("help");
  const queue = document.body.dataset.queue;
  const state = { current: null, buffer: [], shownAt: 0, chain: Promise.resolve(), acked: 0 };

  const token = (() => {
    const found = new URLSearchParams(location.hash.slice(1)).get("token");
    if (found) {
      sessionStorage.setItem("review-token", found);
      history.replaceState(null, "", location.pathname);  // out of the address bar and history
    }
    return found || sessionStorage.getItem("review-token");
  })();

  function message(text) {
    const p = document.createElement("p");
    p.className = "message";
    p.textContent = text;
    page.replaceChildren(p);
  }

  function say(lines, error = false) {
    if (!lines.length) return;
    note.textContent = lines.join(" ");
    note.classList.toggle("error", error);
    note.hidden = false;
    if (error) document.body.dataset.error = note.textContent;
  }

  function held() {
    return [state.current, ...state.buffer].filter(Boolean).map((item) => item.id);
  }

  function show(item) {
    state.current = item || null;
    if (item) {
      page.innerHTML = item.html;  // server-rendered, autoescaped
      state.shownAt = performance.now();
      document.body.dataset.shown = item.id;
    } else {
      message(`Nothing left in the ${queue} queue.`);
      document.body.dataset.shown = "";
    }
  }

  function progress(p) {
    document.getElementById("decided").textContent = p.decided;
    document.getElementById("left").textContent = p.left;
    document.getElementById("per-hour").textContent = p.per_hour;
    document.getElementById("agreement").textContent =
      p.agreement === null ? "–" : `${Math.round(p.agreement * 100)}% of ${p.compared}`;
  }

  function take(answer) {
    const known = new Set(held());
    for (const item of answer.items || []) if (!known.has(item.id)) state.buffer.push(item);
    if (!state.current && state.buffer.length) show(state.buffer.shift());
    else if (!state.current) show(null);
    if (answer.progress) progress(answer.progress);
    say(answer.notes || []);
  }

  async function call(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Review-Token": token || "" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
    return answer;
  }

  function queued(work) {  // requests go one after another, in the order the keys were pressed
    state.chain = state.chain.then(work).catch((error) => say([error.message], true));
  }

  function decide(decision) {
    const item = state.current;
    if (!item) return;
    const seconds = (performance.now() - state.shownAt) / 1000;
    show(state.buffer.shift());
    if (!state.current) message("Saving…");
    queued(async () => {
      const answer = await call("/api/decide", {
        article_id: item.id, decision, seconds, want: Math.max(0, PRELOAD - held().length), exclude: held(),
      });
      document.body.dataset.acked = String(++state.acked);
      take(answer);
    });
  }

  function undo() {
    queued(async () => {
      const answer = await call("/api/undo", {});
      if (answer.item) {
        if (state.current) state.buffer.unshift(state.current);
        show(answer.item);
      }
      document.body.dataset.acked = String(++state.acked);
      take({ ...answer, items: [] });
    });
  }

  function toggleText() {
    const lead = page.querySelector(".lead");
    const full = page.querySelector(".full");
    if (lead && full) [lead.hidden, full.hidden] = [!lead.hidden, !full.hidden];
  }

  const keys = { y: () => decide("signal"), n: () => decide("not"), s: () => decide("skip"), u: undo,
                 Backspace: undo, t: toggleText, "?": () => { help.hidden = !help.hidden; } };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  if (!token) {
    message("Open the link `newsalign review` printed: it carries this session's write token.");
    return;
  }
  queued(async () => take(await call("/api/next", { want: PRELOAD, exclude: [] })));
})();
