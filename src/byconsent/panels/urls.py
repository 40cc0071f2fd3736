from django.urls import URLPattern, URLResolver

app_name = "panels"

urlpatterns: list[URLPattern | URLResolver] = []
