"""The permission matrix: every URL of the project, classified, and checked against the policy.

Every named route must be listed below. A route that takes a record id is an ObjectRoute:
the matrix requests it for every persona and for a record of every kind of owner, and
compares the status with what crm.access says (200 visible / 404 hidden / 403 read-only or
not permitted). A new view that fetches its record without crm.access fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm import access

PUBLIC = "public"  # no login needed
SIGNED_IN = "signed in"  # any signed-in user
SIGNED_IN_POST = "signed in, POST only"  # e.g. logout: GET answers 405
ADMIN_ONLY = "admin only"  # Django admin: Administrators alone
REPORTS = "crm.view_reports"  # every report page (crm.models.Report)


@dataclass(frozen=True)
class ObjectRoute:
    record: str  # key of the `records` fixture in test_access_matrix.py
    needs: str  # "view" or "edit"
    permission: str | None = None  # Django permission checked before the record
    kwarg: str = "pk"
    extra_kwargs: dict = field(default_factory=dict)
    method: str = "GET"  # POST-only routes are checked for refusals (a success has side effects)
    through_parent: bool = False  # visibility is the parent record's (documents, quotes, orders)
    parent_attr: str = "record"  # where the parent is, with through_parent


@dataclass(frozen=True)
class ListRoute:
    """A signed-in route that takes no record, optionally behind a Django permission."""

    permission: str | None = None
    kwargs: dict = field(default_factory=dict)
    method: str = "GET"


ROUTES: dict[str, str | ObjectRoute] = {
    # crm
    "home": SIGNED_IN,  # the user's start page; the personas keep the dashboard
    "dashboard": SIGNED_IN,
    "my_settings": SIGNED_IN,
    "healthz": PUBLIC,
    "login": PUBLIC,
    "logout": SIGNED_IN_POST,
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    # contacts: companies
    "contacts:company_list": SIGNED_IN,
    "contacts:company_create": ListRoute("contacts.add_company"),
    "contacts:company_autocomplete": SIGNED_IN,
    "contacts:company_export": ListRoute("contacts.export_company", {"file_format": "csv"}),
    "contacts:company_detail": ObjectRoute("company", "view"),
    "contacts:company_update": ObjectRoute("company", "edit", "contacts.change_company"),
    "contacts:company_quick_update": ObjectRoute("company", "edit", "contacts.change_company", method="POST"),
    "contacts:company_merge": ObjectRoute("company", "edit", "contacts.merge_company"),
    "contacts:company_delete": ObjectRoute("company", "edit", "contacts.delete_company"),
    # contacts: people
    "contacts:person_list": SIGNED_IN,
    "contacts:person_create": ListRoute("contacts.add_person"),
    "contacts:person_autocomplete": SIGNED_IN,
    "contacts:person_export": ListRoute("contacts.export_person", {"file_format": "xlsx"}),
    "contacts:person_detail": ObjectRoute("person", "view"),
    "contacts:person_update": ObjectRoute("person", "edit", "contacts.change_person"),
    "contacts:person_merge": ObjectRoute("person", "edit", "contacts.merge_person"),
    "contacts:person_delete": ObjectRoute("person", "edit", "contacts.delete_person"),
    # documents of any record (crm/document_urls.py)
    "documents:document_upload": ObjectRoute(
        "company", "edit", "crm.add_document", extra_kwargs={"model_name": "company"}, method="POST"
    ),
    "documents:document_download": ObjectRoute("document", "view", "crm.view_document", through_parent=True),
    "documents:document_delete": ObjectRoute(
        "document", "edit", "crm.delete_document", method="POST", through_parent=True
    ),
    # leads
    "leads:lead_list": SIGNED_IN,
    "leads:lead_create": ListRoute("leads.add_lead"),
    "leads:lead_export": ListRoute("leads.export_lead", {"file_format": "csv"}),
    "leads:lead_detail": ObjectRoute("lead", "view"),
    "leads:lead_update": ObjectRoute("lead", "edit", "leads.change_lead"),
    "leads:lead_convert": ObjectRoute("lead", "edit", "leads.convert_lead"),
    "leads:lead_delete": ObjectRoute("lead", "edit", "leads.delete_lead"),
    # opportunities
    "opportunities:deal_list": SIGNED_IN,
    "opportunities:deal_create": ListRoute("opportunities.add_deal"),
    "opportunities:deal_export": ListRoute("opportunities.export_deal", {"file_format": "xlsx"}),
    "opportunities:deal_detail": ObjectRoute("deal", "view"),
    "opportunities:deal_update": ObjectRoute("deal", "edit", "opportunities.change_deal"),
    "opportunities:deal_move_stage": ObjectRoute("deal", "edit", "opportunities.change_deal", method="POST"),
    "opportunities:deal_change_pipeline": ObjectRoute(
        "deal", "edit", "opportunities.change_deal", method="POST"
    ),
    "opportunities:deal_delete": ObjectRoute("deal", "edit", "opportunities.delete_deal"),
    # opportunities: lines, quotes, orders, targets (the line id is checked after the deal)
    "opportunities:deal_line_add": ObjectRoute("deal", "edit", "opportunities.add_dealline", method="POST"),
    "opportunities:deal_line_update": ObjectRoute(
        "deal", "edit", "opportunities.change_dealline", extra_kwargs={"line_pk": 999999}, method="POST"
    ),
    "opportunities:deal_line_delete": ObjectRoute(
        "deal", "edit", "opportunities.delete_dealline", extra_kwargs={"line_pk": 999999}, method="POST"
    ),
    "opportunities:quote_create": ObjectRoute("deal", "edit", "opportunities.add_quote", method="POST"),
    "opportunities:quote_detail": ObjectRoute(
        "quote", "view", "opportunities.view_quote", through_parent=True, parent_attr="deal"
    ),
    "opportunities:quote_pdf": ObjectRoute(
        "quote", "view", "opportunities.view_quote", through_parent=True, parent_attr="deal"
    ),
    "opportunities:quote_set_status": ObjectRoute(
        "quote", "edit", "opportunities.change_quote", method="POST", through_parent=True, parent_attr="deal"
    ),
    "opportunities:sales_order_detail": ObjectRoute(
        "order", "view", "opportunities.view_salesorder", through_parent=True, parent_attr="deal"
    ),
    "opportunities:targets": ListRoute(REPORTS),
    "opportunities:deal_contact_add": ObjectRoute("deal", "edit", "opportunities.change_deal", method="POST"),
    "opportunities:deal_contact_remove": ObjectRoute(
        "deal", "edit", "opportunities.change_deal", extra_kwargs={"contact_pk": 999999}, method="POST"
    ),
    # opportunities: the sales board
    "opportunities:board": ListRoute("opportunities.view_deal"),
    "opportunities:board_export": ListRoute("opportunities.export_deal", {"file_format": "csv"}),
    "opportunities:board_message": ListRoute("opportunities.change_deal"),
    # activities: the timeline and the activity forms
    "activities:activity_create": ListRoute("activities.add_activity"),
    "activities:activity_edit": ObjectRoute("activity", "edit", "activities.change_activity"),
    "activities:activity_complete": ObjectRoute(
        "activity", "edit", "activities.change_activity", method="POST"
    ),
    "activities:activity_cancel": ObjectRoute(
        "activity", "edit", "activities.change_activity", method="POST"
    ),
    "activities:activity_delete": ObjectRoute("activity", "edit", "activities.delete_activity"),
    "activities:timeline_panel": ObjectRoute("company", "view", extra_kwargs={"model_name": "company"}),
    "activities:activity_deal_autocomplete": SIGNED_IN,
    "activities:activity_lead_autocomplete": SIGNED_IN,
    # activities: my work and the calendar view
    "activities:my_work": SIGNED_IN,
    "activities:calendar_view": SIGNED_IN,
    # activities: calendar feeds and invites
    "activities:calendar_feed": PUBLIC,  # the secret token is the key (TOKEN_ROUTES)
    "activities:activity_ics_download": ObjectRoute("activity", "view"),
    "profile": SIGNED_IN,
    "profile_calendar_renew": SIGNED_IN_POST,
    "profile_calendar_revoke": SIGNED_IN_POST,
    "profile_avatar": ListRoute(kwargs={"user_pk": 0}),  # 0: nobody, the placeholder picture
    # activities: reminders and automation rules
    # activities: e-mail templates and the profile
    "activities:mail_person": ObjectRoute("person", "view", "activities.add_activity"),
    "activities:mail_deal": ObjectRoute("deal", "view", "activities.add_activity"),
    # imports
    # An import follows crm.access with its importer as owner, behind imports.run_import.
    "imports:job_list": ListRoute("imports.run_import"),
    "imports:job_create": ListRoute("imports.run_import"),
    "imports:job_detail": ObjectRoute("import_job", "view", "imports.run_import"),
    "imports:job_progress": ObjectRoute("import_job", "view", "imports.run_import"),
    "imports:job_rejected_download": ObjectRoute("import_job", "view", "imports.run_import"),
    "imports:job_apply_mapping": ObjectRoute("import_job", "view", "imports.run_import", method="POST"),
    "imports:job_cancel": ObjectRoute("import_job", "view", "imports.run_import", method="POST"),
    "imports:job_undo": ObjectRoute("import_job", "view", "imports.run_import", method="POST"),
    # The full-account export (page, request by POST, ?download=<id>): Administrators alone; every
    # such export is every Administrator's, so the permission is the whole rule.
    "imports:account_export": ListRoute("imports.export_account"),
    # gdpr
    "gdpr:contact_age_list": ListRoute("gdpr.manage_personal_data"),
    "gdpr:contact_bulk": ListRoute("gdpr.manage_personal_data"),  # GET: the confirm step
    "gdpr:person_anonymise": ObjectRoute("person", "edit", "gdpr.manage_personal_data"),
    "gdpr:person_touch": ObjectRoute("person", "edit", "gdpr.manage_personal_data", method="POST"),
    "gdpr:person_subject_access": ObjectRoute("person", "view", "gdpr.export_personal_data", method="POST"),
    # GET: the user's own background exports of the person (?export=&format= downloads one); POST: a new one
    "gdpr:person_subject_access_exports": ObjectRoute("person", "view", "gdpr.export_personal_data"),
    # GET: the user's own bulk anonymisations (?job=<id>: one, and its progress fragment for htmx)
    "gdpr:bulk_job_progress": ListRoute("gdpr.manage_personal_data"),
    "gdpr:erasure_request_list": ListRoute("gdpr.manage_personal_data"),
    "gdpr:person_erasure_requests": ObjectRoute("person", "edit", "gdpr.manage_personal_data"),
    "gdpr:person_erasure_request_decide": ObjectRoute(
        "person", "edit", "gdpr.manage_personal_data", extra_kwargs={"request_pk": 999999}, method="POST"
    ),
    # marketing: plans, campaigns, segments, scoring and mail settings
    # Plans and campaigns: marketing.manage_marketing, then crm.access on the record (owned models).
    "marketing:campaign_list": ListRoute("marketing.manage_marketing"),
    "marketing:campaign_create": ListRoute("marketing.manage_marketing"),
    "marketing:campaign_detail": ObjectRoute("campaign", "view", "marketing.manage_marketing"),
    "marketing:campaign_update": ObjectRoute("campaign", "edit", "marketing.manage_marketing"),
    "marketing:campaign_task_create": ObjectRoute(
        "campaign", "edit", "marketing.manage_marketing", method="POST"
    ),
    "marketing:plan_list": ListRoute("marketing.manage_marketing"),
    "marketing:plan_create": ListRoute("marketing.manage_marketing"),
    "marketing:plan_detail": ObjectRoute("plan", "view", "marketing.manage_marketing"),
    "marketing:plan_update": ObjectRoute("plan", "edit", "marketing.manage_marketing"),
    # A lead's, person's or deal's campaign, set from its card panel (the record must be editable).
    "marketing:record_campaign_set": ObjectRoute(
        "lead", "edit", "marketing.manage_marketing", extra_kwargs={"model_name": "lead"}, method="POST"
    ),
    # Settings are the Administrators' (seed 003), grantable in admin.
    "marketing:scoring_settings": ListRoute("marketing.change_scorerule"),
    "marketing:mail_settings": ListRoute("marketing.change_marketingsettings"),
    # marketing: e-mail campaigns
    # Segments and e-mail campaigns: marketing.manage_marketing, then crm.access on the record.
    "mailings:segment_list": ListRoute("marketing.manage_marketing"),
    "mailings:segment_create": ListRoute("marketing.manage_marketing"),
    "mailings:segment_count": ListRoute("marketing.manage_marketing"),  # the form's live count (htmx)
    "mailings:segment_detail": ObjectRoute("segment", "view", "marketing.manage_marketing"),
    "mailings:segment_update": ObjectRoute("segment", "edit", "marketing.manage_marketing"),
    "mailings:mailing_list": ListRoute("marketing.manage_marketing"),
    "mailings:mailing_create": ListRoute("marketing.manage_marketing"),
    "mailings:mailing_detail": ObjectRoute("email_campaign", "view", "marketing.manage_marketing"),
    "mailings:mailing_update": ObjectRoute("email_campaign", "edit", "marketing.manage_marketing"),
    "mailings:mailing_test_send": ObjectRoute(
        "email_campaign", "edit", "marketing.manage_marketing", method="POST"
    ),
    "mailings:mailing_send": ObjectRoute(
        "email_campaign", "edit", "marketing.manage_marketing", method="POST"
    ),
    # Public: the signed links of a campaign mail (TOKEN_ROUTES; tests/marketing/mailings/test_public.py).
    "mailings_public:open": PUBLIC,
    "mailings_public:click": PUBLIC,
    "mailings_public:unsubscribe": PUBLIC,
    # marketing: web forms and website tracking
    # Web forms are records of their owner (crm.access), behind marketing.manage_marketing.
    "webforms:form_list": ListRoute("marketing.manage_marketing"),
    "webforms:form_create": ListRoute("marketing.manage_marketing"),
    "webforms:form_detail": ObjectRoute("webform", "view", "marketing.manage_marketing"),
    "webforms:form_update": ObjectRoute("webform", "edit", "marketing.manage_marketing"),
    "webforms:tracking": ListRoute("marketing.manage_marketing"),
    # Public: a form by its random public key (TOKEN_ROUTES); visits reported by the website snippet.
    "webforms_public:form_page": PUBLIC,
    "webforms_public:visit": PUBLIC,
    # support: tickets
    # Every staff role works the tickets it sees (crm.access; owner = agent, team = queue's team):
    # changing one needs it editable, watching it only visible.
    "support:ticket_list": SIGNED_IN,
    "support:ticket_create": SIGNED_IN,
    "support:callbacks": SIGNED_IN,
    "support:ticket_detail": ObjectRoute("ticket", "view"),
    "support:ticket_update": ObjectRoute("ticket", "edit"),
    "support:ticket_merge": ObjectRoute("ticket", "edit"),
    "support:ticket_reply": ObjectRoute("ticket", "edit", method="POST"),
    "support:ticket_note": ObjectRoute("ticket", "edit", method="POST"),
    "support:ticket_set_status": ObjectRoute("ticket", "edit", method="POST"),
    "support:ticket_assign": ObjectRoute("ticket", "edit", method="POST"),
    "support:ticket_call": ObjectRoute("ticket", "edit", method="POST"),
    "support:ticket_watch": ObjectRoute("ticket", "view", method="POST"),
    "support:ticket_unwatch": ObjectRoute("ticket", "view", method="POST"),
    # support: SLA, contracts, workload and reports
    # Set-up (queues, SLA policies with targets and holidays): support.manage_support alone (no
    # owner); the pk routes are read with the migration's default queue and policy (pk 1).
    "support_setup:queue_list": ListRoute("support.manage_support"),
    "support_setup:queue_create": ListRoute("support.manage_support"),
    "support_setup:queue_update": ListRoute("support.manage_support", {"pk": 1}),
    "support_setup:policy_list": ListRoute("support.manage_support"),
    "support_setup:policy_create": ListRoute("support.manage_support"),
    "support_setup:policy_update": ListRoute("support.manage_support", {"pk": 1}),
    # Contracts are owned records (crm.access); creating and changing them is set-up as well.
    "support_setup:contract_list": SIGNED_IN,
    "support_setup:contract_create": ListRoute("support.manage_support"),
    "support_setup:contract_detail": ObjectRoute("contract", "view"),
    "support_setup:contract_update": ObjectRoute("contract", "edit", "support.manage_support"),
    # Every staff user: the agents of the teams they see, counted over the tickets they see.
    "support_setup:workload": SIGNED_IN,
    "support_setup:report": ListRoute(REPORTS),
    # support: knowledge base
    # Published articles are every staff user's; drafts the writers' (support.manage_support) within
    # crm.access through the author, who may also edit them; categories need the permission alone.
    "knowledge:article_list": SIGNED_IN,
    "knowledge:article_create": ListRoute("support.manage_support"),
    "knowledge:insert_search": SIGNED_IN,  # the ticket reply's "insert answer" (htmx), ?q=
    "knowledge:category_list": ListRoute("support.manage_support"),
    "knowledge:article_detail": ObjectRoute("article", "view"),
    "knowledge:article_update": ObjectRoute("article", "edit", "support.manage_support"),
    "knowledge:article_vote": ObjectRoute("article", "view", method="POST"),
    # support: portal and e-mail in
    # The customer portal (support/portal): no staff login; its pages need a portal session and
    # send anyone without one (staff included) to the portal's sign-in (TOKEN_ROUTES: 302).
    # Isolation: tests/support/portal/test_isolation.py.
    "portal:sign_in": PUBLIC,
    "portal:link": PUBLIC,
    "portal:sign_out": PUBLIC,
    "portal:ticket_list": PUBLIC,
    "portal:ticket_create": PUBLIC,
    "portal:ticket_detail": PUBLIC,
    "portal:ticket_reply": PUBLIC,
    "portal:article_list": PUBLIC,
    "portal:article_detail": PUBLIC,
    "portal:mail_in": PUBLIC,  # the mail gateway's, behind a shared secret (404 without one)
}

# Routes that take a parameter but are not records (tokens checked by the view itself): the
# arguments of a made-up token, and what the route answers to it.
TOKEN_ROUTES = {
    "password_reset_confirm": ({"uidb64": "MQ", "token": "not-a-token"}, 200),  # "invalid link" page
    "activities:calendar_feed": ({"token": "not-a-token-" + "x" * 32}, 404),  # leaks nothing
    # marketing: e-mail campaigns
    "mailings_public:open": ({"token": "1:" + "x" * 27}, 404),  # forged: nothing recorded, leaks nothing
    "mailings_public:click": ({"token": "1.0:" + "x" * 27}, 404),
    "mailings_public:unsubscribe": ({"token": "1:" + "x" * 27}, 404),
    # marketing: web forms and website tracking
    "webforms_public:form_page": ({"key": "00000000-0000-4000-8000-000000000000"}, 404),  # no such form
    # support: tickets
    # support: SLA, contracts, workload and reports
    # support: knowledge base
    # support: portal and e-mail in
    "portal:link": ({"token": "x" * 43}, 404),  # forged: "this link cannot sign you in"
    "portal:sign_out": ({}, 405),  # POST only
    "portal:ticket_list": ({}, 302),
    "portal:ticket_create": ({}, 302),
    "portal:ticket_detail": ({"pk": 1}, 302),
    "portal:ticket_reply": ({"pk": 1}, 302),
    "portal:article_detail": ({"pk": 999999}, 404),
    "portal:mail_in": ({}, 404),  # no CRM_INBOUND_MAIL_SECRET in tests
}


def is_export_or_report(permission: str | None) -> bool:
    """Exports and reports: a Manager's by default, a Normal user's only when granted (seed 003)."""
    return permission is not None and (
        permission.split(".", 1)[1].startswith("export_") or permission == REPORTS
    )


def export_and_report_routes() -> dict[str, ListRoute]:
    return {
        name: route
        for name, route in ROUTES.items()
        if isinstance(route, ListRoute) and is_export_or_report(route.permission)
    }


def iter_routes(resolver: URLResolver | None = None, namespace: str = "", route: str = ""):
    """(name, route, takes_parameters) of every pattern, namespaces included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            )
            yield from iter_routes(pattern, inner or namespace, route + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            full_route = route + str(pattern.pattern)
            takes_parameters = bool(pattern.pattern.regex.groupindex) or "<" in full_route
            yield name, full_route, takes_parameters


def unclassified_routes() -> list[str]:
    """Routes the matrix does not know: each must be added to ROUTES."""
    problems = []
    for name, route, takes_parameters in iter_routes():
        if route.startswith("admin/"):
            continue  # Django admin: checked by test_django_admin_is_for_administrators_only
        if name is None:
            problems.append(f"unnamed route {route!r}")
            continue
        classification = ROUTES.get(name)
        if classification is None:
            problems.append(f"{name} ({route}) is not classified in tests/access_matrix.py")
        elif (
            takes_parameters
            and not isinstance(classification, ObjectRoute)
            and not (isinstance(classification, ListRoute) and classification.kwargs)
            and name not in TOKEN_ROUTES
        ):
            problems.append(f"{name} ({route}) takes an id: classify it as an ObjectRoute")
    return problems


def expected_status(route: ObjectRoute, user, record) -> int:
    if route.permission and not user.has_perm(route.permission):
        return 403
    judged = getattr(record, route.parent_attr) if route.through_parent else record
    manager = type(judged)._default_manager
    # A model with a visibility rule of its own (activities follow their record) applies it.
    visible = (
        manager.visible_to(user) if hasattr(manager, "visible_to") else access.visible_to(manager.all(), user)
    )
    if not visible.filter(pk=judged.pk).exists():
        return 404
    if route.needs == "edit" and not access.can_edit(user, judged):
        return 403
    return 200


def route_url(name: str, route: ObjectRoute, record) -> str:
    return reverse(name, kwargs={route.kwarg: record.pk, **route.extra_kwargs})


def object_route_mismatches(client, name: str, route: ObjectRoute, users, records) -> list[str]:
    """Request `name` for every user × record; list every status that breaks the policy.

    GET routes must answer exactly the expected status. POST-only routes must refuse exactly
    where the policy refuses (their successes change data and are tested with their feature)."""
    mismatches = []
    for user in users:
        client.force_login(user)
        for owner_key, record in records.items():
            expected = expected_status(route, user, record)
            if route.method == "POST" and expected == 200:
                continue
            request = client.post if route.method == "POST" else client.get
            status = request(route_url(name, route, record)).status_code
            if status != expected:
                mismatches.append(
                    f"{route.method} {name} as {user.username} on {owner_key}'s: {status}, expected {expected}"
                )
        client.logout()
    return mismatches


def get_route_urls(
    records: dict, *, query_variants: dict[str, list[str]] | None = None
) -> list[tuple[str, str]]:
    """(label, url) of every GET route of the project, outside Django admin, with `records[kind]`
    as the record of each ObjectRoute; `query_variants` adds query strings per route name.

    Built from the resolver, so a new route is walked as soon as it is classified (and the
    matrix makes sure that it is). Routes that only answer POST are left out."""
    urls = []
    for name, pattern, _takes_parameters in iter_routes():
        if name is None or pattern.startswith("admin/"):
            continue
        classification = ROUTES.get(name)
        if classification is None:
            raise AssertionError(f"{name} is not classified: see unclassified_routes()")
        if classification == SIGNED_IN_POST:
            continue
        if name in TOKEN_ROUTES:
            url = reverse(name, kwargs=TOKEN_ROUTES[name][0])
        elif isinstance(classification, ObjectRoute):
            if classification.method != "GET":
                continue
            url = route_url(name, classification, records[classification.record])
        elif isinstance(classification, ListRoute):
            if classification.method != "GET":
                continue
            url = reverse(name, kwargs=classification.kwargs)
        else:
            url = reverse(name)
        urls.append((name, url))
        for query in (query_variants or {}).get(name, []):
            urls.append((f"{name}?{query}", f"{url}?{query}"))
    return urls


# -- Content: which records a page lists, and no name of a record hidden from the viewer --------
#
# Status codes prove that a record's own URL is guarded; they say nothing of what a list, an
# autocomplete, an export or the board shows, nor of the names of linked records a page prints
# (a visible deal's hidden company). The data set below (build_content_records) gives every
# record a unique name token and links each record to records of other owners, so that a
# substring search for the token of a record hidden from the viewer is reliable.

# The kinds of records whose names are checked, and the detail route their lists link to.
DETAIL_ROUTES = {
    "company": "contacts:company_detail",
    "person": "contacts:person_detail",
    "lead": "leads:lead_detail",
    "deal": "opportunities:deal_detail",
}
# Every kind of owner a record of the data set has; "south_team" is filed under South by the
# Administrator, "north_team" under North by the other team's rep (visible to North's manager
# narrowed to their teams through the filing alone).
CONTENT_OWNERS = [
    "admin", "restricted", "south_team", "unassigned", "manager", "rep_other_team", "north_team", "rep",
]  # fmt: skip
# Each record links to the records of the next owner in CONTENT_OWNERS (and the one after, in its
# history): for every persona with a narrowed view, some visible record links to a hidden one.


@dataclass(frozen=True)
class ListedRecords:
    """A route that lists records of one kind, and how its response names them: "links" (ids of
    links to their cards), "options" (ids of autocomplete options) or "names" (export cells)."""

    kind: str
    read: str
    query: str = ""


CONTENT_ROUTES: dict[str, ListedRecords] = {
    "contacts:company_list": ListedRecords("company", "links"),
    "contacts:company_autocomplete": ListedRecords("company", "options"),
    "contacts:company_export": ListedRecords("company", "names"),
    "contacts:person_list": ListedRecords("person", "links"),
    "contacts:person_autocomplete": ListedRecords("person", "options"),
    "contacts:person_export": ListedRecords("person", "names"),
    # Converted leads (all of the data set's) leave the list unless every status is asked for.
    "leads:lead_list": ListedRecords("lead", "links", "status="),
    "leads:lead_export": ListedRecords("lead", "names", "status="),
    "opportunities:deal_list": ListedRecords("deal", "links"),
    "opportunities:deal_export": ListedRecords("deal", "names"),
    # The board shows one pipeline (by default the first, which need not be the data set's).
    "opportunities:board": ListedRecords("deal", "links", "pipeline={pipeline}&period=any&won=on"),
    "opportunities:board_export": ListedRecords("deal", "names", "pipeline={pipeline}&period=any&won=on"),
    # activities: the timeline and the activity forms (the link pickers)
    "activities:activity_deal_autocomplete": ListedRecords("deal", "options"),
    "activities:activity_lead_autocomplete": ListedRecords("lead", "options"),
    # gdpr
    "gdpr:contact_age_list": ListedRecords("person", "links"),
    # imports
    # marketing: plans, campaigns, segments, scoring and mail settings
    # marketing: e-mail campaigns
    # marketing: web forms and website tracking
    # support: tickets
    # support: SLA, contracts, workload and reports
    # support: knowledge base
    # support: portal and e-mail in
}
# Lists and exports of things that are not one of the kinds above: their visibility has tests of
# their own, and the name check still walks them (test_no_page_or_export_names_a_record_hidden…).
NOT_RECORD_LISTS = {
    "imports:job_list": "the user's own imports (tests/imports/test_access.py)",
    "imports:account_export": "every record of the account, for Administrators only",
    # gdpr
    "gdpr:erasure_request_list": "requests about the people one sees (tests/gdpr/test_erasure.py)",
    # marketing: plans, campaigns, segments, scoring and mail settings
    "marketing:campaign_list": "campaigns (crm.access; tests/marketing/core/test_views.py); counts name no lead",
    "marketing:plan_list": "marketing plans (crm.access; tests/marketing/core/test_views.py)",
    # marketing: e-mail campaigns
    "mailings:segment_list": "segments (crm.access; tests/marketing/mailings/test_views.py)",
    "mailings:mailing_list": "e-mail campaigns (crm.access; tests/marketing/mailings/test_views.py)",
    # marketing: web forms and website tracking
    "webforms:form_list": "web forms (crm.access; tests/marketing/webforms/test_views.py)",
    # support: tickets
    "support:ticket_list": "tickets (crm.access; tests/support/tickets/test_views.py); names checked",
    # support: SLA, contracts, workload and reports
    "support_setup:queue_list": "queues: set-up, not a record of a customer (support.manage_support)",
    "support_setup:policy_list": "SLA policies: set-up (support.manage_support)",
    "support_setup:contract_list": "contracts (crm.access; tests/support/sla/test_views.py); a hidden company shows as hidden",
    # support: knowledge base
    "knowledge:article_list": "articles: not a record of a customer (tests/support/knowledge/test_views.py)",
    "knowledge:category_list": "knowledge-base categories (support.manage_support)",
    # support: portal and e-mail in
    "portal:ticket_list": "a portal customer's company's tickets, no staff view (tests/support/portal)",
    "portal:article_list": "published public articles, for everyone (tests/support/portal/test_pages.py)",
}
# Query strings with which the name check also walks a route (what the defaults leave out).
NAME_CHECK_QUERIES = {
    "leads:lead_list": ["status="],
    "leads:lead_export": ["status="],
    "opportunities:board": ["pipeline={pipeline}&period=any&won=on&lost=on&unprocessed=on"],
    "opportunities:board_export": ["pipeline={pipeline}&period=any&won=on&lost=on&unprocessed=on"],
    "opportunities:board_message": ["pipeline={pipeline}&period=any&won=on"],
}


@dataclass
class ContentRecords:
    """The records of the content checks: `by_kind[kind][owner_key]`, and each one's name tokens."""

    by_kind: dict[str, dict[str, object]]
    quotes: dict[str, object]
    orders: dict[str, object]
    documents: dict[str, object]
    pipeline: int  # of every deal
    # activities: one on each owner's deal (they follow their deal's visibility, not an owner's)
    activities: dict[str, object] = field(default_factory=dict)
    import_jobs: dict[str, object] = field(default_factory=dict)  # one run by each persona
    # Records of other kinds an ObjectRoute names (segments, e-mail campaigns…), by kind and owner
    # key: built by CONTENT_OBJECT_RECORDS, so that their pages are walked by the name check too.
    others: dict[str, dict[str, object]] = field(default_factory=dict)

    def tokens(self, kind: str, record) -> list[str]:
        if kind in ("person", "lead"):
            return [record.first_name, record.last_name]
        return [record.name]

    def visible(self, kind: str, user) -> dict[int, object]:
        records = self.by_kind[kind]
        model = type(next(iter(records.values())))
        ids = set(
            access.visible_to(model._default_manager.all(), user)
            .filter(pk__in=[record.pk for record in records.values()])
            .values_list("pk", flat=True)
        )
        return {record.pk: record for record in records.values() if record.pk in ids}

    def hidden_names(self, user) -> dict[str, str]:
        """token → "company Company-rep-token" for every record of the data set hidden from `user`."""
        names = {}
        for kind, records in self.by_kind.items():
            visible = self.visible(kind, user)
            for record in records.values():
                if record.pk not in visible:
                    for token in self.tokens(kind, record):
                        names[token] = f"{kind} {record.pk} ({token})"
        return names


def content_world(django_db_blocker, tmp_path_factory):
    """The body of a module-scoped fixture: the personas of tests/conftest.py and the content data
    set, built once for a test module (it takes seconds) inside a transaction rolled back when the
    module is done. Each test still runs in its own savepoint (pytest-django's `db`), so what it
    changes (an org setting, a planted deletion) is undone after it.

    Its users have conftest's usernames: use it in modules whose tests do not also take the
    function-scoped `personas`. Every export, report and the board are granted to each persona,
    so that each route is read by every role."""
    from types import SimpleNamespace

    from django.contrib.auth.models import Permission
    from django.db import transaction
    from django.test import override_settings

    from tests.factories import make_personas

    media_root = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        personas = make_personas()
        granted = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in (
                route.permission.split(".", 1)
                for route in ROUTES.values()
                if isinstance(route, ListRoute) and route.permission
            )
        ]
        for user in (
            personas.admin,
            personas.manager,
            personas.rep,
            personas.rep_other_team,
            personas.restricted,
        ):
            user.user_permissions.add(*granted)
        yield SimpleNamespace(personas=personas, records=build_content_records(personas, media_root))
        transaction.set_rollback(True)


