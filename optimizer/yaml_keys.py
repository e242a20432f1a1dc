"""Duplicate keys in a YAML mapping: PyYAML keeps the last one silently (`target_class: fall` then `jump` ran a jump
study), so the study config is checked on the composed node tree, where every key still has its line."""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class DuplicateKey:
    key: str  # dotted, e.g. "search.trials" or "render.real_views[0]"
    first_line: int  # 1-based
    second_line: int


def find_duplicate_key(text: str) -> DuplicateKey | None:
    """The first key that a mapping of `text` holds twice, at any nesting level; None when all are unique.

    Raises yaml.YAMLError for text that is not YAML (as yaml.safe_load would)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    return None if root is None else _walk(root, "")


def _walk(node: yaml.Node, where: str) -> DuplicateKey | None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may repeat; the constructor merges
                    continue
                key = key_node.value
                name = f"{where}.{key}" if where else str(key)
                line = key_node.start_mark.line + 1
                if key in seen:
                    return DuplicateKey(name, seen[key], line)
                seen[key] = line
            else:
                name = where or "(top level)"
            if (found := _walk(value_node, name)) is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            if (found := _walk(item, f"{where}[{i}]")) is not None:
                return found
    return None
