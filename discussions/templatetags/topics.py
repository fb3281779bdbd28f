from django import template
from django.utils.translation import get_language

from discussions.importer import topic_rules

register = template.Library()


@register.filter
def described(topic):
    """A topic's description in the reader's language, when it is still the rules' own text."""
    rule = next((rule for rule in topic_rules().topics if rule.name == topic.name), None)
    if rule is None or topic.description != rule.description:
        return topic.description
    return rule.description_in(get_language() or "")
