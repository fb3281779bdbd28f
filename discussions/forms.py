import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagField

from discussions import links, rules

TOPIC_MESSAGES = {
    rules.TOPIC_TOO_LONG: _("“%(name)s” is too long for a topic: at most %(limit)s characters."),
    rules.TOPIC_CONTROL: _("“%(name)s” holds a line break or a control character."),
    rules.TOPIC_SEPARATOR: _(
        "“%(name)s” holds a comma, a double quote or “-->”, which separate topics: "
        "write the topic without them."
    ),
    rules.TOPIC_NO_ADDRESS: _("“%(name)s” needs a letter or a digit to be a topic."),
}


def validate_topic(name):
    """A topic name the archive can hold (rules.topic_fault), or a message in the reader's language."""
    if fault := rules.topic_fault(name):
        shown = name if len(name) <= 60 else name[:57] + "…"
        raise forms.ValidationError(
            TOPIC_MESSAGES[fault], code="topic", params={"name": shown, "limit": rules.TOPIC_LENGTH}
        )


def validate_link(url):
    """A URL a page may link to (links.ALLOWED_SCHEMES), for the admin's paper and reference forms."""
    if url and not links.is_allowed(url):
        raise forms.ValidationError(
            _("A link must start with http:, https: or mailto:."), code="scheme", params={"url": url}
        )


class PostForm(forms.Form):
    """A Markdown body; `version` is the version the writer started from (see Post.save_text)."""

    body = forms.CharField(
        label=_("Text"),
        strip=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: blank line between paragraphs, **bold**, [link](https://…), `code`."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_body(self):
        # A NUL is refused by the field itself (Django's message); the other control characters
        # (a form feed pasted from a PDF) show as nothing, so they are dropped, as files drop them.
        body = rules.without_controls(self.cleaned_data["body"])
        body = unicodedata.normalize("NFC", body).replace("\r\n", "\n").strip()
        if not body:
            raise forms.ValidationError(_("Write something before saving."))
        return body


class TopicsForm(forms.Form):
    topics = TagField(
        label=_("Topics"),
        required=False,
        help_text=_("Separate topics with commas, e.g. bias, efficiency."),
        widget=forms.TextInput(attrs={"list": "known-topics", "autocomplete": "off"}),
    )

    def clean_topics(self):
        names = self.cleaned_data["topics"]
        errors = []
        for name in names:
            try:
                validate_topic(name.strip())
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return names
