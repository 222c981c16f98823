/*
 * engagement on a publisher's own article pages, with one script tag:
 *   <div data-engagement-reactions></div>            the six-mood bar
 *   <div data-engagement-related data-limit="5"></div> 相关文章
 *   <div data-engagement-rankings data-window="24h"></div> (as embed.js)
 *   <script src="https://engagement.example/widgets/engage.js" async
 *           data-article="slug (optional)" data-reader="the site's own reader id (optional)"></script>
 * The article is the data-article slug, else the page's canonical link (then its
 * JSON-LD NewsArticle and Open Graph URLs) matched against the site's known
 * articles. The view beacon and the attention pings are attention.js, the bar's
 * clicks reactions.js, the rankings embed.js: loaded from our origin once the
 * article is found, so each behaviour has one implementation. Nothing is added
 * to window, nothing is evaluated, styles come from engage.css (a strict CSP that
 * allows our origin is enough), and when our API cannot be reached nothing
 * shows: one console warning says so.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URLSearchParams) return;
  var origin = new URL(script.src, location.href).origin;
  var api = origin + "/api/v1";
  var reader = script.getAttribute("data-reader") || "";
  var MOODS = [["smile", "微笑"], ["sweat", "流汗"], ["sad", "难过"], ["envy", "羡慕"],
    ["angry", "愤怒"], ["tears", "流泪"]];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function all(selector) {
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }
  function theme(div) {
    var t = div.getAttribute("data-theme");
    return t === "dark" ? " eng-dark" : t === "auto" ? " eng-auto" : "";
  }
  function load(path, data) {
    var tag = el("script");
    tag.src = origin + path;
    tag.async = true;
    Object.keys(data || {}).forEach(function (name) { if (data[name] !== "") tag.setAttribute("data-" + name, data[name]); });
    document.head.appendChild(tag);
  }
  function addStyle() {
    if (document.getElementById("engagement-style")) return;
    var sheet = el("link");
    sheet.id = "engagement-style";
    sheet.rel = "stylesheet";
    sheet.href = origin + "/static/css/engage.css";
    document.head.appendChild(sheet);
  }

  // --- which article is this page? -------------------------------------------
  function pageUrls() {
    var found = [];
    var canonical = document.querySelector('link[rel~="canonical"][href]');
    if (canonical) found.push(canonical.href);
    all('script[type="application/ld+json"]').forEach(function (tag) {
      var data;
      try { data = JSON.parse(tag.textContent); } catch (e) { return; }
      [].concat(data, (data && data["@graph"]) || []).forEach(function (item) {
        if (!item || !/Article/.test([].concat(item["@type"]).join(" "))) return;
        var main = item.mainEntityOfPage;
        [item.url, main && (main["@id"] || main), item["@id"]].forEach(function (u) {
          if (typeof u === "string" && /^https?:/.test(u)) found.push(u);
        });
      });
    });
    var og = document.querySelector('meta[property="og:url"][content]');
    if (og) found.push(og.content);
    found.push(location.href.split("#")[0]);
    return found.filter(function (u, i) { return found.indexOf(u) === i; }).slice(0, 4);
  }
  function find() {
    var query = new URLSearchParams();
    var slug = script.getAttribute("data-article") ||
      (document.querySelector("[data-engagement-article]") || { getAttribute: function () { return ""; } })
        .getAttribute("data-engagement-article");
    if (slug) query.set("slug", slug);
    else pageUrls().forEach(function (u) { query.append("url", u); });
    return fetch(api + "/lookup?" + query.toString(), { credentials: "omit" }).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  // --- the blocks ---------------------------------------------------------------
  function moodBar(div, slug) {
    div.textContent = "";
    var bar = el("section", "eng-reactions reactions counts-unknown" + theme(div));
    bar.hidden = true;  // reactions.js shows it with its first counts
    var title = el("h2", "reactions-title", "读完这篇文章，您的心情是");
    title.id = "eng-reactions-title-" + Math.random().toString(36).slice(2, 8);
    bar.setAttribute("aria-labelledby", title.id);
    bar.setAttribute("data-article", slug);
    bar.setAttribute("data-api", api + "/articles/" + encodeURIComponent(slug) + "/reactions");
    if (reader) bar.setAttribute("data-reader", reader);
    bar.appendChild(title);
    var list = el("ul");
    MOODS.forEach(function (mood) {
      var form = el("form");
      var button = el("button", "mood mood-" + mood[0]);
      button.type = "submit";
      button.setAttribute("data-mood", mood[0]);
      button.setAttribute("aria-pressed", "false");
      button.appendChild(el("span", "mood-face")).setAttribute("aria-hidden", "true");
      button.appendChild(el("span", "mood-label", mood[1]));
      button.appendChild(el("span", "mood-count"));
      button.appendChild(el("span", "mood-share"));
      var gauge = button.appendChild(el("span", "mood-bar"));
      gauge.setAttribute("aria-hidden", "true");
      gauge.appendChild(el("span"));
      form.appendChild(button);
      list.appendChild(el("li")).appendChild(form);
    });
    bar.appendChild(list);
    var total = bar.appendChild(el("p", "reactions-total", ""));
    total.setAttribute("aria-live", "polite");
    // Until reactions.js has loaded, a click must not submit the form to this page.
    bar.addEventListener("submit", function (event) { event.preventDefault(); });
    div.appendChild(bar);
  }

  function related(div, slug) {
    var limit = /^\d+$/.test(div.getAttribute("data-limit") || "") ? div.getAttribute("data-limit") : "5";
    var url = api + "/articles/" + encodeURIComponent(slug) + "/related?limit=" + limit;
    fetch(url, { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data || !data.items.length) return;
      div.textContent = "";
      var box = el("section", "eng-related" + theme(div));
      box.setAttribute("data-block", "related");
      box.appendChild(el("h2", null, div.getAttribute("data-title") || "相关文章"));
      var list = box.appendChild(el("ul"));
      data.items.forEach(function (item, i) {
        var li = list.appendChild(el("li"));
        li.setAttribute("data-slot", String(i + 1));
        var a = li.appendChild(el("a", null, item.title));
        a.href = item.url;
      });
      div.appendChild(box);
    }).catch(function () { /* nothing shows */ });
  }

  function start() {
    var bars = all("[data-engagement-reactions]");
    var lists = all("[data-engagement-related]");
    var rankings = all("[data-engagement-rankings]").length > 0;
    find().then(function (article) {
      addStyle();
      if (rankings) load("/widgets/embed.js", { quiet: "1" });
      if (!article) {
        console.warn("engagement: 这个页面不是已登记的文章（" + pageUrls()[0] + "）");
        return;
      }
      bars.forEach(function (div) { moodBar(div, article.slug); });
      lists.forEach(function (div) { related(div, article.slug); });
      if (bars.length) load("/static/js/reactions.js");
      load("/static/js/attention.js", {
        article: article.slug,
        "views-api": api + "/articles/" + encodeURIComponent(article.slug) + "/views",
        "pings-api": api + "/articles/" + encodeURIComponent(article.slug) + "/pings",
        reader: reader
      });
    }).catch(function () {
      console.warn("engagement: 无法连接 " + origin + "，心情表态、相关文章与排行暂不显示");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
