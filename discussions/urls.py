from django.urls import path

from discussions import views

app_name = "discussions"

urlpatterns = [
    path("", views.home, name="home"),
    path("papers/<str:slug>/", views.paper_detail, name="paper"),
    path("participants/<str:slug>/", views.participant_detail, name="participant"),
]
