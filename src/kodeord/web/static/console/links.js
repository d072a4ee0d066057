// The operator links' live state: ask for it every 2 s and update each row's fields.
(() => {
  const table = document.getElementById("links");
  if (!table) return;
  const poll = async () => {
    try {
      const answer = await fetch("/console/provider/links.json", { credentials: "same-origin" });
      if (!answer.ok) return;
      for (const link of await answer.json()) {
        const row = table.querySelector(`tr[data-link="${CSS.escape(link.name)}"]`);
        if (!row) continue;
        row.querySelectorAll("[data-field]").forEach((cell) => {
          const value = link[cell.dataset.field];
          const badge = cell.querySelector(".badge");
          if (badge) {
            badge.textContent = value;
            badge.className = `badge ${link.state === "bound" ? "ok" : "bad"}`;
          } else {
            cell.textContent = value === null || value === "" ? (cell.dataset.field === "last_error" ? "–" : "") : String(value);
          }
        });
      }
    } catch (_) { /* offline for a moment: the next round asks again */ }
  };
  setInterval(poll, 2000);
})();
