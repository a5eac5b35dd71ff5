// Live countdown to the promised next update on the console's incident pages.
// Progressive enhancement: without JavaScript the server-rendered text stays.
(function () {
  "use strict";
  function render(el) {
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) return;
    var minutes = Math.round((due - Date.now()) / 60000);
    var text;
    if (minutes < 0) {
      text = "overdue by " + Math.max(1, -minutes) + " min";
    } else if (minutes < 120) {
      text = "due in " + minutes + " min";
    } else {
      text = "due in " + Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
    }
    var target = el.querySelector(".countdown-text");
    if (target) target.textContent = text;
    el.classList.toggle("overdue", minutes < 0);
  }
  function tick() {
    var all = document.querySelectorAll("[data-due]");
    for (var i = 0; i < all.length; i++) render(all[i]);
  }
  tick();
  setInterval(tick, 15000);
})();
