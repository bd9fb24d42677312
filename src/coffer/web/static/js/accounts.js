/*
 * Account pages: small enhancements on forms that work without JavaScript.
 *
 *  - Account form: fields marked [data-applies-to="type type ..."] show only
 *    for the account types they apply to (hidden ones are disabled, so they
 *    are not sent, and a [data-terms] group with none left is hidden); on a
 *    new account, "Count it in budgets" follows the type's
 *    usual choice until the person changes it.
 *  - Reconciliation: each tick is sent by htmx as it changes, so the
 *    "Save ticks" button ([data-without-js]) is only needed without script.
 */
(function () {
  "use strict";

  function words(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function initAccountForm(form) {
    var type = form.querySelector("[data-account-type]");
    if (!type) return;
    var budget = form.querySelector("[data-budget-types]");
    var budgetBox = budget ? budget.querySelector("input[type=checkbox]") : null;
    var budgetTouched = !form.hasAttribute("data-new-account");
    if (budgetBox) {
      budgetBox.addEventListener("change", function () {
        budgetTouched = true;
      });
    }

    function update() {
      var current = type.value;
      var blocks = form.querySelectorAll("[data-applies-to]");
      for (var i = 0; i < blocks.length; i++) {
        var applies = words(blocks[i].getAttribute("data-applies-to")).indexOf(current) >= 0;
        blocks[i].hidden = !applies;
        var inputs = blocks[i].querySelectorAll("input, select, textarea");
        for (var j = 0; j < inputs.length; j++) {
          inputs[j].disabled = !applies;
        }
      }
      var groups = form.querySelectorAll("[data-terms]");
      for (var g = 0; g < groups.length; g++) {
        groups[g].hidden = !groups[g].querySelector("[data-applies-to]:not([hidden])");
      }
      if (budgetBox && !budgetTouched) {
        budgetBox.checked = words(budget.getAttribute("data-budget-types")).indexOf(current) >= 0;
      }
    }

    type.addEventListener("change", update);
    update();
  }

  function init() {
    var forms = document.querySelectorAll("[data-account-form]");
    for (var i = 0; i < forms.length; i++) {
      initAccountForm(forms[i]);
    }
    if (window.htmx) {
      var extras = document.querySelectorAll("[data-without-js]");
      for (var k = 0; k < extras.length; k++) {
        extras[k].hidden = true;
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
