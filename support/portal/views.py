"""The customer portal's pages (issue 15 item 8): the attack surface, so read this first.

No view here reads `request.user`: every view is exempt from the staff login
(`login_not_required`), and those behind `portal_login_required` run only with an open portal
session (support.portal.auth), whose person's company bounds every ticket they reach
(selectors.portal_tickets): another company's ticket is 404, as one that does not exist. Only
public messages are shown (TicketMessage.objects.public(): never internal notes), and only the
ticket's subject, status, dates, description and conversation: no agent, queue, SLA or notes.

Colleagues see each other's tickets: the issue says the customer "sees only their company's
tickets", and a company's contacts commonly take over each other's requests.

Every form is a POST with Django's CSRF token (the CSRF cookie is Django's own, not the staff
session); the magic link's GET only shows a button, since mail scanners fetch links.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from crm import ratelimit
from crm.pagination import paginate
from crm.security import client_ip
from support import services
from support.knowledge.services import public_articles, public_search
from support.models import Ticket
from support.portal import auth, selectors
from support.portal.decorators import portal_login_required, portal_session
from support.portal.forms import ArticleSearchForm, ReplyForm, SignInForm, TicketForm

PER_PAGE = 25
# A customer files a few tickets a day; a script filing hundreds is stopped.
TICKET_LIMIT = (20, 60 * 60)
LINK_LIMIT_PER_MINUTE = 30


# -- Signing in and out ----------------------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    if portal_session(request) is not None:
        return redirect("portal:ticket_list")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = auth.link_request(email=form.cleaned_data["email"], ip=client_ip(request))
        if not result.allowed:
            return render(
                request,
                "portal/sign_in.html",
                {"form": form, "limited": True, "minutes": auth.LINK_MINUTES},
                status=429,
            )
        # The same page whether the address is known or not.
        return render(request, "portal/link_sent.html", {"minutes": auth.LINK_MINUTES})
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/sign_in.html", {"form": form, "minutes": auth.LINK_MINUTES}, status=status)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def link(request, token):
    """GET: a button that signs in (scanners that fetch the link spend nothing); POST: sign in."""
    if not ratelimit.allowed(
        "portal-link-open", client_ip(request), limit=LINK_LIMIT_PER_MINUTE, window_seconds=60
    ):
        return render(request, "portal/link_invalid.html", status=429)
    if request.method == "GET":
        found = auth.link_find(token)
        if found is None:
            return render(request, "portal/link_invalid.html", status=404)
        return render(request, "portal/link_confirm.html", {"person": found.person})
    signed_in = auth.link_redeem(token=token)
    if signed_in is None:
        return render(request, "portal/link_invalid.html", status=404)
    response = redirect("portal:ticket_list")
    response.set_signed_cookie(
        auth.COOKIE_NAME,
        signed_in.key,
        salt=auth.COOKIE_SALT,
        max_age=auth.SESSION_HOURS * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
        path=reverse("portal:ticket_list"),
    )
    return response


@login_not_required
@never_cache
@require_POST
def sign_out(request):
    session = portal_session(request)
    if session is not None:
        auth.session_end(session=session)
    response = redirect("portal:sign_in")
    response.delete_cookie(auth.COOKIE_NAME, path=reverse("portal:ticket_list"), samesite="Lax")
    return response


# -- Tickets -----------------------------------------------------------------------------------


@portal_login_required
@require_http_methods(["GET"])
def ticket_list(request):
    person = request.portal_person
    show = request.GET.get("show", "open")
    tickets = selectors.portal_tickets(person)
    if show != "all":
        show = "open"
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    page = paginate(tickets, request.GET.get("page"), per_page=PER_PAGE)
    return render(request, "portal/ticket_list.html", {"page": page, "show": show})


@portal_login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    person = request.portal_person
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limit, window = TICKET_LIMIT
        if not ratelimit.allowed("portal-ticket", str(person.pk), limit=limit, window_seconds=window):
            form.add_error(None, _too_many())
            return render(request, "portal/ticket_form.html", {"form": form}, status=429)
        try:
            ticket = services.ticket_create(
                actor=None,
                values={
                    "subject": form.cleaned_data["subject"],
                    "description": form.cleaned_data["description"],
                    "channel": Ticket.Channel.PORTAL,
                    "contact": person,
                    "company": person.company,
                },
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect("portal:ticket_detail", pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/ticket_form.html", {"form": form}, status=status)


def _too_many() -> str:
    return gettext("You have sent many requests in a short time. Please try again later.")


def _ticket_page(request, ticket: Ticket, form: ReplyForm, status: int = 200):
    form.helper.form_action = reverse("portal:ticket_reply", kwargs={"pk": ticket.pk})
    return render(
        request,
        "portal/ticket_detail.html",
        {"ticket": ticket, "conversation": selectors.portal_conversation(ticket), "form": form},
        status=status,
    )


@portal_login_required
@require_http_methods(["GET"])
def ticket_detail(request, pk: int):
    ticket = selectors.portal_ticket_or_404(request.portal_person, pk)
    return _ticket_page(request, ticket, ReplyForm())


@portal_login_required
@require_POST
def ticket_reply(request, pk: int):
    person = request.portal_person
    ticket = selectors.portal_ticket_or_404(person, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_customer_message(
                ticket=ticket,
                body=form.cleaned_data["body"],
                person=person,
                email=person.email,
                channel=Ticket.Channel.PORTAL,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("body", message)
        else:
            return redirect(reverse("portal:ticket_detail", kwargs={"pk": ticket.pk}) + "#reply")
    return _ticket_page(request, ticket, form, status=400)


# -- Answers (the knowledge base's published public articles) ----------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET"])
def article_list(request):
    form = ArticleSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    _note_signed_in(request)
    context = {"form": form, "query": query}
    if query:
        context["results"] = public_search(query)
    else:
        context["page"] = paginate(public_articles(), request.GET.get("page"), per_page=PER_PAGE)
    return render(request, "portal/article_list.html", context)


@login_not_required
@never_cache
@require_http_methods(["GET"])
def article_detail(request, pk: int):
    article = public_articles().filter(pk=pk).first()
    if article is None:
        raise Http404
    _note_signed_in(request)
    return render(request, "portal/article_detail.html", {"article": article})


def _note_signed_in(request) -> None:
    """On the pages open to all, the layout still shows a signed-in customer as signed in."""
    session = portal_session(request)
    request.portal_person = session.person if session else None
