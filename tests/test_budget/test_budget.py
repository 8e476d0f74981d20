"""Annotation-budget model (thesis ch. 4): tables 4.1, 4.3/4.5, 4.7(b), 4.8, planner, CLI."""
import json
import os
import re

import pytest

from mmsegsup.budget import (VOC_STATS, AnnotationStats, BudgetMix, ItemTimes, budget_days,
                             cost_per_image, cost_table, explain_cost, format_cost, format_days,
                             max_images, plan_budget, rate_days, stats_from_coco,
                             stats_from_data_list)
from mmsegsup.formats.supervision import normalize_kind
from tools_utils import run


N_VALUES = (100, 200, 400, 800, 1464)
# Table 4.7(b) rows: M is 10/25/50/75/100 % of the 9118 additional VOC images (line 2195 of
# the thesis prints 4459 for 50 %, a typo: table 4.8 and fig. 4.13 use 4559 = 9118 / 2, and
# only 4559 gives the printed 1.45 ... 5.23).
M_BY_ROW = {'10%': 912, '25%': 2279, '50%': 4559, '75%': 6838, '100%': 9118}
TABLE_4_7B = """\
W-RSIS 0.28 0.55 1.11 2.22 4.06
10% 0.51 0.79 1.34 2.45 4.30
25% 0.86 1.14 1.70 2.80 4.65
50% 1.45 1.73 2.28 3.39 5.23
75% 2.03 2.31 2.87 3.98 5.82
100% 2.62 2.90 3.45 4.56 6.40"""
# Tables 4.3 and 4.5 print the same row, with a decimal comma in "1,11" (lines 1901, 2038).
BUDGET_ROW_4_3_4_5 = 'Budget (days) 0.28 0.55 1,11 2.22 4.06'


def _thesis_numbers(text):
    return [t.replace(',', '.') for t in text.split()[-5:]]


# ---- table 4.1 and the cost formulas -------------------------------------------------------

def test_table_4_1_costs_per_image():
    printed = {'IL': '20', 'IL+C': '22.22', 'Full': '239.7', 'BB': '38.1'}  # line 1808
    for alias, text in printed.items():
        assert format_cost(cost_per_image(alias)) == text
        assert cost_per_image(alias) == float(text)  # exact, no 239.70000000000002
    assert list(cost_table()) == ['image_labels', 'labels_counts', 'full', 'boxes']
    assert explain_cost('Full') == '18.5 absent classes x 1 s + 2.8 masks x 79 s = 239.7 s'


def test_kind_aliases():
    for names, kind in [(('IL', 'il', 'image_labels'), 'image_labels'),
                        (('IL+C', 'labels_counts', ' il+c '), 'labels_counts'),
                        (('BB', 'boxes'), 'boxes'), (('Full', 'FULL', 'full'), 'full')]:
        assert {normalize_kind(n) for n in names} == {kind}


def test_costs_follow_the_statistics_and_times():
    stats = AnnotationStats(classes_per_image=2.0, objects_per_image=5.0, num_classes=80)
    assert cost_per_image('IL', stats) == 80
    assert cost_per_image('IL+C', stats) == pytest.approx(80 + 2 * 1.48)
    assert cost_per_image('Full', stats) == pytest.approx(78 + 5 * 79)
    assert cost_per_image('BB', stats, ItemTimes(box_s=10.0)) == pytest.approx(78 + 50)


# ---- budgets in days -----------------------------------------------------------------------

def test_tables_4_3_and_4_5_budget_rows():
    expected = _thesis_numbers(BUDGET_ROW_4_3_4_5)
    assert [format_days(budget_days(n)) for n in N_VALUES] == expected
    assert [format_days(budget_days(n, strong_kind='Full')) for n in N_VALUES] == expected


def test_table_4_7b_mixes_of_full_and_il_c():
    for line in TABLE_4_7B.splitlines():
        row = line.split()[0]
        m = M_BY_ROW.get(row, 0)
        got = [format_days(budget_days(n, m, 'IL+C')) for n in N_VALUES]
        assert got == _thesis_numbers(line), row


def test_table_4_8_budgets():
    # (N, M, printed) from lines 2249-2258; "1.1 days" is printed with one decimal.
    for n, m, printed in [(200, 0, '0.55'), (100, 912, '0.51'), (400, 0, '1.1'),
                          (200, 912, '0.79'), (200, 2279, '1.14'), (800, 0, '2.22'),
                          (400, 4559, '2.28'), (200, 6838, '2.31')]:
        decimals = len(printed.split('.')[1])
        assert format_days(budget_days(n, m, 'IL+C', pool_size=10582), decimals) == printed


