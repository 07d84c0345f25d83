"""Building the API apps does not import pydantic.v1, and a v1 model is still refused once it is."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("app", ["meetings.manager.app", "meetings.secretary.app"])
def test_building_an_api_app_leaves_pydantic_v1_unimported(app):
    probe = f"import sys, {app}; print('pydantic.v1' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_pydantic_v1_model_is_still_refused():
    import warnings

    from fastapi import FastAPI
    from fastapi.exceptions import PydanticV1NotSupportedError

    import meetings.api.app  # noqa: F401  (installs the lazy checks)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic import v1

    class Legacy(v1.BaseModel):
        name: str

    app = FastAPI()
    with pytest.raises(PydanticV1NotSupportedError):

        @app.post("/legacy")
        def legacy(body: Legacy) -> None: ...
