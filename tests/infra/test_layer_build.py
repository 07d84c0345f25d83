"""The local (Docker-free) build of the dependencies layer: cached by requirements, size-checked,
compiled; and the check that every handler imports the way Lambda will."""

import pytest

from infra import code_assets, layer_build


@pytest.fixture(autouse=True)
def local_ca_bundle(tmp_path, monkeypatch):
    """An offline build: RDS_CA_BUNDLE names a local copy of the bundle."""
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("RDS_CA_BUNDLE", str(bundle))
    return bundle


@pytest.fixture
def fake_pip(monkeypatch):
    calls = []

    def install(requirements, target, python_version):
        calls.append(requirements.read_text())
        (target.parent / "python-version").parent.mkdir(parents=True, exist_ok=True)
        (target.parent / "python-version").write_text(python_version)
        (target / "somepackage").mkdir(parents=True)
        (target / "somepackage" / "__init__.py").write_text("VALUE = 1\n")
        (target / "somepackage" / "__pycache__").mkdir()
        (target / "somepackage" / "__pycache__" / "x.pyc").write_bytes(b"0")

    monkeypatch.setattr(layer_build, "_pip_install", install)
    return calls


def test_builds_once_per_requirements_set(tmp_path, fake_pip):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("somepackage==1.0\n")
    first = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    again = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    assert first == again and len(fake_pip) == 1
    assert (first / "python" / "somepackage" / "__init__.py").exists()
    assert not (first / "python" / "somepackage" / "__pycache__" / "x.pyc").exists()  # pip's, dropped
    assert (first / "python" / "somepackage" / "__pycache__" / "__init__.cpython-311.pyc").exists()

    requirements.write_text("somepackage==2.0\n")
    rebuilt = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    assert rebuilt != first and len(fake_pip) == 2


def test_the_snapstart_layer_is_built_for_its_python_apart_and_without_bytecode(tmp_path, fake_pip):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("somepackage==1.0\n")
    jobs = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    api = layer_build.build_dependencies_layer(requirements, tmp_path / "build", python_version="3.12")
    assert api != jobs and len(fake_pip) == 2
    assert (jobs / "python-version").read_text() == "3.11" and (api / "python-version").read_text() == "3.12"
    assert (api / "python" / "somepackage" / "__init__.py").exists()
    assert not list((api / "python").rglob("*.pyc"))  # CPython 3.11's bytecode would be of no use to 3.12
    assert (api / "certs" / "rds-global-bundle.pem").exists()


def test_an_interrupted_build_is_not_reused(tmp_path, fake_pip, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("somepackage==1.0\n")

    def broken(requirements, target, python_version):
        target.mkdir(parents=True)
        raise RuntimeError("network down")

    monkeypatch.setattr(layer_build, "_pip_install", broken)
    with pytest.raises(RuntimeError):
        layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    monkeypatch.setattr(layer_build, "_pip_install", lambda r, t, v: (t / "ok").mkdir(parents=True))
    layer = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    assert (layer / ".complete").exists() and (layer / "python" / "ok").is_dir()


def test_refuses_a_layer_above_the_budget(tmp_path, fake_pip, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("huge==1.0\n")
    monkeypatch.setattr(layer_build, "MAX_LAYER_BYTES", 4)
    with pytest.raises(RuntimeError, match="above the budget"):
        layer_build.build_dependencies_layer(requirements, tmp_path / "build")


def test_requirements_pin_what_the_api_functions_import():
    names = {
        line.split("==")[0].split("[")[0].strip().lower()
        for line in layer_build.REQUIREMENTS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"fastapi", "mangum", "sqlalchemy", "psycopg", "pgvector", "alembic", "livekit-api"} <= names
    # The embedding runtime lives in the knowledge image, never in the API layer.
    assert not names & {"torch", "sentence-transformers", "boto3"}


@pytest.fixture(scope="module")
def staged_code(tmp_path_factory):
    return code_assets.stage_code(tmp_path_factory.mktemp("assets"))


def test_handler_check_sees_only_the_layers(tmp_path, staged_code):
    empty = tmp_path / "empty"
    (empty / "python").mkdir(parents=True)
    failures = layer_build.check_handlers_import(empty, staged_code)
    assert any("manager_api: ModuleNotFoundError" in failure for failure in failures)


def _layer_of_this_environment(tmp_path):
    import sysconfig

    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "python").symlink_to(sysconfig.get_paths()["purelib"])
    return layer


def test_handler_check_passes_when_the_layer_holds_the_dependencies(tmp_path, staged_code):
    assert layer_build.check_handlers_import(_layer_of_this_environment(tmp_path), staged_code) == []


def test_handler_check_fails_a_module_shipped_without_bytecode(tmp_path, staged_code):
    import shutil

    code = code_assets.stage_code(tmp_path / "assets")
    shutil.rmtree(code.core_layer / "python" / "meetings" / "api" / "__pycache__")
    failures = layer_build.check_handlers_import(_layer_of_this_environment(tmp_path), code)
    assert any("manager_api: " in failure and "without bytecode" in failure for failure in failures)


def test_the_layer_ships_the_rds_ca_bundle_where_the_settings_expect_it(tmp_path, fake_pip, local_ca_bundle):
    from meetings.settings import RDS_CA_BUNDLE

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("somepackage==1.0\n")
    layer = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    shipped = layer / "certs" / "rds-global-bundle.pem"  # a layer unpacks under /opt
    assert "/opt/" + str(shipped.relative_to(layer)) == RDS_CA_BUNDLE
    assert shipped.read_text() == local_ca_bundle.read_text()


def test_every_build_ships_its_own_bundle_not_a_cached_one(tmp_path, fake_pip, local_ca_bundle):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("somepackage==1.0\n")
    layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    local_ca_bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n")
    layer = layer_build.build_dependencies_layer(requirements, tmp_path / "build")
    assert len(fake_pip) == 1  # the packages were reused
    assert "MIIC" in (layer / "certs" / "rds-global-bundle.pem").read_text()


def test_a_bundle_without_a_certificate_fails_the_build(tmp_path, local_ca_bundle):
    local_ca_bundle.write_text("<html>captive portal</html>")
    with pytest.raises(RuntimeError, match="no certificate"):
        layer_build.add_rds_ca_bundle(tmp_path / "certs")
