"""Annotation budgets of thesis chapter 4 (BASIS): costs per image, days, mixes, curves.

    python tools/budget.py costs [--coco instances.json]            # table 4.1
    python tools/budget.py days 800 [--weak 2279 --weak-kind IL+C]  # tables 4.3/4.5, 4.7(b)
    python tools/budget.py plan 1.14 --weak-kind IL+C --pool 10582  # mixes that fit (table 4.8)
    python tools/budget.py plot budget.png [--max-images 10000]     # figure 4.2

Kinds: IL (image_labels), IL+C (labels_counts), BB (boxes), Full (full). Days are 24 h days
and per-image rates are rounded to 6 decimals of a day, as the thesis's tables are; ``--exact``
drops that rounding. Bad input exits with status 2 and a one-line message.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
from typing import List, Sequence

import mmsegsup.budget as B
import mmsegsup.formats.supervision as S


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table with padded columns; numbers right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [any(r[i] for r in cells) and all(_is_number(r[i]) for r in cells if r[i])
               for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = [v.rjust(w) if num else v.ljust(w)
                  for v, w, num in zip(values, widths, numeric)]
        return '| ' + ' | '.join(padded) + ' |'

    rule = '|' + '|'.join(('-' * (w + 1) + ':') if num else ('-' * (w + 2))
                          for w, num in zip(widths, numeric)) + '|'
    return '\n'.join([line(headers), rule] + [line(r) for r in cells])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _stats(args: argparse.Namespace):
    return B.stats_from_coco(args.coco) if args.coco else B.VOC_STATS


def _model_kwargs(args: argparse.Namespace) -> dict:
    return dict(rate_decimals=None if args.exact else B.THESIS_RATE_DECIMALS,
                seconds_per_day=args.hours_per_day * 3600)


def _describe_stats(stats) -> str:
    images = f', {stats.num_images} images' if stats.num_images is not None else ''
    return (f'Statistics: {stats.classes_per_image:.4g} classes/image, '
            f'{stats.objects_per_image:.4g} objects/image, {stats.num_classes} classes'
            f'{images} ({stats.source})')


def cmd_costs(args: argparse.Namespace) -> None:
    stats = _stats(args)
    print(_describe_stats(stats))
    print()
    rows = [[S.SHORT_NAMES[k], k, B.format_cost(B.cost_per_image(k, stats)),
             B.explain_cost(k, stats)] for k in S.KINDS]
    print(table(['Supervision', 'Kind', 'Cost (s/image)', 'Derivation'], rows))


def cmd_days(args: argparse.Namespace) -> None:
    if args.weak and args.weak_kind is None:
        raise ValueError('--weak-kind is required with --weak (e.g. --weak-kind IL+C)')
    stats, kw = _stats(args), _model_kwargs(args)
    total = B.budget_days(args.n_strong, args.weak, args.weak_kind, stats=stats,
                          strong_kind=args.strong_kind, pool_size=args.pool, **kw)
    parts = [('strong', args.n_strong, args.strong_kind)]
    if args.weak_kind is not None:
        parts.append(('weak', args.weak, args.weak_kind))
    rows = []
    for role, count, kind in parts:
        kind = S.normalize_kind(kind)
        days = count * B.rate_days(kind, stats, **kw)
        rows.append([role, S.SHORT_NAMES[kind], count, B.format_cost(B.cost_per_image(kind, stats)),
                     B.format_days(float(days), args.decimals)])
    rows.append(['total', '', sum(r[2] for r in rows), '', B.format_days(total, args.decimals)])
    print(table(['Part', 'Kind', 'Images', 's/image', 'Budget (days)'], rows))


def cmd_plan(args: argparse.Namespace) -> None:
    stats = _stats(args)
    plan = B.plan_budget(args.days, args.weak_kind, args.pool, step=args.step, stats=stats,
                         strong_kind=args.strong_kind, **_model_kwargs(args))
    strong = S.SHORT_NAMES[S.normalize_kind(args.strong_kind)]
    weak = S.SHORT_NAMES[S.normalize_kind(args.weak_kind)]
    print(f'Mixes of {strong} (N) and {weak} (M) images from a pool of {args.pool} that fit in '
          f'{args.days} days (maximal M for each N):')
    print()
    rows = [[m.n_strong, m.m_weak, m.n_strong + m.m_weak, B.format_days(m.days, args.decimals)]
            for m in plan]
    print(table([f'N ({strong})', f'M ({weak})', 'Images', 'Budget (days)'], rows))


def cmd_plot(args: argparse.Namespace) -> None:
    if args.max_images < 1:
        raise ValueError(f'--max-images must be at least 1, got {args.max_images}')
    stats, kw = _stats(args), _model_kwargs(args)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    n = list(range(1, args.max_images + 1, max(1, args.max_images // 500)))
    if n[-1] != args.max_images:
        n.append(args.max_images)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for kind in (S.FULL, S.BOXES, S.LABELS_COUNTS, S.IMAGE_LABELS):  # legend top to bottom
        rate = float(B.rate_days(kind, stats, **kw))
        label = f'{S.SHORT_NAMES[kind]} ({B.format_cost(B.cost_per_image(kind, stats))} s/image)'
        ax.plot(n, [i * rate for i in n], label=label)
    ax.set_yscale('log')
    ax.set_xlabel('Number of images')
    ax.set_ylabel(f'Annotation budget (days of {args.hours_per_day:g} h)')
    ax.set_title('Annotation budget vs. number of images')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _savefig_atomic(fig, args.out)
    plt.close(fig)
    print(f'wrote {args.out}')


def _savefig_atomic(fig, path: str) -> None:
    """Save to a temp file beside ``path``, then rename: no half-written figure is ever seen."""
    folder = osp.dirname(osp.abspath(path))
    if not osp.isdir(folder):
        raise ValueError(f'output folder {folder} does not exist')
    fmt = osp.splitext(path)[1].lstrip('.').lower() or 'png'
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp-', suffix='.' + fmt)
    try:
        with os.fdopen(fd, 'wb') as f:
            fig.savefig(f, format=fmt, dpi=120)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='budget.py', description=__doc__.split('\n')[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--coco', metavar='FILE',
                        help='COCO instances file to take the statistics from (default: the '
                             "thesis's Pascal VOC figures)")
    common.add_argument('--exact', action='store_true',
                        help='do not round per-image costs to 6 decimals of a day as the thesis')
    common.add_argument('--hours-per-day', type=float, default=24.0,
                        help='length of a day of annotation (thesis: 24)')
    common.add_argument('--decimals', type=int, default=2, help='decimals of printed days')
    kinds = 'IL, IL+C, BB, Full (or image_labels, labels_counts, boxes, full)'
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser('costs', parents=[common], help='cost per image of each kind (table 4.1)')
    p.set_defaults(func=cmd_costs)

    p = sub.add_parser('days', parents=[common],
                       help='budget of N strong (+ M weak) images (tables 4.3, 4.5, 4.7b)')
    p.add_argument('n_strong', type=int, metavar='N', help='strongly annotated images')
    p.add_argument('--weak', type=int, default=0, metavar='M', help='weakly annotated images')
    p.add_argument('--weak-kind', help=f'kind of the weak labels: {kinds}')
    p.add_argument('--strong-kind', default='full', help=f'kind of the strong labels: {kinds}')
    p.add_argument('--pool', type=int, help='check that N + M images exist in a pool this size')
    p.set_defaults(func=cmd_days)

    p = sub.add_parser('plan', parents=[common], help='(N, M) mixes that fit a budget')
    p.add_argument('days', type=float, help='budget in days')
    p.add_argument('--weak-kind', required=True, help=f'kind of the weak labels: {kinds}')
    p.add_argument('--pool', type=int, required=True, help='images available to annotate')
    p.add_argument('--step', type=int, default=100, help='spacing of the N values listed')
    p.add_argument('--strong-kind', default='full', help=f'kind of the strong labels: {kinds}')
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser('plot', parents=[common], help='budget curves (figure 4.2)')
    p.add_argument('out', help='image to write (PNG; another matplotlib format by extension)')
    p.add_argument('--max-images', type=int, default=10000, help='end of the x axis')
    p.set_defaults(func=cmd_plot)
    return parser


def main(argv: List[str] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError) as err:
        parser.exit(2, f'{parser.prog} {args.command}: error: {err}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
