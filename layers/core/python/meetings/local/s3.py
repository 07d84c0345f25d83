"""A local S3 endpoint (moto server) with the platform's buckets, for `make run`."""

import os

LOCAL_S3_PORT = 4566


def start_local_s3(port: int = LOCAL_S3_PORT) -> str:
    """Starts an in-process S3 endpoint and points S3_ENDPOINT_URL at it; returns the URL."""
    from moto.server import ThreadedMotoServer

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    os.environ["S3_ENDPOINT_URL"] = url
    for name, value in (("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local")):
        os.environ.setdefault(name, value)
    start_local_s3.server = server
    return url


def create_buckets(*names: str) -> None:
    from meetings.storage import s3_client

    client = s3_client()
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    for name in names:
        if name not in existing:
            client.create_bucket(Bucket=name)
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
