"""Customer service's set-up, contracts, workload and reports: namespace "support_setup",
mounted at support/setup/ by crm/urls.py."""

from django.urls import path

from support import contracts_views, sla_views

app_name = "support_setup"

urlpatterns = [
    path("queues/", sla_views.queue_list, name="queue_list"),
    path("queues/new/", sla_views.queue_edit, name="queue_create"),
    path("queues/<int:pk>/", sla_views.queue_edit, name="queue_update"),
    path("policies/", sla_views.policy_list, name="policy_list"),
    path("policies/new/", sla_views.policy_edit, name="policy_create"),
    path("policies/<int:pk>/", sla_views.policy_edit, name="policy_update"),
    path("contracts/", contracts_views.contract_list, name="contract_list"),
    path("contracts/new/", contracts_views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", contracts_views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", contracts_views.contract_update, name="contract_update"),
    path("workload/", sla_views.workload_board, name="workload"),
    path("reports/", sla_views.sla_report, name="report"),
]
