// The one-time link carries its token in the fragment (never sent to the server or its logs):
// put it in the form and take it out of the address bar and history.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const field = document.getElementById("link-token");
  if (field && window.location.hash.length > 1) {
    field.value = decodeURIComponent(window.location.hash.slice(1));
    history.replaceState(null, "", window.location.pathname);
  }
});
