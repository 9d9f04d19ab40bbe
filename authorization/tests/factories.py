import factory

from authorization.models import User

PASSWORD = "correct-horse-battery-staple"  # every UserFactory user's
NEW_PASSWORD = "a brand new passphrase 42"  # a valid password to change to


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(PASSWORD)
