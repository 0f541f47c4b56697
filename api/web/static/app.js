// Forms post JSON to the versioned API (the pages have no private endpoints).
// <form data-api="POST /api/v1/..." data-next="/complaints/{id}"> : fields become a JSON body;
// name="a.b" nests, data-type="int"/"bool"/"list" converts, empty optional fields are left out.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function api(method, url, body) {
  const headers = { "Accept": "application/json", "X-CSRF-Token": csrfToken() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = { error: { message: text } }; }
  }
  if (!response.ok) {
    let message = response.status + "";
    if (data && data.error) message = data.error.message;
    else if (data && Array.isArray(data.detail)) {
      message = data.detail.map((d) => (d.loc || []).slice(1).join(".") + ": " + d.msg).join("; ");
    }
    const reason = data && data.error ? data.error.reason : "";
    const known = document.getElementById("error-messages");
    const localized = known ? JSON.parse(known.textContent) : {};
    if (localized[reason]) message = localized[reason];
    else if (response.status === 422 && localized.invalid_input) message = localized.invalid_input + " " + message;
    const error = new Error(message);
    error.status = response.status;
    error.reason = reason;
    throw error;
  }
  return data;
}
window.aidrecApi = api;

function setPath(target, path, value) {
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] = node[part] || {};
  node[parts[parts.length - 1]] = value;
}

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.dataset.skip !== undefined) continue;
    if ((el.type === "radio") && !el.checked) continue;
    const type = el.dataset.type || (el.type === "number" ? "int" : el.type === "checkbox" ? "bool" : "str");
    let value;
    if (type === "bool") value = el.type === "checkbox" ? el.checked : el.value === "true";
    else if (type === "int") {
      if (el.value === "") continue;
      value = parseInt(el.value, 10);
    } else if (type === "list") {
      value = el.value.split(/[\s,，]+/).filter(Boolean);
    } else {
      value = el.value;
      if (value === "" && el.dataset.optional !== undefined) continue;
    }
    setPath(body, el.name, value);
  }
  return body;
}

function fillTemplate(template, data, encode = true) {
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    const value = data && data[key] !== undefined && data[key] !== null ? String(data[key]) : "";
    return encode ? encodeURIComponent(value) : value;
  });
}

function showError(form, message) {
  let box = form.querySelector(".form-error");
  if (!box) {
    box = document.createElement("p");
    box.className = "form-error";
    box.setAttribute("role", "alert");
    form.appendChild(box);
  }
  box.textContent = message;
}

// A page's next address must stay on this site, whatever the server let through.
function sameOrigin(target) {
  if (typeof target !== "string" || !target.startsWith("/") || /[\s\\]/.test(target)) return "/";
  try {
    const url = new URL(target, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search + url.hash : "/";
  } catch (error) {
    return "/";
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset.api) return;
  event.preventDefault();
  const [method, url] = form.dataset.api.split(" ");
  const button = form.querySelector("button[type=submit], button:not([type])");
  if (button) button.disabled = true;
  try {
    const data = await api(method, url, method === "DELETE" ? undefined : formBody(form));
    const next = form.dataset.next;
    if (form.dataset.show) {
      const out = document.getElementById(form.dataset.show);
      out.textContent = fillTemplate(out.dataset.template || "{token}", data, false);
      out.hidden = false;
    } else if (next === "reload" || !next) window.location.reload();
    else window.location.assign(sameOrigin(fillTemplate(next, data)));
  } catch (error) {
    if (error.status === 401 && !form.dataset.api.includes("/auth/login")) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      return;
    }
    showError(form, error.message);
  } finally {
    if (button) button.disabled = false;
  }
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-logout]");
  if (!button) return;
  try { await api("POST", "/api/v1/auth/logout"); } finally { window.location.assign("/login"); }
});
