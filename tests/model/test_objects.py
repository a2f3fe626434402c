from __future__ import annotations

import pytest

from threatlake.model import account_object_id, object_id


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        ("AwsAccount", "123456789012", "AWS::::Account:123456789012"),
        ("AwsAccount", "AWS::::Account:123456789012", "AWS::::Account:123456789012"),
        ("AwsAccount", "arn:aws:iam::123456789012:root", "AWS::::Account:123456789012"),
        ("AwsAccount", "not-an-account", "not-an-account"),
        ("AwsIamAccessKey", "AWS::IAM::AccessKey:AKIAEXAMPLE", "AKIAEXAMPLE"),
        ("AwsIamAccessKey", "AWS::IAM::AccessKey:null", "AWS::IAM::AccessKey:null"),
        ("AwsS3Bucket", "arn:aws:s3:::b", "arn:aws:s3:::b"),
        (None, "x", "x"),
    ],
)
def test_one_form_per_kind_of_object(kind: str | None, given: str, stored: str) -> None:
    assert object_id(kind, given) == stored


def test_account_object_id() -> None:
    assert account_object_id("123456789012") == account_object_id("AWS::::Account:123456789012")
