from django.urls import path

from discussions import feeds, reading, views
from discussions.caching import cached_for_visitors, paper_scope
from discussions.views import follows_renames

app_name = "discussions"

# Every page addressed by a paper's slug follows the paper's renames (views.follows_renames).
urlpatterns = [
    path("", views.home, name="home"),
    path("open/", views.open_items, name="open"),
    path("search/", views.search_page, name="search"),
    path("feed/", cached_for_visitors()(feeds.LatestPostsFeed()), name="feed"),
    path("topics/", views.topic_list, name="topics"),
    path("topics/<str:slug>/", views.topic_detail, name="topic"),
    path("topics/<str:slug>/feed/", cached_for_visitors()(feeds.TopicFeed()), name="topic_feed"),
    path("sessions/new/", views.propose_session, name="propose"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.mark_notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", views.open_notification, name="open_notification"),
    path("settings/", views.notification_settings, name="settings"),
    path("settings/email/<str:token>/", views.confirm_email, name="confirm_email"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("papers/<str:slug>/", follows_renames(views.paper_detail), name="paper"),
    path("papers/<str:slug>/session/", follows_renames(views.edit_session), name="edit_session"),
    path("papers/<str:slug>/references/", follows_renames(views.edit_references), name="edit_references"),
    path("papers/<str:slug>/agenda/", follows_renames(views.agenda), name="agenda"),
    path("papers/<str:slug>/authors/", follows_renames(views.sign_posts), name="sign_posts"),
    path("papers/<str:slug>/ask/", follows_renames(views.ask), name="ask"),
    path("papers/<str:slug>/download/", follows_renames(views.paper_download), name="paper_download"),
    path(
        "papers/<str:slug>/feed/",
        follows_renames(cached_for_visitors(scope=paper_scope)(feeds.PaperFeed())),
        name="paper_feed",
    ),
    path("participants/<str:slug>/", views.participant_detail, name="participant"),
    path("mentions/<str:word>/", views.mention, name="mention"),
    path("questions/<int:pk>/answer/", views.answer_question, name="answer"),
    path("questions/<int:pk>/claim/", views.claim_question, name="claim"),
    path("questions/<int:pk>/request/", views.request_answer, name="request_answer"),
    path("questions/<int:pk>/discussed/", views.mark_discussed, name="mark_discussed"),
    path(
        "questions/<int:pk>/mine/",
        views.claim_authorship,
        {"kind": "question"},
        name="claim_question_authorship",
    ),
    path("questions/<int:pk>/topics/", views.edit_topics, name="edit_topics"),
    path("questions/<int:pk>/edit/", views.edit_post, {"kind": "question"}, name="edit_question"),
    path("questions/<int:pk>/delete/", views.delete_post, {"kind": "question"}, name="delete_question"),
    path("questions/<int:pk>/history/", views.post_history, {"kind": "question"}, name="question_history"),
    path("questions/<int:pk>/restore/", views.restore_post, {"kind": "question"}, name="restore_question"),
    path("answers/<int:pk>/fill/", views.fill_answer, name="fill"),
    path("answers/<int:pk>/reply/", views.reply, name="reply"),
    path("answers/<int:pk>/unclaim/", views.unclaim, name="unclaim"),
    path(
        "answers/<int:pk>/mine/", views.claim_authorship, {"kind": "answer"}, name="claim_answer_authorship"
    ),
    path("answers/<int:pk>/edit/", views.edit_post, {"kind": "answer"}, name="edit_answer"),
    path("answers/<int:pk>/delete/", views.delete_post, {"kind": "answer"}, name="delete_answer"),
    path("answers/<int:pk>/history/", views.post_history, {"kind": "answer"}, name="answer_history"),
    path("answers/<int:pk>/restore/", views.restore_post, {"kind": "answer"}, name="restore_answer"),
    # A session's files (issue 15)
    path("papers/<str:slug>/files/", follows_renames(reading.paper_files), name="paper_files"),
    path("papers/<str:slug>/read/", follows_renames(reading.read_paper), name="read"),
    path("attachments/<int:pk>/", reading.attachment_file, name="attachment"),
]
