// Keyword search as you type: ask the server whether the word can be leased on the chosen
// number and show the answer (reasons, warnings, suggestions); a suggestion fills the box.
(() => {
  const form = document.getElementById("keyword-search");
  const answer = document.getElementById("answer");
  if (!form || !answer) return;
  const word = form.querySelector("#f-keyword");
  const number = form.querySelector("#f-number");
  let timer = 0;
  let asked = 0;
  const line = (text, cls) => {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    p.textContent = text;
    return p;
  };
  const show = (result) => {
    const parts = [];
    if (result.error) {
      parts.push(line(result.error, "error"));
    } else {
      const head = line("", result.available ? "ok" : "error");
      const strong = document.createElement("strong");
      const template = result.available ? answer.dataset.available : answer.dataset.unavailable;
      strong.textContent = template.replace("{keyword}", result.keyword);
      head.append(strong);
      if (result.available) head.append(` · ${result.fee}`);
      parts.push(head);
      result.reasons.forEach((r) => parts.push(line(r, "reason")));
      result.warnings.forEach((w) => parts.push(line(w, "warning")));
      if (result.suggestions.length) {
        const p = line(`${answer.dataset.try} `);
        result.suggestions.forEach((s) => {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "suggestion";
          b.dataset.keyword = s;
          b.textContent = s;
          p.append(b, " ");
        });
        parts.push(p);
      }
    }
    answer.replaceChildren(...parts);
  };
  const ask = async () => {
    const mine = ++asked;
    if (!word.value.trim()) { answer.replaceChildren(); return; }
    const query = new URLSearchParams({ number: number.value, keyword: word.value });
    try {
      const reply = await fetch(`/console/keywords/check?${query}`, { credentials: "same-origin" });
      if (mine === asked) show(await reply.json());
    } catch (_) { /* offline for a moment: the next keystroke asks again */ }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(ask, 200); };
  word.addEventListener("input", soon);
  number.addEventListener("change", soon);
  answer.addEventListener("click", (event) => {
    const button = event.target.closest(".suggestion");
    if (!button) return;
    word.value = button.dataset.keyword;
    word.focus();
    ask();
  });
})();
