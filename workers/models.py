from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    WINNER = "winner", "to the winner"
    SELLER_SOLD = "seller_sold", "to the seller: sold"
    SELLER_UNSOLD = "seller_unsold", "to the seller: unsold"


class Notification(models.Model):
    """An email owed because an auction was settled (the outbox).

    Written in the settlement's transaction, so it exists exactly when the settlement does;
    at most one per (auction, kind). A sender claims a row atomically before sending it and
    marks it sent afterwards, so two passes never send the same row twice. A sender killed
    between the claim and the mark leaves the row claimed and unsent: it is not sent again
    (at most once), and shows up in the admin as claimed with no `sent_at`.
    """

    auction = models.ForeignKey("auctions.Auction", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # After a failed send the row waits until `not_before` and is tried again (backing off).
    not_before = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "kind"], name="notification_auction_kind_unique"),
        ]
        indexes = [
            # "unsent and unclaimed": what a sender picks up.
            models.Index(
                fields=["id"],
                condition=Q(sent_at__isnull=True, claimed_at__isnull=True),
                name="notification_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for auction {self.auction_id} to {self.to_email}"
