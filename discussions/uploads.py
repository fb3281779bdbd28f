"""The admin's upload of discussion files: upload → a dry-run preview of every file → confirm →
import, all files or none (PaperAdmin.upload_view).

Between the preview and the confirmation the files wait in the session, on the server: the
confirmation posts only a one-time token, so what is imported is what was previewed.
"""

import base64
import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from discussions import limits, reader

UPLOAD_SESSION_KEY = "discussions.upload"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, as Django's documentation shows."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".md,.markdown,.txt"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Discussion files"),
        help_text=_(
            "Markdown files as the group writes them (FORMAT.md), 2 MB each at most, "
            "20 files and 8 MB at once."
        ),
        # An empty file is refused by the reader, with its name and line like any other refusal.
        allow_empty_file=True,
    )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        if len(uploads) > limits.MAX_UPLOAD_FILES:
            raise forms.ValidationError(
                _("%(count)s files is more than the %(limit)s an upload may hold. Nothing was imported."),
                params={"count": len(uploads), "limit": limits.MAX_UPLOAD_FILES},
            )
        total = sum(upload.size for upload in uploads)
        if total > limits.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("These files are %(size)s MB in all; an upload may hold 8 MB. Nothing was imported."),
                params={"size": f"{total / 1024 / 1024:.1f}"},
            )
        too_big = [upload for upload in uploads if upload.size > limits.MAX_FILE_BYTES]
        if too_big:
            raise forms.ValidationError(
                [
                    forms.ValidationError(
                        _("%(name)s is %(size)s MB; the limit is 2 MB per file. Nothing was imported."),
                        params={"name": upload.name, "size": f"{upload.size / 1024 / 1024:.1f}"},
                    )
                    for upload in too_big
                ]
            )
        return uploads


def read_uploads(files):
    """(name, bytes) pairs → (readings, refusals); a refusal is `file:line: message`, or
    `file: message` for a file above the limits (discussions/limits.py)."""
    readings, refused = [], []
    for name, data in files:
        try:
            readings.append((name, limits.read_discussion(data, name)))
        except reader.FormatError as error:
            refused.append(str(error))
    posts = sum(limits.posts_in(discussion) for _name, discussion in readings)
    if not refused and posts > limits.MAX_UPLOAD_POSTS:
        # The preview is a dry-run import: bounded, so that it answers in seconds.
        refused.append(
            _(
                "These files hold %(count)s questions and answers in all; an upload may hold "
                "%(limit)s. Upload fewer files at once, or use import_discussion."
            )
            % {"count": f"{posts:,}", "limit": f"{limits.MAX_UPLOAD_POSTS:,}"}
        )
    return readings, refused


def keep_for_confirmation(session, files) -> str:
    """Keep (name, bytes) pairs in the session until confirmed; returns the one-time token the
    confirmation must post."""
    token = secrets.token_urlsafe(16)
    session[UPLOAD_SESSION_KEY] = {
        "token": token,
        "files": [[name, base64.b64encode(data).decode("ascii")] for name, data in files],
    }
    return token


def confirmed(session, token):
    """The files previewed under `token`, or None when the preview is out of date (another upload
    replaced it, or it was imported already)."""
    pending = session.get(UPLOAD_SESSION_KEY)
    if not pending or not secrets.compare_digest(pending["token"], token):
        return None
    return [(name, base64.b64decode(data)) for name, data in pending["files"]]


def forget(session):
    session.pop(UPLOAD_SESSION_KEY, None)
