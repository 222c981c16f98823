/*
 * engagement rankings for any page:
 *   <div data-engagement-rankings data-window="24h" data-metric="views"
 *        data-category="科技" data-limit="5" data-theme="light" data-target="_blank"
 *        data-title="新闻排行"></div>
 *   <script src="https://news.example/widgets/embed.js" async></script>
 * Every such div is filled from this script's own site; several per page are
 * fine, nothing is added to the page's globals, and if the API cannot be
 * reached the div gets a plain link instead.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src, location.href).origin : location.origin;
  var TITLES = { views: "新闻排行", reactions: "心情最多", hot: "热门文章", smile: "最多微笑",
    sweat: "最多流汗", sad: "最多难过", envy: "最多羡慕", angry: "最多愤怒", tears: "最多流泪" };
  var WINDOWS = { "1h": "1小时", "24h": "24小时", "7d": "7天", "30d": "30天", all: "全部" };
  var STYLE_ID = "engagement-style";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The styles are a file of our origin (engage.css), never an inline <style>:
  // a strict Content-Security-Policy that allows our origin allows it.
  function addStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var sheet = el("link");
    sheet.id = STYLE_ID;
    sheet.rel = "stylesheet";
    sheet.href = origin + "/static/css/engage.css";
    (document.head || document.documentElement).appendChild(sheet);
  }

  function freshness(generatedAt) {
    var age = Math.max(0, Math.round((Date.now() - Date.parse(generatedAt)) / 1000));
    if (age < 5) return "刚刚更新";
    if (age < 120) return age + " 秒前更新";
    return Math.round(age / 60) + " 分钟前更新";
  }

  function options(div) {
    var d = div.dataset;
    return {
      window: d.window || "24h", metric: d.metric || "views", category: d.category || "",
      limit: d.limit || "10", theme: d.theme === "dark" ? "dark" : "light",
      target: d.target || "_blank", title: d.title || ""
    };
  }

  function link(text, href, target) {
    var a = el("a", null, text);
    a.href = href;
    a.target = target;
    if (target === "_blank") a.rel = "noopener";
    return a;
  }

  // The API unreachable: a plain link. A refused parameter: say so, in Chinese.
  // Loaded by engage.js (data-quiet), an unreachable API leaves nothing visible.
  var quiet = !!(script && script.hasAttribute("data-quiet"));
  function fallback(div, opts, refused) {
    div.textContent = "";
    if (quiet && !refused) return;
    if (refused) div.appendChild(el("p", "eng-problem", "排行参数有误，请检查嵌入代码的 data- 属性。"));
    div.appendChild(link("查看新闻排行", origin + "/", opts.target));
  }

  function render(div, opts, data) {
    div.textContent = "";
    div.className = "eng-widget" + (opts.theme === "dark" ? " eng-dark" : "");
    var heading = el("h2", null, opts.title || TITLES[data.metric] || "新闻排行");
    heading.appendChild(el("small", null, WINDOWS[data.window] || data.window));
    div.appendChild(heading);
    var list = el("ol");
    data.items.forEach(function (item) {
      var li = el("li");
      li.appendChild(el("span", "eng-rank", String(item.rank)));
      li.appendChild(link(item.title, item.url, opts.target));
      list.appendChild(li);
    });
    if (!data.items.length) list.appendChild(el("li", null, "暂无排行"));
    div.appendChild(list);
    var fresh = el("p", "eng-fresh");
    var time = el("time", null, freshness(data.generated_at));
    time.dateTime = data.generated_at;
    fresh.appendChild(time);
    div.appendChild(fresh);
  }

  function fill(div) {
    if (div.getAttribute("data-engagement-ready")) return;
    div.setAttribute("data-engagement-ready", "1");
    var opts = options(div);
    var query = new URLSearchParams({ window: opts.window, metric: opts.metric, limit: opts.limit });
    if (opts.category) query.set("category", opts.category);
    div.setAttribute("aria-busy", "true");
    fetch(origin + "/api/v1/rankings?" + query.toString(), { credentials: "omit" })
      .then(function (response) {
        if (response.status === 400) return null;
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (data) render(div, opts, data);
        else fallback(div, opts, true);
      })
      .catch(function () { fallback(div, opts, false); })
      .then(function () { div.removeAttribute("aria-busy"); });
  }

  function start() {
    addStyle();
    Array.prototype.forEach.call(document.querySelectorAll("div[data-engagement-rankings]"), fill);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