def build_content_records(personas, media_root) -> ContentRecords:
    """Per kind of owner: a company, a person, a lead and a deal named with unique tokens, each
    linked to records of other owners: the person works for the next owner's company; the deal is
    with the next owner's company and contact, has every person as a contact, a line, a quote and
    a sales order, and its history changes the company; the lead was converted into the next
    owner's company, person and deal."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from contacts import services as contact_services
    from crm.documents import document_attach
    from leads.models import Lead
    from opportunities import services as deal_services
    from opportunities.models import DealContact
    from opportunities.sales import services as sales
    from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory
    from tests.imports import records as records_of_imports

    def owned(key: str) -> dict:
        if key == "unassigned":
            return {"owner": None}
        if key == "south_team":
            return {"owner": personas.admin, "team": personas.south}
        if key == "north_team":
            return {"owner": personas.rep_other_team, "team": personas.north}
        return {"owner": getattr(personas, key)}

    def after(key: str, steps: int = 1) -> str:
        return CONTENT_OWNERS[(CONTENT_OWNERS.index(key) + steps) % len(CONTENT_OWNERS)]

    companies = {key: CompanyFactory(name=f"Company-{key}-token", **owned(key)) for key in CONTENT_OWNERS}
    people = {
        key: PersonFactory(
            first_name=f"Person-{key}-first",
            last_name=f"Person-{key}-last",
            company=companies[after(key, 2)],
            **owned(key),
        )
        for key in CONTENT_OWNERS
    }
    for key, person in people.items():
        people[key] = contact_services.person_update(
            actor=personas.admin,
            person=person,
            changes={"company": companies[after(key)]},
            expected_version=person.version,
        )
    today = timezone.localdate()
    deals = {}
    for key in CONTENT_OWNERS:
        deal = DealFactory(
            name=f"Deal-{key}-token",
            company=companies[after(key, 2)],
            primary_contact=people[after(key)],
            expected_close_date=today,
            **owned(key),
        )
        deal = deal_services.deal_update(
            actor=personas.admin,
            deal=deal,
            changes={"company": companies[after(key)]},
            expected_version=deal.version,
        )
        deal_services.deal_contact_add(actor=personas.admin, deal=deal, person=people[after(key, 2)])
        # The other people in one go (the service adds one at a time, with an audit row each).
        DealContact.objects.bulk_create(
            DealContact(deal=deal, person=person)
            for other, person in people.items()
            if other != after(key, 2)
        )
        deals[key] = deal
    quotes, orders = {}, {}
    for key, deal in deals.items():
        sales.deal_line_add(
            actor=personas.admin,
            deal=deal,
            values={"description": "Archive box", "quantity": 1, "unit_price": Decimal(100)},
        )
        quotes[key] = sales.quote_create(actor=personas.admin, deal=deal)
    # Half the deals won (with their sales order), so that the board and lists show both.
    for key in CONTENT_OWNERS[::2]:
        deal = deals[key]
        type(deal).objects.filter(pk=deal.pk).update(stage=deal.pipeline.stages.get(kind="won"))
        deal.refresh_from_db()
        orders[key] = sales.sales_order_for_won_deal(actor=personas.admin, deal=deal)
    leads = {}
    for key in CONTENT_OWNERS:
        lead = LeadFactory(
            first_name=f"Lead-{key}-first",
            last_name=f"Lead-{key}-last",
            company_name="Typed company",
            **owned(key),
        )
        Lead.objects.filter(pk=lead.pk).update(
            status=Lead.Status.CONVERTED,
            converted_at=timezone.now(),
            converted_by=personas.admin,
            converted_company=companies[after(key)],
            converted_person=people[after(key)],
            converted_deal=deals[after(key)],
        )
        lead.refresh_from_db()
        leads[key] = lead
    documents = {
        key: document_attach(
            actor=personas.admin,
            record=company,
            uploaded_file=SimpleUploadedFile(
                f"{key}.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"
            ),
        )
        for key, company in companies.items()
    }
    return ContentRecords(
        by_kind={"company": companies, "person": people, "lead": leads, "deal": deals},
        quotes=quotes,
        orders=orders,
        documents=documents,
        pipeline=next(iter(deals.values())).pipeline_id,
        activities=content_activities(personas, deals),
        import_jobs=records_of_imports.import_jobs_by_owner(personas),
        others={kind: build(personas, people) for kind, build in content_object_records().items()},
    )


def content_object_records() -> dict:
    """kind → build(personas, people by owner key) → {owner key: record}, for the ObjectRoutes of
    kinds the content data set does not hold itself; each part adds its own under its heading."""
    builders = {}
    # marketing: plans, campaigns, segments, scoring and mail settings
    from tests.marketing.core import records as marketing_records

    builders["plan"] = lambda personas, people: marketing_records.plans_by_owner(personas)
    builders["campaign"] = marketing_records.content_campaigns
    # marketing: e-mail campaigns
    from tests.marketing.mailings import records as mailing_records

    builders["segment"] = lambda personas, people: mailing_records.segments_by_owner(personas, {})
    builders["email_campaign"] = mailing_records.content_email_campaigns
    # marketing: web forms and website tracking
    from tests.marketing.webforms import records as webform_records

    builders["webform"] = webform_records.content_webforms
    # support: tickets
    from tests.support.tickets import records as ticket_records

    builders["ticket"] = ticket_records.content_tickets
    # support: SLA, contracts, workload and reports
    from tests.support.sla import records as sla_records

    builders["contract"] = sla_records.content_contracts
    # support: knowledge base
    from tests.support.knowledge import records as knowledge_records

    builders["article"] = lambda personas, people: knowledge_records.articles_by_owner(personas)
    # support: portal and e-mail in
    return builders


def content_activities(personas, deals: dict) -> dict:
    """An open to-do on each owner's deal (so on the timeline of its company, another owner's),
    its responsible user the deal's owner; one done, to show in history too."""
    from django.utils import timezone

    from activities import services
    from activities.models import ActivityType

    activity_type = ActivityType.objects.get(name="Phone call")
    activities = {}
    for key, deal in deals.items():
        activities[key] = services.activity_create(
            actor=personas.admin,
            values={
                "subject": f"Activity-{key}-todo",
                "due_at": timezone.now() + timezone.timedelta(days=1),
                "deal": deal,
                "owner": deal.owner,
                "activity_type": activity_type,
            },
        )
        services.activity_create(
            actor=personas.admin,
            values={"subject": f"Activity-{key}-done", "deal": deal, "owner": deal.owner,
                    "activity_type": activity_type, "status": "done", "outcome": "Done"},
        )  # fmt: skip
    return activities