def test_how_days_are_derived():
    # 24 h days: 100 full masks = 23970 s = 0.2774 d (an 8 h day would give 0.83).
    assert budget_days(100, rate_decimals=None) == pytest.approx(23970 / 86400)
    assert format_days(budget_days(100, seconds_per_day=8 * 3600)) == '0.83'
    # Rates per image are rounded to 6 decimals of a day ...
    assert (str(rate_days('Full')), str(rate_days('IL+C'))) == ('0.002774', '0.000257')
    # ... which is what the 3 cells the unrounded sum misses need (printed 2.80, 2.03, 6.40).
    misses = [(n, m) for line in TABLE_4_7B.splitlines()
              for n, printed in zip(N_VALUES, _thesis_numbers(line))
              for m in [M_BY_ROW.get(line.split()[0], 0)]
              if format_days(budget_days(n, m, 'IL+C', rate_decimals=None)) != printed]
    assert misses == [(800, 2279), (100, 6838), (1464, 9118)]


def test_budget_days_basics():
    assert budget_days(0) == 0
    assert budget_days(0, 10, 'IL') == pytest.approx(10 * 0.000231)
    assert budget_days(10, pool_size=10) == budget_days(10)
    assert max_images(1.0, 'IL') == 4329  # 1 / 0.000231
    assert budget_days(4329 + 1, strong_kind='IL') > 1.0 >= budget_days(4329, strong_kind='IL')
    assert format_days(0.555) == '0.56'  # ties round up, as a reader expects


# ---- statistics from annotations -----------------------------------------------------------

def _coco(labels_per_image, num_classes, crowd=()):
    """A COCO dict whose image i holds objects of the classes labels_per_image[i]."""
    images = [dict(id=i + 1, file_name=f'{i}.jpg', height=10, width=10)
              for i in range(len(labels_per_image))]
    anns = []
    for i, labels in enumerate(labels_per_image):
        for c in labels:
            anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=c, bbox=[0, 0, 1, 1],
                             area=1, iscrowd=int(len(anns) + 1 in crowd)))
    cats = [dict(id=c, name=f'c{c}') for c in range(1, num_classes + 1)]
    return dict(images=images, annotations=anns, categories=cats)


def test_stats_from_tiny_coco_dict(tmp_path):
    coco = _coco([[1, 1, 2], [3], []], num_classes=3, crowd={2})
    stats = stats_from_coco(coco)
    assert (stats.classes_per_image, stats.objects_per_image) == (1.0, pytest.approx(4 / 3))
    assert (stats.num_classes, stats.num_images) == (3, 3)
    no_crowd = stats_from_coco(coco, ignore_crowd=True)  # annotation 2 (a class-1 object)
    assert (no_crowd.classes_per_image, no_crowd.objects_per_image) == (1.0, 1.0)
    path = tmp_path / 'instances.json'
    path.write_text(json.dumps(coco))
    from_file = stats_from_coco(str(path))
    assert from_file.objects_per_image == stats.objects_per_image and from_file.source == str(path)
    data_list = [dict(instances=[dict(bbox_label=c - 1, ignore_flag=0) for c in labels])
                 for labels in ([1, 1, 2], [3], [])]
    assert stats_from_data_list(data_list, 3).objects_per_image == stats.objects_per_image


def _voc_like():
    # 10 images, 20 classes: 15 classes and 28 objects in all -> 1.5 classes, 2.8 objects/image.
    return _coco([[1, 2, 2]] * 5 + [[3, 3, 3]] * 3 + [[4, 4]] * 2, num_classes=20)


def test_voc_like_coco_gives_the_thesis_costs():
    stats = stats_from_coco(_voc_like())
    assert (stats.classes_per_image, stats.objects_per_image, stats.num_classes) == (1.5, 2.8, 20)
    assert {k: format_cost(v) for k, v in cost_table(stats).items()} == \
        {k: format_cost(v) for k, v in cost_table(VOC_STATS).items()}
    assert budget_days(1464, stats=stats) == budget_days(1464)


# ---- the planner ---------------------------------------------------------------------------

@pytest.mark.parametrize('days,weak,pool,step', [
    (1.14, 'IL+C', 10582, 100), (2.31, 'IL+C', 10582, 37), (0.5, 'IL', 500, 50),
    (3.0, 'BB', 10582, 250), (100.0, 'IL+C', 1000, 300), (0.0003, 'IL+C', 50, 1)])
def test_plan_mixes_fit_and_are_maximal(days, weak, pool, step):
    plan = plan_budget(days, weak, pool, step=step)
    assert plan[0].n_strong == 0 and all(isinstance(m, BudgetMix) for m in plan)
    ns = [m.n_strong for m in plan]
    assert ns == sorted(set(ns)) and all(n % step == 0 for n in ns[:-1])
    for n, m, cost in plan:
        assert cost == budget_days(n, m, weak, pool_size=pool) <= days
        assert m == pool - n or budget_days(n, m + 1, weak) > days
    n_max = ns[-1]  # the last N is the most the budget (or the pool) affords
    assert n_max == pool or budget_days(n_max + 1) > days


