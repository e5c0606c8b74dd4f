"""The queue view's filter bar (django-filter): status, priority, queue, assignee, company (an
autocomplete: never a dropdown of every company), channel and a search over number and subject."""

from __future__ import annotations

import django_filters
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contacts.models import Company
from crm import access
from crm.models import User
from crm.search import search
from crm.widgets import AutocompleteSelect
from support.models import Priority, Queue, Ticket


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search_text")
    status = django_filters.ChoiceFilter(
        choices=Ticket.Status.choices,
        label=_("Status"),
        # A status chosen applies in place of the view's "open" (support.selectors.ticket_list).
        empty_label=_("As in the view"),
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, label=_("Priority"), empty_label=_("All")
    )
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.none(), label=_("Queue"))
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Assignee"))
    company = django_filters.ModelChoiceFilter(
        queryset=Company.objects.none(),
        label=_("Company"),
        widget=AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete")),
    )
    channel = django_filters.ChoiceFilter(
        choices=Ticket.Channel.choices, label=_("Channel"), empty_label=_("All")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created"), ("first_response_due_at", "first_response_due")),
        label=_("Sort"),
        empty_label=_("Resolution due (newest first in All)"),
    )

    class Meta:
        model = Ticket
        fields = ["q", "status", "priority", "queue", "owner", "company", "channel"]

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["queue"].queryset = Queue.objects.filter(is_active=True).only("name")
        self.filters["owner"].queryset = access.visible_users(user).order_by(
            "first_name", "last_name", "username"
        )
        self.filters["company"].queryset = Company.objects.visible_to(user)

    def search_text(self, queryset, name, value):
        term = value.strip().lstrip("#")
        if term.isdigit() and len(term) < 12:
            return queryset.filter(pk=int(term)) | search(queryset, term)
        return search(queryset, value)