def response_text(response) -> str:
    """What a response says, to search for names: HTML and CSV as text, XLSX cells, PDF text."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        import io

        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            "\t".join("" if cell is None else str(cell) for cell in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if "pdf" in content_type:
        import io

        import pypdf

        try:
            return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
        except pypdf.errors.PdfReadError:
            return body.decode("latin-1")
    return body.decode("utf-8", errors="replace")


def _listed_ids(text: str, listed: ListedRecords, records: ContentRecords) -> set[int]:
    import re

    if listed.read == "options":
        return {int(pk) for pk in re.findall(r'<option value="(\d+)"', text)}
    if listed.read == "links":
        before, _, after = reverse(DETAIL_ROUTES[listed.kind], kwargs={"pk": 987654321}).partition(
            "987654321"
        )
        return {int(pk) for pk in re.findall(f'href="{re.escape(before)}(\\d+){re.escape(after)}"', text)}
    return {
        record.pk
        for record in records.by_kind[listed.kind].values()
        if any(token in text for token in records.tokens(listed.kind, record))
    }


def listed_records_problems(
    client, name: str, listed: ListedRecords, users, records: ContentRecords
) -> list[str]:
    """Request the list route `name` as each user: every record of the data set it shows must be
    visible to them, and every visible one must be shown."""
    problems = []
    url = reverse(name, kwargs=getattr(ROUTES.get(name), "kwargs", {})) + (
        "?" + listed.query.format(pipeline=records.pipeline) if listed.query else ""
    )
    for user in users:
        client.force_login(user)
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"GET {name} as {user.username}: {response.status_code}, expected 200")
            continue
        ours = {record.pk: record for record in records.by_kind[listed.kind].values()}
        visible = records.visible(listed.kind, user)
        shown = _listed_ids(response_text(response), listed, records) & set(ours)
        for pk in sorted(shown - set(visible)):
            problems.append(f"GET {name} as {user.username} shows hidden {listed.kind} {ours[pk]}")
        for pk in sorted(set(visible) - shown):
            problems.append(f"GET {name} as {user.username} leaves out visible {listed.kind} {ours[pk]}")
        client.logout()
    return problems


def hidden_name_problems(
    client, user, urls: list[tuple[str, str]], hidden_names: dict[str, str]
) -> list[str]:
    """Request each (label, url) as `user`; list every name of a hidden record found in a response."""
    problems = []
    client.force_login(user)
    for label, url in urls:
        response = client.get(url)
        text = response_text(response)
        problems.extend(
            f"GET {label} as {user.username} names hidden {what}"
            for token, what in hidden_names.items()
            if token in text
        )
    client.logout()
    return problems


def content_check_urls(user, records: ContentRecords) -> list[tuple[str, str]]:
    """(label, url) of every page and export of the matrix that `user` may open on the data set:
    the routes without a record (with NAME_CHECK_QUERIES' variants), and each record route for
    every record of its kind it answers 200 for."""
    by_route_record = {
        **records.by_kind,
        "quote": records.quotes,
        "order": records.orders,
        "document": records.documents,
        "activity": records.activities,
        "import_job": records.import_jobs,
        **records.others,
    }
    urls = []
    for name, pattern, _takes_parameters in iter_routes():
        if name is None or pattern.startswith("admin/") or name in TOKEN_ROUTES:
            continue
        route = ROUTES.get(name)
        if route is None or route in (PUBLIC, SIGNED_IN_POST):
            # public pages show no record; logout answers GET with 405; an unclassified route
            # fails test_every_route_is_classified
            continue
        if isinstance(route, ObjectRoute):
            if route.method != "GET":
                continue
            for key, record in by_route_record[route.record].items():
                if expected_status(route, user, record) == 200:
                    urls.append((f"{name} of {key}'s", route_url(name, route, record)))
            continue
        if isinstance(route, ListRoute):
            if route.method != "GET" or (route.permission and not user.has_perm(route.permission)):
                continue
            url = reverse(name, kwargs=route.kwargs)
        else:
            url = reverse(name)
        urls.append((name, url))
        for query in NAME_CHECK_QUERIES.get(name, []):
            query = query.format(pipeline=records.pipeline)
            urls.append((f"{name}?{query}", f"{url}?{query}"))
    return urls


# -- A refused POST changes nothing: the record's row and every row linked to it ---------------


def related_tables() -> list:
    """The tables a POST to a record's route could change besides the record's own row."""
    from contacts.models import Company, Person
    from crm.models import AuditEvent, Document
    from leads.models import Lead
    from opportunities.models import (
        CriterionConfirmation,
        Deal,
        DealContact,
        DealLine,
        Quote,
        QuoteLine,
        SalesOrder,
        SalesOrderLine,
    )

    models = [Company, Person, Lead, Deal]
    history = [model.history.model for model in models if hasattr(model, "history")]
    return [
        *models,
        *history,
        DealLine,
        Quote,
        QuoteLine,
        SalesOrder,
        SalesOrderLine,
        Document,
        DealContact,
        CriterionConfirmation,
        AuditEvent,
    ]


def table_snapshot() -> dict[str, list[dict]]:
    """Every row of related_tables(), to compare before and after a refused POST (the data sets
    of the matrix are a few dozen rows)."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values()) for model in related_tables()
    }


