// Live character count for every compose box: remaining characters, and no submit over the limit.
(function () {
  function update(area) {
    var form = area.form;
    var limit = parseInt(area.dataset.limit, 10);
    // Characters as the server counts them (code points, CRLF as one line break).
    var left = limit - Array.from(area.value.replace(/\r\n/g, "\n").trim()).length;
    var counter = form.querySelector("[data-count]");
    counter.textContent = left;
    counter.classList.toggle("over", left < 0);
    form.querySelector("button[type=submit]").disabled = left < 0 || left === limit;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-limit]")) update(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-limit]").forEach(update);
  });
})();
