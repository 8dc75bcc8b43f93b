from django.urls import path

from . import views, views_member

app_name = "cards"
urlpatterns = [
    path("cards/", views.template_list, name="templates"),
    path("cards/new/", views.template_new, name="template_new"),
    path("cards/<int:card_template_id>/edit/", views.template_edit, name="template_edit"),
    path("cards/<int:card_template_id>/status/", views.template_status, name="template_status"),
    path("members/<int:member_id>/cards/", views_member.member_cards, name="member_cards"),
    path("members/<int:member_id>/cards/<int:member_card_id>/use/", views_member.member_card_use,
         name="member_card_use"),
    path("members/<int:member_id>/cards/<int:member_card_id>/transfer/", views_member.member_card_transfer,
         name="member_card_transfer"),
    path("members/<int:member_id>/cards/uses/<int:card_use_id>/reverse/", views_member.member_card_use_reverse,
         name="member_card_use_reverse"),
]
