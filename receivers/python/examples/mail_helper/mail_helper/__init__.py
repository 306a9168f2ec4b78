"""An example server shaped like the story's mail helper: its data is Fernet-encrypted in a database, and
with ``ENCRYPTION_KEY_SOURCE=custodian`` it boots locked and gets the key from Key Custodian."""
