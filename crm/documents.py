"""Documents attached to records: what may be uploaded, and how attaching and deleting work.

A document hangs off a parent record (a company, a person, later a deal) through a generic
relation and is visible and editable exactly when its parent is: the views check the parent
through crm.access. Parent models register themselves with ``register_parent`` from their
app's AppConfig.ready (contacts: companies and people; opportunities: deals), so the kernel
names no app.

What an upload must pass (``validate_upload``), each failure a user-facing ValidationError:

- not empty, and at most ``settings.CRM_DOCUMENT_MAX_BYTES`` (default 20 MiB). Django has
  already received the whole body by then: the web server in front (client_max_body_size)
  must cap request bodies too;
- an extension in ``settings.CRM_DOCUMENT_ALLOWED_EXTENSIONS`` (default: pdf, png, jpg, jpeg,
  gif, webp, txt, csv, docx, xlsx, pptx, odt, ods, eml);
- content that matches the extension: magic bytes for PDF and images; for office files a
  valid zip holding the parts of that format, and no zip bomb (declared uncompressed total
  and compression ratio, read from the central directory without extracting anything);
  for text files no NUL byte and UTF-8 (CSV may also be Latin-1). An extension an operator
  adds that this module does not know is accepted unchecked, as application/octet-stream;
- the uploader's name is only a label: it is reduced to a safe base name, and the file is
  stored under a name of our own (crm.models.document_path).

Virus scanning is not done. Files are assumed to be free of malware: the CRM never executes,
parses beyond the checks above, or serves them inline — downloads are always attachments
with the stored MIME type and ``X-Content-Type-Options: nosniff``. Operators who need
scanning should add it in ``validate_upload`` (a ClamAV hook, e.g. clamd's INSTREAM) or put
a scanning proxy in front of the upload route.

Files and rows stay together although storage is not transactional. ``document_attach``
writes the file before its row and removes it again when the attach fails; when the
transaction it runs in rolls back later (a quote whose PDF was stored fails further on), the
file goes with it (``_remove_file_on_rollback``). What no process is left to remove — a worker
killed mid-transaction — ``documents_sweep_orphans`` deletes within the hour
(crm.tasks.documents_sweep_orphans, scheduled in CELERY_BEAT_SCHEDULE). When storage itself
fails (a full disk, EFBIG, EIO, a permission error) the partly written file is removed at once
and ``DocumentStorageError`` (a ValidationError: "The server could not store the file; try
again later.") is raised before any row is written; quote and order PDFs go through the same
path, so their transaction rolls back with it.
"""

from __future__ import annotations

import codecs
import logging
import posixpath
import re
import unicodedata
import weakref
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Document
from crm.pagination import Capped, capped
from crm.services import audit_record

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# Where crm.models.document_path stores every document.
STORAGE_FOLDER = "documents"
# A file this old without a row is no upload in progress: its transaction is long over.
ORPHAN_AGE = timedelta(hours=1)
SWEEP_BATCH = 500

DEFAULT_MAX_BYTES = 20 * MIB
DEFAULT_ALLOWED_EXTENSIONS = (
    "pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "csv",
    "docx", "xlsx", "pptx", "odt", "ods", "eml",
)  # fmt: skip
DEFAULT_ZIP_MAX_UNCOMPRESSED_BYTES = 200 * MIB
DEFAULT_ZIP_MAX_RATIO = 100
# Below this total a high ratio is harmless (a tiny member of blanks compresses 1000-fold).
ZIP_RATIO_APPLIES_ABOVE = 1 * MIB
# Thousands of members is a different bomb (work per entry) and no real office file has them.
ZIP_MAX_MEMBERS = 10_000
MAX_NAME_LENGTH = 150
HEAD_BYTES = 8192

MIME_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "txt": "text/plain",
    "csv": "text/csv",
    "eml": "message/rfc822",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
UNKNOWN_MIME_TYPE = "application/octet-stream"

# The folder every Office Open XML file of that kind keeps its main part in.
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# OpenDocument files name their own type in an uncompressed first member called "mimetype".
ODF_EXTENSIONS = {"odt", "ods"}
TEXT_EXTENSIONS = {"txt", "csv", "eml"}
LATIN1_EXTENSIONS = {"csv"}  # spreadsheet programs still save CSV in Latin-1 / Windows-1252

# An e-mail file opens with a header line ("Received: …") or an mbox "From " line.
EMAIL_FIRST_LINE = re.compile(rb"^(?:[!-9;-~]+:|From )")


