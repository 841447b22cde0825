// The console's keyboard (press ? on any page): j / k move in the queue,
// Enter opens the complaint, a takes it, n writes a note, d opens the
// decision form. Keys typed into a field are the field's.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(el.tagName) >= 0);
  }

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-row] a[data-open]"));
  }

  function move(step) {
    var links = rowLinks();
    if (links.length === 0) return;
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, at + step));
    links.forEach(function (a, i) { a.closest("tr").classList.toggle("selected", i === next); });
    links[next].focus();
  }

  function take() {
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("tr[data-row]");
    var button = (focused && focused.querySelector("button[data-take]")) || document.querySelector(".actions button[data-take]");
    if (button) button.click();
  }

  function help() {
    var dialog = document.getElementById("keys");
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": take(); break;
      case "n": {
        var note = document.querySelector("textarea[data-note]");
        if (note) note.focus(); else handled = false;
        break;
      }
      case "d": {
        var decide = document.querySelector("a[data-decide]");
        if (decide) decide.click(); else handled = false;
        break;
      }
      case "?": help(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
