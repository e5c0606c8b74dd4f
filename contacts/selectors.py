from contacts.models import Company


def company_list(*, user):
    """Companies `user` may see, with what the list shows."""
    return Company.objects.visible_to(user).select_related("owner", "team")
