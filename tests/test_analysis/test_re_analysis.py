"""The referring-expression study (thesis 6.5.2): tables 6.6 / 6.7 from per-expression results,
information-level variants, A2Dre+-style augmented expressions, the variants dataset, plots,
and the analysis CLI (slow: end to end on a briefly trained CPU RefVOS)."""
import csv
import json
import math
import os
import os.path as osp
import re

import pytest
from mmengine.registry import DefaultScope
from mmsegsup.registry import SEG_DATASETS as DATASETS

from mmsegsup.analysis.plots import (plot_category_effect, plot_category_proportions,
                                     plot_difficulty, plot_information_levels)
from mmsegsup.analysis.study import (augmented_effect, category_effect, category_effect_table,
                                     csv_table, group_score, information_level_table,
                                     information_levels, join_categories, markdown_table,
                                     split_levels, trivial_split)
from mmsegsup.analysis.tagger import Tagger
from mmsegsup.analysis.variants import (LEVELS, augmented_pair, augmented_to_variants,
                                        make_variants)
from mmsegsup.datasets.referring_variants import ReferringVariantsDataset, variant_labels
from mmsegsup.evaluation.functional.referring_metrics import load_referring_results_csv
from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.re_augmented import (AugmentedReferent, AugmentedSet, augmented_from_json,
                                           read_augmented, write_augmented)
from mmsegsup.formats.re_variants import (ExpressionVariants, VariantSet, read_variants,
                                          variants_from_json, write_variants)
from tools_utils import REPO, run

TOOL = osp.join(REPO, 'tools', 'analyze_referring.py')
RESULTS = ('expr_id,video,num_frames,iou,mean_frame_iou,trivial,intersection,union\n'
           'a,v1,1,0.5,0.5,True,5,10\n'
           'b,v1,2,0.25,0.3,False,10,40\n'
           'c,v2,1,1.0,1.0,False,20,20\n'
           'd,v2,1,0.0,0.0,True,0,10\n')
ANN_HEADER = 'expr_id,appearance,class_category,location,motion,obj_motion,static,obj_static\n'
# three annotators; the majority (2 of 3) gives a: app+loc, b: app, c: loc+motion, d: nothing
ANNOTATORS = ('a,1,1,1,0,0,0,0\nb,1,1,0,0,0,0,0\nc,0,1,1,1,0,0,0\nd,0,1,0,0,0,0,0\n',
              'a,1,1,1,0,0,1,0\nb,1,1,0,0,0,0,0\nc,0,1,1,1,0,0,0\nd,0,1,0,1,0,0,0\n',
              'a,0,1,1,0,0,0,0\nb,0,1,1,0,0,0,0\nc,1,1,0,1,0,0,0\nd,1,1,0,0,0,0,0\n')
MAJORITY = {'a': {'appearance', 'class_category', 'location'},
            'b': {'appearance', 'class_category'},
            'c': {'class_category', 'location', 'motion'}, 'd': {'class_category'}}


def _write(path, text) -> str:
    path.write_text(text, encoding='utf-8')
    return str(path)


def _rows(tmp_path):
    return load_referring_results_csv(_write(tmp_path / 'results.csv', RESULTS))


def _tool(*args, subprocess: bool = False):
    return run([TOOL, *args], subprocess=subprocess, check=False)


def _read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


# ---- study: scores and tables ----------------------------------------------------------------

def test_group_scores_and_trivial_split(tmp_path):
    rows = _rows(tmp_path)
    all_ = group_score(rows)
    assert (all_.expressions, all_.frames) == (4, 5)
    assert all_.overall_iou == pytest.approx(35 / 80)
    assert all_.mean_iou == pytest.approx((0.5 + 2 * 0.3 + 1.0 + 0.0) / 5)  # per frame
    assert group_score(rows, 'expression').mean_iou == pytest.approx((0.5 + 0.25 + 1) / 4)
    split = trivial_split(rows)
    assert split['trivial'].overall_iou == pytest.approx(5 / 20)
    assert split['trivial'].mean_iou == pytest.approx(0.25)
    assert split['non_trivial'].overall_iou == pytest.approx(30 / 60)
    assert split['non_trivial'].mean_iou == pytest.approx((2 * 0.3 + 1.0) / 3)
    empty = group_score([])
    assert empty.expressions == 0 and math.isnan(empty.mean_iou)
    no_counts = [{k: v for k, v in r.items() if k not in ('intersection', 'union')}
                 for r in rows]
    assert math.isnan(group_score(no_counts).overall_iou)
    with pytest.raises(ValueError, match="mean_over must be 'frame' or 'expression'"):
        group_score(rows, 'sample')


