from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts import required_fields
        from contacts.filters import CompanyFilter, PersonFilter
        from contacts.forms import CompanyForm, PersonForm
        from contacts.models import Company, Person, RequiredField
        from crm import documents, lookup_cache, search

        # The required fields: the forms and cards read them on every page.
        lookup_cache.watch(RequiredField)
        required_fields.register(Company, form_fields=CompanyForm._meta.fields)
        required_fields.register(Person, form_fields=PersonForm._meta.fields)
        search.register_search_list("companies", _("Companies"), Company, CompanyFilter)
        search.register_search_list("people", _("People"), Person, PersonFilter)
        documents.register_parent(Company)
        documents.register_parent(Person)

        from contacts import selectors
        from crm import cards, custom_fields

        custom_fields.register_target(Company, _("Company"))
        custom_fields.register_target(Person, _("Person"))
        # The cards' own panels; the apps above add theirs between them (deals 20, leads 40).
        cards.register_panel(
            Company,
            cards.Panel(
                "contacts/partials/company_people.html",
                lambda company, user: {"people": selectors.people_of_company(user=user, company=company)},
                order=10,
            ),
        )
        # Where activities will put its timeline of to-dos and history.
        timeline = cards.Panel("contacts/partials/timeline.html", lambda record, user: {}, order=30)
        cards.register_panel(Company, timeline)
        cards.register_panel(Person, timeline)
        # gdpr
        from gdpr import registry as gdpr_registry

        gdpr_registry.register_subject(
            gdpr_registry.Subject(
                key="person",
                model=Person,
                fields=(
                    gdpr_registry.PersonalField("first_name", "Anonymised", always=True),
                    gdpr_registry.PersonalField("last_name", lambda person: f"#{person.pk}", always=True),
                    gdpr_registry.PersonalField("email"),
                    gdpr_registry.PersonalField("phone"),
                    gdpr_registry.PersonalField("linkedin"),
                    gdpr_registry.PersonalField("title"),
                    gdpr_registry.PersonalField("win_result"),
                    gdpr_registry.PersonalField("custom_fields", {}),
                ),
                touched_field="last_touched_at",
                label=_("People"),
                unit_field="business_unit",  # the unit's retention period applies (gdpr admin)
                company_lookup="company__name",
                consent_fields=(
                    "consent_email",
                    "consent_phone",
                    "consent_updated_at",
                    "consent_source",
                    "unsubscribed_at",
                ),
            )
        )
