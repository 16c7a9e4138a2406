"""send-mail: delivers one message queued by a service (the password-reset link), retried with
backoff when the mail server fails; the request that queued it never waits on SMTP."""

from __future__ import annotations

from datetime import timedelta

from reelgraph.jobs.registry import JobContext, JobSummary, job
from reelgraph.services.jobs import SEND_MAIL, mail_of


@job(SEND_MAIL, max_attempts=5, timeout=timedelta(seconds=60))
async def send_mail(ctx: JobContext) -> JobSummary:
    """Delivers the queued message through the configured mailer (SMTP, or the log).

    Sending twice is the one harm a retry can do; it only happens when the server accepted the
    message but the answer was lost, which SMTP itself cannot rule out either.
    """
    mail = mail_of(ctx.params)
    await ctx.services.mailer.send(mail)
    return {"to": mail.to, "subject": mail.subject}