def test_category_effect_table_6_6_hand_computed(tmp_path):
    rows = _rows(tmp_path)
    joined = join_categories(rows, MAJORITY, 'results.csv')
    effects = {e.category: e for e in category_effect(joined)}
    assert list(effects) == ['appearance', 'location', 'motion', 'static']
    app = effects['appearance']
    assert (app.present.expressions, app.absent.expressions) == (2, 2)
    assert app.present.overall_iou == pytest.approx(15 / 50)
    assert app.present.mean_iou == pytest.approx((0.5 + 2 * 0.3) / 3)
    assert app.absent.overall_iou == pytest.approx(20 / 30)
    assert app.absent.mean_iou == pytest.approx(0.5)
    loc = effects['location']
    assert loc.present.overall_iou == pytest.approx(25 / 30)
    assert loc.absent.overall_iou == pytest.approx(10 / 50)
    assert loc.absent.mean_iou == pytest.approx(0.6 / 3)
    assert effects['motion'].present.mean_iou == pytest.approx(1.0)
    assert effects['motion'].absent.mean_iou == pytest.approx(1.1 / 4)
    assert effects['static'].present.expressions == 0
    assert math.isnan(effects['static'].present.mean_iou)
    md, table = category_effect_table(list(effects.values()))
    text = markdown_table(md)
    assert '| appearance | 2 | 36.67 | 30.00 | 2 | 50.00 | 66.67 | -13.33 |' in text
    assert '| static | 0 | - | - | 4 | 42.00 | 43.75 | - |' in text
    lines = list(csv.DictReader(csv_table(table).splitlines()))
    assert float(lines[1]['overall_iou_pct_with']) == pytest.approx(100 * 25 / 30)
    assert lines[3]['mean_iou_pct_with'] == '' and lines[3]['expressions_with'] == '0'


def test_join_names_the_results_file_and_unknown_ids(tmp_path):
    rows = _rows(tmp_path)
    partial = {k: v for k, v in MAJORITY.items() if k in ('a', 'b')}
    with pytest.raises(FormatError,
                       match=r"results\.csv: 2 of 4 expression\(s\) have no categories "
                             r"\('c', 'd'\)"):
        join_categories(rows, partial, 'results.csv')
    joined = join_categories(rows, partial, 'results.csv', on_missing='skip')
    assert [r['expr_id'] for r in joined] == ['a', 'b']
    with pytest.raises(ValueError, match='unknown RE category'):
        join_categories(rows, {k: ['colour'] for k in 'abcd'})
    tagged = join_categories(rows[:1], {'a': Tagger().tag('the red circle on the left')})
    assert tagged[0]['categories'] == {'appearance', 'class_category', 'location'}


def test_levels_split_and_table_6_7(tmp_path):
    rows = _rows(tmp_path)
    variant_rows = [dict(r, expr_id=f'{r["expr_id"]}#{lv}') for lv in ('generic', 'full')
                    for r in rows]
    variant_rows[0] = dict(variant_rows[0], intersection=0, iou=0.0, mean_frame_iou=0.0)
    by_level = split_levels(variant_rows)
    assert list(by_level) == ['generic', 'full']
    assert [r['expr_id'] for r in by_level['full']] == ['a', 'b', 'c', 'd']
    scores = information_levels(by_level, ['generic', 'full'], {'full': 'Full phrase'})
    full = scores[1]
    assert full.title == 'Full phrase' and full.all.overall_iou == pytest.approx(35 / 80)
    assert scores[0].trivial.overall_iou == 0.0
    assert scores[0].non_trivial.overall_iou == pytest.approx(0.5)
    text = markdown_table(information_level_table(scores)[0])
    assert '| Full phrase | 25.00 | 50.00 | 43.75 | 25.00 | 53.33 | 42.00 | 4 |' in text
    with pytest.raises(FormatError, match=r"not of the form .*\('a'\)"):
        split_levels(rows[:1], 'plain.csv')
    with pytest.raises(ValueError, match='no results for level'):
        information_levels(by_level, ['actor'])
    # ids that already hold a '#' (A2D's repeated sentences) split on the last one
    assert list(split_levels([dict(rows[0], expr_id='v/1#2#actor')])['actor'][0].items())[0] \
        == ('expr_id', 'v/1#2')


