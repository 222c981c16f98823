// The reaction bar (the view beacon and the pings are attention.js). The HTML
// works without this file (plain forms); with it, counts update in place and
// the reader's own mood is highlighted. Nothing here depends on a token inside
// the (cacheable) page. engage.js builds the same bar on a publisher's own
// pages and loads this file for it: every bar on the page is served.
(function () {
  "use strict";
  if (!window.fetch) return;

  // The API's messages are English; readers get these for the errors they can act on.
  var MESSAGES = {
    rate_limited: "操作过于频繁，请稍后再试。",
    counters_unavailable: "心情计数暂时不可用，请稍后再试。"
  };

  // Answers can arrive out of order (the first GET after a quick click): each
  // request is numbered and an answer older than the one shown is dropped. Every
  // bar of the same article shows the same answer.
  var sentCount = 0, shown = {}, renderers = {};
  function latest(slug, number) {
    return function (state) {
      if (number < (shown[slug] || 0)) return;
      shown[slug] = number;
      renderers[slug].forEach(function (show) { show(state); });
    };
  }

  function serve(bar) {
    if (bar.getAttribute("data-engagement-bound")) return;
    bar.setAttribute("data-engagement-bound", "1");
    var api = bar.getAttribute("data-api");
    var reader = bar.getAttribute("data-reader");
    var slug = bar.getAttribute("data-article");
    (renderers[slug] = renderers[slug] || []).push(render);

    function render(state) {
      var total = state.total || 0;
      bar.classList.remove("counts-unknown");
      bar.hidden = false;  // engage.js shows a bar only once its counts are known
      bar.querySelectorAll("button[data-mood]").forEach(function (button) {
        var key = button.getAttribute("data-mood");
        var n = state.counts[key] || 0;
        var share = total ? Math.round((100 * n) / total) : 0;
        button.querySelector(".mood-count").textContent = String(n);
        button.querySelector(".mood-share").textContent = total ? share + "%" : "";
        button.querySelector(".mood-bar span").style.height = share + "%";
        button.setAttribute("aria-pressed", state.mine === key ? "true" : "false");
      });
      bar.querySelector(".reactions-total").textContent = "已有 " + total + " 人表态";
    }

    function request(method, body) {
      var headers = { Accept: "application/json" };
      if (reader) headers["X-Engagement-Reader"] = reader;
      var options = { method: method, credentials: "same-origin", headers: headers };
      if (body) {
        headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      return fetch(api, options).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            var error = new Error((data.error && data.error.message) || response.statusText);
            error.code = data.error && data.error.code;
            throw error;
          }
          return data;
        });
      });
    }

    function showError(err) {
      bar.querySelector(".reactions-total").textContent =
        MESSAGES[err.code] || "提交失败：" + err.message;
    }

    bar.addEventListener("submit", function (event) {
      var button = event.submitter || event.target.querySelector("button");
      event.preventDefault();
      var key = button.getAttribute("data-mood");
      var undo = button.getAttribute("aria-pressed") === "true";
      bar.setAttribute("aria-busy", "true");
      request(undo ? "DELETE" : "POST", undo ? null : { reaction: key })
        .then(latest(slug, ++sentCount))
        .catch(showError)
        .then(function () { bar.removeAttribute("aria-busy"); });
    });

    request("GET").then(latest(slug, ++sentCount)).catch(function () { /* keep what the page showed */ });
  }

  document.querySelectorAll(".reactions[data-article]").forEach(serve);
})();
