from __future__ import annotations

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        # The app's audit actions and access rules, declared once, known from the start.
        # Imported here, once the app registry is ready: the rotation jobs query models.
        from ccplatform.crypto.rotation import register
        from customers import actions, permissions  # noqa: F401
        from customers.services.rotation import CustomerDataKeyRewrap, CustomerLookupRecompute

        register(CustomerDataKeyRewrap())
        register(CustomerLookupRecompute())
