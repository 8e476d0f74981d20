"""mmsegsup's layers (issues 15, 27): a module imports only from its own package or lower layers,
and no chain of imports comes back to where it started.

Walks every ``import`` of ``mmsegsup/`` (function-level ones too) with ``ast``; an edge from a
package to one of the same or a higher layer fails, unless it is one of the named pending
moves below, each of which must still exist (so the list only shrinks). ``utils`` is the lowest
layer: the file formats build on it, never the other way round.
"""
import ast
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(REPO, 'mmsegsup')

# lowest first; packages of one layer are peers and do not import each other
LAYERS = (
    ('mmsegsup', 'version', 'registry', 'utils'),
    ('formats', ),
    ('datasets', 'models'),
    ('evaluation', ),
    ('engine', ),
    ('apis', ),
    ('budget', 'analysis'),
    ('annotators', ),  # Label Studio / CVAT exchange and the ML backend (issue 30)
    ('basis', ),
    ('active_learning', ),
    ('cli', ),  # the tools the drivers run by module name (python -m, tool_runner)
)
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}
BOTTOM = set(LAYERS[0])

# (importing module, imported module): upward edges still to move, with the reason
PENDING = set()


def _module(path: str) -> str:
    rel = osp.relpath(path, REPO)[:-3].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def _is_module(name: str) -> bool:
    path = osp.join(REPO, *name.split('.'))
    return osp.isfile(path + '.py') or osp.isfile(osp.join(path, '__init__.py'))


def import_edges():
    """``(module, imported mmsegsup module)`` for every import under mmsegsup/.

    ``from package import name`` is an edge to ``package.name`` where that is a module, else to
    ``package``.
    """
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
                    targets = [f'{base}.{a.name}' if not node.module
                               or _is_module(f'{base}.{a.name}') else base for a in node.names]
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


def test_utils_import_no_formats():
    """``utils`` is the lowest layer: the format modules build on it, it never imports them."""
    bad = sorted(f'{src} -> {dst}' for src, dst in import_edges()
                 if _top(src) == 'utils' and _top(dst) != 'utils')
    assert not bad, 'utils must import nothing of mmsegsup but itself:\n' + '\n'.join(bad)


def find_cycles(edges):
    """One cycle (a list of modules, first == last) for each strongly connected set of modules."""
    graph = {}
    for src, dst in edges:
        graph.setdefault(src, set()).add(dst)
        graph.setdefault(dst, set())
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def strong(v):  # Tarjan; the package has a few hundred modules, recursion depth is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                members.add(w)
                if w == v:
                    break
            if len(members) > 1 or v in graph[v]:
                cycles.append(_cycle_through(graph, v, members))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return cycles


def _cycle_through(graph, start, members):
    """The shortest path from ``start`` back to itself inside ``members`` (breadth first)."""
    parent, queue = {}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1] + [start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    raise AssertionError(f'no cycle through {start}')


def test_find_cycles_reports_each_cycle():
    assert find_cycles({('a', 'b'), ('b', 'c')}) == []
    assert find_cycles({('a', 'b'), ('b', 'a'), ('b', 'c')}) == [['a', 'b', 'a']]
    assert find_cycles({('a', 'a')}) == [['a', 'a']]
    assert find_cycles({('a', 'b'), ('b', 'c'), ('c', 'a'), ('c', 'd')}) == [['a', 'b', 'c', 'a']]


def test_no_import_cycle():
    """No module reaches itself through imports (function-level ones too), so each one can be
    imported first without finding another half-initialised."""
    cycles = find_cycles(import_edges())
    assert not cycles, 'import cycles:\n' + '\n'.join(' -> '.join(c) for c in cycles)


def test_formats_import_nothing_above_utils():
    """The format layer stays light: formats import only mmsegsup.utils (and each other)."""
    for src, dst in import_edges():
        if src.startswith('mmsegsup.formats'):
            assert dst.startswith(('mmsegsup.utils', 'mmsegsup.formats')), (src, dst)
