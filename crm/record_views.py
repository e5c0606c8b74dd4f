"""The create and edit flows every record page shares: duplicate warnings on create, version
checks on save, errors from services shown on the form. Views call these with their services."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.exceptions import StaleRecordError


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def create_flow(
    request,
    *,
    form,
    create: Callable[[dict], object],
    find_duplicates: Callable[[dict], list] | None,
    template: str,
    context: dict | None = None,
):
    """Validate, warn about likely duplicates until the user confirms, then create and redirect."""
    duplicates = []
    if request.method == "POST" and form.is_valid():
        if find_duplicates is not None and not form.cleaned_data.get("confirm_duplicate"):
            duplicates = find_duplicates(form.cleaned_data)
        if duplicates:
            form.fields["confirm_duplicate"].widget = forms.CheckboxInput()
            # is_valid() already built (and cached) the bound field, which copied the old label.
            form["confirm_duplicate"].label = _("These are different: create it anyway")
        else:
            try:
                record = create(form.service_values())
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _("%(record)s created.") % {"record": record})
                return redirect(record)
    return render(request, template, {"form": form, "duplicates": duplicates, **(context or {})})


def update_flow(
    request,
    *,
    form,
    record,
    update: Callable[[dict, int], object],
    template: str,
    context: dict | None = None,
    on_success: Callable[[object], object] | None = None,
):
    """Validate and save; when someone saved the record meanwhile, refuse (409) and show theirs.

    `on_success` answers instead of the redirect to the record (e.g. an htmx fragment)."""
    context = {"form": form, "record": record, **(context or {})}
    if request.method == "POST" and form.is_valid():
        try:
            saved = update(form.service_values(), form.cleaned_data["version"])
        except StaleRecordError as stale:
            form.add_error(
                None,
                _(
                    "Someone else saved this record while you were editing it. What is saved now is shown "
                    "below the form: check your changes against it and save again."
                ),
            )
            form.data = form.data.copy()
            form.data["version"] = stale.current.version
            return render(request, template, {**context, "stored": stale.current}, status=409)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            if on_success is not None:
                return on_success(saved)
            messages.success(request, _("%(record)s saved.") % {"record": saved})
            return redirect(saved)
    return render(request, template, context)


def delete_flow(request, *, record, delete: Callable[[], None], redirect_to: str):
    """GET asks for confirmation; POST deletes through the service and goes back to the list."""
    if request.method == "POST":
        delete()
        messages.success(request, _("%(record)s deleted.") % {"record": record})
        return redirect(redirect_to)
    return render(request, "includes/confirm_delete.html", {"record": record})
