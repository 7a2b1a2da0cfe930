import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


def normalise_email(address):
    """The one form of an e-mail address, used to find an account at log-in and password reset, to count
    failed log-ins (django-axes) and to tell accounts apart (stored so, under a unique constraint).

    NFKC folds look-alike compositions ("ﬁ", full-width letters) into their plain form; casefold is
    Unicode's case-insensitive comparison form. The database never compares case itself (SQL UPPER('ı') is
    'I' on PostgreSQL, which let "maırie" log in as "mairie" past a lockout counted for "mairie")."""
    return unicodedata.normalize("NFKC", address or "").casefold().strip()


class EmailUserManager(UserManager):
    """Users are identified by their e-mail address; there is no separate user name."""

    def _create_user_object(self, email, password, **extra_fields):
        email = normalise_email(email)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self.create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # "Jane@X.org" and "jane@x.org" are one account: both normalise to the stored form.
        return self.get(email=normalise_email(username))


class User(AbstractUser):
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        # Every write goes through save(), which stores the normalised form under the unique constraint;
        # this refuses in the database what would bypass it with capitals (update(), bulk_create()). SQL
        # cannot apply NFKC and casefold itself, so the full rule lives in normalise_email.
        constraints = [models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase")]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        # Before the uniqueness check of a form, so "Jane@X.org" is refused when "jane@x.org" exists.
        self.email = normalise_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)
