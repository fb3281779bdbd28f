from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects the signals that bump the archive's generation on every write.
        from discussions import caching  # noqa: F401
