"""Referring-expression analysis of thesis chapter 6 (sections 6.4, 6.5.2): tables and figures.

    # trivial vs non-trivial, table 6.6 (+/- category), figs. 6.3 / 6.4, kappas
    python tools/analyze_referring.py report RESULTS.csv --out-dir DIR \\
        (--annotations A1.csv A2.csv A3.csv | --tag CONFIG) [--only-annotated]
    # information-level variants (table 6.7): make them, then evaluate a model on them
    python tools/analyze_referring.py make-variants CONFIG --out variants.json
    python tools/analyze_referring.py evaluate-variants CONFIG CKPT variants.json --out-dir DIR
    # A2Dre+-style augmented expressions: IoU with / without each category (table 6.6)
    python tools/analyze_referring.py evaluate-augmented CONFIG CKPT augmented.json --out-dir DIR

RESULTS.csv is the per-expression CSV of ``ReferringMetric(csv_file=...)`` (``tools/test.py
CONFIG CKPT --cfg-options test_evaluator.csv_file=RESULTS.csv``). Annotator files are the CSV
/ JSON of ``mmsegsup.formats.re_categories`` (several: majority vote of ``--min-agree`` and
Fleiss' kappa per category); ``--tag`` labels the expressions of CONFIG's test set with the
rule-based tagger instead. File formats: ``mmsegsup.formats.re_variants`` and
``mmsegsup.formats.re_augmented``. Datasets are built from ``--loader`` (default
``test_dataloader``) in mmseg's scope; ``evaluate-*`` run ``tools/test.py`` in a subprocess
on ``ReferringVariantsDataset`` wrapping that dataset.
Bad input exits with status 2 and a one-line message.
"""
import argparse
import copy
import os
import os.path as osp
import subprocess
import sys
import types
from typing import Dict, List, Optional, Tuple

TOOLS = osp.dirname(osp.abspath(__file__))
VARIANTS_MODULE = 'mmsegsup.datasets.referring_variants'
_MODULES = ('analysis.categories', 'analysis.agreement', 'analysis.study', 'analysis.plots',
            'analysis.variants', 'evaluation.functional.referring_metrics', 'utils.io',
            'formats.re_categories', 'formats.re_variants', 'formats.re_augmented')


def _api(heavy: bool = False) -> types.SimpleNamespace:
    """The analysis modules (``import mmsegsup`` is light: no models or datasets load)."""
    import importlib
    mods = [importlib.import_module('mmsegsup.' + m) for m in _MODULES]
    names = ('categories', 'agreement', 'study', 'plots', 'variants', 'metrics', 'io',
             'labels', 'variants_file', 'augmented_file')
    return types.SimpleNamespace(**dict(zip(names, mods)))


