// Small enhancements for the console; every page works without them.
// - form[data-confirm]: asks before submitting.
// - form[data-submit-once]: disables its buttons on submit, so a double click sends one
//   request (the server's idempotency key guards against the rest).
// - button[data-copy]: copies the value of the field it names.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-submit-once")) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
      if (button.dataset.busyLabel) {
        button.dataset.idleLabel = button.textContent;
        button.textContent = button.dataset.busyLabel;
      }
    });
  });

  // Back-forward cache: a page shown again must not keep its buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button").forEach(function (button) {
        button.disabled = false;
        if (button.dataset.idleLabel) button.textContent = button.dataset.idleLabel;
      });
    });
  });

  function copied(status, message) {
    if (status) status.textContent = message;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector(button.getAttribute("data-copy-status"));
    if (!field) return;
    var fallback = function () {
      field.select();
      var ok = document.execCommand && document.execCommand("copy");
      copied(status, ok ? "Copied." : "Press Ctrl+C (or Cmd+C) to copy the selected token.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { copied(status, "Copied."); }, fallback);
    } else {
      fallback();
    }
  });
})();
