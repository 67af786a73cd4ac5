// Progressive enhancement only: every page works without it.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (form) {
    var count = document.getElementById("count");
    var timer = null;
    var update = function () {
      var params = new URLSearchParams();
      ["region", "constituency", "topic"].forEach(function (kind) {
        var chosen = form.querySelectorAll('input[name="' + kind + '"]:checked');
        chosen.forEach(function (box) { params.append(kind, box.value); });
        var summary = form.querySelector('[data-summary="' + kind + '"]');
        if (summary) { summary.textContent = chosen.length ? chosen.length + " chosen" : "all"; }
      });
      fetch("/broadcasts/count?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (typeof data.count === "number") { count.textContent = String(data.count); } })
        .catch(function () { count.textContent = "?"; });
    };
    form.addEventListener("change", function (event) {
      if (event.target && event.target.type === "checkbox") {
        clearTimeout(timer);
        timer = setTimeout(update, 150);
      }
    });
  }
  var refresh = document.querySelector("[data-refresh]");
  if (refresh) {
    setTimeout(function () { window.location.reload(); }, 1000 * parseInt(refresh.getAttribute("data-refresh"), 10));
  }
})();
