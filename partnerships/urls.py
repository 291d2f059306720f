from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("<slug:slug>/members/", views.MemberListView.as_view(), name="member-list"),
    path("<slug:slug>/members/add/", views.MemberAddView.as_view(), name="member-add"),
    path("<slug:slug>/members/<int:member_pk>/change/", views.MemberChangeView.as_view(),
         name="member-change"),
    path("<slug:slug>/members/<int:member_pk>/remove/", views.MemberRemoveView.as_view(),
         name="member-remove"),
]
