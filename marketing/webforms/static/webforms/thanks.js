/* A framed CRM web form, after a submission with consent: hand the visitor token to the page
 * that frames it (the tracking snippet there keeps it in its own first-party cookie). */
(function () {
  "use strict";
  var thanks = document.getElementById("webforms-thanks");
  var token = thanks && thanks.getAttribute("data-visitor");
  if (token && window.parent && window.parent !== window) {
    window.parent.postMessage({ crm_vid: token }, "*");
  }
})();
