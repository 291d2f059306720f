// The session timeout warning. The server ends a session after `data-session-timeout-seconds`
// (on <body>) without a request; two minutes before that, this opens the dialog of
// templates/includes/timeout_warning.html. "Stay signed in" (or Escape) renews the session
// through the keep-alive URL; at the end the page goes to sign-in, which comes straight back
// here if the session turns out to be alive after all.
//
// Activity anywhere counts: each page load and each request this page makes (autosave, say)
// renews the session on the server, and is recorded in localStorage so other tabs of the
// portal push their own deadline back too.

const ACTIVITY_KEY = "lsp-portal:last-activity";

const dialog = document.getElementById("app-timeout-dialog");
const timeoutSeconds = Number(document.body.dataset.sessionTimeoutSeconds);

function readActivity() {
  try {
    return Number(window.localStorage.getItem(ACTIVITY_KEY)) || 0;
  } catch {
    return 0;
  }
}

let lastActivity = Date.now();

function recordActivity(at = Date.now()) {
  lastActivity = Math.max(lastActivity, at);
  try {
    window.localStorage.setItem(ACTIVITY_KEY, String(lastActivity));
  } catch {
    // Storage refused (private browsing): this tab keeps its own clock.
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

  recordActivity();

  // Requests made by this page (fetch, XMLHttpRequest) renew the session on the server too.
  if ("PerformanceObserver" in window) {
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (["fetch", "xmlhttprequest"].includes(entry.initiatorType)
              && new URL(entry.name, window.location.href).origin === window.location.origin) {
            recordActivity(performance.timeOrigin + entry.responseEnd);
          }
        }
      }).observe({ type: "resource", buffered: false });
    } catch {
      // Old browsers: page loads alone count.
    }
  }

  function secondsLeft() {
    lastActivity = Math.max(lastActivity, readActivity());
    return Math.round((lastActivity + timeoutSeconds * 1000 - Date.now()) / 1000);
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
        recordActivity();
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
