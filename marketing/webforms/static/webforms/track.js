/* CRM website tracking snippet (marketing.webforms). Paste as
 *   <script src="https://crm.example/static/webforms/track.js" data-endpoint="https://crm.example/w/t/visit" async></script>
 * It makes no request but the visit report. A visitor is known only once a tracked e-mail link
 * (?crm_vid=…) or a CRM web form answered with a signed token: the token is kept in a
 * first-party cookie on this website, and each page view is reported with it. Without a token
 * nothing is sent. */
(function () {
  "use strict";
  var NAME = "crm_vid";
  var script = document.currentScript;
  var endpoint = script && script.getAttribute("data-endpoint");
  if (!endpoint || !navigator.sendBeacon) { return; }
  var crmOrigin = new URL(endpoint, window.location.href).origin;

  function remember(token) {
    if (!/^[A-Za-z0-9:_\-.]{1,300}$/.test(token)) { return; }
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = NAME + "=" + token + "; Max-Age=63072000; Path=/; SameSite=Lax" + secure;
  }
  function stored() {
    var match = document.cookie.match(/(?:^|;\s*)crm_vid=([^;]+)/);
    return match ? match[1] : "";
  }
  function report() {
    var token = stored();
    if (!token) { return; }
    var body = new URLSearchParams();
    body.set("url", window.location.href.split("#")[0]);
    body.set("vid", token);
    navigator.sendBeacon(endpoint, body);
  }

  var fromLink = new URLSearchParams(window.location.search).get(NAME);
  if (fromLink) { remember(fromLink); }
  // A CRM form framed in this page tells its token when it was submitted with consent.
  window.addEventListener("message", function (event) {
    if (event.origin === crmOrigin && event.data && typeof event.data[NAME] === "string") {
      remember(event.data[NAME]);
      report();
    }
  });
  report();
})();
