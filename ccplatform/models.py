"""Platform-wide model parts: the wrapped data key that a data subject's row carries."""

from __future__ import annotations

import uuid

from django.db import models


class DataKeyFields(models.Model):
    """A data subject's own data key (DEK), wrapped by a key-encryption key (KEK), kept on
    the subject's row (ccplatform.crypto.data_keys reads and writes these columns).

    On the row rather than in a table of its own: every read of the subject needs its key,
    and a join (or a second query) per read cost more than the encryption itself. Every
    encrypted value of the subject names `data_key_id`; the wrapping is bound to the subject
    (`data_key_subject`), so a wrapped key copied to another row does not unwrap. Deleting
    the row, or emptying `data_key_wrapped`, is crypto-shredding: the subject's values can
    never be decrypted again, backups included.
    """

    data_key_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # Not indexed: rotation asks for rows *not* on the active version, which a b-tree index
    # cannot answer; its batches walk the primary key instead. Inserts stay cheaper.
    data_key_kek_version = models.CharField(max_length=16, editable=False)
    data_key_wrapped = models.TextField(editable=False)
    data_key_rewrapped_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def data_key_subject(self) -> str:
        """What the wrapping is bound to, e.g. `customers.customer:<uuid>`."""
        return f"{self._meta.label_lower}:{self.pk}"
