"""`SharedCodeLayer`: `lambdas/shared/` published once as a layer every function uses."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_aws as aws

from components import packaging


class SharedCodeLayer(pulumi.ComponentResource):
    def __init__(self, name: str, name_prefix: str, runtime: str, architecture: str,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("order-platform:components:SharedCodeLayer", name, None, opts)
        self.layer = aws.lambda_.LayerVersion(
            name, layer_name=f"{name_prefix}-shared",
            description="Shared handler code of the order platform (lambdas/shared)",
            code=packaging.archive(packaging.shared_layer_files()),
            compatible_runtimes=[runtime], compatible_architectures=[architecture],
            opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.layer.arn
        self.register_outputs({"arn": self.arn})