def build_dataset(config: str, loader: str = 'test_dataloader'):
    """The (fully loaded) dataset of ``config``'s ``loader``, without its pipeline."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmsegsup  # noqa: F401  (registers the datasets)
    from mmsegsup.registry import SEG_DATASETS as DATASETS
    cfg = Config.fromfile(config)
    if loader not in cfg or 'dataset' not in cfg[loader]:
        raise ValueError(f'{config}: no {loader}.dataset to build (use --loader)')
    ds_cfg = copy.deepcopy(cfg[loader].dataset)
    ds_cfg['pipeline'] = []
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        dataset = DATASETS.build(ds_cfg)
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    return dataset


def _infos(dataset) -> List[dict]:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


# ---- report ----------------------------------------------------------------------------------

def _tagged(api, config: str, loader: str, lexicon: Optional[str]) -> Dict[str, object]:
    """Categories of the test expressions by the tagger, with their triviality."""
    import dataclasses

    from mmsegsup.analysis.tagger import Tagger
    infos = _infos(build_dataset(config, loader))
    trivial = {}
    for info in infos:
        value = info.get('trivial')
        trivial.setdefault(str(info['expr_id']), value if isinstance(value, bool) else None)
    tags = Tagger(lexicon_file=lexicon).tag_data_infos(infos)
    return {e: dataclasses.replace(t.to_annotation(e), trivial=trivial[e])
            for e, t in tags.items()}


def _difficulty(api, annotations, rows) -> Dict[str, Dict[str, float]]:
    props = {f: api.categories.label_proportions(annotations, f) for f in
             ('trivial', 'correctness', 'redundancy')} if annotations else {}
    if not props.get('trivial'):
        known = [r['trivial'] for r in rows if r.get('trivial') is not None]
        if known:
            share = sum(known) / len(known)
            props['trivial'] = {'non_trivial': 1.0 - share, 'trivial': share}
    return props


def cmd_report(args: argparse.Namespace) -> None:
    api = _api(heavy=bool(args.tag))
    st, plots = api.study, api.plots
    rows = api.metrics.load_referring_results_csv(args.results)
    if not rows:
        raise ValueError(f'{args.results}: no expressions')
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: osp.join(args.out_dir, name)  # noqa: E731
    name = args.name or osp.splitext(osp.basename(args.results))[0]
    sections = [f'# Referring-expression report: {name}\n',
                f'Results: {args.results} ({len(rows)} expressions); mean IoU over '
                f'{args.mean_over}s.\n']
    split = st.trivial_split(rows, args.mean_over)
    sections.append(st.write_tables(st.trivial_table(split), out('trivial.md'),
                                    out('trivial.csv'), 'Trivial vs non-trivial expressions'))
    annotations = None
    if args.annotations:
        annotators = api.labels.load_annotators(args.annotations)
        annotations = (api.agreement.majority_vote(annotators, args.min_agree)
                       if len(annotators) > 1 else annotators[0])
        source = f'majority vote of {len(annotators)} annotator files' \
            if len(annotators) > 1 else f'annotator file {args.annotations[0]}'
        if len(annotators) > 1:
            kappas = api.agreement.category_kappas(annotators)
            sections.append(st.write_tables(st.kappa_table(kappas), out('kappas.md'),
                                            out('kappas.csv'), "Fleiss' kappa per category"))
        if args.tag:  # manual labels exist: measure the automatic tagger against them
            from mmsegsup.analysis.tagger_eval import evaluate_tagger, format_tagger_report
            tagged = _tagged(api, args.tag, args.loader, args.lexicon)
            table = format_tagger_report(evaluate_tagger(tagged, annotations))
            api.io.write_text_atomic(table, out('tagger.md'))
            sections.append(f'## Automatic tagger vs. the {source}\n\n{table}')
    elif args.tag:
        annotations = _tagged(api, args.tag, args.loader, args.lexicon)
        source = f'tagger on {args.tag}'
    if annotations is not None:
        api.labels.write_annotations(annotations, out('categories.csv'))
        joined = st.join_categories(rows, annotations, args.results,
                                    'skip' if args.only_annotated else 'error')
        effects = st.category_effect(joined, args.categories, args.mean_over)
        sections.append(f'Categories: {source}; {len(joined)} of {len(rows)} expressions.\n')
        sections.append(st.write_tables(st.category_effect_table(effects),
                                        out('category_effect.md'), out('category_effect.csv'),
                                        'Effect of the presence of categories (table 6.6)'))
        plots.plot_category_effect(effects, out('category_effect.png'))
        used = {e: annotations[e] for e in (r['expr_id'] for r in joined)}
        plots.plot_category_proportions(
            {name: api.categories.category_proportions(used)}, out('category_proportions.png'))
    plots.plot_difficulty({name: _difficulty(api, annotations, rows)}, out('difficulty.png'))
    text = '\n'.join(sections)
    api.io.write_text_atomic(text, out('report.md'))
    print(text)
    print(f'wrote the tables and figures to {args.out_dir}')


# ---- variants --------------------------------------------------------------------------------

def cmd_make_variants(args: argparse.Namespace) -> None:
    api = _api(heavy=True)
    from mmsegsup.datasets.referring_variants import variant_labels
    dataset = build_dataset(args.config, args.loader)
    infos = _infos(dataset)
    labels = variant_labels(dataset) if args.actor_key == 'actor' else None
    variants = api.variants.make_variants(infos, args.actor_key,
                                          None if args.no_action else args.action_key,
                                          labels=labels, generic=args.generic)
    api.variants_file.write_variants(variants, args.out)
    counts = api.variants.count_applicable(variants)
    print(f'wrote {len(variants.expressions)} expressions x levels '
          f'{", ".join(f"{lv} ({n})" for lv, n in counts.items())} to {args.out}')


def _evaluate(args: argparse.Namespace, variants_file: str, prefix: str) -> Tuple[dict, object]:
    """Run tools/test.py on the wrapped dataset; (``level -> result rows``, the variants)."""
    from mmengine.config import Config

    api = _api(heavy=True)
    variants = api.variants_file.read_variants(variants_file)
    levels = args.levels or list(variants.levels)
    cfg = Config.fromfile(args.config)
    if args.loader not in cfg or 'dataset' not in cfg[args.loader]:
        raise ValueError(f'{args.config}: no {args.loader}.dataset to wrap (use --loader)')
    loader = copy.deepcopy(cfg[args.loader])
    loader.dataset = dict(type='ReferringVariantsDataset', dataset=loader.dataset,
                          variants_file=osp.abspath(variants_file), levels=levels,
                          strict=args.strict)
    csv_file = osp.abspath(osp.join(args.out_dir, f'{prefix}_expressions.csv'))
    cfg.test_dataloader = loader
    cfg.test_evaluator = dict(type='ReferringMetric', csv_file=csv_file)
    imports = list(cfg.get('custom_imports', {}).get('imports', ['mmsegsup']))
    cfg.custom_imports = dict(imports=imports + [VARIANTS_MODULE], allow_failed_imports=False)
    config_file = osp.join(args.out_dir, f'{prefix}_config.py')
    cfg.dump(config_file)
    cmd = [sys.executable, osp.join(TOOLS, 'test.py'), config_file, args.checkpoint,
           '--work-dir', osp.join(args.out_dir, f'{prefix}_test')]
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    if osp.isfile(csv_file):
        os.remove(csv_file)
    proc = subprocess.run(cmd)
    if proc.returncode != 0 or not osp.isfile(csv_file):
        raise RuntimeError(f'tools/test.py on {config_file} failed (status {proc.returncode}); '
                           f'its output is above')
    rows = api.metrics.load_referring_results_csv(csv_file)
    return api.study.split_levels(rows, csv_file), variants


def cmd_evaluate_variants(args: argparse.Namespace) -> None:
    os.makedirs(args.out_dir, exist_ok=True)
    by_level, variants = _evaluate(args, args.variants, 'variants')
    api = _api(heavy=True)
    st = api.study
    levels = [lv for lv in (args.levels or variants.levels) if lv in by_level]
    scores = st.information_levels(by_level, levels, variants.titles, args.mean_over)
    out = lambda name: osp.join(args.out_dir, name)  # noqa: E731
    text = st.write_tables(st.information_level_table(scores), out('information_levels.md'),
                           out('information_levels.csv'),
                           'IoU for different levels of information (table 6.7)')
    api.plots.plot_information_levels(scores, out('information_levels.png'))
    print(text)
    print(f'wrote the tables and figure to {args.out_dir}')


def cmd_evaluate_augmented(args: argparse.Namespace) -> None:
    os.makedirs(args.out_dir, exist_ok=True)
    api = _api(heavy=True)
    augmented = api.augmented_file.read_augmented(args.augmented)
    variants_file = osp.join(args.out_dir, 'augmented_variants.json')
    api.variants_file.write_variants(api.variants.augmented_to_variants(augmented),
                                     variants_file)
    args.levels = None
    by_level, _ = _evaluate(args, variants_file, 'augmented')
    st = api.study
    effects = st.augmented_effect(by_level, augmented.categories, args.mean_over)
    out = lambda name: osp.join(args.out_dir, name)  # noqa: E731
    text = st.write_tables(st.category_effect_table(effects), out('augmented_effect.md'),
                           out('augmented_effect.csv'),
                           'Effect of the presence of categories, augmented expressions '
                           '(table 6.6)')
    api.plots.plot_category_effect(effects, out('augmented_effect.png'))
    print(text)
    print(f'wrote the tables and figure to {args.out_dir}')


# ---- command line ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='analyze_referring.py',
                                     description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--loader', default='test_dataloader',
                        help='the config key whose dataset is used (default test_dataloader)')
    common.add_argument('--mean-over', choices=('frame', 'expression'), default='frame',
                        help='mean IoU over samples (frames; the A2D protocol) or expressions')

    p = sub.add_parser('report', parents=[common],
                       help='tables and figures from a per-expression results CSV')
    p.add_argument('results', help='per-expression CSV of ReferringMetric')
    p.add_argument('--out-dir', required=True, help='folder for the tables and PNGs')
    p.add_argument('--annotations', nargs='+', metavar='FILE',
                   help='annotator category files (.csv / .json); several: majority vote')
    p.add_argument('--tag', metavar='CONFIG',
                   help="tag the expressions of CONFIG's dataset with the rule-based tagger "
                        '(with --annotations: its precision / recall against them, tagger.md)')
    p.add_argument('--lexicon', help='extra tagger lexicon (JSON / YAML) for --tag')
    p.add_argument('--min-agree', type=int, default=2,
                   help='annotators needed to keep a category (thesis: 2 of 3)')
    p.add_argument('--categories', nargs='+', default=['appearance', 'location', 'motion',
                                                        'static'],
                   help='categories of the +/- table (default: the four major ones)')
    p.add_argument('--only-annotated', action='store_true',
                   help='leave out result rows without categories instead of failing')
    p.add_argument('--name', help='dataset name in the figures (default: the CSV name)')
    p.set_defaults(func=cmd_report)

    p = sub.add_parser('make-variants', parents=[common],
                       help="information-level variants of a dataset's expressions")
    p.add_argument('config', help='a config whose dataset holds the expressions')
    p.add_argument('--out', required=True, help='variants JSON to write')
    p.add_argument('--actor-key', default='actor',
                   help='data-info field of the actor (default: actor; the synthetic shapes '
                        'use their class)')
    p.add_argument('--action-key', default='action', help='data-info field of the action')
    p.add_argument('--no-action', action='store_true', help='make no action levels')
    p.add_argument('--generic', default='thing', help='the generic word (thesis: thing)')
    p.set_defaults(func=cmd_make_variants)

    for name, what, helptext in (
            ('evaluate-variants', 'variants', 'a variants JSON (make-variants)'),
            ('evaluate-augmented', 'augmented', 'an augmented-expressions JSON (A2Dre+)')):
        p = sub.add_parser(name, parents=[common],
                           help=f'evaluate a model on {helptext} with tools/test.py')
        p.add_argument('config', help='the model and dataset config')
        p.add_argument('checkpoint', help='the model checkpoint')
        p.add_argument(what, help=helptext)
        p.add_argument('--out-dir', required=True, help='folder for results, tables, PNGs')
        p.add_argument('--strict', action='store_true',
                       help='require variants for every expression of the dataset')
        p.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE',
                       help='passed on to tools/test.py')
        if what == 'variants':
            p.add_argument('--levels', nargs='+', help='levels to evaluate (default: all)')
            p.set_defaults(func=cmd_evaluate_variants)
        else:
            p.set_defaults(func=cmd_evaluate_augmented)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError, KeyError, RuntimeError) as err:
        parser.exit(2, f'{parser.prog} {args.command}: error: {err}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
