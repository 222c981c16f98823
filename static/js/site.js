// Progressive enhancement for the 特别关注 tabs and the 魅力新疆 carousel.
// Without JavaScript every tab panel and every slide is simply shown.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  function setupTabs(root) {
    var list = root.querySelector("[role=tablist]");
    if (!list) return;
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
    function select(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
      if (focus) tab.focus();
    }
    list.hidden = false;
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(tab, false); });
      tab.addEventListener("keydown", function (e) {
        var next = null;
        if (e.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        else if (e.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (e.key === "Home") next = tabs[0];
        else if (e.key === "End") next = tabs[tabs.length - 1];
        if (next) { e.preventDefault(); select(next, true); }
      });
    });
    select(tabs[0], false);
  }

  function setupCarousel(root) {
    var slides = Array.prototype.slice.call(root.querySelectorAll(".slide"));
    var controls = root.querySelector(".carousel-controls");
    if (slides.length < 2 || !controls) return;
    var status = controls.querySelector(".carousel-status");
    var current = 0;
    function show(index) {
      current = (index + slides.length) % slides.length;
      slides.forEach(function (s, i) { s.hidden = i !== current; });
      status.textContent = (current + 1) + "/" + slides.length;
    }
    controls.hidden = false;
    controls.querySelector(".carousel-prev").addEventListener("click", function () { show(current - 1); });
    controls.querySelector(".carousel-next").addEventListener("click", function () { show(current + 1); });
    root.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft") { e.preventDefault(); show(current - 1); }
      else if (e.key === "ArrowRight") { e.preventDefault(); show(current + 1); }
    });
    show(0);
  }

  document.querySelectorAll("[data-tabs]").forEach(setupTabs);
  document.querySelectorAll("[data-carousel]").forEach(setupCarousel);
})();
