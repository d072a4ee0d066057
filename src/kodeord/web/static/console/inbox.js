// The inbox's live part: listen to the server's events and, when the customer has a new
// message, fetch this page again and swap its live element (#live). What is being typed
// in the reply box is outside it and is never touched. Without script the page works as is.
(() => {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const answer = await fetch(location.href, { credentials: "same-origin" });
      if (answer.ok) {
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
        const part = fresh.getElementById("live");
        const current = document.getElementById("live");
        if (part && current && part.innerHTML !== current.innerHTML) {
          current.replaceChildren(...part.childNodes);
          current.dispatchEvent(new CustomEvent("refreshed", { bubbles: true }));
        }
      }
    } catch (_) { /* offline for a moment: the next event tries again */ }
    busy = false;
  };
  const events = new EventSource("/console/inbox/events");
  events.addEventListener("activity", refresh);
})();
