"""The engine's ``Credentials`` port over the state's encrypted credentials
(``threatlake.state.credentials``).

The state names a credential's secret fields in the product's spelling (``TYPES`` there); the actions read
theirs, so each type has one table row mapping them. A reference resolves by name; an empty or unknown one
falls back to the type's default: the one marked default (``threatlake credentials create ... --default``),
else the type's only credential when there is exactly one. The secret is decrypted only here, when an action
is about to use it.
"""

from __future__ import annotations

from threatlake.errors import NotFoundError
from threatlake.state.credentials import CredentialRepository
from threatlake.workflows.ports import Credential

__all__ = ["FIELDS", "StateCredentials"]

#: credential type → {state field: action field}.
FIELDS: dict[str, dict[str, str]] = {
    "jira": {"url": "url", "email": "user", "apiToken": "token"},
    "slack": {"webhookUrl": "webhook_url", "token": "bot_token"},
    "msteams": {"webhookUrl": "webhook_url"},
    "smtp": {"host": "host", "port": "port", "sender": "from", "username": "user", "password": "password",
             "tls": "security"},
    "http": {"url": "url", "authorization": "authorization", "username": "user", "password": "secret",
             "secret": "secret"},
}  # fmt: skip


class StateCredentials:
    def __init__(self, repository: CredentialRepository) -> None:
        self.repository = repository

    def resolve(self, reference: str | None, type: str) -> Credential | None:
        typed = [record for record in self.repository.list() if record.type == type]
        chosen = next((r for r in typed if reference and r.name == reference), None)
        default = chosen is None
        if chosen is None:
            marked = [r for r in typed if r.default]
            chosen = marked[0] if marked else typed[0] if len(typed) == 1 else None
        if chosen is None:
            return None
        try:
            secret = self.repository.decrypt(chosen.name)
        except NotFoundError:
            return None
        mapping = FIELDS.get(type, {})
        fields = {mapping.get(key, key): value for key, value in secret.items()}
        return Credential(chosen.name, chosen.name, type, fields, default=default)
