"""Admin: e-mail campaigns are made on their own pages (the services); here administrators look
at recipients and mark bounces the mail server reported."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ReadOnlyAdmin
from marketing.mailings import services
from marketing.mailings.models import EmailCampaign, Recipient


@admin.register(EmailCampaign)
class EmailCampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "campaign", "segment", "status", "started_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.action(description=_("Mark as bounced"))
def mark_bounced(modeladmin, request, queryset):
    count = services.mark_bounced(recipients=queryset)
    modeladmin.message_user(
        request,
        ngettext("%(count)d mail marked bounced.", "%(count)d mails marked bounced.", count)
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin):
    list_display = ["email", "email_campaign", "status", "sent_at", "opened_at", "clicked_at", "bounced_at"]
    list_filter = ["status", "email_campaign"]
    search_fields = ["email"]
    list_select_related = ["email_campaign"]
    raw_id_fields = ["person", "email_campaign"]
    actions = [mark_bounced]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or super().has_view_permission(request, obj)

    def get_actions(self, request):
        # Actions are offered to who may view; the action itself is an administrator's.
        return super().get_actions(request) if request.user.is_superuser else {}
