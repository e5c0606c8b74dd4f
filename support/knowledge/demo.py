"""Demo data of the knowledge base (issue 15 item 10): 30 articles in 5 categories — public
answers for the customer portal, internal ones for agents, a few drafts — written through the
services, so they carry history and audit rows like articles written on the pages."""

from __future__ import annotations

from django.db import transaction

from support.knowledge import services
from support.knowledge.models import Article, Category

CATEGORIES = [
    "Getting started",
    "Scanning and digitising",
    "Billing and contracts",
    "Troubleshooting",
    "Agent playbook",
]
D, P = Article.Status.DRAFT, Article.Status.PUBLISHED
PUB, INT = Article.Audience.PUBLIC, Article.Audience.INTERNAL
ARTICLES = [
    # category, title, status, audience, body
    (0, "How do I send you material to digitise?", P, PUB, "Pack reels, tapes or documents in the crates we send you, fill in the delivery list and book a pickup in the portal.\n\nWe confirm receipt within one working day."),
    (0, "How long does a digitising job take?", P, PUB, "A standard job takes ten working days from receipt. Express jobs take three working days and cost 40 % more.\n\nThe due date is shown on your ticket."),
    (0, "Which file formats do you deliver?", P, PUB, "Film: ProRes 422 HQ and H.264 access copies. Paper: PDF/A and TIFF. Audio: WAV 96 kHz / 24 bit.\n\nAsk for other formats on a ticket."),
    (0, "How do I follow my ticket?", P, PUB, "Sign in to the customer portal with the link we e-mail you, open \"My tickets\" and choose the ticket. Replies arrive by e-mail as well."),
    (0, "Who can open tickets for my company?", P, PUB, "Every contact of your company registered with us can sign in to the portal and open tickets. Ask your account manager to add a colleague."),
    (0, "Welcome pack for new customers", D, PUB, "Draft: what a new customer receives in the first week (contacts, portal, crates)."),
    (1, "What resolution do you scan 35 mm film at?", P, PUB, "35 mm film is scanned at 4K (4096 × 3112) by default, 2K on request. 16 mm film is scanned at 2K or 4K."),
    (1, "Can you digitise microfilm and microfiche?", P, PUB, "Yes: 16 and 35 mm microfilm rolls and A6 microfiche, at 400 dpi greyscale, with OCR of typed text."),
    (1, "Handling vinegar-syndrome film", P, INT, "Reels that smell of vinegar go to the isolation shelf at once. Log the reel number on the ticket, tell the customer, and scan them first with the low-tension gate."),
    (1, "Colour grading of faded film", P, PUB, "We deliver a flat scan and, on request, a graded copy that restores faded colours. Grading is billed by the hour."),
    (1, "Scanner calibration checklist", P, INT, "Every Monday: run the IT8 target, check the light source hours, clean the gate and rollers, log the result in the scanner book."),
    (1, "Which paper sizes fit the book scanner?", P, PUB, "The book scanner takes bound volumes up to A2 open and 10 cm thick. Loose sheets up to A0 go on the large-format scanner."),
    (2, "How are digitising jobs invoiced?", P, PUB, "We invoice when the files are delivered, 30 days net. Contract customers are invoiced monthly for the month's jobs."),
    (2, "What does my service contract cover?", P, PUB, "A service contract gives you an answer within the contract's first-response time, priority scanning slots and a named contact. Your contract's end date is shown in the portal."),
    (2, "Warranty on delivered files", P, PUB, "Files are checked against checksums on delivery. If a delivered file is damaged within 12 months we deliver it again free of charge."),
    (2, "Discounts for archives and museums", P, INT, "Public archives and museums get 10 % off list prices; approve larger discounts with the manager before quoting."),
    (2, "Renewing an expiring contract", P, INT, "Sixty days before the end, call the customer, offer the same terms plus the yearly index, and log the call on the contract's company."),
    (2, "Price list 2027", D, INT, "Draft of next year's prices: waiting for the board."),
    (3, "The portal link in my e-mail does not work", P, PUB, "Sign-in links work once and expire after 15 minutes. Ask for a new link on the portal's sign-in page and open it in the same browser."),
    (3, "My delivered video will not play", P, PUB, "ProRes files need a player that supports ProRes, such as VLC. The H.264 access copy plays everywhere."),
    (3, "Download of large files stops half way", P, PUB, "Use the download manager link in the delivery mail: it resumes interrupted downloads. Files over 50 GB are also sent on a disk on request."),
    (3, "Checksums do not match", P, PUB, "Download the file again. If the checksum still differs, open a ticket with the file name; we send a new copy the same day."),
    (3, "Customer reports missing pages in a PDF", P, INT, "Check the scan log for skipped pages (the feeder flags double feeds). Rescan the volume's missing pages and deliver a new PDF with the same name."),
    (3, "Tape is sticky or squeals", P, INT, "Sticky-shed tapes must be baked at 50 °C for 8 hours before playback. Never play a squealing tape twice: it sheds oxide onto the heads."),
    (4, "Writing the first reply", P, INT, "Greet the contact by name, restate the request in one sentence, say what happens next and when. Insert an article when one answers the question."),
    (4, "When to escalate a ticket", P, INT, "Escalate when the customer's contract is at risk, when a delivery is late by more than two days, or when material is damaged in our care."),
    (4, "Logging a phone call", P, INT, "Log every call on the ticket as a call activity with its duration and outcome; set a callback to-do if you promised one."),
    (4, "Merging duplicate tickets", P, INT, "Merge when the same customer wrote twice about the same job. Keep the older ticket; the replies of the other are moved to it."),
    (4, "Tone of voice", D, INT, "Draft: short sentences, no jargon, always a next step."),
    (4, "Out-of-hours on-call rota", P, INT, "Urgent tickets outside business hours page the on-call agent; the rota is in the team calendar."),
]  # fmt: skip


@transaction.atomic
def demo_knowledge_ensure(*, users) -> int:
    """Create the demo categories and articles once; returns the number of articles made."""
    if Category.objects.filter(name=CATEGORIES[0]).exists():
        return 0
    admin = users["admin"]
    authors = [users.get("manager", admin), admin]
    categories = [
        services.category_create(actor=admin, values={"name": name, "position": position * 10})
        for position, name in enumerate(CATEGORIES)
    ]
    for number, (category, title, status, audience, body) in enumerate(ARTICLES):
        author = authors[number % len(authors)]
        article = services.article_create(
            actor=author,
            values={
                "title": title,
                "body": body,
                "category": categories[category],
                "status": status,
                "audience": audience,
            },
        )
        if article.is_published:  # some readers' answers to "was this helpful"
            Article.objects.filter(pk=article.pk).update(helpful_yes=2 + number % 7, helpful_no=number % 3)
    return len(ARTICLES)
