"""Admin: the log of received mail, read only, to answer "what became of that e-mail?". Portal
links and sessions hold only hashes and are not shown."""

from django.contrib import admin

from crm.admin import BigTableAdminMixin, ReadOnlyAdmin
from support.portal.models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["received_at", "key", "outcome", "reason", "ticket"]
    list_filter = ["outcome"]
    search_fields = ["key"]
    list_select_related = ["ticket"]
