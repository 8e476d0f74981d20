"""mmsegsup's layers (issue 15): a module imports only from its own package or lower layers.

Walks every ``import`` of ``mmsegsup/`` (function-level ones too) with ``ast``; an edge from a
package to one of the same or a higher layer fails, unless it is one of the named pending
moves below, each of which must still exist (so the list only shrinks).
"""
import ast
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(REPO, 'mmsegsup')

# lowest first; packages of one layer are peers and do not import each other
LAYERS = (
    ('mmsegsup', 'version', 'registry', 'utils', 'formats'),
    ('datasets', 'models'),
    ('evaluation', ),
    ('engine', ),
    ('apis', ),
    ('budget', 'analysis'),
    ('basis', ),
    ('active_learning', ),
)
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}
BOTTOM = set(LAYERS[0])

# (importing module, imported module): upward edges still to move, with the reason
PENDING = set()


def _module(path: str) -> str:
    rel = osp.relpath(path, REPO)[:-3].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def import_edges():
    """``(module, imported mmsegsup module)`` for every import under mmsegsup/."""
    edges = set()
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            module = _module(path)
            package = module if name == '__init__.py' else module.rsplit('.', 1)[0]
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    targets = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        parts = package.split('.')
                        base = '.'.join(parts[:len(parts) - node.level + 1])
                        base = f'{base}.{node.module}' if node.module else base
                    else:
                        base = node.module or ''
                    targets = ([base] if node.module else
                               [f'{base}.{a.name}' for a in node.names])
                else:
                    continue
                edges.update((module, t) for t in targets
                             if t == 'mmsegsup' or t.startswith('mmsegsup.'))
    return edges


def _top(module: str) -> str:
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else 'mmsegsup'


def test_every_package_has_a_layer():
    packages = {_top(m) for m, _ in import_edges()} | {
        n[:-3] if n.endswith('.py') else n for n in os.listdir(PACKAGE)
        if not n.startswith(('_', '.')) and n != '__pycache__'}
    assert packages <= set(LAYER), sorted(packages - set(LAYER))


def test_no_upward_or_sideways_import():
    edges = import_edges()
    bad = []
    for src, dst in sorted(edges):
        a, b = _top(src), _top(dst)
        if a == b or (a in BOTTOM and b in BOTTOM):
            continue  # inside one package, or between the bottom modules (the light root too)
        if LAYER[b] < LAYER[a] or (src, dst) in PENDING:
            continue
        bad.append(f'{src} -> {dst}')
    assert not bad, 'imports against the layers:\n' + '\n'.join(bad)
    stale = PENDING - edges
    assert not stale, f'pending moves already done: drop them from PENDING: {sorted(stale)}'


def test_formats_import_nothing_above_utils():
    """The bottom layer stays light: formats import only mmsegsup.utils (and each other)."""
    for src, dst in import_edges():
        if src.startswith('mmsegsup.formats'):
            assert dst.startswith(('mmsegsup.utils', 'mmsegsup.formats')), (src, dst)
