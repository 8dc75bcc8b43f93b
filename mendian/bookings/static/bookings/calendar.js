/* The appointment calendar: drag a booking to another time or resource to move it (the server decides;
   a refused move shows the reason), and close the dialogs after a booking is made. */
(function () {
  "use strict";
  const SNAP = 15;

  function csrf() {
    const headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function notice(level, text) {
    const box = document.getElementById("calendar-alert");
    if (!box) return;
    box.innerHTML = "";
    const div = document.createElement("div");
    div.className = "alert alert-" + level + " py-2 mb-0";
    div.setAttribute("data-testid", "move-notice");
    div.textContent = text;
    box.appendChild(div);
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  let dragged = null;
  let grabOffset = 0;

  document.addEventListener("dragstart", function (event) {
    const block = event.target.closest && event.target.closest(".cal-block.movable");
    if (!block) return;
    dragged = block;
    grabOffset = event.offsetY || 0;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", block.dataset.booking);
  });

  document.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest(".cal-col")) event.preventDefault();
  });

  document.addEventListener("drop", function (event) {
    const column = event.target.closest(".cal-col");
    if (!dragged || !column) return;
    event.preventDefault();
    const grid = column.closest("#calendar-grid");
    const rect = column.getBoundingClientRect();
    const firstHour = parseInt(grid.dataset.firstHour, 10);
    let minutes = Math.round((event.clientY - rect.top - grabOffset) / SNAP) * SNAP;
    minutes = Math.max(0, minutes) + firstHour * 60;
    const start = column.dataset.day + "T" + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
    const body = new URLSearchParams({ start: start });
    if (column.dataset.resource) body.set("resource_id", column.dataset.resource);
    const url = grid.dataset.moveUrl.replace("/0/", "/" + dragged.dataset.booking + "/");
    dragged = null;
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) {
        notice(data.ok ? "success" : "danger", data.message);
        if (data.ok) document.body.dispatchEvent(new CustomEvent("bookingsChanged"));
      });
    }).catch(function () { notice("danger", grid.dataset.failed || "Error"); });
  });

  document.addEventListener("dragend", function () { dragged = null; });

  document.body.addEventListener("closeModals", closeModals);

  // Opened from a member's profile ("Book"): the dialog opens with the member chosen.
  window.addEventListener("load", function () {
    const dialog = document.querySelector("[data-open-on-load]");
    if (dialog && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(dialog).show();
  });

  function closeModals() {
    if (!window.bootstrap) return;
    document.querySelectorAll(".modal.show").forEach(function (modal) {
      const instance = window.bootstrap.Modal.getInstance(modal);
      if (instance) window.setTimeout(function () { instance.hide(); }, 900);
    });
  }
})();
