"""The patient portal, mounted at /portal/ (CONTRACTS.md §7) in the ``portal`` namespace."""

from django.urls import path

from ketaclinic.portal.views import bills, consents, documents, home, inbox, messages, pages, signin

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", signin.login, name="login"),
    path("login/<str:token>/", signin.open_link, name="open_link"),
    path("logout/", signin.logout, name="logout"),
    path("appointments/", pages.appointments, name="appointments"),
    path("appointments/<int:appointment_id>/", pages.appointment, name="appointment"),
    path("appointments/<int:appointment_id>/confirm/", pages.confirm, name="confirm"),
    path("appointments/<int:appointment_id>/request/", pages.ask, name="ask"),
    path("questionnaires/", pages.questionnaire_list, name="questionnaires"),
    path("questionnaires/<int:link_id>/", pages.questionnaire, name="questionnaire"),
    path("documents/", documents.documents, name="documents"),
    path("documents/<int:document_id>/", documents.document, name="document"),
    path("consents/", consents.consent_list, name="consents"),
    path("consents/<int:document_id>/", consents.consent_sign, name="consent_sign"),
    path("consents/signed/<int:signature_id>/", consents.consent_signed, name="consent_signed"),
    path("consents/signed/<int:signature_id>/pdf/", consents.consent_pdf, name="consent_pdf"),
    path("home-dose/", home.check_in, name="home_check_in"),
    path("home-dose/<int:check_in_id>/", home.dose, name="home_dose"),
    path("bills/", bills.bills, name="bills"),
    path("bills/<int:invoice_id>/pdf/", bills.bill_pdf, name="bill_pdf"),
    path("bills/receipts/<int:payment_id>/pdf/", bills.receipt_pdf, name="receipt_pdf"),
    path("messages/", messages.threads, name="messages"),
    path("messages/<int:thread_id>/", messages.thread, name="thread"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:thread_id>/", inbox.thread, name="inbox_thread"),
    path("inbox/<int:thread_id>/assign/", inbox.assign, name="inbox_assign"),
    path("inbox/<int:thread_id>/status/", inbox.status, name="inbox_status"),
    path("inbox/messages/<int:message_id>/error/", inbox.in_error, name="inbox_in_error"),
    path("inbox/new/<int:patient_id>/", inbox.start, name="inbox_start"),
    path("inbox/settings/", inbox.settings_page, name="inbox_settings"),
]
