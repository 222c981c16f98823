// Attention: the view beacon, engaged time, scroll depth, viewable impressions
// of our blocks and the clicks on them, sent as small pings on the one ingest
// path. No library, nothing added to window, no layout change, no timers while
// the page is hidden, and nothing at all for automation or a crawler.
(function () {
  "use strict";
  if (!window.fetch || navigator.webdriver) return;
  if (/bot|crawl|spider|slurp|headless|lighthouse|prerender/i.test(navigator.userAgent)) return;

  var IDLE_MS = 5000;        // engaged: an interaction within the last 5 s
  var PING_MS = 12000;       // a ping every 12 s while visible
  var VISIBLE_MS = 1000;     // the view counts once the page was visible 1 s
  var VIEWABLE_MS = 1000;    // an impression: half of it in view for 1 s
  var NAV_KEY = "engagement.nav";
  // Our article page carries its settings on [data-attention]; on a publisher's
  // own page engage.js loads this file with them on the script element.
  var me = document.currentScript;
  var root = document.querySelector("[data-attention]") ||
    (me && me.hasAttribute("data-article") ? me : null);

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function readNav() {
    var s = store();
    if (!s) return {};
    try { return JSON.parse(s.getItem(NAV_KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function writeNav(nav) {
    var s = store();
    if (s) try { s.setItem(NAV_KEY, JSON.stringify(nav)); } catch (e) { /* full or blocked */ }
  }

  // Clicks on our blocks: remembered for the next page of this tab, whose view
  // beacon names the block and slot (and this page view, for recirculation).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    var block = link && link.closest("[data-block]");
    if (!block) return;
    var slot = link.closest("[data-slot]");
    var nav = readNav();
    nav.via = block.getAttribute("data-block") + ":" + (slot ? slot.getAttribute("data-slot") : "1");
    writeNav(nav);
  }, true);

  if (!root) return;
  var viewsApi = root.getAttribute("data-views-api");
  var pingsApi = root.getAttribute("data-pings-api");
  var slug = root.getAttribute("data-article");
  var reader = root.getAttribute("data-reader");
  var body = root === me
    ? document.querySelector("[data-engagement-body], article, main") || document.body
    : root.querySelector("[data-body]");
  var end = root.querySelector("[data-body-end]") || body;
  function headers(type) {
    var h = { "Content-Type": type };
    if (reader) h["X-Engagement-Reader"] = reader;
    return h;
  }

  // --- the engaged clock ----------------------------------------------------
  var pageView = null, seq = 0;
  var engagedMs = 0, sentMs = 0, accountedAt = Date.now(), activeUntil = 0;
  var focused = true, playing = 0;
  function attending() { return document.visibilityState === "visible" && focused; }
  function account() {
    var t = Date.now();
    var until = playing > 0 ? t : Math.min(t, activeUntil);
    if (attending() && until > accountedAt) engagedMs += until - accountedAt;
    accountedAt = t;
  }
  function interact() { account(); activeUntil = Date.now() + IDLE_MS; }
  ["scroll", "keydown", "pointerdown", "pointermove", "touchstart", "wheel"].forEach(function (name) {
    window.addEventListener(name, interact, { passive: true, capture: true });
  });
  window.addEventListener("blur", function () { account(); focused = false; });
  window.addEventListener("focus", function () { account(); focused = true; });
  document.addEventListener("play", function () { account(); playing += 1; }, true);
  ["pause", "ended"].forEach(function (name) {
    document.addEventListener(name, function () { account(); playing = Math.max(0, playing - 1); }, true);
  });

  // --- scroll depth: the furthest fraction of the body above the viewport's bottom
  var depth = 0;
  function measure() {
    if (!body) return;
    var top = body.getBoundingClientRect().top;
    var bottom = end.getBoundingClientRect().bottom;
    var seen = (window.innerHeight - top) / Math.max(1, bottom - top);
    depth = Math.max(depth, Math.min(1, Math.max(0, seen)));
  }
  var measuring = false;
  function remeasure() {
    if (measuring) return;
    measuring = true;
    requestAnimationFrame(function () { measuring = false; measure(); });
  }
  window.addEventListener("scroll", remeasure, { passive: true });
  window.addEventListener("resize", remeasure, { passive: true });
  if (body) body.addEventListener("load", remeasure, true);  // images change the height

  // --- viewable impressions of our blocks and their slots ---------------------
  var seenNames = {}, unsent = [], timers = new Map();
  function nameOf(el) {
    var block = el.closest("[data-block]").getAttribute("data-block");
    return el.hasAttribute("data-slot") ? block + ":" + el.getAttribute("data-slot") : block;
  }
  var observer = window.IntersectionObserver && new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var el = entry.target;
      if (entry.intersectionRatio >= 0.5 && document.visibilityState === "visible") {
        if (!timers.has(el)) timers.set(el, setTimeout(function () {
          timers.delete(el);
          var name = nameOf(el);
          if (!seenNames[name]) { seenNames[name] = true; unsent.push(name); }
          observer.unobserve(el);
        }, VIEWABLE_MS));
      } else if (timers.has(el)) {
        clearTimeout(timers.get(el));
        timers.delete(el);
      }
    });
  }, { threshold: [0, 0.5] });
  function observeBlocks() {
    if (!observer) return;
    document.querySelectorAll("[data-block], [data-block] [data-slot]").forEach(function (el) {
      observer.observe(el);
    });
  }
  function pauseImpressions() {
    timers.forEach(function (timer, el) {
      clearTimeout(timer);
      observer.unobserve(el);
      observer.observe(el);  // observed again: a fresh entry when visible
    });
    timers.clear();
  }

  // --- pings ----------------------------------------------------------------
  var pingTimer = null;
  function ping(hidden) {
    if (!pageView) return;
    account();
    measure();
    var seconds = Math.floor((engagedMs - sentMs) / 100) / 10;
    sentMs += seconds * 1000;
    seq += 1;
    var payload = JSON.stringify({
      page_view: pageView, seq: seq, engaged: seconds,
      depth: Math.round(depth * 1000) / 1000, hidden: hidden, seen: unsent.splice(0, 64)
    });
    // sendBeacon cannot carry the page's own reader id; fetch with keepalive can.
    if (hidden && !reader && navigator.sendBeacon && navigator.sendBeacon(pingsApi, payload)) return;
    fetch(pingsApi, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: headers("text/plain"), body: payload
    }).catch(function () { /* attention is best effort */ });
  }
  function schedule() {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(function () { ping(false); schedule(); }, PING_MS);
  }

  // --- the view beacon: once the page has been visible for a moment ----------
  var visibleFor = 0, since = null, viewTimer = null, viewSent = false;
  function sendView() {
    viewSent = true;
    var nav = readNav();
    var hash = /[#&]via=([a-z]+:\d+)/.exec(location.hash);
    var params = new URLSearchParams(location.search);
    var payload = {
      referrer: document.referrer,
      utm_source: params.get("utm_source") || "",
      utm_medium: params.get("utm_medium") || "",
      via: hash ? hash[1] : nav.via || ""
    };
    if (nav.page_view && nav.slug !== slug) payload.prev = nav.page_view;
    if (hash) history.replaceState(history.state, "", location.pathname + location.search);
    writeNav({});
    fetch(viewsApi, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: headers("application/json"),
      body: JSON.stringify(payload)
    }).then(function (response) { return response.json(); }).then(function (data) {
      var views = document.querySelector(".views");
      if (views && typeof data.views === "number") {
        views.querySelector(".views-count").textContent = String(data.views);
        views.hidden = false;
      }
      if (!data.page_view) return;
      pageView = data.page_view;
      writeNav({ page_view: pageView, slug: slug, via: readNav().via });
      if (document.visibilityState === "visible") schedule();
    }).catch(function () { /* counting is best effort for the reader */ });
  }

  function onVisibility() {
    if (document.visibilityState === "visible") {
      account();
      since = Date.now();
      if (!viewSent) viewTimer = setTimeout(sendView, Math.max(0, VISIBLE_MS - visibleFor));
      else if (pageView) schedule();
      observeBlocks();
    } else {
      if (since !== null) visibleFor += Date.now() - since;
      since = null;
      clearTimeout(viewTimer);
      clearTimeout(pingTimer);
      pauseImpressions();
      ping(true);
    }
  }
  window.addEventListener("pagehide", function () {
    if (document.visibilityState === "visible") ping(true);
  });
  document.addEventListener("visibilitychange", onVisibility);
  activeUntil = Date.now() + IDLE_MS;  // opening the page is an interaction
  measure();
  onVisibility();
})();
