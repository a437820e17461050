"""`SharedCodeLayer`: `lambdas/shared/` published once as a layer every function uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.builders import packaging


@dataclass
class SharedCodeLayerArgs:
    name_prefix: str  # the layer is `<prefix>-shared`
    runtime: str
    architecture: str


class SharedCodeLayer(pulumi.ComponentResource):
    def __init__(self, name: str, args: SharedCodeLayerArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:SharedCodeLayer", name, None, opts)
        self.layer = aws.lambda_.LayerVersion(
            name, layer_name=f"{args.name_prefix}-shared",
            description="Shared handler code of the order platform (lambdas/shared)",
            code=packaging.archive(packaging.shared_layer_files()),
            compatible_runtimes=[args.runtime], compatible_architectures=[args.architecture],
            opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.layer.arn
        self.register_outputs({"arn": self.arn})
