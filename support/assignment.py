"""Who gets a new ticket of a queue (issue 15 item 5): nobody (manual), the next member of the
queue's team in turn (round-robin), or the member with the fewest open tickets (least-loaded).
Only active members count; a queue without a team assigns nobody."""

from __future__ import annotations

from django.db.models import Count

from crm.models import User
from support.models import Queue, Ticket


def candidates(queue: Queue) -> list[User]:
    """The active members of the queue's team, in a fixed order."""
    if queue.team_id is None:
        return []
    return list(User.objects.filter(is_active=True, teams=queue.team_id).order_by("pk"))


def next_agent(queue: Queue | None) -> User | None:
    """The agent a new ticket of `queue` goes to under its rule (None: stays unassigned). For
    round-robin the queue row is locked and its pointer moved, so two tickets made at once go to
    two agents."""
    if queue is None or queue.assignment == Queue.Assignment.MANUAL:
        return None
    agents = candidates(queue)
    if not agents:
        return None
    if queue.assignment == Queue.Assignment.ROUND_ROBIN:
        locked = Queue.objects.select_for_update().get(pk=queue.pk)
        after = [agent for agent in agents if locked.last_assigned_id and agent.pk > locked.last_assigned_id]
        chosen = after[0] if after else agents[0]
        Queue.objects.filter(pk=queue.pk).update(last_assigned=chosen)
        return chosen
    open_counts = dict(
        Ticket.objects.filter(owner__in=agents, status__in=Ticket.OPEN_STATUSES)
        .values("owner")
        .annotate(count=Count("pk"))
        .values_list("owner", "count")
    )
    loads = {agent.pk: open_counts.get(agent.pk, 0) for agent in agents}
    return min(agents, key=lambda agent: (loads[agent.pk], agent.pk))
