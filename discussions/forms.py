import unicodedata

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagField

from discussions import attachments, links, rules
from discussions.models import Answer, Participant, Preference, Question, Reference

# One limit for every post, in every form (and the admin's): checked by the server, with a
# message that keeps the text. No `maxlength` on the textarea: a browser would cut a long paste
# to it without a word.
BODY_MAX_CHARS = 20_000


def clean_body_text(text):
    # A NUL is refused by the field itself (Django's message); the other control characters
    # (a form feed pasted from a PDF) show as nothing, so they are dropped, as files drop them.
    body = rules.without_controls(text)
    body = unicodedata.normalize("NFC", body).replace("\r\n", "\n").strip()
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


def validate_title(title):
    """A session's title (rules.title_control): one line, no tab or control character. Refused with
    a message rather than cleaned: the member sees what they typed and fixes it themselves."""
    if char := rules.title_control(title):
        raise forms.ValidationError(
            _(
                "A title must be one line, without tabs or control characters "
                "(it holds U+%(code)s). Write it again on one line."
            ),
            code="title_control",
            params={"code": f"{ord(char):04X}"},
        )


def title_field():
    """The title of a session, as members propose and edit it."""
    return forms.CharField(label=_("Title"), max_length=rules.TITLE_LENGTH, validators=[validate_title])


def validate_link(url):
    """A URL a page may link to (links.ALLOWED_SCHEMES), for the admin's paper and reference forms."""
    if url and not links.is_allowed(url):
        raise forms.ValidationError(
            _("A link must start with http:, https: or mailto:."), code="scheme", params={"url": url}
        )


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
    # A figure shown under the text (discussions.attachments.check_image decodes and re-encodes it).
    image = forms.FileField(
        label=_("Figure"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
        help_text=_("Optional: a PNG, JPEG, WebP or GIF image of at most 5 MB, shown under the text."),
    )

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

    def clean_image(self):
        """The figure as it will be stored (attachments.Checked), or None."""
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        try:
            return attachments.check_image(
                attachments.read_upload(upload, attachments.MAX_IMAGE_BYTES), upload.name
            )
        except attachments.Refused as refusal:
            raise forms.ValidationError(str(refusal), code="image") from refusal


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


# Sessions


def paper_url(text):
    """An arXiv id (`2005.14165`, `arXiv:2005.14165v2`, `hep-th/9901001`) or a paper's URL →
    (canonical URL, arXiv id); arXiv's rules are discussions.links'."""
    text = text.strip()
    if not text:
        return "", ""
    arxiv_id = links.arxiv_id_typed(text)
    if not arxiv_id:
        URLValidator(schemes=["http", "https"], message=_("Give an arXiv id or an http(s) address."))(text)
        arxiv_id = links.arxiv_id_of(text)
    return (links.arxiv_url(arxiv_id) if arxiv_id else text), arxiv_id


class PaperURLField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Paper (arXiv id or URL)"))
        kwargs.setdefault("help_text", _("e.g. 2005.14165 or https://arxiv.org/abs/2005.14165"))
        super().__init__(**kwargs)

    def clean(self, value):
        url, _arxiv_id = paper_url(super().clean(value) or "")
        return url


class ProposeForm(forms.Form):
    title = title_field()
    url = PaperURLField()
    session_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)


class SessionForm(forms.Form):
    title = title_field()
    url = PaperURLField()
    session_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    presenter = forms.ModelChoiceField(
        queryset=Participant.objects.none(), label=_("Presenter"), required=False
    )
    participants = forms.ModelMultipleChoiceField(
        queryset=Participant.objects.none(),
        label=_("Participants"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Why this paper"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The presenter's description ([설명]), in Markdown."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = Participant.objects.order_by("name")
        self.fields["presenter"].queryset = people
        self.fields["participants"].queryset = people

    def clean_description(self):
        text = self.cleaned_data["description"]
        return clean_body_text(text) if text.strip() else ""


class ReferenceRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    label = forms.CharField(label=_("Label"), max_length=300, required=False)
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https", required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Reference.Kind.choices, initial=Reference.Kind.PAPER)

    def clean_url(self):
        url = self.cleaned_data["url"]
        if url:
            URLValidator(schemes=["http", "https"])(url)
        return url

    def clean(self):
        cleaned = super().clean()
        if (
            not cleaned.get("url")
            and not cleaned.get("DELETE")
            and (cleaned.get("label") or cleaned.get("id"))
        ):
            self.add_error("url", _("A reference needs its address."))
        return cleaned


class BaseReferenceFormSet(forms.BaseFormSet):
    def clean(self):
        # A paper lists an address once (models.Reference's reference_once_per_paper): the second
        # row with it gets the error, rather than the database refusing the whole save.
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            url = data.get("url")
            if not url or data.get("DELETE"):
                continue
            if url in seen:
                form.add_error("url", _("This paper lists this address already."))
            seen.add(url)


ReferenceFormSet = forms.formset_factory(
    ReferenceRowForm, formset=BaseReferenceFormSet, extra=2, can_order=True, can_delete=True, max_num=100
)


class RequestAnswerForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Participant.objects.order_by("name"), label=_("Ask"))


class SignForm(forms.Form):
    participant = forms.ModelChoiceField(queryset=Participant.objects.order_by("name"), label=_("Written by"))
    questions = forms.ModelMultipleChoiceField(
        queryset=Question.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    answers = forms.ModelMultipleChoiceField(
        queryset=Answer.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, paper, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questions"].queryset = paper.questions.shown().filter(author__isnull=True)
        self.fields["answers"].queryset = Answer.objects.shown().filter(
            question__paper=paper, author__isnull=True
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("questions") and not cleaned.get("answers"):
            raise forms.ValidationError(_("Choose the posts to sign."))
        return cleaned


class EmailForm(forms.Form):
    email_address = forms.EmailField(label=_("New email address"), max_length=254)


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["email", "remind_days", "remind_past"]
        widgets = {"email": forms.RadioSelect}


class AttachmentForm(forms.Form):
    """The session's PDF or the presenter's slides (discussions.attachments.check_pdf)."""

    kind = forms.ChoiceField(
        label=_("What it is"),
        choices=[("paper", _("the paper (PDF)")), ("slides", _("slides (PDF)"))],
    )
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        help_text=_("A PDF of at most 30 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            return attachments.check_pdf(
                attachments.read_upload(upload, attachments.MAX_PDF_BYTES), upload.name
            )
        except attachments.Refused as refusal:
            raise forms.ValidationError(str(refusal), code="pdf") from refusal


class ReplaceFileForm(AttachmentForm):
    """Another PDF in place of one (writes.replace): of the same kind as the one it replaces."""

    kind = None
