// SMS-Tjenesten: small progressive enhancements; every page works without this file.
// An alert that appears after a post gets the focus, so a screen reader reads it first
// unless a field with an error already took it (autofocus).
document.addEventListener("DOMContentLoaded", () => {
  const alert = document.querySelector(".alert[role=alert]");
  if (alert && !document.querySelector("[aria-invalid=true]")) alert.focus();
});
