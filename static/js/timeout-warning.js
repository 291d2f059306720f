// The session timeout warning. The server says on <body> how many seconds the session has left
// (`data-session-timeout-seconds`), how long a renewal lasts (`data-session-lifetime-seconds`)
// and how old a renewal must be before a request renews it again
// (`data-session-renew-after-seconds`: the server writes the session at most that often; see
// core/session.py). Two minutes before the end this opens the dialog of
// templates/includes/timeout_warning.html. "Stay signed in" (or Escape) renews the session
// through the keep-alive URL; at the end the page goes to sign-in, which comes straight back
// here if the session turns out to be alive after all.
//
// Activity anywhere counts: each page load tells its tab the deadline exactly, and records it in
// localStorage so other tabs of the portal push their own deadline back too. A request this page
// makes (autosave, say) is taken to renew the session only when the server's rule says it does,
// with a few seconds' margin: if in doubt the warning comes early, never late.

const DEADLINE_KEY = "lsp-portal:session-deadline";
const MARGIN_MS = 5000;

const dialog = document.getElementById("app-timeout-dialog");
const timeoutSeconds = Number(document.body.dataset.sessionTimeoutSeconds);
const lifetimeMs = (Number(document.body.dataset.sessionLifetimeSeconds) || timeoutSeconds) * 1000;
const renewAfterMs = (Number(document.body.dataset.sessionRenewAfterSeconds) || 0) * 1000;

function readDeadline() {
  try {
    return Number(window.localStorage.getItem(DEADLINE_KEY)) || 0;
  } catch {
    return 0;
  }
}

let deadline = Date.now() + timeoutSeconds * 1000;

function recordDeadline(at) {
  deadline = Math.max(deadline, readDeadline(), at);
  try {
    window.localStorage.setItem(DEADLINE_KEY, String(deadline));
  } catch {
    // Storage refused (private browsing): this tab keeps its own clock.
  }
}

// A request that reached the server at `at` renewed the session if the last renewal (the
// deadline less a lifetime) was old enough by then.
function requestMade(at) {
  const lastRenewal = Math.max(deadline, readDeadline()) - lifetimeMs;
  if (at - lastRenewal >= renewAfterMs + MARGIN_MS) {
    recordDeadline(at + lifetimeMs);
  }
}

function describe(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

function start() {
  const warningSeconds = Number(dialog.dataset.warningSeconds) || 120;
  const countdown = dialog.querySelector("[data-countdown]");
  const announcement = dialog.querySelector("[data-countdown-announcement]");
  let lastAnnounced = null;
  let openedFrom = null;

  recordDeadline(deadline);

  // Requests made by this page (fetch, XMLHttpRequest) may renew the session on the server too.
  // They are noticed by wrapping the two, not through the browser's resource timing: Chromium
  // leaves answers marked no-store out of it, and every answer to someone signed in is
  // (core/middleware.py). A request counts from when it was sent, once an answer came back.
  const sameOrigin = (url) => {
    try {
      return new URL(String(url), window.location.href).origin === window.location.origin;
    } catch {
      return false;
    }
  };
  if (typeof window.fetch === "function") {
    const originalFetch = window.fetch;
    window.fetch = function fetchNoticed(input, ...rest) {
      const sent = Date.now();
      const answer = originalFetch.call(this, input, ...rest);
      if (sameOrigin(input instanceof Request ? input.url : input)) {
        answer.then(() => requestMade(sent), () => {});
      }
      return answer;
    };
  }
  if ("XMLHttpRequest" in window) {
    const { open, send } = XMLHttpRequest.prototype;
    XMLHttpRequest.prototype.open = function openNoticed(method, url, ...rest) {
      this.lspPortalSameOrigin = sameOrigin(url);
      return open.call(this, method, url, ...rest);
    };
    XMLHttpRequest.prototype.send = function sendNoticed(...args) {
      if (this.lspPortalSameOrigin) {
        const sent = Date.now();
        this.addEventListener("load", () => requestMade(sent));
      }
      return send.apply(this, args);
    };
  }

  function secondsLeft() {
    deadline = Math.max(deadline, readDeadline());
    return Math.round((deadline - Date.now()) / 1000);
  }

  function open(left) {
    openedFrom = document.activeElement;
    lastAnnounced = null;
    update(left);
    dialog.showModal();
    dialog.focus();
  }

  function close() {
    if (dialog.open) {
      dialog.close();
    }
    if (openedFrom && typeof openedFrom.focus === "function") {
      openedFrom.focus();
    }
  }

  function update(left) {
    const text = describe(Math.max(0, left));
    countdown.textContent = text;
    // Screen readers hear the time when the dialog opens and then every 20 seconds or so,
    // not every second.
    const bucket = left >= 60 ? Math.ceil(left / 60) * 60 : Math.ceil(left / 20) * 20;
    if (bucket !== lastAnnounced) {
      lastAnnounced = bucket;
      announcement.textContent = `For your security, we will sign you out in ${text}.`;
    }
  }

  function signedOut() {
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${dialog.dataset.signInUrl}?next=${encodeURIComponent(next)}`);
  }

  async function staySignedIn() {
    try {
      const response = await fetch(dialog.dataset.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": dialog.dataset.csrfToken, Accept: "application/json" },
      });
      if (response.status === 401) {
        signedOut();
        return;
      }
      if (response.ok) {
        const answer = await response.json();
        recordDeadline(Date.now() + answer.expires_in * 1000);
      }
    } catch {
      // Offline for a moment: keep the dialog; the user can try again.
      return;
    }
    close();
  }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", staySignedIn);
  // Escape means "I'm still here", as in the HMRC timeout dialog.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn();
  });

  window.setInterval(() => {
    const left = secondsLeft();
    if (left <= 0) {
      signedOut();
    } else if (left <= warningSeconds) {
      if (!dialog.open) {
        open(left);
      } else {
        update(left);
      }
    } else if (dialog.open) {
      close(); // renewed from another tab
    }
  }, 1000);
}

if (dialog && timeoutSeconds > 0 && typeof dialog.showModal === "function") {
  start();
}
