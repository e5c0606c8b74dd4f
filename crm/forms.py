from django.contrib.auth.forms import PasswordResetForm
from django.template import loader

from crm.email import email_queue


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose mail goes through the outbox and a Celery worker."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body_text = loader.render_to_string(email_template_name, context)
        body_html = ""
        if html_email_template_name is not None:
            body_html = loader.render_to_string(html_email_template_name, context)
        email_queue(recipients=[to_email], subject=subject, body_text=body_text, body_html=body_html)