def post_url(name: str, route: ObjectRoute, record) -> str:
    """The route's URL for `record`, with the id of a real line or deal contact of the deal where
    the route takes one: a view that forgot its access check would then change a real row."""
    kwargs = {route.kwarg: record.pk, **route.extra_kwargs}
    if "line_pk" in kwargs and record.lines.exists():
        kwargs["line_pk"] = record.lines.order_by("pk").first().pk
    if "contact_pk" in kwargs and record.deal_contacts.exists():
        kwargs["contact_pk"] = record.deal_contacts.order_by("pk").first().pk
    return reverse(name, kwargs=kwargs)


def refused_post_problems(
    client, name: str, route: ObjectRoute, user, records: dict, data: dict
) -> list[str]:
    """POST `data` to `name` as `user` for each record the policy refuses them: the status must be
    the refusal, and no row of related_tables() may change."""
    problems = []
    client.force_login(user)
    for owner_key, record in records.items():
        expected = expected_status(route, user, record)
        if expected == 200:
            continue
        before = table_snapshot()
        # The record's current version, so that a view that skipped the check would not stop at
        # a version conflict either.
        posted = {**data, "version": getattr(record, "version", 1)}
        status = client.post(post_url(name, route, record), posted).status_code
        after = table_snapshot()
        where = f"POST {name} as {user.username} on {owner_key}'s"
        if status != expected:
            problems.append(f"{where}: {status}, expected {expected}")
        problems.extend(f"{where} changed {table}" for table in before if before[table] != after[table])
    client.logout()
    return problems
