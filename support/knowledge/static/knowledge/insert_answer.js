// "Insert answer" (knowledge/_insert_answer.html): a result's Insert button puts the article's
// text into the reply textarea #id_body at the cursor, a blank line apart from what is there.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert]");
    if (!button) {
      return;
    }
    var textarea = document.getElementById("id_body");
    if (!textarea) {
      return;
    }
    event.preventDefault();
    var text = button.getAttribute("data-kb-body") || "";
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || 0;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    if (before && !/\n\n$/.test(before)) {
      text = (/\n$/.test(before) ? "\n" : "\n\n") + text;
    }
    textarea.value = before + text + after;
    var caret = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
