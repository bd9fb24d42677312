/*
 * Coffer's own browser code: small progressive enhancements on top of pages
 * that already work without JavaScript.  No dependencies; htmx is optional.
 *
 *  - Theme toggle: [data-theme-toggle] buttons cycle auto → light → dark.
 *  - CSRF for htmx: every htmx request carries X-CSRF-Token from
 *    <meta name="csrf-token">.
 *  - Copy buttons: [data-copy="ID"] copies the text of element #ID.
 *  - Disclosure menus (<details class="user-menu|nav-menu">) close on Escape
 *    or a click elsewhere.
 *  - An error summary (.error-summary) present on load receives focus, so
 *    screen-reader users hear what went wrong first.
 *
 * Elements these features need are marked `hidden` in the HTML and revealed
 * here, so a visitor without JavaScript never sees a button that does nothing.
 */
(function () {
  "use strict";

  var THEMES = ["auto", "light", "dark"];
  var THEME_NAMES = { auto: "Auto", light: "Light", dark: "Dark" };
  var STORAGE_KEY = "coffer-theme";
  var COOKIE_NAME = "coffer_theme";
  var ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

  /* ---------------------------------------------------------------- theme */

  function readStoredTheme() {
    try {
      var value = window.localStorage.getItem(STORAGE_KEY);
      return THEMES.indexOf(value) >= 0 ? value : null;
    } catch (err) {
      // Storage can be disabled (private mode, strict settings): fall back to
      // whatever the server rendered from the cookie.
      return null;
    }
  }

  function storeTheme(theme) {
    try {
      window.localStorage.setItem(STORAGE_KEY, theme);
    } catch (err) {
      /* the cookie below still carries the choice */
    }
    // The cookie lets the server render data-theme on the first paint of the
    // next page, so there is no flash of the wrong theme.
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie =
      COOKIE_NAME + "=" + theme + "; Path=/; Max-Age=" + ONE_YEAR_SECONDS +
      "; SameSite=Lax" + secure;
  }

  function currentTheme() {
    var value = document.documentElement.getAttribute("data-theme");
    return THEMES.indexOf(value) >= 0 ? value : "auto";
  }

  function updateToggleButtons(theme) {
    var next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    var buttons = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      var label = button.querySelector("[data-theme-label]") || button;
      label.textContent = THEME_NAMES[theme];
      // The accessible name starts with the visible text (WCAG 2.5.3) and
      // says what pressing will do.
      button.setAttribute(
        "aria-label",
        "Theme: " + THEME_NAMES[theme] + ". Switch to " + THEME_NAMES[next].toLowerCase()
      );
      button.setAttribute("data-theme-current", theme);
      button.hidden = false;
    }
  }

  function applyTheme(theme) {
    document.documentElement.setAttribute("data-theme", theme);
    updateToggleButtons(theme);
  }

  function initTheme() {
    var stored = readStoredTheme();
    if (stored && stored !== currentTheme()) {
      // The browser remembers a choice the server did not know about (for
      // example the cookie expired): honour it and refresh the cookie.
      storeTheme(stored);
    }
    applyTheme(stored || currentTheme());

    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-theme-toggle]");
      if (!button) return;
      var next = THEMES[(THEMES.indexOf(currentTheme()) + 1) % THEMES.length];
      storeTheme(next);
      applyTheme(next);
    });
  }

  /* ----------------------------------------------------------------- csrf */

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function initCsrf() {
    document.addEventListener("htmx:configRequest", function (event) {
      var token = csrfToken();
      if (token) {
        event.detail.headers["X-CSRF-Token"] = token;
      }
    });
  }

  /* ----------------------------------------------------------------- copy */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP installs (a home server on the LAN) have no Clipboard API:
    // fall back to the older selection-based command.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (err) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy failed"));
      }
    });
  }

  function announce(message) {
    var region = document.getElementById("coffer-live");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick makes screen readers repeat the message
    // even when it is the same as last time.
    window.setTimeout(function () {
      region.textContent = message;
    }, 50);
  }

  function initCopy() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy]");
      if (!button) return;
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var isField = source.tagName === "INPUT" || source.tagName === "TEXTAREA";
      var text = isField ? source.value : source.textContent;
      // Keep the button's original markup (it may hold an icon) to restore.
      if (button._cofferOriginal === undefined) button._cofferOriginal = button.innerHTML;
      var original = button._cofferOriginal;
      copyText(text.trim()).then(
        function () {
          button.textContent = "Copied";
          announce("Copied to the clipboard");
        },
        function () {
          button.textContent = "Press Ctrl+C to copy";
          selectContents(source);
        }
      );
      window.clearTimeout(button._cofferTimer);
      button._cofferTimer = window.setTimeout(function () {
        button.innerHTML = original;
      }, 2500);
    });
  }

  function selectContents(element) {
    if (typeof element.select === "function") {
      element.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  /* ---------------------------------------------------------------- menus */

  function initMenus() {
    var selector = "details.user-menu[open], details.nav-menu[open]";
    document.addEventListener("click", function (event) {
      var open = document.querySelectorAll(selector);
      for (var i = 0; i < open.length; i++) {
        if (!open[i].contains(event.target)) open[i].open = false;
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var open = document.querySelectorAll(selector);
      for (var i = 0; i < open.length; i++) {
        var hadFocus = open[i].contains(document.activeElement);
        open[i].open = false;
        // Return focus to the toggle so keyboard users are not stranded.
        if (hadFocus) open[i].querySelector("summary").focus();
      }
    });
  }

  /* ------------------------------------------------------ reveal and focus */

  // Run on the initial page and on every fragment htmx swaps in.
  function enhance(root) {
    var hiddenButtons = root.querySelectorAll("[data-copy][hidden], [data-theme-toggle][hidden]");
    for (var i = 0; i < hiddenButtons.length; i++) {
      hiddenButtons[i].hidden = false;
    }
    updateToggleButtons(currentTheme());
  }

  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  }

  /* ----------------------------------------------------------------- start */

  initCsrf(); // before htmx sends anything
  initCopy();
  initMenus();

  function onReady() {
    initTheme();
    enhance(document);
    focusErrorSummary();
    document.addEventListener("htmx:load", function (event) {
      enhance(event.detail && event.detail.elt ? event.detail.elt : document);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
})();
