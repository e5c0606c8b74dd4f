"""The project's URLs with the document routes inside "contacts", as contacts/urls.py will have them."""

from django.urls import include, path

from contacts import urls as contacts_urls
from crm.urls import urlpatterns as crm_urlpatterns

contacts_patterns = [*contacts_urls.urlpatterns, path("", include("contacts.document_urls"))]

# First in the list wins both resolving and reversing, so this "contacts" replaces the project's.
urlpatterns = [path("contacts/", include((contacts_patterns, "contacts"))), *crm_urlpatterns]