# ---- variants --------------------------------------------------------------------------------

def _a2d_infos():
    """A2D-like samples: expression x annotated frames, actor fixed, action per frame."""
    infos = []
    for frame, action in ((0, 'walking'), (5, 'walking'), (9, 'running')):
        infos.append(dict(expr_id='vid/1', expression='man in a suit walking', video='vid',
                          frame_id=frame, actor='adult', action=action, trivial=False))
    for frame, action in ((0, 'none'), (5, 'none')):
        infos.append(dict(expr_id='vid/2', expression='a red ball on the floor', video='vid',
                          frame_id=frame, actor='ball', action=action, trivial=True))
    infos.append(dict(expr_id='img/3', expression='small teddy bear', video=None,
                      frame_id=None, actor='teddy_bear', action='climbing', trivial=True))
    return infos


def test_information_level_variants_of_a2d_like_infos():
    vs = make_variants(_a2d_infos())
    assert vs.levels == LEVELS
    assert vs.titles['actor_action'] == 'Actor + Action'
    man = vs.expressions['vid/1']
    assert man.texts == {'generic': 'thing', 'actor': 'adult', 'action': 'walking',
                         'actor_action': 'adult walking', 'full': 'man in a suit walking'}
    assert man.frames == {9: {'action': 'running', 'actor_action': 'adult running'}}
    assert man.text('action', 9) == 'running' and man.text('action', 5) == 'walking'
    assert man.labels == {'actor': 'adult', 'action': 'walking'}
    ball = vs.expressions['vid/2'].texts  # action "none": no action word
    assert (ball['action'], ball['actor_action']) == ('thing', 'ball')
    assert vs.expressions['img/3'].texts['actor_action'] == 'teddy bear climbing'
    # shapes-like: class as the actor, no action -> no action levels
    shapes = make_variants([dict(expr_id='s/1', expression='the red circle')],
                           labels={'s/1': {'actor': 'circle'}}, generic='object')
    assert shapes.levels == ('generic', 'actor', 'full')
    assert shapes.expressions['s/1'].texts == {'generic': 'object', 'actor': 'circle',
                                               'full': 'the red circle'}
    bad = _a2d_infos()
    bad[1] = dict(bad[1], actor='baby')
    with pytest.raises(ValueError, match="'vid/1' has actor 'adult' on one frame and 'baby'"):
        make_variants(bad)
    with pytest.raises(ValueError, match="no actor field 'kind'"):
        make_variants(_a2d_infos(), actor_key='kind')
    mixed = _a2d_infos()
    del mixed[0]['action']
    with pytest.raises(ValueError, match='some samples have the action field'):
        make_variants(mixed)


def test_variants_file_round_trip_and_validation(tmp_path):
    vs = make_variants(_a2d_infos())
    path = write_variants(vs, str(tmp_path / 'v.json'))
    back = read_variants(path)
    assert back == vs
    data = json.loads((tmp_path / 'v.json').read_text())
    assert data['format'] == 'mmsegsup-re-variants' and data['levels'] == list(LEVELS)
    assert data['expressions'][0]['frames'] == {'9': {'action': 'running',
                                                      'actor_action': 'adult running'}}
    item = data['expressions'][0]
    for change, message in [
            (dict(data, levels=['generic', 'a#b']), r'v\.json: .*no "#"'),
            (dict(data, version=2), r'v\.json: unsupported version 2'),
            (dict(data, expressions=[dict(item, colour=1)]),
             r'expressions\[0\]: unknown key\(s\) colour'),
            (dict(data, expressions=[dict(item, variants={'generic': 'thing'}, frames={})]),
             r"expressions\[0\]: variants must cover exactly the levels .*missing "
             r"\['actor'"),
            (dict(data, expressions=[dict(item, variants=dict(item['variants'], actor=''))]),
             r"expressions\[0\]: vid/1: variant 'actor' must be a non-empty string"),
            (dict(data, expressions=[item, item]), r"expressions\[1\]: duplicate expr_id"),
            (dict(data, expressions=[dict(item, frames={'x': {}})]), r'frame ids')]:
        with pytest.raises(FormatError, match=message):
            variants_from_json(change, 'v.json')
    null = dict(data, expressions=[dict(item, variants=dict(item['variants'], action=None))])
    assert variants_from_json(null).expressions['vid/1'].texts['action'] is None
    with pytest.raises(FileNotFoundError, match='variants file .*missing.json not found'):
        read_variants(str(tmp_path / 'missing.json'))


