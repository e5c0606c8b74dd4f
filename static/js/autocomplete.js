/* Autocomplete pickers (crm.widgets.AutocompleteSelect).
 *
 * Until something is chosen a picker is one search box: its <select> stays hidden, so that an
 * empty drop-down does not read as a second field. When a search answers (htmx swaps the
 * matches into the select) the select appears as an open list to click; once a record is
 * chosen it folds back into a one-line select showing the choice.
 */
(function () {
  "use strict";
  var PICKER_SELECT = ".autocomplete select";

  document.addEventListener("htmx:afterSwap", function (event) {
    var select = event.detail.target;
    if (!select || !select.matches || !select.matches(PICKER_SELECT)) return;
    select.hidden = false;
    select.size = Math.min(Math.max(select.options.length, 2), 8);
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.matches && select.matches(PICKER_SELECT) && select.value) select.size = 0;
  });
})();
