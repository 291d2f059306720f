// Autosave for a requirement's answer.
//
// A few seconds after typing stops, the form's answer fields (not the file) are posted to the
// form's data-autosave-url with the CSRF token and the answer's version. The page then says
// "Saved at 10:42". What was typed before this script ran (a slow connection) is saved too. If the answer was changed elsewhere, the assessment was submitted, or the
// session has ended, autosave stops and says so plainly; what was typed stays on the page, and
// nothing on the page is ever replaced with the saved copy. Without JavaScript the page's own
// Save buttons do the same job.

const DELAY_MS = 2000;
const SIGNED_OUT =
  "You have been signed out, so your latest changes have not been saved. " +
  "Copy your text, then sign in again.";
const FAILED =
  "Your answer could not be saved automatically. It is still on this page: " +
  "use the Save and continue button to save it.";

function warning(message) {
  const wrapper = document.createElement("div");
  wrapper.className = "govuk-warning-text";
  const icon = document.createElement("span");
  icon.className = "govuk-warning-text__icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "!";
  const text = document.createElement("strong");
  text.className = "govuk-warning-text__text";
  const hidden = document.createElement("span");
  hidden.className = "govuk-visually-hidden";
  hidden.textContent = "Warning";
  text.append(hidden, message);
  wrapper.append(icon, text);
  return wrapper;
}

const ANSWER_FIELDS = ["self_rating", "case", "inclusiveness_note"];

function answerOf(data) {
  return JSON.stringify(ANSWER_FIELDS.map((name) => data.get(name)));
}

// Whether the person changed the answer before this script ran (on a slow connection they can
// type as soon as the page shows): each field against the value the page arrived with.
function changedBeforeLoad(form) {
  return [...form.elements].some((field) => {
    if (!ANSWER_FIELDS.includes(field.name)) return false;
    if (field.type === "radio" || field.type === "checkbox") {
      return field.checked !== field.defaultChecked;
    }
    return field.value !== field.defaultValue;
  });
}

function answerData(form) {
  const data = new FormData(form);
  data.delete("evidence");
  return data;
}

export function initAutosave(form) {
  const url = form.dataset.autosaveUrl;
  const status = document.getElementById("autosave-status");
  const problem = document.getElementById("autosave-problem");
  const version = form.querySelector("input[name='version']");
  if (!url || !status || !problem || !version) return;

  let timer = null;
  let inFlight = false;
  let again = false;
  let stopped = false;
  let submitWith = null;
  // What the server holds: the answer as the page arrived, unless it was changed before this
  // script ran, in which case the first save below sends it.
  let lastSaved = changedBeforeLoad(form) ? null : answerOf(answerData(form));

  function stop(message) {
    stopped = true;
    clearTimeout(timer);
    status.textContent = "Autosave has stopped.";
    problem.replaceChildren(warning(message));
  }

  async function save() {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    const data = answerData(form);
    const answer = answerOf(data);
    if (answer === lastSaved) return;
    inFlight = true;
    status.textContent = "Saving…";
    try {
      const response = await fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "error",
        headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") },
      });
      let body = {};
      try {
        body = await response.json();
      } catch {
        body = {};
      }
      if (response.ok) {
        version.value = body.version;
        lastSaved = answer;
        status.textContent = body.message;
      } else if (response.status === 409) {
        stop(body.message || "This answer was changed somewhere else. Copy your text, then reload the page.");
      } else if (response.status === 401 || response.status === 403) {
        stop(body.message || SIGNED_OUT);
      } else if (response.status === 400) {
        status.textContent = body.message || FAILED;
      } else {
        status.textContent = FAILED;
      }
    } catch {
      status.textContent = FAILED;
    } finally {
      inFlight = false;
      if (submitWith) {
        // The person pressed a button while a save was on its way: send the form now, with the
        // version that save returned, so their own save does not look like someone else's.
        const submitter = submitWith;
        submitWith = null;
        stopped = true;
        form.requestSubmit(submitter);
      } else if (again) {
        again = false;
        schedule();
      }
    }
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  form.addEventListener("input", (event) => {
    if (event.target.name !== "evidence") schedule();
  });
  form.addEventListener("change", (event) => {
    if (event.target.type === "radio") schedule();
  });
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    if (inFlight) {
      event.preventDefault();
      submitWith = event.submitter;
    } else {
      stopped = true;
    }
  });
  if (lastSaved === null) schedule();
}

const form = document.querySelector("form[data-autosave-url]");
if (form) initAutosave(form);