# ---- augmented expressions (A2Dre+) ----------------------------------------------------------

THESIS_RE = 'girl in yellow dress standing near the woman'
THESIS_CATS = ['appearance', 'class_category', 'location', 'static']
EDITS = {'appearance': 'girl standing near the woman', 'location': 'girl in yellow dress standing',
         'motion': 'girl in yellow dress walking', 'static': 'girl in yellow dress near the woman'}


def _augmented() -> AugmentedSet:
    pairs = {c: augmented_pair(THESIS_RE, THESIS_CATS, c, e) for c, e in EDITS.items()}
    other = AugmentedReferent('v/2', {'appearance': ('brown dog', 'dog'),
                                      'location': ('dog on the left', 'dog'),
                                      'motion': ('dog running', 'dog'),
                                      'static': (None, None)})
    return AugmentedSet(('appearance', 'location', 'motion', 'static'),
                        {'v/1': AugmentedReferent('v/1', pairs, THESIS_RE, THESIS_CATS),
                         'v/2': other})


def test_augmented_pairs_follow_the_thesis_example():
    pairs = _augmented().referents['v/1'].pairs
    assert pairs['appearance'] == (THESIS_RE, 'girl standing near the woman')
    assert pairs['location'] == (THESIS_RE, 'girl in yellow dress standing')
    assert pairs['motion'] == ('girl in yellow dress walking', THESIS_RE)  # no motion before
    assert pairs['static'] == (THESIS_RE, 'girl in yellow dress near the woman')


def test_augmented_file_round_trip_validation_and_variants(tmp_path):
    aug = _augmented()
    path = write_augmented(aug, str(tmp_path / 'aug.json'))
    assert read_augmented(path) == aug
    data = json.loads((tmp_path / 'aug.json').read_text())
    assert data['referents'][1]['expressions']['static'] == {'with': None, 'without': None}
    ref = data['referents'][0]
    exprs = ref['expressions']
    for change, message in [
            (dict(ref, expressions=dict(exprs, motion={'with': 'x', 'without': 'x'})),
             r"referents\[0\]: v/1: the motion texts with and without are the same"),
            (dict(ref, expressions={k: v for k, v in exprs.items() if k != 'static'}),
             r"v/1: expressions for .*expected every category"),
            (dict(ref, expressions=dict(exprs, motion={'with': 'x'})),
             r"referents\[0\]: expressions\['motion'\] must be an object with exactly"),
            (dict(ref, expressions=dict(exprs, colour={'with': 'x', 'without': 'y'})),
             r"referents\[0\]: unknown RE category 'colour'"),
            (dict(ref, note='x'), r"referents\[0\]: unknown key\(s\) note"),
            (dict(ref, expressions={c: {'with': None, 'without': None} for c in exprs}),
             r'v/1: every expression is null')]:
        with pytest.raises(FormatError, match=message):
            augmented_from_json(dict(data, referents=[change]), 'aug.json')
    with pytest.raises(FormatError, match='duplicate expr_id'):
        augmented_from_json(dict(data, referents=[ref, ref]), 'aug.json')
    variants = augmented_to_variants(aug)
    assert variants.levels[:4] == ('appearance+', 'appearance-', 'location+', 'location-')
    assert variants.titles['motion+'] == '+motion'
    assert variants.expressions['v/1'].texts['motion+'] == 'girl in yellow dress walking'
    assert variants.expressions['v/2'].texts['static+'] is None
    # with / without scores from per-level rows
    rows = [dict(expr_id=f'v/{i}#{lv}', num_frames=1, iou=v, mean_frame_iou=v, trivial=False,
                 intersection=int(10 * v), union=10)
            for lv, vals in (('appearance+', (0.8, 0.6)), ('appearance-', (0.4, 0.2)),
                             ('motion+', (0.5, 0.5)), ('motion-', (0.5, 0.3)))
            for i, v in enumerate(vals, 1)]
    effects = augmented_effect(split_levels(rows))
    assert [e.category for e in effects] == ['appearance', 'motion']
    assert effects[0].present.mean_iou == pytest.approx(0.7)
    assert effects[0].absent.mean_iou == pytest.approx(0.3)
    assert effects[1].absent.overall_iou == pytest.approx(0.4)


