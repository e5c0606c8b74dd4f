from crm.navigation import navigation_for


def navigation(request):
    match = getattr(request, "resolver_match", None)
    section = ""
    if match is not None:
        section = match.namespace or (match.url_name or "")
        if match.view_name.startswith("opportunities:board"):
            section = "board"
    return {"navigation": navigation_for(request.user, section)}
