from django.urls import path

from ketaclinic.plans import views

app_name = "plans"

urlpatterns = [
    path("protocols/", views.protocol_list, name="protocol_list"),
    path("protocols/<slug:protocol_id>/", views.protocol_detail, name="protocol_detail"),
    path("patient/<int:patient_id>/", views.patient_plans, name="patient_plans"),
    path("patient/<int:patient_id>/new/", views.plan_create, name="plan_create"),
    path("<int:version_id>/", views.version_detail, name="version"),
    path("<int:version_id>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:version_id>/amend/", views.plan_amend, name="plan_amend"),
    path("<int:version_id>/sign/", views.version_sign, name="version_sign"),
    path("<int:version_id>/holds/", views.hold_add, name="hold_add"),
    path("<int:version_id>/holds/<int:index>/remove/", views.hold_remove, name="hold_remove"),
]
