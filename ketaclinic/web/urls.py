from django.urls import path

from ketaclinic.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.dashboard, name="dashboard"),
]
