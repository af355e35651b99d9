"""Every write of the breach workflow: each a service that checks its rule and audits.

register (open, update facts), timeline (notes, and the one writer of entries), workflow
(the steps), planning and obligations (the notices owed, their clocks and decisions),
drafts, reminders, affected (customers from the audit log), containment, review.
"""
