/* The forum's one script. Every page works without it; with it, times stay fresh, and what a form post
   or an htmx swap brings is read out in the page's live region and takes focus. */
(function () {
  "use strict";

  var UNITS = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  var format = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "always" })
    : null;

  /* The same words the server writes: "just now" under a minute (or for a clock a little behind the server's). */
  function ago(then, now) {
    var seconds = Math.floor((now - then) / 1000);
    for (var i = 0; i < UNITS.length; i++) {
      if (seconds >= UNITS[i][1]) {
        return format.format(-Math.floor(seconds / UNITS[i][1]), UNITS[i][0]);
      }
    }
    return "just now";
  }

  /* A page may come from a cache, written hours before it is read: the relative times are worked out again. */
  function refreshTimes(root) {
    if (!format) return;
    var now = Date.now();
    root.querySelectorAll("time.ago[datetime]").forEach(function (el) {
      var then = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(then)) el.textContent = ago(then, now);
    });
  }

  /* A status message that was in the page when it loaded is not read out by screen readers; copied into the
     live region afterwards, it is. Emptied first, so that the same message twice is heard twice. */
  function announce(text) {
    var region = document.getElementById("forum-announcer");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  /* After a post: read out what happened, and put focus where the reader's next step is (an error summary,
     the preview, the argument just posted, or the argument the address points at). */
  function settle(root) {
    refreshTimes(root);
    var news = root.querySelector(".flashes");
    if (news) announce(news.textContent.replace(/\s+/g, " ").trim());
    var target = root.querySelector("[data-focus]");
    if (!target && news && location.hash.length > 1) {
      target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    }
    if (target) target.focus();
  }

  settle(document);

  /* Only a swap of the whole main part is settled: a vote's widget keeps focus on its button. */
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "main") settle(event.target);
  });

  /* The argument form swaps in whatever page comes back, refusals included (a 429's page says when to try
     again), rather than leaving the reader with no answer. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form.argument-form") && event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
