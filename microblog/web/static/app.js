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

// Live home timeline (web/live_pages.py): new posts arrive out of sight in #incoming; the
// button says how many, and a click puts them on top of the feed, newest first. A post the
// feed shows already (one's own, just posted) is dropped.
(function () {
  function pending() {
    var incoming = document.getElementById("incoming");
    var feed = document.getElementById("feed");
    if (!incoming || !feed) return [];
    return Array.from(incoming.children).filter(function (post) {
      if (!post.id || feed.querySelector("#" + CSS.escape(post.id))) { post.remove(); return false; }
      return true;
    });
  }
  function showCount() {
    var button = document.getElementById("new-posts");
    if (!button) return;
    var count = pending().length;
    button.textContent = count === 1 ? "1 new post" : count + " new posts";
    button.hidden = count === 0;
  }
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail && event.detail.type === "post") showCount();
  });
  // Posts sent by the compose form are in the feed: a copy waiting aside goes.
  document.addEventListener("htmx:afterSettle", showCount);
  document.addEventListener("click", function (event) {
    if (!event.target.matches("#new-posts")) return;
    var feed = document.getElementById("feed");
    pending().forEach(function (post) { feed.insertBefore(post, feed.firstChild); });
    showCount();
    window.scrollTo({top: feed.offsetTop - 60});
  });
})();
