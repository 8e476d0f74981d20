"""Import time of ``import mmsegsup`` against mmdet's and mmseg's registries, side by side.

Each measurement is a fresh interpreter (``python -X importtime`` is not used: it slows the
import itself); the two commands alternate so that machine load hits both alike. Prints a
Markdown table and the modules that must stay out of ``sys.modules``.

    .venv/bin/python benchmarks/bench_import.py [--repeats 5]
"""
import argparse
import json
import statistics
import subprocess
import sys

HEAVY = ('transformers', 'matplotlib', 'mmdet.models', 'mmseg.models', 'mmsegsup.models',
         'mmsegsup.datasets')
COMMANDS = {
    'import mmdet.registry, mmseg.registry': 'import mmdet.registry, mmseg.registry',
    'import mmsegsup': 'import mmsegsup',
}
PROBE = """
import json, sys, time
t = time.perf_counter()
{stmt}
dt = time.perf_counter() - t
print(json.dumps(dict(seconds=dt, heavy=[m for m in {heavy!r} if m in sys.modules])))
"""


def measure(stmt: str) -> dict:
    out = subprocess.run([sys.executable, '-c', PROBE.format(stmt=stmt, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    times = {name: [] for name in COMMANDS}
    heavy = {}
    for _ in range(args.repeats):
        for name, stmt in COMMANDS.items():
            result = measure(stmt)
            times[name].append(result['seconds'])
            heavy[name] = result['heavy']
    base = statistics.median(times['import mmdet.registry, mmseg.registry'])
    print('| command | median s | min s | ratio to registries | heavy modules loaded |')
    print('|---|---|---|---|---|')
    for name, values in times.items():
        med = statistics.median(values)
        print(f'| `{name}` | {med:.2f} | {min(values):.2f} | {med / base:.2f} | '
              f'{", ".join(heavy[name]) or "none"} |')


if __name__ == '__main__':
    main()
