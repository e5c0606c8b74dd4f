"""Gunicorn's logger for the CRM: the access log leaves out the requests a view marked as not
worth a line each (`environ["crm.quiet_access_log"] = True`): the website tracking beacon's
accepted reports, thousands a second at peak, where a line each cost ~30 % of its throughput.
Refused ones (4xx/5xx) are still logged."""

from gunicorn.glogging import Logger

QUIET = "crm.quiet_access_log"


class CrmLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get(QUIET) and (resp.status_code or 500) < 400:
            return
        super().access(resp, req, environ, request_time)
