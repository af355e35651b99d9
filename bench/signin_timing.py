"""Sign-in timing: an unknown username must cost about as much as a wrong password.

Otherwise response times tell an attacker which usernames exist. Prints the medians and the
ratio (unknown / wrong password); the goal is a ratio of the same order (0.5-2).
Run: .venv/bin/python -m bench.signin_timing [--repeat N]
"""

from __future__ import annotations

import argparse

from bench.harness import median_seconds, throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    # Imported after bench.harness has configured Django.
    from django.test import RequestFactory

    from accounts.models import Role, User
    from accounts.services.signin import signin_password
    from accounts.services.users import user_create
    from ccplatform.callers import Caller

    with throwaway_database():
        user_create(
            caller=Caller.system("bench"),
            username="known.person",
            role=Role.AGENT,
            password="a perfectly long benchmark passphrase",
        )
        factory = RequestFactory()

        def attempt(username: str) -> None:
            request = factory.post("/accounts/login/")
            signin_password(request=request, username=username, password="wrong password guess 123")
            # Keep the account below the lockout threshold between samples.
            User.objects.filter(username="known.person").update(failed_sign_in_count=0)

        wrong = median_seconds(lambda: attempt("known.person"), repeat=args.repeat)
        unknown = median_seconds(lambda: attempt("nobody.here"), repeat=args.repeat)
    print(f"wrong password, known user : {wrong * 1000:8.1f} ms (median of {args.repeat})")
    print(f"unknown username           : {unknown * 1000:8.1f} ms (median of {args.repeat})")
    print(f"ratio unknown / wrong      : {unknown / wrong:8.2f}  (goal: 0.5-2)")


if __name__ == "__main__":
    main()
