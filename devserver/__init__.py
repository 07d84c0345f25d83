"""Local development: the embedded database, S3 endpoint and the one-process server of `make run`."""
