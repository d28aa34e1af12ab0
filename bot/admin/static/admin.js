// Polls the publish job and shows its progress lines; no framework.
(function () {
  var box = document.getElementById("publish-log");
  if (!box) { return; }
  var job = box.getAttribute("data-job");
  var result = document.getElementById("publish-result");
  function render(data) {
    box.innerHTML = "";
    data.lines.forEach(function (line) {
      var li = document.createElement("li");
      li.className = "st-" + line.status;
      li.textContent = line.label + ": " + line.status_label + (line.detail ? " — " + line.detail : "");
      box.appendChild(li);
    });
    if (data.done) {
      result.textContent = data.message;
      result.className = data.ok ? "flash ok" : "flash error";
      result.setAttribute("data-done", data.ok ? "ok" : "fail");
    }
  }
  function poll() {
    fetch("/publish/status?job=" + encodeURIComponent(job), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) { render(data); if (!data.done) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
