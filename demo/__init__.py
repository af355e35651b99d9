"""Demo data for the embedded default: teams, one account per role, an integrator key and
fictional customers with their history. It sits above every app (it uses each one's
services) and no app imports it; `manage.py seed_demo` refuses to run in production."""
