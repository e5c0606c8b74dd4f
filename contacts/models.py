from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import OwnedModel


class Company(OwnedModel):
    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    email_domain = models.CharField(_("e-mail domain"), max_length=253, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        permissions = [("export_company", _("Can export companies"))]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contacts:company_detail", kwargs={"pk": self.pk})
