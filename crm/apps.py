from django import forms
from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM settings, users and teams")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.models import Group, Permission
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.sessions.models import Session

        # Importing celery binds every @shared_task to the configured app in web processes too; the
        # tasks, the kinds of outbox work and the queueable functions register on import, in every
        # process, so that a web process can publish them and the requeue job knows them all.
        from crm import celery, lookup_cache, password_reset, tasks  # noqa: F401
        from crm.lookups import Lookup
        from crm.models import CustomFieldDefinition, OrganisationSettings, SearchField, Team, User

        # What every page reads: settings, custom fields, teams, users' names, permissions.
        lookup_cache.watch(OrganisationSettings, CustomFieldDefinition, Team)
        # Every admin-edited list of values (in any app) and the search configuration: the
        # filter bars, forms and cards read them on every page.
        lookup_cache.watch(SearchField, *(model for model in apps.get_models() if issubclass(model, Lookup)))
        lookup_cache.watch(User, update_of=("username", "first_name", "last_name", "is_active"))
        # Who is signed in: each process keeps sessions and users until one of them is written.
        lookup_cache.watch_identity(Session, User)
        lookup_cache.watch(
            Group,
            Permission,
            ContentType,
            User.groups.through,
            User.user_permissions.through,
            Group.permissions.through,
            # A team's permission groups reach its members and managers (crm.auth_backends), so
            # who is in a team and which groups it carries decide permissions too.
            Team.permission_groups.through,
            Team.members.through,
            Team.managers.through,
        )
        # Every model choice field (forms, Django admin) takes its options over watched tables
        # from the cache: Django's documented `iterator` hook, set once for all of them.
        forms.ModelChoiceField.iterator = lookup_cache.LookupChoiceIterator
        # After the last migration of every app, so that every watched table exists.
        post_migrate.connect(lookup_cache.install_triggers, sender=self)