# -- Parent records ---------------------------------------------------------------------------

_parents: dict[str, type[models.Model]] = {}


def register_parent(model: type[models.Model]) -> None:
    """Allow documents on `model` (an owned model that crm.access can scope), by its model name."""
    _parents[model._meta.model_name] = model


def parent_model(model_name: str) -> type[models.Model] | None:
    """The registered parent model called `model_name` ("company", "person"…), or None."""
    return _parents.get(model_name)


def is_parent_model(model: type[models.Model] | None) -> bool:
    """Whether documents may hang off `model` (False for a stale content type)."""
    return model is not None and _parents.get(model._meta.model_name) is model


# Checks an app adds to downloading a document whose record is visible: a quote's PDF names the
# deal's company and contact, so opportunities withholds it from who may not see them.
_download_guards: list[Callable[[Document, object], bool]] = []


def register_download_guard(withheld: Callable[[Document, object], bool]) -> None:
    """`withheld(document, user)` returns True when `user` must not download `document`."""
    if withheld not in _download_guards:
        _download_guards.append(withheld)


def is_withheld(document: Document, user) -> bool:
    """Whether a registered guard withholds `document` from `user` (its record being visible)."""
    return any(withheld(document, user) for withheld in _download_guards)


# -- Validation -------------------------------------------------------------------------------


