from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "auction", "kind", "to_email", "created_at", "claimed_at", "sent_at", "attempts")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), ("claimed_at", admin.EmptyFieldListFilter))
    search_fields = ("to_email", "subject")
    raw_id_fields = ("auction", "recipient")
    readonly_fields = ("created_at",)
