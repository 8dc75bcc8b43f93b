from django.urls import include, path

from .views import account, audit, auth, home, roles, staff, stores, tokens

store_patterns = ([
    path("", stores.store_list, name="list"),
    path("new/", stores.store_create_view, name="create"),
    path("<int:store_id>/", stores.store_detail, name="detail"),
    path("<int:store_id>/edit/", stores.store_edit, name="edit"),
    path("<int:store_id>/status/", stores.store_status, name="status"),
    path("<int:store_id>/poster/", stores.store_poster, name="poster"),
], "stores")

staff_patterns = ([
    path("", staff.staff_list, name="list"),
    path("new/", staff.staff_create_view, name="create"),
    path("<int:staff_id>/", staff.staff_edit, name="edit"),
    path("<int:staff_id>/password/", staff.staff_password, name="password"),
], "staff")

role_patterns = ([
    path("", roles.role_list, name="list"),
    path("new/", roles.role_create_view, name="create"),
    path("<int:role_id>/", roles.role_edit, name="edit"),
    path("<int:role_id>/delete/", roles.role_delete_view, name="delete"),
], "roles")

token_patterns = ([
    path("", tokens.token_list, name="list"),
    path("<int:token_id>/revoke/", tokens.token_revoke_view, name="revoke"),
], "tokens")

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("onboarding/finish/", home.onboarding_finish, name="onboarding_finish"),
    path("onboarding/<slug:step>/", home.onboarding, name="onboarding"),
    path("stores/", include(store_patterns)),
    path("staff/", include(staff_patterns)),
    path("roles/", include(role_patterns)),
    path("api-tokens/", include(token_patterns)),
    path("audit/", include(([path("", audit.audit_list, name="list")], "audit"))),
    path("account/", account.account, name="account"),
    path("account/language/", account.account_language, name="account_language"),
    path("account/tokens/<int:token_id>/revoke/", account.account_token_revoke, name="account_token_revoke"),
]