# ---- the variants dataset --------------------------------------------------------------------

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadReferringMask'),
            dict(type='PackSegInputs', meta_keys=('img_path', 'ori_shape', 'img_shape',
                                                  'expression', 'expr_id', 'video',
                                                  'frame_id', 'trivial'))]


def test_variants_dataset_wraps_synthetic_referring_videos(tmp_path):
    inner = dict(type='ReferringShapesVideoDataset', data_root=str(tmp_path / 'data'),
                 split='val', num_videos=2, num_frames=2, seed=3, pipeline=PIPELINE)
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        base = DATASETS.build(dict(inner, pipeline=[]))
        labels = variant_labels(base)
        infos = [base.get_data_info(i) for i in range(len(base))]
        vs = make_variants(infos, labels=labels)
        assert vs.levels == ('generic', 'actor', 'full')
        first = infos[0]['expr_id']
        assert vs.expressions[first].texts['actor'] in ('circle', 'square', 'triangle')
        # a per-frame override and a not-applicable level for the first expression
        entry = vs.expressions[first]
        edited = dict(vs.expressions, **{first: ExpressionVariants(
            first, dict(entry.texts, generic=None), {1: {'actor': 'shape'}})})
        path = write_variants(VariantSet(vs.levels, edited, vs.titles),
                              str(tmp_path / 'variants.json'))
        ds = DATASETS.build(dict(type='ReferringVariantsDataset', dataset=inner,
                                 variants_file=path))
        n_expr = len(vs.expressions)
        assert isinstance(ds, ReferringVariantsDataset)
        assert len(ds) == 3 * len(infos) - 2  # the first expression has no generic variant
        assert ds.metainfo == base.metainfo
        samples = [ds.get_data_info(i) for i in range(len(ds))]
        assert [s['level'] for s in samples] == (['generic'] * (2 * n_expr - 2) +
                                                 ['actor'] * 2 * n_expr + ['full'] * 2 * n_expr)
        mine = [s for s in samples if s['orig_expr_id'] == first]
        assert [(s['expr_id'], s['frame_id'], s['expression']) for s in mine] == [
            (f'{first}#actor', 0, entry.texts['actor']), (f'{first}#actor', 1, 'shape'),
            (f'{first}#full', 0, infos[0]['expression']),
            (f'{first}#full', 1, infos[0]['expression'])]
        packed = ds[len(ds) - 1]['data_samples']  # goes through the wrapped pipeline
        assert packed.metainfo['expr_id'].endswith('#full')
        assert packed.gt_sem_seg.data.sum() > 0
        only = DATASETS.build(dict(type='ReferringVariantsDataset', dataset=inner,
                                   variants_file=path, levels=['full']))
        assert len(only) == len(infos)

        # variants of fewer expressions: left out, or an error when strict
        fewer = VariantSet(vs.levels, {first: entry}, vs.titles)
        small = write_variants(fewer, str(tmp_path / 'few.json'))
        assert len(DATASETS.build(dict(type='ReferringVariantsDataset', dataset=inner,
                                       variants_file=small))) == 3 * 2
        with pytest.raises(FormatError, match=r'few\.json: no variants for'):
            DATASETS.build(dict(type='ReferringVariantsDataset', dataset=inner,
                                variants_file=small, strict=True))
        foreign = VariantSet(vs.levels, dict(vs.expressions, **{'other/9': ExpressionVariants(
            'other/9', entry.texts)}), vs.titles)
        bad = write_variants(foreign, str(tmp_path / 'foreign.json'))
        with pytest.raises(FormatError,
                           match=r"foreign\.json: 1 expression\(s\) are not in the wrapped "
                                 r"ReferringShapesVideoDataset \('other/9'\)"):
            DATASETS.build(dict(type='ReferringVariantsDataset', dataset=inner,
                                variants_file=bad))
        with pytest.raises(ValueError, match="has no level\\(s\\) action"):
            DATASETS.build(dict(type='ReferringVariantsDataset', dataset=inner,
                                variants_file=path, levels=['action']))


