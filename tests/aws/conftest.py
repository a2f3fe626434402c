from tests.aws.environment import aws_env, fake_guardduty, hub, moto_endpoint

__all__ = ["aws_env", "fake_guardduty", "hub", "moto_endpoint"]
