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
    return accept(await response.json());
  }

  async function logout() {
    await cookieRequest("/auth/logout");
    accessToken = null; user = null;
  }

  return { refresh, api, signin, logout, user: () => user, expiresIn: () => Math.round((expiresAt - Date.now()) / 1000) };
})();

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
const problemText = (p) => (p && p.code ? `${p.code}: ${p.title}` : String(p));

function show() {
  const user = auth.user();
  $("signed-in").hidden = !user;
  $("signed-out").hidden = !!user;
  if (user) { $("user-email").textContent = user.email; $("expires-in").textContent = auth.expiresIn(); }
}

$("signup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/auth/signup", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("signup-email").value, password: $("signup-password").value }),
  });
  status(response.ok ? "Signed up: check the mailbox" : problemText(await response.json()));
});

// Mail is rendered (its link minted) by the outbox dispatcher a moment after the signup: poll briefly.
async function newestVerifyToken(email) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const emails = await (await fetch(`/dev/emails?to=${encodeURIComponent(email)}`)).json();
    const link = emails.map((e) => e.text.match(/verify-email\?token=([\w-]+)/)).find(Boolean);
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
  const token = await newestVerifyToken(email);
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
    await auth.signin($("signin-email").value, $("signin-password").value);
    status("Signed in");
  } catch (problem) {
    status(problemText(problem));
  }
  show();
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
