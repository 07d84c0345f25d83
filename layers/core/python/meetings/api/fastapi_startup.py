"""FastAPI checks every route's types, and values it encodes, for `pydantic.v1` models by importing
`pydantic.v1`: about 70 ms of an API Lambda's cold start on this code, although FastAPI no longer
supports such models. A v1 model cannot exist before `pydantic.v1` is imported, so until something
imports it the checks answer False without importing it (the change proposed upstream in
fastapi/fastapi#16374); afterwards they run as FastAPI wrote them."""

import sys

from fastapi import encoders
from fastapi._compat import shared

_is_v1_class = shared.is_pydantic_v1_model_class
_is_v1_instance = shared.is_pydantic_v1_model_instance


def _v1_class(cls) -> bool:
    return "pydantic.v1" in sys.modules and _is_v1_class(cls)


def _v1_instance(obj) -> bool:
    return "pydantic.v1" in sys.modules and _is_v1_instance(obj)


def skip_needless_pydantic_v1_import() -> None:
    shared.is_pydantic_v1_model_class = _v1_class
    shared.is_pydantic_v1_model_instance = _v1_instance
    encoders.is_pydantic_v1_model_instance = _v1_instance
