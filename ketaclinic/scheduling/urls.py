"""The calendar's pages, mounted at /schedule/ (namespace ``schedule``; CONTRACTS.md §6)."""

from django.urls import path

from ketaclinic.scheduling.views import day, feed, lists, measures, public, series, setup, waiting

app_name = "schedule"

urlpatterns = [
    path("", day.day, name="day"),
    path("book/", day.book, name="book"),
    path("book/form/", day.book_form, name="book_form"),
    path("week/", lists.week, name="week"),
    path("mine/", lists.mine, name="mine"),
    path("print/", lists.print_day, name="print"),
    path("appointments/<int:appointment_id>/cancel/", day.cancel, name="cancel"),
    path("appointments/<int:appointment_id>/no-show/", day.no_show, name="no_show"),
    path("appointments/<int:appointment_id>/complete/", day.complete, name="complete"),
    path("appointments/<int:appointment_id>/video-link/", day.video_link, name="video_link"),
    path("requests/<int:message_id>/done/", day.request_done, name="request_done"),
    path("waiting/", waiting.waiting_list, name="waiting"),
    path("waiting/add/", waiting.add, name="waiting_add"),
    path("waiting/<int:entry_id>/withdraw/", waiting.withdraw, name="waiting_withdraw"),
    path("waiting/match/", waiting.match, name="waiting_match"),
    path("waiting/offer/", waiting.offer, name="waiting_offer"),
    path("series/<int:version_id>/", series.series, name="series"),
    path("feed/", feed.feed_page, name="feed"),
    path("feed/new/", feed.feed_create, name="feed_create"),
    path("feed/revoke/", feed.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", feed.feed_ics, name="feed_ics"),
    path("measures/", measures.measures, name="measures"),
    path("measures.csv", measures.measures_csv, name="measures_csv"),
    path("setup/", setup.setup, name="setup"),
    path("setup/settings/", setup.save_settings, name="setup_settings"),
    path("setup/chairs/", setup.add_chair, name="setup_chair"),
    path("setup/chairs/<int:chair_id>/toggle/", setup.toggle_chair, name="setup_chair_toggle"),
    path("setup/hours/", setup.add_hours, name="setup_hours"),
    path("setup/hours/<int:hours_id>/remove/", setup.remove_hours, name="setup_hours_remove"),
    path("setup/closures/", setup.add_closure, name="setup_closure"),
    path("setup/shifts/", setup.add_shift, name="setup_shift"),
    path("setup/shifts/<int:shift_id>/remove/", setup.remove_shift, name="setup_shift_remove"),
]

#: The patient's confirm/reschedule link, mounted at /a/ (namespace ``visit``; no login).
public_patterns = [
    path("o/<str:token>/", public.offer, name="offer"),
    path("<str:token>/", public.respond, name="respond"),
]