def test_plan_contains_the_table_4_8_mixes():
    for n, m in [(100, 912), (200, 2279), (400, 4559), (200, 6838)]:
        assert (n, m) in [(p.n_strong, p.m_weak)
                          for p in plan_budget(budget_days(n, m, 'IL+C'), 'IL+C', 10582)]


def test_plan_edge_cases():
    assert plan_budget(0, 'IL+C', 10582) == [BudgetMix(0, 0, 0.0)]
    assert plan_budget(5.0, 'IL', 0) == [BudgetMix(0, 0, 0.0)]
    assert plan_budget(0.0001, 'IL', 100) == [BudgetMix(0, 0, 0.0)]  # < one IL image
    assert plan_budget(1e6, 'IL', 3, step=2) == [BudgetMix(0, 3, pytest.approx(3 * 0.000231)),
                                                 BudgetMix(2, 1, pytest.approx(0.005779)),
                                                 BudgetMix(3, 0, pytest.approx(0.008322))]


# ---- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize('call,match', [
    (lambda: plan_budget(-1, 'IL', 10), 'days must be non-negative'),
    (lambda: plan_budget(float('nan'), 'IL', 10), 'days must be finite'),
    (lambda: plan_budget(float('inf'), 'IL', 10), 'days must be finite'),
    (lambda: plan_budget('1', 'IL', 10), 'days must be a number'),
    (lambda: plan_budget(1, 'IL', -3), 'pool_size must be non-negative'),
    (lambda: plan_budget(1, 'IL', 10, step=0), 'step must be at least 1'),
    (lambda: plan_budget(1, 'pixels', 10), "weak_kind: unknown supervision kind 'pixels'"),
    (lambda: budget_days(-5), 'n_strong must be non-negative'),
    (lambda: budget_days(10, -1, 'IL'), 'm_weak must be non-negative'),
    (lambda: budget_days(10.5), 'n_strong must be a whole number'),
    (lambda: budget_days(True), 'n_strong must be a whole number'),
    (lambda: budget_days(10, 5), 'weak_kind is required'),
    (lambda: budget_days(10, strong_kind='dots'), 'strong_kind: unknown supervision kind'),
    (lambda: budget_days(2000, pool_size=1464), r'n_strong \(2000\) exceeds pool_size \(1464\)'),
    (lambda: budget_days(0, 20, 'IL', pool_size=10), r'm_weak \(20\) exceeds pool_size'),
    (lambda: budget_days(8, 8, 'IL', pool_size=10), r'n_strong \+ m_weak .* exceeds pool_size'),
    (lambda: budget_days(1, seconds_per_day=0), 'seconds_per_day must be positive'),
    (lambda: cost_per_image('segments'), "kind: unknown supervision kind 'segments'"),
    (lambda: AnnotationStats(classes_per_image=-1), 'classes_per_image must be non-negative'),
    (lambda: AnnotationStats(classes_per_image=25), 'cannot exceed num_classes'),
    (lambda: AnnotationStats(objects_per_image=1.0), 'cannot be below classes_per_image'),
    (lambda: AnnotationStats(num_classes=0), 'num_classes must be at least 1'),
    (lambda: stats_from_coco(dict(images=[], annotations=[], categories=[dict(id=1)])),
     'no images'),
    (lambda: stats_from_data_list([dict(instances=[dict(bbox=[0, 0, 1, 1])])], 3),
     'lacks "bbox_label"'),
])
def test_bad_input_raises_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize('content,match', [
    ('{"images": [', 'not a readable COCO JSON file'),
    ('[1, 2]', 'expected a JSON object'),
    ('{"images": [], "annotations": []}', "missing or malformed COCO field 'categories'"),
    (json.dumps(dict(images=[dict(id=1)], annotations=[], categories=[])),
     '"categories" is empty'),
    (json.dumps(dict(images=[dict(id=1), dict(id=1)], annotations=[], categories=[dict(id=1)])),
     'duplicate id 1 in images'),
    (json.dumps(dict(images=[dict(id=[1])], annotations=[], categories=[dict(id=1)])),
     r'images\[0\] id \[1\] is not a number or a string'),
    (json.dumps(dict(images=[dict(id=1)], categories=[dict(id=1)],
                     annotations=[dict(id=7, image_id={'a': 1}, category_id=1)])),
     "annotation 7 refers to unknown image_id {'a': 1}"),
    (json.dumps(dict(images=[dict(id=1)], categories=[dict(id=1)],
                     annotations=[dict(id=7, image_id=2, category_id=1)])),
     'annotation 7 refers to unknown image_id 2'),
    (json.dumps(dict(images=[dict(id=1)], categories=[dict(id=1)],
                     annotations=[dict(id=7, image_id=1, category_id=9)])),
     'annotation 7 refers to unknown category_id 9'),
    (json.dumps(dict(images=[dict(id=1)], categories=[dict(id=1)],
                     annotations=[dict(id=7, image_id=1)])), 'lacks image_id or category_id'),
])
def test_malformed_coco_file_is_named(tmp_path, content, match):
    path = tmp_path / 'bad.json'
    path.write_text(content)
    with pytest.raises(ValueError, match=match) as err:
        stats_from_coco(str(path))
    assert str(path) in str(err.value)


