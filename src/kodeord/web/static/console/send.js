// The send page's live preview: as the text, sender or recipients change, ask the server
// (the same planning as sending) for encoding, SMS count and price, and show it.
(() => {
  const text = document.getElementById("f-text");
  const from = document.getElementById("f-from");
  const to = document.getElementById("f-to");
  const shown = document.getElementById("preview");
  if (!text || !from || !to || !shown) return;
  let timer = 0;
  let asked = 0;
  const count = () => to.value.split(/[\n,;]+/).filter((s) => s.trim()).length || 1;
  const update = async () => {
    const mine = ++asked;
    const query = new URLSearchParams({ number: from.value, text: text.value, count: count() });
    try {
      const answer = await fetch(`/console/send/preview?${query}`, { credentials: "same-origin" });
      if (!answer.ok || mine !== asked) return;
      const plan = await answer.json();
      shown.textContent = plan.problem || plan.summary;
      shown.classList.toggle("error", Boolean(plan.problem));
    } catch (_) { /* offline for a moment: the next keystroke asks again */ }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(update, 150); };
  [text, to].forEach((field) => field.addEventListener("input", soon));
  from.addEventListener("change", soon);
  if (text.value) update();
})();
