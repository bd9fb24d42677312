/*
 * The import wizard's enhancements; every page works without them.
 *
 *  - Forms marked [data-import-upload], [data-import-commit] or holding an undo button
 *    show that they are working ("Uploading…") and cannot be sent twice.
 *  - The columns step marks the chosen columns in the sample table as they change.
 *  - The "Refresh" link of a running import hides: htmx refreshes the progress.
 */
(function () {
  "use strict";

  function busyOnSubmit(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("aria-busy") === "true") {
        event.preventDefault();
        return;
      }
      var button = form.querySelector("button[type=submit][data-busy-text]");
      form.setAttribute("aria-busy", "true");
      if (button) {
        button.textContent = button.getAttribute("data-busy-text");
        button.setAttribute("aria-disabled", "true");
      }
    });
  }

  function markColumns(form) {
    var selects = form.querySelectorAll("select[name=role]");
    function update(select, index) {
      var chosen = select.value !== "ignore";
      var cells = document.querySelectorAll("[data-column='" + index + "']");
      for (var i = 0; i < cells.length; i++) {
        cells[i].classList.toggle("chosen", chosen);
      }
    }
    Array.prototype.forEach.call(selects, function (select, index) {
      select.addEventListener("change", function () {
        update(select, index);
      });
    });
  }

  function init() {
    document.documentElement.classList.add("js-imports");
    var forms = document.querySelectorAll(
      "form[data-import-upload], form[data-import-commit], form[action$='/undo']"
    );
    Array.prototype.forEach.call(forms, busyOnSubmit);
    var columns = document.querySelector("form[data-import-columns]");
    if (columns) {
      markColumns(columns);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