# ---- plots -----------------------------------------------------------------------------------

def test_plots_write_pngs(tmp_path):
    rows = _rows(tmp_path)
    effects = category_effect(join_categories(rows, MAJORITY))
    by_level = {'generic': rows, 'full': rows}
    paths = [
        plot_difficulty({'DAVIS': {'trivial': {'trivial': 0.48, 'non_trivial': 0.52},
                                   'correctness': {'ok': 0.92, 'no_re': 0.08}},
                         'A2D': {'trivial': {'trivial': 0.65, 'non_trivial': 0.35}}},
                        str(tmp_path / 'difficulty.png')),
        plot_category_proportions({'A2Dre': {'appearance': 0.6, 'class_category': 0.99}},
                                  str(tmp_path / 'proportions.png')),
        plot_category_effect(effects, str(tmp_path / 'effect.png')),
        plot_information_levels(information_levels(by_level), str(tmp_path / 'levels.png'))]
    for path in paths:
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert not [f for f in os.listdir(tmp_path) if f.startswith('.tmp')]
    with pytest.raises(ValueError, match='no dataset to plot'):
        plot_difficulty({}, str(tmp_path / 'x.png'))


# ---- the CLI on hand-made files --------------------------------------------------------------

def test_report_cli_with_three_annotators(tmp_path):
    results = _write(tmp_path / 'results.csv', RESULTS)
    files = [_write(tmp_path / f'ann{i}.csv', ANN_HEADER + text)
             for i, text in enumerate(ANNOTATORS, 1)]
    out = tmp_path / 'report'
    proc = _tool('report', results, '--annotations', *files, '--out-dir', str(out),
                 subprocess=True)
    assert proc.returncode == 0, proc.stderr
    for name in ('trivial.md', 'trivial.csv', 'kappas.md', 'kappas.csv', 'categories.csv',
                 'category_effect.md', 'category_effect.csv', 'category_effect.png',
                 'category_proportions.png', 'difficulty.png', 'report.md'):
        assert (out / name).is_file(), name
    effect = {r['category']: r for r in _read_csv(out / 'category_effect.csv')}
    assert float(effect['appearance']['mean_iou_pct_with']) == pytest.approx(100 * 1.1 / 3)
    assert float(effect['location']['overall_iou_pct_without']) == pytest.approx(20.0)
    trivial = {r['subset']: r for r in _read_csv(out / 'trivial.csv')}
    assert float(trivial['all']['overall_iou_pct']) == pytest.approx(43.75)
    kappas = {r['category']: float(r['kappa']) for r in _read_csv(out / 'kappas.csv')}
    assert kappas['class_category'] == 1.0 and kappas['appearance'] < 1.0
    assert 'Effect of the presence of categories' in proc.stdout


