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
     the preview, the argument just posted, a notice beside an argument, or the argument the address points
     at). `root` is the document, or the part of it an htmx swap brought in. */
  function settle(root, whole) {
    refreshTimes(root);
    var news = root.querySelector(".flashes, .argument-notice");
    if (news) announce(news.textContent.replace(/\s+/g, " ").trim());
    var target = root.matches && root.matches("[data-focus]") ? root : root.querySelector("[data-focus]");
    if (!target && whole && news && location.hash.length > 1) {
      target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    }
    if (target) target.focus();
  }

  settle(document, true);

  /* What htmx brought in is settled: the whole main part, a composer (opened under an argument, or come back
     with its errors, its preview or another source row), an argument answering its flag. A vote's widget keeps
     focus on its button, and says what happened in its own live region. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var el = event.target;
    if (!el || !el.matches) return;
    /* "Reply" puts its composer after the argument's actions, which are the swap's target. */
    var opened = el.matches(".argument-actions") && el.nextElementSibling;
    if (opened && opened.matches(".reply-composer")) settle(opened, false);
    else if (el.id === "main") settle(el, true);
    else if (el.matches(".composer, article.argument")) settle(el, false);
  });

  /* Every htmx post carries the page's CSRF token (its meta tag) as a header: the argument tree writes no
     token per argument. */
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail.verb !== "get") event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });

  /* The argument tree's buttons submit the page's one form (#page-form) to their own address. A vote goes
     through htmx instead, and its widget alone is swapped: focus stays on the button (htmx keeps it by id). */
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!window.htmx || event.target.id !== "page-form" || !button || !button.matches(".vote-button")) return;
    var widget = button.closest(".vote");
    if (!widget) return;
    event.preventDefault();
    htmx.ajax("POST", button.getAttribute("formaction"), {
      source: button, target: "#" + widget.id, swap: "outerHTML", values: { value: button.value }
    });
  });

  /* "Reply" opens one composer under its argument (fetched with htmx, only that form taken from the page):
     asked again, it takes the reader back to the one open. */
  function openReply(link) {
    var id = link.getAttribute("data-reply");
    var open = document.getElementById("composer-reply-" + id);
    if (open) {
      var first = open.querySelector("input:not([type=hidden]), textarea");
      if (first) first.focus();
      return;
    }
    htmx.ajax("GET", link.getAttribute("href").split("#")[0], {
      source: link, target: "#argument-" + id + " > .argument-actions", swap: "afterend",
      select: "#composer-reply-" + id
    });
  }

  /* "Flag" brings the page's one flag form beside its argument (taken from wherever it was open before), so
     that no argument carries a form of its own; without JavaScript the link leads to the argument's own page,
     which has the form. The answer swaps the argument, as the form on that page does. */
  function openFlag(link) {
    var id = link.getAttribute("data-flag");
    var argument = document.getElementById("argument-" + id);
    var template = document.getElementById("flag-form");
    var actions = argument && argument.querySelector(":scope > .argument-actions");
    if (!actions || !template) return false;
    var form = document.querySelector("form.flag-form");
    if (!form) form = template.content.firstElementChild.cloneNode(true);
    else closeFlag(form);
    /* An argument's flag is posted to its own page's address and "/flag". */
    var action = link.getAttribute("href").split("#")[0] + "/flag";
    form.reset();
    form.setAttribute("action", action + "#argument-" + id);
    form.setAttribute("hx-post", action);
    form.setAttribute("hx-target", "#argument-" + id);
    form.setAttribute("hx-select", "#argument-" + id);
    form.setAttribute("aria-label", "Flag " + link.textContent.replace(/^Flag\s*/, ""));
    form.querySelectorAll("[data-id]").forEach(function (field) {
      field.id = "flag-" + field.getAttribute("data-id") + "-" + id;
    });
    form.querySelectorAll("label[data-for]").forEach(function (label) {
      label.htmlFor = "flag-" + label.getAttribute("data-for") + "-" + id;
    });
    var said = form.querySelector(".request-failed");
    if (said) said.remove();
    actions.after(form);
    link.setAttribute("aria-expanded", "true");
    form.flagLink = link;
    htmx.process(form);
    form.querySelector("select").focus();
    return true;
  }

  /* The flag form closes (it stays in the page, to be moved again), and focus goes back to its "Flag". */
  function closeFlag(form, refocus) {
    var link = form.flagLink;
    form.remove();
    if (link) {
      link.setAttribute("aria-expanded", "false");
      if (refocus) link.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target || !window.htmx) return;
    var reply = target.closest("a[data-reply]");
    if (reply) {
      event.preventDefault();
      openReply(reply);
      return;
    }
    var flag = target.closest("a[data-flag]");
    if (flag) {
      if (flag.getAttribute("aria-expanded") === "true") {
        event.preventDefault();
        closeFlag(document.querySelector("form.flag-form"), true);
      } else if (openFlag(flag)) {
        event.preventDefault();
      }
      return;
    }
    var cancel = target.closest("[data-cancel-flag]");
    if (cancel) closeFlag(cancel.closest("form"), true);
  });

  /* "Cancel" closes a composer opened in place, and focus goes back to the "Reply" that opened it. Without
     JavaScript it is a link back to the thread, without the form. */
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("a[data-cancel-reply]");
    if (!cancel) return;
    var id = cancel.getAttribute("data-cancel-reply");
    var composer = document.getElementById("composer-reply-" + id);
    var reply = document.querySelector("#argument-" + id + " > .argument-actions a[data-reply]");
    if (!composer || !reply) return;
    event.preventDefault();
    composer.remove();
    reply.focus();
  });

  /* A failure that brings no form back (a 500, a request too large, a lost connection) leaves the form as it
     was, with what was typed, and says so in it rather than leaving the button seemingly dead. */
  function sayFailed(event) {
    var elt = event.detail.elt;
    /* A vote's button submits the page's form: its widget says so instead. */
    var form = elt && elt.closest ? elt.closest("form, .vote") : null;
    if (form && form.id === "page-form") form = elt.closest(".vote");
    if (!form) return;
    var said = form.querySelector(".request-failed");
    if (!said) {
      said = document.createElement("p");
      said.className = "error request-failed";
      said.setAttribute("role", "alert");
      form.insertBefore(said, form.firstChild);
    }
    var status = event.detail.xhr && event.detail.xhr.status;
    said.textContent = (status ? "The forum could not take this (error " + status + ")." :
      "The forum could not be reached.") + " What you typed is still here: try again in a moment.";
  }
  document.addEventListener("htmx:responseError", sayFailed);
  document.addEventListener("htmx:sendError", sayFailed);

  /* Live threads. The thread's stream (htmx's SSE extension, connected by the page's [data-live-thread]) says
     what changed by ids only; the page then fetches itself again, as this reader may see it, and swaps in its
     verdict and arguments, unless the reader is in one of them (focus there, or a half-written form), which
     then waits until focus leaves it. What changed is read out politely; votes only update their counts. */
  var live = document.querySelector("[data-live-thread]");
  if (live && window.htmx && window.EventSource && window.fetch && window.DOMParser) {
    var lastId = "";
    var said = [];
    var timer = null;
    var stale = false;
    var STANCES = { counter: "counterargument", support: "supporting argument", question: "question" };

    /* A stream that the extension opens again (after a refusal or a lost server) asks for what it missed. */
    htmx.createEventSource = function (url) {
      var since = lastId ? (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastId) : "";
      return new EventSource(url + since, { withCredentials: true });
    };

    var describe = function (kind, data) {
      if (kind === "argument" && data.action === "posted") {
        return "A new " + (STANCES[data.stance] || "argument") + (data.parent_id ? " reply" : "") + " was posted.";
      }
      if (kind === "argument" && data.action === "withdrawn") return "An argument was withdrawn.";
      if (kind === "argument") return "An argument was edited.";
      if (kind === "consensus") return "The verdict is now " + String(data.status || "").replace("_", " ") + ".";
      if (kind === "hidden") return data.hidden ? "A moderator hid an argument." : "A moderator restored an argument.";
      return "";
    };

    var busy = function (region) {
      if (region.contains(document.activeElement) && document.activeElement !== document.body) return true;
      return Array.prototype.some.call(region.querySelectorAll("textarea, input"), function (field) {
        return field.type !== "hidden" && field.value !== field.defaultValue;
      });
    };

    var refresh = function () {
      timer = null;
      window.fetch(location.href.split("#")[0], { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          stale = false;
          document.querySelectorAll("[data-live]").forEach(function (old) {
            var next = fresh.querySelector('[data-live="' + old.getAttribute("data-live") + '"]');
            if (!next) return;
            if (busy(old)) { stale = true; return; }
            next = document.importNode(next, true);
            old.replaceWith(next);
            htmx.process(next);
            refreshTimes(next);
          });
          announce(said.join(" "));
          said = [];
        })
        .catch(function () { /* the next event tries again */ });
    };

    /* Focus that leaves a region kept back brings it up to date. */
    document.addEventListener("focusin", function () {
      if (!stale || timer) return;
      var inside = Array.prototype.some.call(document.querySelectorAll("[data-live]"), busy);
      if (!inside) timer = window.setTimeout(refresh, 200);
    });

    live.addEventListener("htmx:sseOpen", function (event) {
      var source = event.detail && event.detail.source;
      if (!source || source.forumListening) return;
      source.forumListening = true;
      ["argument", "vote", "consensus", "hidden"].forEach(function (kind) {
        source.addEventListener(kind, function (message) {
          if (message.lastEventId) lastId = message.lastEventId;
          var data = {};
          try { data = JSON.parse(message.data); } catch (error) { data = {}; }
          var words = describe(kind, data);
          if (words && said.indexOf(words) < 0) said.push(words);
          if (!timer) timer = window.setTimeout(refresh, 400);
        });
      });
    });
  }
})();