def max_bytes() -> int:
    return getattr(settings, "CRM_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def allowed_extensions() -> list[str]:
    configured = getattr(settings, "CRM_DOCUMENT_ALLOWED_EXTENSIONS", DEFAULT_ALLOWED_EXTENSIONS)
    return [extension.lower().lstrip(".") for extension in configured]


def megabytes(size: int) -> str:
    """`size` in MB for messages: "20", "1.5", never "0"."""
    return f"{max(round(size / MIB, 2), 0.01):g}"


def _split_name(raw_name: str) -> tuple[str, str]:
    """(stem, lower-case extension) of the uploader's file name, made safe to show and send."""
    # Browsers on Windows may send a whole path; only the last part is a name.
    name = re.split(r"[/\\]", raw_name or "")[-1]
    name = unicodedata.normalize("NFC", name)
    # Control characters could split headers; format characters (right-to-left override,
    # zero-width) can make "invoice\u202efdp.exe" look like "invoiceexe.pdf".
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf"})
    name = " ".join(name.split())
    # Windows drops trailing dots and spaces, so "report.pdf." would open as report.pdf.
    name = name.rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        return name, ""
    return stem.strip(" ."), extension.strip().lower()


def _safe_name(stem: str, extension: str) -> str:
    stem = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .") or "document"
    return f"{stem}.{extension}"


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _check_size(uploaded_file) -> None:
    size = uploaded_file.size or 0
    if size == 0:
        raise _refuse(_("The file is empty."), "empty")
    limit = max_bytes()
    if size > limit:
        raise _refuse(
            _("The file is larger than the limit of %(limit)s MB.") % {"limit": megabytes(limit)},
            "too_large",
        )


def _check_extension(extension: str) -> None:
    allowed = allowed_extensions()
    listed = ", ".join(sorted(set(allowed)))
    if not extension:
        raise _refuse(
            _("The file name has no extension, so its type is unknown. Allowed types: %(allowed)s.")
            % {"allowed": listed},
            "type_not_allowed",
        )
    if extension not in allowed:
        raise _refuse(
            _("Files of type .%(extension)s cannot be attached. Allowed types: %(allowed)s.")
            % {"extension": extension, "allowed": listed},
            "type_not_allowed",
        )


def _mismatch(extension: str) -> ValidationError:
    return _refuse(
        _(
            "The content of this file does not match its .%(extension)s extension; "
            "it may be another kind of file that was renamed."
        )
        % {"extension": extension},
        "content_mismatch",
    )


def _read_head(uploaded_file) -> bytes:
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    return head


def _head_matches(extension: str, head: bytes) -> bool:
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in {"jpg", "jpeg"}:
        return head.startswith(b"\xff\xd8\xff")
    if extension == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in OOXML_FOLDERS or extension in ODF_EXTENSIONS:
        return head.startswith(b"PK\x03\x04")
    if extension == "eml":
        first_line = head.removeprefix(codecs.BOM_UTF8).lstrip(b"\r\n")
        return bool(EMAIL_FIRST_LINE.match(first_line))
    return True


def _check_text(uploaded_file, extension: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    for chunk in uploaded_file.chunks():
        if b"\x00" in chunk:
            raise _refuse(
                _("This .%(extension)s file contains binary data, not text.") % {"extension": extension},
                "not_text",
            )
        if is_utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    # Latin-1 decodes every byte, so for CSV "no NUL byte" is the whole remaining test.
    if not is_utf8 and extension not in LATIN1_EXTENSIONS:
        raise _refuse(
            _("This .%(extension)s file is not UTF-8 text; save it as UTF-8 and try again.")
            % {"extension": extension},
            "not_text",
        )


def _check_zip(uploaded_file, extension: str) -> None:
    """Inspect the central directory only: nothing is decompressed except ODF's tiny mimetype."""
    not_a_zip = _refuse(
        _("This .%(extension)s file is damaged or is not really a .%(extension)s file.")
        % {"extension": extension},
        "zip_invalid",
    )
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            members = archive.infolist()
            if len(members) > ZIP_MAX_MEMBERS:
                raise _zip_bomb(extension)
            uncompressed = sum(member.file_size for member in members)
            limit = getattr(
                settings, "CRM_DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES", DEFAULT_ZIP_MAX_UNCOMPRESSED_BYTES
            )
            ratio = getattr(settings, "CRM_DOCUMENT_ZIP_MAX_RATIO", DEFAULT_ZIP_MAX_RATIO)
            if uncompressed > limit:
                raise _zip_bomb(extension, limit)
            if uncompressed > ZIP_RATIO_APPLIES_ABOVE and uncompressed > ratio * uploaded_file.size:
                raise _zip_bomb(extension)
            names = {member.filename for member in members}
            if extension in OOXML_FOLDERS:
                folder = OOXML_FOLDERS[extension]
                if "[Content_Types].xml" not in names or not any(name.startswith(folder) for name in names):
                    raise _mismatch(extension)
            elif extension in ODF_EXTENSIONS:
                if "mimetype" not in names:
                    raise not_a_zip
                with archive.open("mimetype") as member:
                    declared = member.read(100).strip()
                if declared != MIME_TYPES[extension].encode():
                    raise _mismatch(extension)
    except ValidationError:
        raise
    except Exception:
        # Whatever breaks while reading the directory or the mimetype (bad headers, corrupt
        # deflate data, encryption, unknown compression) means the file is not what it claims.
        raise not_a_zip from None
    finally:
        uploaded_file.seek(0)


def _zip_bomb(extension: str, limit: int | None = None) -> ValidationError:
    if limit is not None:
        message = _(
            "This .%(extension)s file would expand to more than %(limit)s MB when opened, "
            "so it cannot be attached."
        ) % {"extension": extension, "limit": megabytes(limit)}
    else:
        message = _(
            "This .%(extension)s file expands far beyond its size when opened (a possible "
            "zip bomb), so it cannot be attached."
        ) % {"extension": extension}
    return _refuse(message, "zip_bomb")


def validate_upload(uploaded_file) -> tuple[str, str]:
    """(safe file name, MIME type) of an acceptable upload; ValidationError saying why not."""
    _check_size(uploaded_file)
    stem, extension = _split_name(uploaded_file.name)
    _check_extension(extension)
    if not _head_matches(extension, _read_head(uploaded_file)):
        raise _mismatch(extension)
    if extension in OOXML_FOLDERS or extension in ODF_EXTENSIONS:
        _check_zip(uploaded_file, extension)
    elif extension in TEXT_EXTENSIONS:
        _check_text(uploaded_file, extension)
    uploaded_file.seek(0)
    return _safe_name(stem, extension), MIME_TYPES.get(extension, UNKNOWN_MIME_TYPE)


# -- Services and selector --------------------------------------------------------------------


def document_attach(*, actor, record: models.Model, uploaded_file) -> Document:
    """Validate `uploaded_file`, store it and attach it to `record`, with an audit row."""
    safe_name, mime_type = validate_upload(uploaded_file)
    document = Document(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        name=safe_name,
        mime_type=mime_type,
        size=uploaded_file.size,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # The file is written before our transaction opens, so that no database transaction
    # stays open while megabytes go to disk; a failed insert removes the file again, and so
    # does a rollback of the caller's transaction.
    _store_file(document, safe_name, uploaded_file)
    _remove_file_on_rollback(document.file.storage, document.file.name)
    try:
        with transaction.atomic():
            document.full_clean()
            document.save()
            audit_record(
                actor=actor, verb="attach document", instance=record, changes={"document": safe_name}
            )
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


class DocumentStorageError(ValidationError):
    """Storage refused the file (a full disk, a quota, an I/O or permission error): nothing was
    kept. A ValidationError, so every caller that shows refusals shows this one too."""

    def __init__(self):
        super().__init__(_("The server could not store the file; try again later."), code="storage_failed")


def _store_file(document: Document, safe_name: str, uploaded_file) -> None:
    field = document.file.field
    try:
        document.file.save(safe_name, uploaded_file, save=False)
    except OSError as error:
        # Storage leaves what it wrote before failing. The stored name is ours (the document's
        # id and the month), so it is known without the save having returned it.
        partial = field.generate_filename(document, safe_name)
        logger.warning("could not store document %s: %s", partial, error)
        try:
            if document.file.storage.exists(partial):
                document.file.storage.delete(partial)
        except OSError:
            logger.warning("could not remove the partial file %s", partial, exc_info=True)
        raise DocumentStorageError from error


@transaction.atomic
def document_delete(*, actor, document: Document) -> None:
    """Delete `document`, with an audit row on its record; the file goes once the delete commits."""
    parent = document.record
    audit_record(
        actor=actor,
        verb="delete document",
        instance=parent if parent is not None else document,
        changes={"document": document.name},
    )
    storage, stored_name = document.file.storage, document.file.name
    document.delete()
    # Removing the file earlier would leave a row without its file if the transaction rolled back.
    if stored_name:
        transaction.on_commit(lambda: storage.delete(stored_name))


def documents_panel(record: models.Model) -> Capped:
    """The newest documents of `record` for its card, capped."""
    return capped(documents_of(record).order_by("-uploaded_at", "-pk"))


def documents_of(record: models.Model) -> models.QuerySet:
    """The documents of `record`, newest first; the caller has checked that `record` is visible."""
    return Document.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("uploaded_by")


# -- Files without rows -----------------------------------------------------------------------


def _remove_file_on_rollback(storage: Storage, name: str) -> None:
    """Delete the stored file `name` if the transaction that is open now rolls back.

    Django has a hook for commit (on_commit) but none for rollback. A rollback, though, drops
    the on_commit callbacks registered inside it, so the callback registered here is released
    at that moment; the finalizer below sees it go without having run and removes the file.
    A commit runs the callback first, which keeps the file. Outside any transaction the
    callback runs at once: there is nothing left to roll back.
    """
    state = {"committed": False}

    def keep_file() -> None:
        state["committed"] = True

    def remove_unless_committed() -> None:
        if state["committed"]:
            return
        try:
            storage.delete(name)
        except Exception:
            # Left for documents_sweep_orphans; a rollback must not fail over any storage error.
            logger.warning("could not remove %s after its transaction rolled back", name, exc_info=True)

    finalizer = weakref.finalize(keep_file, remove_unless_committed)
    # At interpreter exit the open transaction's fate is unknown here; the sweep decides later.
    finalizer.atexit = False
    transaction.on_commit(keep_file)


def _stored_files(storage: Storage, folder: str) -> Iterator[str]:
    directories, files = storage.listdir(folder)
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from _stored_files(storage, posixpath.join(folder, directory))


def documents_sweep_orphans(*, older_than: timedelta = ORPHAN_AGE) -> int:
    """Delete stored document files older than `older_than` that no document row names: what a
    rolled-back transaction left behind when its process died first. Returns how many went."""
    storage = Document._meta.get_field("file").storage
    if not storage.exists(STORAGE_FOLDER):
        return 0
    cutoff = timezone.now() - older_than
    removed = 0
    batch: list[str] = []

    def remove_unreferenced(names: list[str]) -> int:
        referenced = set(Document.objects.filter(file__in=names).values_list("file", flat=True))
        orphans = [name for name in names if name not in referenced]
        for name in orphans:
            storage.delete(name)
        return len(orphans)

    for name in _stored_files(storage, STORAGE_FOLDER):
        # A younger file may belong to an upload whose transaction has not committed yet.
        if storage.get_modified_time(name) >= cutoff:
            continue
        batch.append(name)
        if len(batch) >= SWEEP_BATCH:
            removed += remove_unreferenced(batch)
            batch = []
    if batch:
        removed += remove_unreferenced(batch)
    if removed:
        logger.info("removed %d document files that no document row names", removed)
    return removed
