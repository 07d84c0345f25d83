"""Structured JSON logs through Powertools: one logger for the whole package."""

import os

from aws_lambda_powertools import Logger

logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "meetings"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
)
