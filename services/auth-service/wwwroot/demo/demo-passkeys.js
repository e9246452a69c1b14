// Passkeys in the demo SPA (after demo.js, whose `auth`, `$`, `status`, `problemText` and `show` it uses):
// add, list and remove passkeys when signed in; sign in with one when signed out. The service speaks the
// WebAuthn JSON forms (binary members base64url); the browser API wants ArrayBuffers, so both ways are converted here.
"use strict";

const passkeys = (() => {
  const toBuffer = (base64url) => {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  };
  const toBase64url = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: toBuffer(c.id) }));

  function creationOptions(json) {
    return {
      ...json,
      challenge: toBuffer(json.challenge),
      user: { ...json.user, id: toBuffer(json.user.id) },
      excludeCredentials: descriptors(json.excludeCredentials),
    };
  }

  function requestOptions(json) {
    return { ...json, challenge: toBuffer(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
  }

  // PublicKeyCredential.toJSON() where the browser has it; the same shape by hand elsewhere.
  function credentialJson(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = r.attestationObject
      ? { attestationObject: toBase64url(r.attestationObject), clientDataJSON: toBase64url(r.clientDataJSON),
          transports: typeof r.getTransports === "function" ? r.getTransports() : [] }
      : { authenticatorData: toBase64url(r.authenticatorData), clientDataJSON: toBase64url(r.clientDataJSON),
          signature: toBase64url(r.signature), userHandle: r.userHandle ? toBase64url(r.userHandle) : null };
    return { id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type, response,
      clientExtensionResults: credential.getClientExtensionResults() };
  }

  async function list() {
    const response = await auth.api("/auth/passkeys");
    if (!response.ok) return;
    const items = await response.json();
    const ul = $("passkey-list");
    ul.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.className = "passkey";
      li.dataset.id = item.id;
      const name = document.createElement("span");
      name.className = "passkey-name";
      name.textContent = item.name;
      const used = document.createElement("span");
      used.className = "hint";
      used.textContent = item.lastUsedAt ? ` last used ${new Date(item.lastUsedAt).toLocaleString()} ` : " never used ";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "passkey-delete";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove passkey ${item.name}`);
      remove.addEventListener("click", () => removePasskey(item.id));
      li.append(name, used, remove);
      ul.append(li);
    }
    $("passkeys-empty").hidden = items.length > 0;
  }

  async function add(name) {
    const optionsResponse = await auth.api("/auth/passkeys/register/options", { method: "POST" });
    if (!optionsResponse.ok) throw await optionsResponse.json();
    const credential = await navigator.credentials.create({ publicKey: creationOptions(await optionsResponse.json()) });
    const response = await auth.api("/auth/passkeys/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ credential: credentialJson(credential), ...(name ? { name } : {}) }),
    });
    if (!response.ok) throw await response.json();
    return response.json();
  }

  async function removePasskey(id) {
    const response = await auth.api(`/auth/passkeys/${encodeURIComponent(id)}`, { method: "DELETE" });
    status(response.ok ? "Passkey removed" : problemText(await response.json()));
    await list();
  }

  async function signin() {
    const optionsResponse = await fetch("/auth/passkeys/signin/options", { method: "POST" });
    if (!optionsResponse.ok) throw await optionsResponse.json();
    const { challengeId, options } = await optionsResponse.json();
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    const response = await fetch("/auth/passkeys/signin", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ challengeId, credential: credentialJson(credential) }),
    });
    if (!response.ok) throw await response.json();
    return auth.accept(await response.json());
  }

  return { list, add, signin, credentialJson, requestOptions };
})();

const failureText = (error) => (error && error.code ? problemText(error) : `Passkey failed: ${error && error.name ? error.name : error}`);

if (!window.PublicKeyCredential) {
  $("passkey-signin-button").disabled = true;
  $("passkey-add-button").disabled = true;
}

$("passkey-add-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const passkey = await passkeys.add($("passkey-name").value.trim());
    $("passkey-name").value = "";
    status(`Passkey added: ${passkey.name}`);
  } catch (error) {
    status(failureText(error));
  }
  await passkeys.list();
});

$("passkey-signin-button").addEventListener("click", async () => {
  try {
    await passkeys.signin();
    status("Signed in with a passkey");
  } catch (error) {
    status(failureText(error));
  }
  show();
});

// The list follows the signed-in view: loaded whenever it appears.
new MutationObserver(() => { if (!$("signed-in").hidden) passkeys.list(); })
  .observe($("signed-in"), { attributes: true, attributeFilter: ["hidden"] });
window.demoPasskeys = passkeys; // for the browser tests
