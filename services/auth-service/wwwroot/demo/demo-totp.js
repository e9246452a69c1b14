// Second factors on the demo page: enrol an authenticator app (TOTP), and the second step of a signin with a
// code or a recovery code. Uses demo.js's auth client and helpers ($, status, problemText, show).
"use strict";

window.demoTotp = (() => {
  let mfaToken = null;

  // The TOTP section follows the signed-in one; codes shown once disappear with the session.
  function sync() {
    const user = auth.user();
    $("totp").hidden = !user;
    if (!user) {
      $("totp-enrol").hidden = true;
      $("totp-recovery").hidden = true;
      $("recovery-codes").replaceChildren();
      return;
    }
    $("mfa-signin").hidden = true;
    const on = !!(user.mfa && user.mfa.totp);
    $("totp-state").textContent = on ? "Two-step verification is on." : "Two-step verification is off.";
    $("totp-setup-button").hidden = on;
  }
  new MutationObserver(sync).observe($("signed-in"), { attributes: true, attributeFilter: ["hidden"] });

  async function secondStep(payload) {
    const response = await fetch("/auth/signin/mfa", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ mfaToken, ...payload }),
    });
    const body = await response.json();
    if (!response.ok) { status(problemText(body)); return; }
    auth.accept(body);
    mfaToken = null;
    $("mfa-code").value = "";
    $("mfa-recovery-code").value = "";
    $("mfa-recovery").open = false;
    $("mfa-signin").hidden = true;
    status("Signed in with a second factor");
    show();
  }

  $("mfa-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await secondStep({ code: $("mfa-code").value.trim() });
  });

  $("mfa-recovery-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await secondStep({ recoveryCode: $("mfa-recovery-code").value.trim() });
  });

  $("totp-setup-button").addEventListener("click", async () => {
    const response = await auth.api("/auth/mfa/totp/setup", { method: "POST" });
    const body = await response.json();
    if (!response.ok) { status(problemText(body)); return; }
    // Inline SVG (parsed as XML, never as HTML): the page's CSP allows images from its own origin only, so no data: URL.
    const svg = new DOMParser().parseFromString(body.qrSvg, "image/svg+xml").documentElement;
    svg.removeAttribute("style");
    $("totp-qr").replaceChildren(document.importNode(svg, true));
    $("totp-secret").textContent = body.secret;
    $("totp-enrol").hidden = false;
    $("totp-confirm-code").focus();
    status("Scan the QR code, then enter a code");
  });

  $("totp-confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await auth.api("/auth/mfa/totp/confirm", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: $("totp-confirm-code").value.trim() }),
    });
    const body = await response.json();
    if (!response.ok) { status(problemText(body)); return; }
    $("totp-enrol").hidden = true;
    $("totp-confirm-code").value = "";
    $("recovery-codes").replaceChildren(...body.recoveryCodes.map((code) => {
      const item = document.createElement("li");
      item.textContent = code;
      return item;
    }));
    $("totp-recovery").hidden = false;
    auth.user().mfa = { ...auth.user().mfa, totp: true };
    sync();
    status("Two-step verification is on");
  });

  return {
    /** Called by demo.js's signin when the answer asks for the second factor. */
    mfaRequired(body) {
      mfaToken = body.mfaToken;
      $("mfa-signin").hidden = false;
      $("mfa-code").focus();
      status("Enter the code from your authenticator app");
    },
  };
})();
