"""Admin: tickets, their conversation and queues are worked on support's own pages, whose services
keep the rules (the SLA clock, assignment rules, mail to the customer, audit rows). Here
administrators look them up, read only. SLA policies and contracts are set up on their own pages
(support.sla_views, support.contracts_views)."""

from django.contrib import admin

from crm.admin import BigTableAdminMixin, ReadOnlyAdmin
from support.models import Queue, Ticket, TicketMessage


@admin.register(Queue)
class QueueAdmin(ReadOnlyAdmin):
    list_display = ["name", "team", "assignment", "email_address", "is_default", "is_active"]
    list_filter = ["assignment", "is_active"]
    search_fields = ["name"]
    list_select_related = ["team"]


@admin.register(Ticket)
class TicketAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["id", "subject", "status", "priority", "channel", "queue", "owner", "created_at"]
    list_display_links = ["id", "subject"]
    list_filter = ["status", "priority", "channel", "queue"]
    search_fields = ["=id", "subject"]
    list_select_related = ["queue", "owner"]


@admin.register(TicketMessage)
class TicketMessageAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "kind", "channel", "author", "author_email"]
    list_filter = ["kind", "channel"]
    search_fields = ["=ticket__id"]
    list_select_related = ["ticket", "author"]
