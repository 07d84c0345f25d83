"""CDK entry point: `npx cdk synth -c stage=dev` (cdk.json runs `python -m infra.app`).

One stack per environment, `Meetings-<stage>`, checked by the cdk-nag AwsSolutions and HIPAA Security
packs at synth time.
"""

import os
from pathlib import Path

from aws_cdk import App, Aspects, Environment, Tags
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

from infra import code_assets, layer_build, sources
from infra.compliance import acknowledge_findings
from infra.config import load_stage_config
from infra.stacks.platform_stack import PlatformStack

BUILD_ROOT = sources.REPO_ROOT / ".build"


def _environment(app: App) -> Environment | None:
    """Environment-agnostic unless `-c account=... -c region=...` pins it (synth stays offline)."""
    account = app.node.try_get_context("account")
    region = app.node.try_get_context("region")
    return Environment(account=account, region=region) if account or region else None


def build_app(context: dict | None = None, outdir: str | None = None, build_root: Path = BUILD_ROOT) -> App:
    """The whole CDK app for the stage in the context; also used by the infra tests.

    `build_root` receives the staged, compiled code (`assets/`) and the dependencies layers (`layers/`,
    cached between synths).
    """
    app = App(context=context, outdir=outdir)
    config = load_stage_config(app.node)
    if config.skip_layer_build:
        layer_dir = snapstart_layer_dir = layer_build.empty_layer(build_root / "layers")
    else:
        layer_dir = layer_build.build_dependencies_layer(build_root=build_root / "layers")
        snapstart_layer_dir = layer_build.build_dependencies_layer(
            build_root=build_root / "layers", python_version=layer_build.SNAPSTART_PYTHON_VERSION
        )
    stack = PlatformStack(
        app,
        f"Meetings-{config.stage}",
        config=config,
        dependencies_layer_dir=str(layer_dir),
        snapstart_dependencies_layer_dir=str(snapstart_layer_dir),
        code=code_assets.stage_code(build_root / "assets"),
        env=_environment(app),
        description=f"Meetings platform ({config.stage})",
    )
    # The proxy target group's schema has no Tags (the CloudFormation schema check flags them).
    untaggable = ["AWS::RDS::DBProxyTargetGroup"]
    Tags.of(app).add("project", "meetings", exclude_resource_types=untaggable)
    Tags.of(app).add("stage", config.stage, exclude_resource_types=untaggable)
    acknowledge_findings(stack)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    Aspects.of(app).add(HIPAASecurityChecks(verbose=True))
    return app


def main() -> None:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    build_app().synth()


if __name__ == "__main__":
    main()
