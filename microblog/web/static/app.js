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

// After a compose form is accepted: empty it, clear the message slot and the "no posts yet"
// line, and reset its counter. (Here, not in an hx-on attribute: the CSP allows no eval.)
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (!form.matches("form.compose") || event.detail.xhr.status >= 300) return;
  form.reset();
  document.getElementById("flash").innerHTML = "";
  document.querySelectorAll(".feed > .end.empty").forEach(function (e) { e.remove(); });
  form.querySelector("textarea").dispatchEvent(new Event("input", {bubbles: true}));
});

// After a post's button (favourite, boost, bookmark) or a notification's Dismiss succeeds,
// an earlier message in the slot is stale: clear it. (The form that asked is named by the
// request: the swap replaced the post, form and all, so the event comes from an ancestor.)
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!form || !form.matches("form.action, form.dismiss") || event.detail.xhr.status >= 300) return;
  document.getElementById("flash").innerHTML = "";
});
