/* Passkeys (WebAuthn) for the Cluster Portal: registration on the sign-in security page, and the second step
   of signing in. The server (py_webauthn) makes the options and checks the answers; this file only converts
   base64url <-> ArrayBuffer, calls navigator.credentials and posts JSON (with the page's CSRF token). */
(function () {
  "use strict";

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok && data.redirect) { window.location.assign(data.redirect); throw new Error("redirected"); }
        if (!response.ok) { throw new Error(data.error || "failed"); }
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return {type: item.type, id: toBuffer(item.id), transports: item.transports};
    });
  }

  function showError(button, message) {
    var box = document.querySelector(".passkey-error");
    if (!box) { return; }
    box.textContent = message || box.getAttribute("data-message");
    box.hidden = false;
    button.disabled = false;
  }

  function register(button) {
    var nameField = document.getElementById(button.getAttribute("data-name-field"));
    var csrf = button.getAttribute("data-csrf");
    button.disabled = true;
    post(button.getAttribute("data-options"), csrf).then(function (options) {
      options.challenge = toBuffer(options.challenge);
      options.user.id = toBuffer(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
      return navigator.credentials.create({publicKey: options});
    }).then(function (credential) {
      var response = credential.response;
      return post(button.getAttribute("data-register"), csrf, {
        name: nameField ? nameField.value : "",
        credential: {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(response.clientDataJSON),
            attestationObject: toBase64url(response.attestationObject),
            transports: response.getTransports ? response.getTransports() : []
          },
          clientExtensionResults: credential.getClientExtensionResults()
        }
      });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) {
      if (error.message !== "redirected") { showError(button, error instanceof DOMException ? null : error.message); }
    });
  }

  function signIn(button) {
    var csrf = button.getAttribute("data-csrf");
    var remember = document.getElementById("remember_device");
    button.disabled = true;
    post(button.getAttribute("data-options"), csrf).then(function (options) {
      options.challenge = toBuffer(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      var response = credential.response;
      return post(button.getAttribute("data-verify"), csrf, {
        remember_device: remember ? remember.checked : false,
        credential: {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(response.clientDataJSON),
            authenticatorData: toBase64url(response.authenticatorData),
            signature: toBase64url(response.signature),
            userHandle: response.userHandle ? toBase64url(response.userHandle) : null
          },
          clientExtensionResults: credential.getClientExtensionResults()
        }
      });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) {
      if (error.message !== "redirected") { showError(button, null); }
    });
  }

  /* The buttons arrive disabled: they do nothing until this file has attached its handlers, so a click made
     while the page is still loading (or in a browser without WebAuthn) cannot be lost. */
  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("[data-passkey-register]").forEach(function (button) {
      if (!supported) { return; }
      button.addEventListener("click", function () { register(button); });
      button.disabled = false;
    });
    document.querySelectorAll("[data-passkey-sign-in]").forEach(function (button) {
      if (!supported) { return; }
      button.addEventListener("click", function () { signIn(button); });
      button.disabled = false;
    });
  });
}());
