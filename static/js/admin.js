// The dashboard's 此刻在读: realtime.json every 5 seconds, without reloading.
(function () {
  "use strict";
  var box = document.querySelector("[data-realtime]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-realtime");
  var list = box.querySelector("ol");
  function set(name, value) {
    var el = box.querySelector('[data-live="' + name + '"]');
    if (el) el.textContent = String(value);
  }
  function refresh() {
    if (document.visibilityState !== "visible") return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        set("readers_now", data.readers_now);
        set("engaged_now", data.engaged_now);
        set("idle_now", data.readers_now - data.engaged_now);
        list.textContent = "";
        data.articles.slice(0, 10).forEach(function (a) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = box.getAttribute("data-article-base") + encodeURIComponent(a.slug);
          link.textContent = a.title;
          li.appendChild(link);
          li.appendChild(document.createTextNode(" " + a.readers_now + " 人（专注 " + a.engaged_now + "）"));
          list.appendChild(li);
        });
        box.querySelector(".live-status").textContent = "已更新 " + new Date().toLocaleTimeString("zh-CN");
      })
      .catch(function () { /* keep the last numbers */ });
  }
  setInterval(refresh, 5000);
  document.addEventListener("visibilitychange", refresh);
})();
