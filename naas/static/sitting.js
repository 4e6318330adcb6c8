// Progressive enhancement for a test sitting: saves each answer as it changes, counts the
// time down (announcing it politely at a few points, never moving focus) and counts words.
// Without this script the page still works: the buttons post the whole page.
(function () {
  "use strict";

  var form = document.getElementById("stage-form");
  var statusBox = document.getElementById("save-status");

  // A page post with a problem comes back with an error summary: take the reader to it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }

  // The status line is a polite live region: it speaks only when its words change, so a
  // candidate moving through options hears "saved" at most once a minute, and a problem at once.
  function say(message) {
    if (statusBox && statusBox.textContent !== message) { statusBox.textContent = message; }
  }

  // Saves on their way to the server, kept on the status line as data-pending (for tests and
  // styling; nothing is announced while a save is in flight).
  var pending = 0;
  function track(change) {
    pending += change;
    if (statusBox) { statusBox.setAttribute("data-pending", String(pending)); }
  }

  function clock(date) {
    return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  // ---- the answer of one question, read from the form exactly as a page post sends it
  function answerOf(question) {
    var id = question.getAttribute("data-item");
    var type = question.getAttribute("data-type");
    var name = "q" + id;
    if (type === "ranking") {
      var positions = {};
      question.querySelectorAll("select").forEach(function (select) {
        positions[select.name.slice(name.length + 1)] = select.value === "" ? null : parseInt(select.value, 10);
      });
      return positions;
    }
    if (type === "multiple") {
      return Array.prototype.map.call(question.querySelectorAll("input[type=checkbox]:checked"),
        function (box) { return box.value; });
    }
    if (type === "free_text") {
      return question.querySelector("textarea").value;
    }
    var chosen = question.querySelector("input[type=radio]:checked");
    return chosen ? chosen.value : null;
  }

  // ---- autosave: one request in flight per question; a change meanwhile is sent after it.
  // Every send uses a new, higher sequence number (the field holds the next one, and a page post
  // sends it too): a send whose reply was lost may still have been saved, and the server keeps
  // only the highest number, so reusing one would make every later save "stale".
  var inFlight = {};
  var dirty = {};
  var staleItems = {};
  var stopped = false;

  function save(question) {
    var id = question.getAttribute("data-item");
    if (stopped || staleItems[id]) { return; }
    if (inFlight[id]) { dirty[id] = true; return; }
    var seqField = question.querySelector("[data-seq-for]");
    var seq = parseInt(seqField.value, 10);
    seqField.value = String(seq + 1);
    var token = form.querySelector("input[name=csrf_token]").value;
    inFlight[id] = true;
    dirty[id] = false;
    track(1);
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify({ item: parseInt(id, 10), answer: answerOf(question), seq: seq })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: {} }; });
    }).then(function (reply) {
      inFlight[id] = false;
      track(-1);
      if (reply.status === 200) {
        seqField.value = String(Math.max(parseInt(seqField.value, 10), reply.body.seq + 1));
        if (dirty[id]) { save(question); }
        if (pending === 0) { say("All answers saved at " + clock(new Date()) + "."); }
        return;
      }
      if (reply.status === 409 && reply.body.error === "stale") {
        showStale(question, reply.body.message);
        return;
      }
      if (reply.status === 410 || reply.status === 423) {
        stopped = true;
        say(reply.body.message || "This stage can no longer be changed.");
        window.setTimeout(function () { window.location.reload(); }, 2500);
        return;
      }
      say((reply.body.message || "Your answer could not be saved.") + " Your other answers are safe.");
    }).catch(function () {
      inFlight[id] = false;
      track(-1);
      dirty[id] = true;
      say("Not saved: no connection. Your answer will be saved when the connection returns, " +
          "or use the Save button.");
      window.setTimeout(function () { if (dirty[id]) { save(question); } }, 5000);
    });
  }

  // A newer answer to this question was saved elsewhere (another window or device). Saving
  // from here would be refused, and overwriting it silently would be wrong: stop saving this
  // question and let the candidate reload to see the newer answer.
  function showStale(question, message) {
    var id = question.getAttribute("data-item");
    staleItems[id] = true;
    say(message || "A newer answer to this question was saved in another window. Reload the page to see it.");
    if (question.querySelector(".stale-notice")) { return; }
    var notice = document.createElement("div");
    notice.className = "stale-notice error-message";
    notice.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = (message || "A newer answer to this question was saved in another window.") +
      " This answer is not being saved from this window.";
    var reload = document.createElement("button");
    reload.type = "button";
    reload.className = "button button-secondary";
    reload.textContent = "Reload the page";
    reload.addEventListener("click", function () { window.location.reload(); });
    notice.appendChild(text);
    notice.appendChild(reload);
    question.insertBefore(notice, question.firstChild);
  }

  if (form && !form.querySelector("fieldset[disabled]")) {
    var timers = {};
    form.querySelectorAll(".question").forEach(function (question) {
      var limit = parseInt(question.getAttribute("data-select") || "0", 10);
      question.addEventListener("change", function (event) {
        if (limit && event.target.type === "checkbox" && event.target.checked &&
            question.querySelectorAll("input[type=checkbox]:checked").length > limit) {
          event.target.checked = false;
          say("You can choose " + limit + " options for this question. Untick one to change your choice.");
          return;
        }
        save(question);
      });
      var text = question.querySelector("textarea");
      if (text) {
        text.addEventListener("input", function () {
          var id = question.getAttribute("data-item");
          window.clearTimeout(timers[id]);
          timers[id] = window.setTimeout(function () { save(question); }, 1500);
          countWords(text);
        });
      }
    });
  }

  // ---- word counts
  function countWords(text) {
    var count = document.getElementById(text.id + "-count");
    if (!count) { return; }
    var words = text.value.trim() ? text.value.trim().split(/\s+/).length : 0;
    var limit = parseInt(text.getAttribute("data-max-words"), 10);
    count.textContent = words + " of " + limit + " words" + (words > limit ? ": over the limit" : "");
  }

  // ---- the clock: the server's deadline, corrected for this device's clock
  var timer = document.getElementById("timer");
  if (timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    var skew = Date.parse(timer.getAttribute("data-now")) - Date.now();
    var shown = document.getElementById("time-left");
    var announcer = document.getElementById("timer-announce");
    var announceAt = [30, 15, 5, 1];
    var tick = function () {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
      var hours = Math.floor(left / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      var seconds = left % 60;
      shown.textContent = (hours ? hours + " h " : "") + minutes + " min" + (hours ? "" : " " + seconds + " s");
      var minutesLeft = Math.ceil(left / 60);
      if (announceAt.length && minutesLeft <= announceAt[0] && left > 0) {
        while (announceAt.length && minutesLeft <= announceAt[0]) { announceAt.shift(); }
        announcer.textContent = minutesLeft + " minute" + (minutesLeft === 1 ? "" : "s") + " remaining.";
      }
      if (left === 0) {
        stopped = true;
        announcer.textContent = "Time is up. Your test is being submitted.";
        window.clearInterval(interval);
        window.setTimeout(function () { window.location.reload(); }, 3000);
      }
    };
    var interval = window.setInterval(tick, 1000);
    tick();
  }
})();