# ---- the CLI, as a user runs it ------------------------------------------------------------

def _cli(*args, subprocess: bool = False):
    return run(['tools/budget.py', *map(str, args)], subprocess=subprocess, check=False)


def _ok(*args, subprocess: bool = False):
    proc = _cli(*args, subprocess=subprocess)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _rows(text):
    return [[c.strip() for c in line.strip('|').split('|')]
            for line in text.splitlines() if line.startswith('|')]


def test_cli_costs_days_plan(tmp_path):
    rows = _rows(_ok('costs', subprocess=True))
    assert rows[0][:3] == ['Supervision', 'Kind', 'Cost (s/image)']
    assert [(r[0], r[2]) for r in rows[2:]] == [('IL', '20'), ('IL+C', '22.22'),
                                                ('Full', '239.7'), ('BB', '38.1')]
    coco = tmp_path / 'voc_like.json'
    coco.write_text(json.dumps(_voc_like()))
    out = _ok('costs', '--coco', coco)
    assert '1.5 classes/image, 2.8 objects/image, 20 classes, 10 images' in out
    assert [r[2] for r in _rows(out)[2:]] == ['20', '22.22', '239.7', '38.1']

    assert _rows(_ok('days', 1464))[-1][-1] == '4.06'
    assert _rows(_ok('days', 800, '--weak', 2279, '--weak-kind', 'IL+C'))[-1] == \
        ['total', '', '3079', '', '2.80']
    assert _rows(_ok('days', 800, '--weak', 2279, '--weak-kind', 'IL+C', '--exact'))[-1][-1] \
        == '2.81'
    assert _rows(_ok('days', 100, '--weak-kind', 'labels_counts', '--weak', 912,
                     '--pool', 10582))[-1][-1] == '0.51'

    plan = _rows(_ok('plan', 1.14, '--weak-kind', 'IL+C', '--pool', 10582, '--step', 200))
    assert plan[0] == ['N (Full)', 'M (IL+C)', 'Images', 'Budget (days)']
    mixes = [tuple(int(c) for c in r[:2]) for r in plan[2:]]
    assert mixes == [(m.n_strong, m.m_weak) for m in plan_budget(1.14, 'IL+C', 10582, step=200)]


def test_cli_plot_writes_a_png_atomically(tmp_path):
    out = tmp_path / 'budget.png'
    assert 'wrote' in _ok('plot', out, '--max-images', 2000)
    data = out.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10_000
    assert os.listdir(tmp_path) == ['budget.png']  # no temp file left behind


@pytest.mark.parametrize('args,match', [
    (['days', -5], 'n_strong must be non-negative'),
    (['days', 10, '--weak', 3], '--weak-kind is required'),
    (['days', 2000, '--pool', 1464], r'n_strong \(2000\) exceeds pool_size \(1464\)'),
    (['days', 10, '--strong-kind', 'pixels'], 'unknown supervision kind'),
    (['plan', 'nan', '--weak-kind', 'IL', '--pool', 10], 'days must be finite'),
    (['plan', -1, '--weak-kind', 'IL', '--pool', 10], 'days must be non-negative'),
    (['plan', 1, '--weak-kind', 'IL', '--pool', -10], 'pool_size must be non-negative'),
    (['plot', 'no/such/dir/out.png'], 'does not exist'),
    (['plot', 'x.png', '--max-images', 0], '--max-images must be at least 1'),
])
def test_cli_bad_input_exits_2_with_a_message(args, match):
    proc = _cli(*args)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert re.search(match, proc.stderr), proc.stderr


def test_cli_names_a_malformed_coco_file(tmp_path):
    bad = tmp_path / 'broken.json'
    bad.write_text('{"images": [')
    proc = _cli('costs', '--coco', bad)
    assert proc.returncode == 2 and str(bad) in proc.stderr and 'Traceback' not in proc.stderr
