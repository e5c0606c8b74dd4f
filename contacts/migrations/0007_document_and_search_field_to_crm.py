"""Documents and the search configuration now belong to crm (its 0007); their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_required_fields"),
        ("crm", "0007_document_and_search_field_from_contacts"),
        # Quotes and orders point at crm.Document before contacts.Document leaves the state.
        ("opportunities", "0009_quote_and_order_documents_in_crm"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Document"),
                migrations.DeleteModel(name="SearchField"),
            ],
            database_operations=[],
        ),
    ]
