from django.urls import path

from ketaclinic.consents import views

app_name = "consents"

urlpatterns = [
    path("documents/", views.document_list, name="documents"),
    path("documents/new/", views.document_create, name="document_create"),
    path("documents/<int:document_id>/", views.document_detail, name="document"),
    path("patient/<int:patient_id>/sign/", views.tablet_choose, name="tablet"),
    path("patient/<int:patient_id>/sign/<int:document_id>/", views.tablet_sign, name="tablet_sign"),
    path("patient/<int:patient_id>/signed/<int:signature_id>/", views.signed, name="signed"),
    path("patient/<int:patient_id>/signed/<int:signature_id>/pdf/", views.signature_pdf, name="signature_pdf"),
    path("patient/<int:patient_id>/paper/", views.paper_create, name="paper_create"),
    path("patient/<int:patient_id>/scans/<int:scan_id>/", views.scan_file, name="scan"),
]
