import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagField

# One limit for every post, in every form (and the admin's): checked by the server, with a
# message that keeps the text. No `maxlength` on the textarea: a browser would cut a long paste
# to it without a word.
BODY_MAX_CHARS = 20_000


def clean_body_text(text):
    body = unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()
    if not body:
        raise forms.ValidationError(_("Write something before saving."))
    if len(body) > BODY_MAX_CHARS:
        raise forms.ValidationError(
            _(
                "This text is %(length)s characters long; a post may hold %(limit)s. "
                "Shorten it or split it into two posts."
            ),
            params={"length": f"{len(body):,}", "limit": f"{BODY_MAX_CHARS:,}"},
        )
    return body


class PostForm(forms.Form):
    """A Markdown body. `version` is the version the writer started from (discussions.writes);
    `token` is the form's one-time token, which makes a double submit one post."""

    body = forms.CharField(
        label=_("Text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: blank line between paragraphs, **bold**, [link](https://…), `code`."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, authors=None, author_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        if authors is not None:
            # Staff post for any participant (a note someone sent by mail, an answer given aloud);
            # left empty, a staff member linked to a participant posts as themselves.
            self.fields["author"] = forms.ModelChoiceField(
                queryset=authors,
                required=author_required,
                label=_("Written by"),
                help_text=_("Staff may post for any participant."),
            )

    def clean_body(self):
        return clean_body_text(self.cleaned_data["body"])


class TopicsForm(forms.Form):
    topics = TagField(
        label=_("Topics"),
        required=False,
        help_text=_("Separate topics with commas, e.g. bias, efficiency."),
        widget=forms.TextInput(attrs={"list": "known-topics", "autocomplete": "off"}),
    )
