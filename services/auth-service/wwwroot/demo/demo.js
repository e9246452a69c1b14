// A minimal SPA client of auth-service: the access token is kept in this closure only (never in
// storage), the refresh token is an HttpOnly cookie the page cannot see. Refreshes are
// single-flight: concurrent callers share the one request in progress, so the cookie rotates once.
"use strict";

const auth = (() => {
  let accessToken = null;
  let expiresAt = 0;
  let user = null;
  let refreshInFlight = null;

  const cookieRequest = (path) => fetch(path, {
    method: "POST",
    credentials: "include",
    headers: { "X-Requested-With": "fetch" },
  });

  function accept(body) {
    accessToken = body.accessToken;
    expiresAt = Date.now() + body.expiresIn * 1000;
    user = body.user;
    return body;
  }

  function refresh() {
    if (!refreshInFlight) {
      const tokenBefore = accessToken;
      refreshInFlight = cookieRequest("/auth/refresh")
        .then(async (response) => {
          if (!response.ok) {
            // Sign out only if nothing (a signin meanwhile) replaced the token this refresh was for.
            if (accessToken === tokenBefore) { accessToken = null; user = null; }
            throw await response.json();
          }
          return accept(await response.json());
        })
        .finally(() => { refreshInFlight = null; });
    }
    return refreshInFlight;
  }

  async function validToken() {
    if (!accessToken || Date.now() > expiresAt - 30_000) await refresh();
    return accessToken;
  }

  async function api(path, init = {}) {
    const send = async () => fetch(path, {
      ...init,
      headers: { ...(init.headers || {}), Authorization: `Bearer ${await validToken()}` },
    });
    let response = await send();
    if (response.status === 401) { await refresh(); response = await send(); }
    return response;
  }

  async function signin(email, password) {
    const response = await fetch("/auth/signin", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!response.ok) throw await response.json();
    const body = await response.json();
    return body.mfaRequired ? body : accept(body); // TOTP on: no session yet, the second step follows (demo-totp.js)
  }

  async function logout() {
    await cookieRequest("/auth/logout");
    accessToken = null; user = null;
  }

  // accept: a signin made elsewhere (demo-passkeys.js) hands its answer over.
  return { refresh, api, signin, accept, logout, user: () => user, expiresIn: () => Math.round((expiresAt - Date.now()) / 1000) };
})();

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
const problemText = (p) => (p && p.code ? `${p.code}: ${p.title}` : String(p));

function show() {
  const user = auth.user();
  $("signed-in").hidden = !user;
  $("signed-out").hidden = !!user;
  if (user) {
    $("user-email").textContent = user.email;
    $("user-name").textContent = user.displayName || "";
    $("user-name-line").hidden = !user.displayName;
    $("expires-in").textContent = auth.expiresIn();
  }
}

// The password rule as the service states it (GET /auth/password/policy), so the form says it before the first try.
let passwordRules = null;
fetch("/auth/password/policy").then((r) => r.json()).then((rules) => {
  passwordRules = rules;
  for (const hint of document.querySelectorAll(".password-rule")) hint.textContent = rules.description;
});

// The API reference, where the service serves one (GET / lists it when Docs:Enabled).
fetch("/", { headers: { Accept: "application/json" } }).then((r) => r.json()).then((links) => {
  if (!links.docs) return;
  $("docs-link").href = links.docs;
  $("docs-line").hidden = false;
});

// What each field error code means; the code itself is shown too, as the API names it.
function explain(code) {
  const messages = {
    required: "Required.",
    invalid_format: "Not in the expected format.",
    too_short: passwordRules ? `Too short: use at least ${passwordRules.minLength} characters.` : "Too short.",
    too_long: "Too long.",
    too_common: "Too common: this password is in lists of leaked passwords.",
    contains_email: "Contains your email address.",
    mismatch: "Does not match.",
  };
  return `${messages[code] || "Not accepted."} (${code})`;
}

