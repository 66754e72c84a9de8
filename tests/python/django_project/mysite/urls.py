from django.urls import path

from . import db_views, views

urlpatterns = [
    path("", views.index),
    path("form", views.form),
    path("json", views.json),
    path("stream", views.stream),
    path("db", db_views.db),
    path("db-report", db_views.db_report),
]
