"""Find pipeline steps of a type anywhere in a config part (nested datasets, broadcasters)."""
from typing import Any, List


def find_steps(node: Any, type_: str) -> List[dict]:
    """Every dict with ``type == type_`` under ``node`` (dicts and lists walked depth first),
    so a transform inside ``TransformBroadcaster`` or a wrapped dataset is found too."""
    found: List[dict] = []
    if isinstance(node, dict):
        if node.get('type') == type_:
            found.append(node)
        for value in node.values():
            found += find_steps(value, type_)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += find_steps(value, type_)
    return found
