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
    # contacts: documents of companies and people
    "contacts:document_upload": ObjectRoute(
        "company", "edit", "contacts.add_document", extra_kwargs={"model_name": "company"}, method="POST"
    ),
    "contacts:document_download": ObjectRoute(
        "document", "view", "contacts.view_document", through_parent=True
    ),
    "contacts:document_delete": ObjectRoute(
        "document", "edit", "contacts.delete_document", method="POST", through_parent=True
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
}

# Routes that take a parameter but are not records (tokens checked by the view itself).
TOKEN_ROUTES = {"password_reset_confirm"}


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
    if not access.visible_to(type(judged)._default_manager.all(), user).filter(pk=judged.pk).exists():
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
            url = reverse(name, kwargs={"uidb64": "MQ", "token": "not-a-token"})
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
