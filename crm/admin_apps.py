from django.contrib.admin.apps import AdminConfig


class CrmAdminConfig(AdminConfig):
    default_site = "crm.admin_site.CrmAdminSite"