// Shows a validation problem's errors next to the fields they name: `${form}-${field}-error`; clears the others.
function showFieldErrors(form, problem) {
  const errors = (problem && problem.code === "validation_failed" && problem.errors) || {};
  for (const element of document.querySelectorAll(`[id^="${form}-"][id$="-error"]`)) {
    const field = element.id.slice(form.length + 1, -"-error".length);
    const codes = errors[field] || [];
    element.textContent = codes.map(explain).join(" ");
    const input = $(`${form}-${field}`);
    if (input) input.setAttribute("aria-invalid", codes.length > 0 ? "true" : "false");
  }
  return Object.keys(errors).length > 0;
}

$("signup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const displayName = $("signup-displayName").value.trim();
  const response = await fetch("/auth/signup", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("signup-email").value, password: $("signup-password").value, ...(displayName ? { displayName } : {}) }),
  });
  if (response.ok) {
    showFieldErrors("signup", null);
    status("Signed up: check the mailbox");
    return;
  }
  const problem = await response.json();
  status(showFieldErrors("signup", problem) ? "Check the highlighted fields" : problemText(problem));
});

// Mail is rendered (its link minted) by the outbox dispatcher a moment after the request: poll briefly.
async function newestLinkToken(email, page) {
  const pattern = new RegExp(`${page}\\?token=([\\w-]+)`);
  for (let attempt = 0; attempt < 20; attempt++) {
    const emails = await (await fetch(`/dev/emails?to=${encodeURIComponent(email)}`)).json();
    const link = emails.map((e) => e.text.match(pattern)).find(Boolean);
    if (link) return link[1];
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return null;
}

let pendingVerifyToken = null;

async function verify(token, password) {
  const response = await fetch("/auth/verify-email", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(password === undefined ? { token } : { token, password }),
  });
  if (response.ok) {
    pendingVerifyToken = null;
    $("verify-password-form").hidden = true;
    status("Email verified");
    return;
  }
  const problem = await response.json();
  // More than one signup used this address: the link works only with its signup's password (the token stays unused).
  if (problem.code === "validation_failed" && problem.errors && problem.errors.password) {
    pendingVerifyToken = token;
    $("verify-password-form").hidden = false;
    $("verify-password").focus();
    status(problem.errors.password.includes("mismatch") ? "That is not the password of this signup" : "Enter the password you signed up with");
    return;
  }
  status(problemText(problem));
}

$("verify-button").addEventListener("click", async () => {
  const email = $("signup-email").value;
  const token = await newestLinkToken(email, "verify-email");
  if (!token) { status("No verification email yet"); return; }
  await verify(token);
  $("signin-email").value = email;
});

$("verify-password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (pendingVerifyToken) await verify(pendingVerifyToken, $("verify-password").value);
});

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const result = await auth.signin($("signin-email").value, $("signin-password").value);
    if (result.mfaRequired) { window.demoTotp.mfaRequired(result); return; }
    status("Signed in");
  } catch (problem) {
    status(problemText(problem));
  }
  show();
});

$("forgot-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/auth/password/forgot", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("forgot-email").value }),
  });
  status(response.ok ? "Reset requested: check the mailbox" : problemText(await response.json()));
});

let pendingResetToken = null;

$("reset-from-mailbox-button").addEventListener("click", async () => {
  pendingResetToken = await newestLinkToken($("forgot-email").value, "reset-password");
  if (!pendingResetToken) { status("No reset email yet"); return; }
  $("reset-form").hidden = false;
  $("reset-newPassword").focus();
  status("Choose a new password");
});

$("reset-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/auth/password/reset", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: pendingResetToken, newPassword: $("reset-newPassword").value }),
  });
  if (response.ok) {
    showFieldErrors("reset", null);
    pendingResetToken = null;
    $("reset-form").hidden = true;
    $("signin-email").value = $("forgot-email").value;
    status("Password changed: sign in with the new password");
    return;
  }
  const problem = await response.json();
  status(showFieldErrors("reset", problem) ? "Check the highlighted field" : problemText(problem));
});

$("me-button").addEventListener("click", async () => {
  const response = await auth.api("/auth/me");
  $("me-output").textContent = JSON.stringify(await response.json(), null, 2);
  show();
});

$("logout-button").addEventListener("click", async () => {
  await auth.logout();
  status("Logged out");
  show();
});

// After a reload the access token is gone; the refresh cookie restores the session.
auth.refresh().then(() => status("Session restored"), () => {}).finally(show);
window.demoAuth = auth; // for the browser tests
