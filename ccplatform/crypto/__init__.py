"""Field encryption (AES-256-GCM, envelope keys per data subject) and blind indexes.

- `keyring`: versioned keys from the environment, secret files or the embedded default's
  generated local file.
- `providers`: the key-encryption-key (KEK) provider interface that wraps data keys; the
  local provider uses the key ring, a KMS or Vault transit provider can replace it.
- `fields`: encrypt and decrypt one value, bound to its table, column and row.
- `blind_index`: keyed digests of normalised values for exact-match search.
"""
