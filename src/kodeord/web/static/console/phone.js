// The phone simulator's live thread: ask for the phone's messages every 1.5 s and redraw
// the list when something changed. The page works without it (reload shows the same).
(() => {
  const list = document.getElementById("thread");
  if (!list) return;
  const phone = list.dataset.phone;
  let last = "";
  const draw = (messages) => {
    const shown = JSON.stringify(messages);
    if (shown === last) return;
    last = shown;
    list.replaceChildren(...messages.map((m) => {
      const item = document.createElement("li");
      item.className = `bubble ${m.way}`;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${m.way === "out" ? list.dataset.to || "→" : list.dataset.from || "←"} ${m.other} · ${m.at}${m.status ? " · " + m.status : ""}`;
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = m.text;
      item.append(meta, text);
      return item;
    }));
  };
  const poll = async () => {
    try {
      const answer = await fetch(`/console/phone/messages?phone=${encodeURIComponent(phone)}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (answer.ok) draw(await answer.json());
    } catch (_) { /* offline for a moment: try again next round */ }
  };
  setInterval(poll, 1500);
})();
