"""Native callbacks for training frameworks, each in its own module.

``runar.integrations.transformers``, ``.lightning`` and ``.keras`` import their framework;
this package and ``target`` import none, so ``import runar`` never loads torch.
"""
