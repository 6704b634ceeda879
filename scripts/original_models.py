"""The original's own networks (hysts/pytorch_image_classification, copied unchanged into
scripts/pytorch_image_classification/), built from our resolved config as the original's `create_model` does.
Used by scripts/bench_pytorch.py and scripts/step_pytorch.py."""
import importlib
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def namespace(value):
    """Our config dict as the attribute tree the original's yacs CfgNode is (config.model.resnet.depth)."""
    if isinstance(value, dict):
        return types.SimpleNamespace(**{k: namespace(v) for k, v in value.items()})
    return value


def build(cfg):
    """The original's `Network(config)` of `cfg.model.type`/`cfg.model.name`; cfg: a {@link namespace} of our config
    (its `model` and `dataset` sections)."""
    module = importlib.import_module(f'pytorch_image_classification.models.{cfg.model.type}.{cfg.model.name}')
    return module.Network(cfg)
