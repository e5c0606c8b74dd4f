/* The sales board's drag and drop (templates/opportunities/board.html).
 *
 * Dropping a card in another column POSTs stage + version to the deal's stage-move URL
 * (opportunities:deal_move_stage, in the card's data-move-url):
 *   200 -> moved: the columns and totals are reloaded with htmx;
 *   422 -> requirements missing: the answer (the form listing every missing item) opens in the
 *          dialog; its form posts itself with htmx into #stage-move; when the answer is the
 *          "moved" fragment (data-moved-to) the dialog closes;
 *   409 -> someone changed the deal meanwhile; anything else -> refused: a message, and a reload.
 * Closing the dialog, whichever way, reloads the board: a card whose move was cancelled snaps
 * back to where the server says it is.
 */
(function () {
  "use strict";

  function boardElement() {
    return document.getElementById("board");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function refresh() {
    var board = boardElement();
    if (board) {
      window.htmx.trigger(board, "board-refresh");
    }
  }

  function showAlert(text) {
    var alert = document.getElementById("board-alert");
    if (alert) {
      alert.textContent = text;
      alert.classList.remove("d-none");
    }
  }

  function hideAlert() {
    var alert = document.getElementById("board-alert");
    if (alert) {
      alert.textContent = "";
      alert.classList.add("d-none");
    }
  }

  function message(name) {
    var board = boardElement();
    return (board && board.dataset[name]) || "";
  }

  var dialogElement = null;
  var dialogBody = null;

  function dialog() {
    return window.bootstrap.Modal.getOrCreateInstance(dialogElement);
  }

  function openDialog(html) {
    dialogBody.innerHTML = html;
    window.htmx.process(dialogBody);
    dialog().show();
  }

  function move(card, column) {
    var data = new URLSearchParams();
    data.append("stage", column.dataset.stageId);
    data.append("version", card.dataset.version);
    card.setAttribute("aria-busy", "true");
    card.classList.add("opacity-50");
    fetch(card.dataset.moveUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
    })
      .then(function (response) {
        return response.text().then(function (text) {
          return { status: response.status, text: text };
        });
      })
      .then(function (answer) {
        if (answer.status === 200) {
          hideAlert();
          refresh();
        } else if (answer.status === 422) {
          hideAlert();
          openDialog(answer.text);
        } else if (answer.status === 409) {
          showAlert(message("staleMessage"));
          refresh();
        } else {
          showAlert(message("refusedMessage"));
          refresh();
        }
      })
      .catch(function () {
        showAlert(message("failedMessage"));
        refresh();
      });
  }

  function makeSortable(list) {
    if (list.dataset.sortable) {
      return;
    }
    list.dataset.sortable = "on";
    window.Sortable.create(list, {
      group: "board",
      sort: false,
      draggable: "[data-movable]",
      ghostClass: "opacity-25",
      delay: 150,
      delayOnTouchOnly: true,
      onEnd: function (event) {
        if (event.from !== event.to) {
          move(event.item, event.to);
        }
      },
    });
  }

  // Bootstrap ignores hide() while the dialog is still fading in (a quick Cancel on a busy
  // machine): close it now if it is shown, else as soon as it is.
  var dialogShown = false;
  function closeDialog() {
    if (dialogShown) {
      dialog().hide();
    } else {
      dialogElement.addEventListener("shown.bs.modal", function () { dialog().hide(); }, { once: true });
    }
  }

  function setUpDialog() {
    dialogElement = document.getElementById("stage-move-dialog");
    if (!dialogElement || dialogBody) {
      return;
    }
    dialogBody = dialogElement.querySelector("[data-stage-move-body]");
    dialogElement.addEventListener("shown.bs.modal", function () {
      dialogShown = true;
    });
    dialogElement.addEventListener("hidden.bs.modal", function () {
      dialogShown = false;
      dialogBody.innerHTML = "";
      refresh();
    });
    // The form's own "Cancel" link leads to the deal; in the dialog it closes the dialog.
    dialogBody.addEventListener("click", function (event) {
      var link = event.target.closest("#stage-move form a");
      if (link) {
        event.preventDefault();
        closeDialog();
      }
    });
    dialogBody.addEventListener("htmx:afterSwap", function () {
      if (dialogBody.querySelector("[data-moved-to]")) {
        closeDialog();
      }
    });
  }

  window.htmx.onLoad(function (root) {
    setUpDialog();
    if (dialogBody && root.matches && root.matches("[data-moved-to]") && dialogBody.contains(root)) {
      closeDialog();
      return;
    }
    var lists = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll("[data-board-list]")) : [];
    if (root.matches && root.matches("[data-board-list]")) {
      lists.push(root);
    }
    lists.forEach(makeSortable);
  });
})();
