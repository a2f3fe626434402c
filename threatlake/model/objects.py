"""One form of ``object.id`` per kind of object, whatever the format that named it (model.md §2).

Findings about the same thing must land on the same ``object.id``. Most kinds already agree (ARNs); these
are the kinds whose formats spell the id differently, and the one form each is stored under.
"""

from __future__ import annotations

__all__ = ["ACCOUNT_PREFIX", "account_object_id", "object_id"]

# ASFF ``AwsAccount`` ids and GuardDuty attack sequences write ``AWS::::Account:123456789012``; OCSF
# writes the bare account id. The ASFF form is kept: it says what the id is, and it is what most stored
# findings (Security Hub's, the longest-lived format) already use.
ACCOUNT_PREFIX = "AWS::::Account:"
# ASFF writes ``AWS::IAM::AccessKey:AKIA…``; GuardDuty and OCSF the bare key id, which is kept.
_ACCESS_KEY_PREFIX = "AWS::IAM::AccessKey:"


def account_object_id(account: str) -> str:
    """The object id of an AWS account, from a bare id or the ASFF form."""
    return account if account.startswith(ACCOUNT_PREFIX) else ACCOUNT_PREFIX + account


def _access_key(resource_id: str) -> str:
    if resource_id.startswith(_ACCESS_KEY_PREFIX):
        key_id = resource_id[len(_ACCESS_KEY_PREFIX) :]
        if key_id and key_id != "null":
            return key_id
    return resource_id


def _account(resource_id: str) -> str:
    bare = resource_id.removeprefix(ACCOUNT_PREFIX)
    if bare.startswith("arn:"):  # an IAM root ARN names the account: arn:aws:iam::123456789012:root
        bare = bare.split(":")[4] or bare
    return account_object_id(bare) if bare.isdigit() else resource_id


_FORMS = {"AwsIamAccessKey": _access_key, "AwsAccount": _account}


def object_id(kind: str | None, resource_id: str | None) -> str | None:
    """The stored form of the id of a resource of type ``kind`` (ASFF spelling)."""
    if resource_id is None or kind is None:
        return resource_id
    form = _FORMS.get(kind)
    return form(resource_id) if form is not None else resource_id
