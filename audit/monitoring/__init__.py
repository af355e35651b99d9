"""Monitoring rules over the audit log: run on a schedule, they raise alerts.

One module per family of rules (access, signin), the time windows they share (windows), and
the runner that raises or refreshes one alert per finding (runner). The Celery entry point is
audit.monitoring.tasks.run_monitoring; the shell entry point is `manage.py audit_monitor`.
"""
