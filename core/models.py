from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q

from core import clock


class UpdatedAtField(models.DateTimeField):
    """Django's `auto_now` on the service's clock: set to `core.clock.now()` whenever the row is
    saved (with `update_fields`, when it is among them). `auto_now` itself reads the wall clock."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = clock.now()
        setattr(model_instance, self.attname, value)
        return value


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = UpdatedAtField()

    class Meta:
        abstract = True


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Their email address is the login; roles live in RoleAssignment."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin pages.")
    date_joined = models.DateTimeField(default=clock.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email


class Source(models.Model):
    """A published source a figure or fact rests on (Hansard answers, press)."""

    key = models.CharField(max_length=40, unique=True)
    citation = models.TextField()

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key


class Provenance(models.TextChoices):
    PUBLISHED = "published", "Published"
    DERIVED = "derived", "Derived"
    ILLUSTRATIVE = "illustrative", "Illustrative"


class OutboxEmail(models.Model):
    """One email the service owes someone, recorded in the same transaction as the event that
    causes it and sent by a worker afterwards (core/outbox.py, docs/adr/0016-email-outbox.md).

    `key` says which event and which email it is ("event:41:decision", "reminder:7:1:0"), so the
    same email is never recorded twice. The attachment is a reference resolved when the email is
    sent ("accreditation.decision_letter:12"), by a renderer the owning app registers in
    core/registry.py.
    """

    class Status(models.TextChoices):
        OWED = "owed", "Owed"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=60, help_text="What sort of email, for people reading the list.")
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    attachment = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OWED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When it was recorded and sent, on the service's clock (what people read) ...
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # ... and the machinery's own times, on the database's clock (core/outbox.py says why).
    due_at = models.DateTimeField(help_text="Not sent by the sweep before this.")
    sending_since = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's question: what is owed, or stuck while sending.
            models.Index(fields=["due_at"], name="core_outboxemail_unsent",
                         condition=models.Q(status__in=["owed", "sending"])),
            models.Index(fields=["status", "-created_at"], name="core_outboxemail_status"),
        ]

    def __str__(self):
        return self.key
class TrainingDate(models.Model):
    """Today in a training or demonstration service (settings.TRAINING_CLOCK): one row, read by
    every process through `core.clock`, moved only forward (`core.training`)."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY, editable=False)
    today = models.DateField()

    class Meta:
        constraints = [models.CheckConstraint(name="training_date_one_row", condition=Q(id=1))]

    def __str__(self):
        return f"{self.today:%-d %B %Y}"


class TrainingDateMove(models.Model):
    """Each setting or move of the training date: from, to, who and when (the wall clock)."""

    from_date = models.DateField(null=True, blank=True, help_text="Empty when first set.")
    to_date = models.DateField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    by_label = models.CharField(max_length=150, help_text="Who moved it, as shown.")
    at = models.DateTimeField(default=clock.real_now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.from_date or 'unset'} → {self.to_date} by {self.by_label}"