def test_report_cli_errors(tmp_path):
    results = _write(tmp_path / 'results.csv', RESULTS)
    partial = _write(tmp_path / 'partial.csv', ANN_HEADER + ANNOTATORS[0].split('c,')[0])
    proc = _tool('report', results, '--annotations', partial, '--out-dir', str(tmp_path / 'o'))
    assert proc.returncode == 2
    assert "results.csv: 2 of 4 expression(s) have no categories ('c', 'd')" in proc.stderr
    proc = _tool('report', results, '--annotations', partial, '--only-annotated',
                 '--out-dir', str(tmp_path / 'o'))
    assert proc.returncode == 0, proc.stderr
    assert 'Categories: annotator file' in proc.stdout and '2 of 4 expressions' in proc.stdout
    other = _write(tmp_path / 'other.csv', ANN_HEADER + ANNOTATORS[1].replace('d,', 'x,'))
    full = _write(tmp_path / 'full.csv', ANN_HEADER + ANNOTATORS[0])
    proc = _tool('report', results, '--annotations', full, other, '--out-dir',
                 str(tmp_path / 'o'))
    assert proc.returncode == 2
    assert "other.csv: lacks 1 expression(s) of" in proc.stderr and "('d')" in proc.stderr
    broken = _write(tmp_path / 'broken.csv', RESULTS.replace('0.25,0.3', 'x,0.3'))
    proc = _tool('report', broken, '--out-dir', str(tmp_path / 'o'))
    assert proc.returncode == 2 and "broken.csv line 3: column 'iou'" in proc.stderr


# ---- slow: end to end ------------------------------------------------------------------------

CPU_CONFIG = osp.join(REPO, 'configs', 'refvos', 'refvos_r18-c16_referring-shapes-64x64_cpu.py')
E2E_ITERS = 400


