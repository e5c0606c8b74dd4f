from django.core.management.base import BaseCommand

from activities.demo import demo_activities_ensure
from contacts.demo import demo_companies_ensure, demo_people_count
from crm.demo import DEMO_PASSWORD, DEMO_USERS, demo_users_ensure
from leads.demo import demo_leads_ensure
from opportunities.demo import demo_deals_ensure


class Command(BaseCommand):
    help = "Create demo users (one per role), teams and records. Safe to run more than once."

    def handle(self, *args, **options):
        users = demo_users_ensure()
        companies = demo_companies_ensure(users=users)
        leads = demo_leads_ensure(users=users)
        deals = demo_deals_ensure(users=users)
        activities = demo_activities_ensure(users=users)
        # marketing: plans, campaigns, segments, scoring and mail settings
        from marketing.demo import demo_marketing_ensure

        demo_marketing_ensure(users=users)
        # marketing: e-mail campaigns
        from marketing.mailings.demo import demo_mailings_ensure

        demo_mailings_ensure(users=users)
        # marketing: web forms and website tracking
        from marketing.webforms.demo import demo_webforms_ensure

        demo_webforms_ensure(users=users)
        # support: tickets
        from support.demo import demo_tickets_ensure

        demo_tickets_ensure(users=users)
        # support: SLA, contracts, workload and reports
        from support.sla_demo import demo_sla_ensure

        demo_sla_ensure(users=users)
        # support: knowledge base
        from support.knowledge.demo import demo_knowledge_ensure

        demo_knowledge_ensure(users=users)
        # support: portal and e-mail in
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} users, {companies} companies, {demo_people_count()} people, "
                f"{leads} leads, {deals} deals, {activities} activities."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.username:<11} {demo.role.label}")
