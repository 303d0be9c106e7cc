from django.urls import path

from ketaclinic.infusions.views import board, discharge, monitoring, session

app_name = "infusions"

urlpatterns = [
    path("", board.today, name="today"),
    path("board/", board.board, name="board"),
    path("board/chairs/", board.board_rows, name="board_rows"),
    path("rems/", discharge.rems_tracker, name="rems_tracker"),
    path("orders/<int:order_id>/check-in/", board.check_in, name="check_in"),
    path("appointments/<int:appointment_id>/check-in/", board.check_in_appointment, name="check_in_appointment"),
    path("patient/<int:patient_id>/", board.patient_sessions, name="patient_sessions"),
    path("<int:session_id>/", session.session_detail, name="session"),
    path("<int:session_id>/status/", session.session_status, name="status"),
    path("<int:session_id>/check-in/", session.checkin_update, name="checkin_update"),
    path("<int:session_id>/scales/<slug:instrument>/", session.scale, name="scale"),
    path("<int:session_id>/risk-benefit/", session.risk_acknowledge, name="risk_acknowledge"),
    path("<int:session_id>/allergy-override/", session.allergy_override, name="allergy_override"),
    path("<int:session_id>/cancel/", session.cancel, name="cancel"),
    path("<int:session_id>/start/", session.start, name="start"),
    path("<int:session_id>/vitals/", monitoring.vitals_create, name="vitals_create"),
    path("<int:session_id>/alerts/<int:alert_id>/acknowledge/", monitoring.alert_acknowledge, name="alert_ack"),
    path("<int:session_id>/rate/", monitoring.rate_change, name="rate_change"),
    path("<int:session_id>/end-infusion/", monitoring.end_infusion, name="end_infusion"),
    path("<int:session_id>/correct-draw/", monitoring.correct_draw, name="correct_draw"),
    path("<int:session_id>/side-effects/new/", monitoring.side_effect_create, name="side_effect_create"),
    path(
        "<int:session_id>/side-effects/<int:side_effect_id>/resolve/",
        monitoring.side_effect_resolve,
        name="side_effect_resolve",
    ),
    path("<int:session_id>/rescue/new/", monitoring.rescue_create, name="rescue_create"),
    path(
        "<int:session_id>/entries/<slug:kind>/<int:row_id>/entered-in-error/",
        monitoring.entered_in_error,
        name="entered_in_error",
    ),
    path("<int:session_id>/discharge/", discharge.discharge, name="discharge"),
    path("<int:session_id>/sign/", discharge.sign, name="sign"),
    path("<int:session_id>/note/", discharge.note, name="note"),
    path("<int:session_id>/note.pdf", discharge.note_pdf, name="note_pdf"),
    path("<int:session_id>/rems.pdf", discharge.rems_pdf, name="rems_pdf"),
    path("<int:session_id>/rems/", discharge.rems_form, name="rems"),
]
