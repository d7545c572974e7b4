"""moto's S3 in server mode on a loopback port, with IAM authentication on: requests are signed and checked
against a real access key created in moto's IAM, so a wrong secret fails the way it fails on AWS."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
from moto.core.authorization import ActionAuthenticatorMixin
from moto import settings
from moto.server import ThreadedMotoServer

from sftp_server import free_port, wait_for_port

REGION = "us-east-1"
BUCKET = "planadmin-drops"
S3_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass
class S3Server:
    server: ThreadedMotoServer
    endpoint: str
    access_key_id: str
    secret_access_key: str
    saved_auth: tuple[float, int]

    def client(self, endpoint: str | None = None, secret: str | None = None):
        return boto3.client("s3", region_name=REGION, endpoint_url=endpoint or self.endpoint,
                            aws_access_key_id=self.access_key_id,
                            aws_secret_access_key=secret or self.secret_access_key)

    def stop(self) -> None:
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = self.saved_auth
        self.server.stop()


def start_moto() -> S3Server:
    """The server, an IAM user allowed s3:* with its access key, the bucket; then authentication on."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_for_port(port)
    endpoint = f"http://127.0.0.1:{port}"
    setup = dict(region_name=REGION, endpoint_url=endpoint, aws_access_key_id="setup", aws_secret_access_key="setup")
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="planadmin-inbox")
    iam.put_user_policy(UserName="planadmin-inbox", PolicyName="s3", PolicyDocument=json.dumps(S3_ALL))
    key = iam.create_access_key(UserName="planadmin-inbox")["AccessKey"]
    boto3.client("s3", **setup).create_bucket(Bucket=BUCKET)
    saved = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = 0, 0
    return S3Server(server, endpoint, key["AccessKeyId"], key["SecretAccessKey"], saved)


def set_aws(monkeypatch, server, endpoint: str | None = None, secret: str | None = None) -> None:
    """The standard AWS variables, nothing from this machine's ~/.aws; botocore tries once (s3fs still retries)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret or server.secret_access_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint or server.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
