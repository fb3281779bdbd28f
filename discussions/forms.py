import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagField


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
        body = unicodedata.normalize("NFC", self.cleaned_data["body"]).replace("\r\n", "\n").strip()
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
