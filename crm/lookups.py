"""Admin-editable lists of values (contact types, sectors, lead sources…) shared by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Lookup(models.Model):
    """An admin-editable list of values (contact types, sectors…) instead of hard-coded choices."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name