@pytest.mark.slow
def test_end_to_end_train_test_report_and_variants(tmp_path):
    folder = str(tmp_path)
    data_root = osp.join(folder, 'data') + '/'
    csv_file = osp.join(folder, 'expressions.csv')
    cfg = osp.join(folder, 'cfg.py')
    with open(cfg, 'w') as f:
        f.write(f"""
_base_ = {CPU_CONFIG!r}
data_root = {data_root!r}
train_dataloader = dict(dataset=dict(data_root=data_root, num_images=96))
val_dataloader = dict(dataset=dict(data_root=data_root, num_images=12))
test_dataloader = val_dataloader
val_evaluator = dict(csv_file={csv_file!r})
test_evaluator = val_evaluator
train_cfg = dict(max_iters={E2E_ITERS}, val_interval={E2E_ITERS})
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
                   dict(type='PolyLR', eta_min=1e-4, power=0.9, by_epoch=False, begin=30,
                        end={E2E_ITERS})]
default_hooks = dict(checkpoint=dict(interval={E2E_ITERS}), logger=dict(interval=40))
""")
    run(['tools/train.py', cfg, '--work-dir', osp.join(folder, 'work')], timeout=600)
    ckpt = osp.join(folder, 'work', f'iter_{E2E_ITERS}.pth')
    out = run(['tools/test.py', cfg, ckpt, '--work-dir', osp.join(folder, 'test')])
    line = [ln for ln in (out.stdout + out.stderr).splitlines() if 'overall_iou' in ln][-1]
    logged = {k: float(v) for k, v in re.findall(r'(\S+): (-?[\d.]+)', line)}
    rows = load_referring_results_csv(csv_file)
    assert rows

    report = osp.join(folder, 'report')
    run([TOOL, 'report', csv_file, '--tag', cfg, '--out-dir', report, '--name', 'shapes'])
    for name in ('trivial.csv', 'category_effect.csv', 'category_effect.png',
                 'category_proportions.png', 'difficulty.png', 'categories.csv'):
        assert osp.isfile(osp.join(report, name)), name
    trivial = {r['subset']: r for r in _read_csv(osp.join(report, 'trivial.csv'))}
    overall = 100 * sum(r['intersection'] for r in rows) / sum(r['union'] for r in rows)
    assert float(trivial['all']['overall_iou_pct']) == pytest.approx(overall)
    assert int(trivial['all']['expressions']) == len(rows)
    assert int(trivial['trivial']['expressions']) + int(
        trivial['non_trivial']['expressions']) == len(rows)
    # the same numbers as ReferringMetric logged (4 decimals) for all / trivial / non-trivial
    for subset, prefix in (('all', ''), ('trivial', 'trivial/'), ('non_trivial', 'non-trivial/')):
        for key in ('overall_iou', 'mean_iou'):
            assert float(trivial[subset][key + '_pct']) == pytest.approx(
                logged[prefix + key], abs=2e-4)
    effect = {r['category']: r for r in _read_csv(osp.join(report, 'category_effect.csv'))}
    app = effect['appearance']  # the shapes' colour / size words are tagged as appearance
    assert int(app['expressions_with']) + int(app['expressions_without']) == len(rows)
    assert int(app['expressions_with']) > 0

    # The generator's own categories are "manual" labels: the report measures the tagger
    # against them (precision / recall per category, tagger.md).
    from mmsegsup.formats.re_categories import REAnnotation, write_annotations
    with open(osp.join(data_root, 'expressions_val.json')) as f:
        gold = [REAnnotation(e['expr_id'], e['categories'], trivial=e['trivial'])
                for e in json.load(f)['expressions']]
    gold_file = write_annotations(gold, osp.join(folder, 'gold.csv'))
    both = osp.join(folder, 'report_gold')
    run([TOOL, 'report', csv_file, '--annotations', gold_file, '--tag', cfg,
         '--out-dir', both])
    tagger = open(osp.join(both, 'tagger.md')).read()
    recall = {ln.split('|')[1].strip(): float(ln.split('|')[3]) for ln in tagger.splitlines()[2:]}
    for category in ('appearance', 'class_category', 'location'):
        assert recall[category] > 0.9, tagger

    variants = osp.join(folder, 'variants.json')
    run([TOOL, 'make-variants', cfg, '--out', variants])
    assert read_variants(variants).levels == ('generic', 'actor', 'full')
    levels_dir = osp.join(folder, 'levels')
    run([TOOL, 'evaluate-variants', cfg, ckpt, variants, '--out-dir', levels_dir])
    for name in ('information_levels.md', 'information_levels.csv', 'information_levels.png',
                 'variants_expressions.csv'):
        assert osp.isfile(osp.join(levels_dir, name)), name
    by_level = split_levels(load_referring_results_csv(
        osp.join(levels_dir, 'variants_expressions.csv')))
    assert list(by_level) == ['generic', 'actor', 'full']
    # the full phrase is the original expression: the same results as the plain test run
    full = {r['expr_id']: r for r in by_level['full']}
    assert sorted(full) == sorted(r['expr_id'] for r in rows)
    for r in rows:
        assert full[r['expr_id']]['union'] == pytest.approx(r['union'], rel=0.02, abs=3)
    table = {r['level']: r for r in _read_csv(osp.join(levels_dir, 'information_levels.csv'))}
    assert list(table) == ['generic', 'actor', 'full']
    assert float(table['full']['all_overall_iou_pct']) == pytest.approx(overall, abs=1.0)
    assert int(table['generic']['all_expressions']) == len(rows)
    # the text reaches the model: the full phrase beats the generic word "thing"
    assert float(table['full']['all_overall_iou_pct']) > \
        float(table['generic']['all_overall_iou_pct'])

    # augmented expressions: "with appearance" is the original sentence of 5 referents
    labels = read_variants(variants).expressions
    chosen = rows[:5]
    referents = {}
    for k, r in enumerate(chosen):
        e = labels[r['expr_id']]
        location = (None, None) if k == 4 else (f'the {e.labels["actor"]} on the left',
                                                f'the {e.labels["actor"]}')
        referents[r['expr_id']] = AugmentedReferent(
            r['expr_id'], {'appearance': (e.texts['full'], e.labels['actor']),
                           'location': location})
    augmented = write_augmented(AugmentedSet(('appearance', 'location'), referents),
                                osp.join(folder, 'augmented.json'))
    aug_dir = osp.join(folder, 'augmented')
    run([TOOL, 'evaluate-augmented', cfg, ckpt, augmented, '--out-dir', aug_dir])
    assert osp.isfile(osp.join(aug_dir, 'augmented_effect.png'))
    effect = {r['category']: r for r in _read_csv(osp.join(aug_dir, 'augmented_effect.csv'))}
    assert int(effect['appearance']['expressions_with']) == 5
    assert int(effect['location']['expressions_with']) == 4  # one not applicable
    same = sum(r['iou'] for r in chosen) / 5
    assert float(effect['appearance']['mean_iou_pct_with']) == pytest.approx(100 * same,
                                                                             abs=1.0)
