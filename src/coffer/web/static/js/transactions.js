/*
 * Transactions pages: enhancements on top of forms that already work without
 * JavaScript.
 *
 *  - Bulk actions: the bar over the list shows how many rows are ticked, stays in
 *    view at the bottom of the window, shows only the choice the action needs, and
 *    offers "select all"; rows appended by htmx ("Older transactions") count too.
 *  - Split editor: add and remove lines, and a live "remaining to assign" figure,
 *    computed in whole minor units (never with floating-point cents).
 *  - Transfer form: the "between two currencies" fields only when they apply.
 */
(function () {
  "use strict";

  /* ------------------------------------------------------------- bulk actions */

  function setUpBulk(form) {
    var bar = form.querySelector("[data-bulk-bar]");
    var count = form.querySelector("[data-bulk-count]");
    var action = form.querySelector("[data-bulk-action]");
    var all = form.querySelector("[data-bulk-all]");
    if (!bar || !count) return;
    form.classList.add("bulk-js");

    function items() {
      return form.querySelectorAll("[data-bulk-item]");
    }

    function refresh() {
      var boxes = items();
      var ticked = 0;
      for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) ticked++;
      if (ticked === 0) {
        bar.setAttribute("data-empty", "");
        count.textContent = "";
      } else {
        bar.removeAttribute("data-empty");
        count.textContent = ticked + (ticked === 1 ? " transaction selected" : " transactions selected");
      }
      if (all) {
        all.checked = boxes.length > 0 && ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
    }

    function showChoice() {
      if (!action) return;
      var fields = form.querySelectorAll("[data-bulk-for]");
      for (var i = 0; i < fields.length; i++) {
        fields[i].hidden = fields[i].getAttribute("data-bulk-for") !== action.value;
      }
    }

    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        var boxes = items();
        for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
        refresh();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.hasAttribute && event.target.hasAttribute("data-bulk-item")) refresh();
      if (event.target === action) showChoice();
    });
    document.body.addEventListener("htmx:afterSettle", refresh);
    showChoice();
    refresh();
  }

  /* ------------------------------------------------------------- split editor */

  function minorUnitsOf(form) {
    var select = form.querySelector("[data-txn-account]");
    var option = select && select.options[select.selectedIndex];
    var holder = option && option.getAttribute("data-minor") !== null ? option : form;
    var digits = parseInt(holder.getAttribute("data-minor"), 10);
    var code = holder.getAttribute("data-currency") || "";
    return { digits: isNaN(digits) ? 2 : digits, code: code };
  }

  // "1,234.50", "1.234,50", "12,5" or "-3" as an integer of minor units; NaN when
  // it is not an amount with at most `digits` decimals.
  function toMinor(text, digits) {
    var value = (text || "").replace(/[\s\u00a0']/g, "");
    if (value === "") return 0;
    var negative = value.charAt(0) === "-";
    if (negative || value.charAt(0) === "+") value = value.slice(1);
    var lastDot = value.lastIndexOf("."), lastComma = value.lastIndexOf(",");
    var sep = lastDot > lastComma ? "." : ",";
    var parts = value.split(sep);
    if (lastDot < 0 && lastComma < 0) parts = [value];
    var whole = parts.length > 1 ? parts.slice(0, -1).join("") : parts[0];
    var fraction = parts.length > 1 ? parts[parts.length - 1] : "";
    whole = whole.replace(/[.,]/g, "");
    if (!/^\d*$/.test(whole) || !/^\d*$/.test(fraction) || (whole + fraction) === "") return NaN;
    if (fraction.length > digits) return NaN;
    while (fraction.length < digits) fraction += "0";
    var result = parseInt(whole || "0", 10) * Math.pow(10, digits) + parseInt(fraction || "0", 10);
    return negative ? -result : result;
  }

  function fromMinor(amount, digits) {
    var negative = amount < 0;
    var text = String(Math.abs(amount));
    while (text.length <= digits) text = "0" + text;
    var whole = digits ? text.slice(0, -digits) : text;
    var fraction = digits ? "." + text.slice(-digits) : "";
    return (negative ? "-" : "") + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + fraction;
  }

  function setUpSplits(form) {
    var editor = form.querySelector("[data-split-editor]");
    if (!editor) return;
    var rows = editor.querySelector("[data-split-rows]");
    var addButton = editor.querySelector("[data-split-add]");
    var remaining = editor.querySelector("[data-split-remaining]");
    var amountInput = form.querySelector("[data-txn-amount]");

    function lines() {
      return rows.querySelectorAll("[data-split-line]");
    }

    function renumber() {
      var all = lines();
      for (var i = 0; i < all.length; i++) {
        var n = i + 1;
        var fields = [["select", "category"], ["[data-split-amount]", "amount"], ["input[name='split_memo']", "memo"]];
        for (var f = 0; f < fields.length; f++) {
          var control = all[i].querySelector(fields[f][0]);
          var label = control && all[i].querySelector("label[for='" + control.id + "']");
          if (!control) continue;
          control.id = "split-" + i + "-" + fields[f][1];
          if (label) {
            label.setAttribute("for", control.id);
            var number = label.querySelector("[data-line-number]");
            if (number) number.textContent = "Line " + n + " ";
          }
        }
        var remove = all[i].querySelector("[data-split-remove]");
        if (remove) {
          remove.hidden = all.length <= 2;
          var hiddenText = remove.querySelector(".visually-hidden");
          if (hiddenText) hiddenText.textContent = " line " + n;
        }
      }
    }

    function update() {
      var unit = minorUnitsOf(form);
      var total = toMinor(amountInput ? amountInput.value : "", unit.digits);
      var sum = 0, used = false, bad = false;
      var amounts = rows.querySelectorAll("[data-split-amount]");
      for (var i = 0; i < amounts.length; i++) {
        if (amounts[i].value.trim() === "") continue;
        used = true;
        var value = toMinor(amounts[i].value, unit.digits);
        if (isNaN(value)) bad = true; else sum += value;
      }
      if (!used) {
        remaining.hidden = true;
        return;
      }
      remaining.hidden = false;
      var code = unit.code ? " " + unit.code : "";
      if (bad || isNaN(total)) {
        remaining.removeAttribute("data-state");
        remaining.textContent = "Check the amounts: one of them is not a number.";
        return;
      }
      var left = Math.abs(total) - sum;
      if (left === 0) {
        remaining.setAttribute("data-state", "done");
        remaining.textContent = "All assigned: the lines add up to the amount.";
      } else if (left > 0) {
        remaining.setAttribute("data-state", "left");
        remaining.textContent = "Remaining to assign: " + fromMinor(left, unit.digits) + code;
      } else {
        remaining.setAttribute("data-state", "over");
        remaining.textContent = "Over by " + fromMinor(-left, unit.digits) + code + ": the lines add up to more than the amount.";
      }
    }

    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var all = lines();
      var copy = all[all.length - 1].cloneNode(true);
      var controls = copy.querySelectorAll("input, select");
      for (var i = 0; i < controls.length; i++) {
        if (controls[i].tagName === "SELECT") controls[i].selectedIndex = 0;
        else controls[i].value = "";
        controls[i].removeAttribute("aria-invalid");
        controls[i].removeAttribute("aria-describedby");
      }
      var errors = copy.querySelectorAll(".field-error");
      for (var e = 0; e < errors.length; e++) errors[e].remove();
      rows.appendChild(copy);
      renumber();
      var first = copy.querySelector("select");
      if (first) first.focus();
      update();
    });
    rows.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-split-remove]");
      if (!button || lines().length <= 2) return;
      var line = button.closest("[data-split-line]");
      var next = line.nextElementSibling || line.previousElementSibling;
      line.remove();
      renumber();
      update();
      var focusTarget = next && next.querySelector("select");
      (focusTarget || addButton).focus();
    });
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    renumber();
    update();
  }

  /* --------------------------------------------------------------- transfers */

  function setUpTransfer(form) {
    var from = form.querySelector("[data-transfer-from]");
    var to = form.querySelector("[data-transfer-to]");
    var cross = form.querySelector("[data-transfer-cross]");
    if (!from || !to || !cross) return;

    function currency(select) {
      var option = select.options[select.selectedIndex];
      return option ? option.getAttribute("data-currency") : null;
    }

    function update() {
      var a = currency(from), b = currency(to);
      cross.hidden = Boolean(a && b && a === b);
    }

    from.addEventListener("change", update);
    to.addEventListener("change", update);
    update();
  }

  function init() {
    var bulk = document.querySelectorAll("[data-bulk-form]");
    for (var i = 0; i < bulk.length; i++) setUpBulk(bulk[i]);
    var txnForms = document.querySelectorAll("[data-txn-form]");
    for (var j = 0; j < txnForms.length; j++) setUpSplits(txnForms[j]);
    var transfers = document.querySelectorAll("[data-transfer-form]");
    for (var k = 0; k < transfers.length; k++) setUpTransfer(transfers[k]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
