"""A local S3 endpoint (moto server) with the platform's buckets, for `make run`."""

import os

DEFAULT_LOCAL_S3_PORT = 4566


def local_s3_port() -> int:
    """`LOCAL_S3_PORT`, or 4566."""
    return int(os.environ.get("LOCAL_S3_PORT", DEFAULT_LOCAL_S3_PORT))


def use_local_s3(port: int) -> str:
    """Points this process's S3 clients at the local endpoint on `port`; returns its URL."""
    url = f"http://127.0.0.1:{port}"
    os.environ["S3_ENDPOINT_URL"] = url
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "local")
    return url


def start_local_s3(port: int) -> str:
    """Starts an in-process S3 endpoint and points S3_ENDPOINT_URL at it; returns the URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = use_local_s3(port)
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
