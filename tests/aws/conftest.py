from tests.aws.environment import aws_env, fake_guardduty, hub

__all__ = ["aws_env", "fake_guardduty", "hub"]
