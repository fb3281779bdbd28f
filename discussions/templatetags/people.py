from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def person_links(people):
    """Links to people's pages, comma-separated: in Python, as a paper lists a hundred of them and the
    home page thirty papers, and a template loop over three thousand people was most of its render."""
    return mark_safe(
        ", ".join(f'<a href="{escape(p.get_absolute_url())}">{escape(p.display_name)}</a>' for p in people)
    )
