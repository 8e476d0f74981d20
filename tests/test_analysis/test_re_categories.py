"""Referring-expression categories (thesis 6.4): files, difficulty, agreement, the tagger."""
import itertools
import json
import math

import numpy as np
import pytest

from mmsegsup.analysis.agreement import (category_count_matrix, category_kappas, fleiss_kappa,
                                         majority_vote)
from mmsegsup.analysis.categories import (category_proportions, label_proportions,
                                          trivial_expressions, trivial_objects)
from mmsegsup.analysis.tagger import Tagger
from mmsegsup.analysis.tagger_eval import evaluate_tagger, format_tagger_report
from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.re_categories import (CATEGORIES, REAnnotation, load_annotators,
                                            normalize_category, read_annotations,
                                            write_annotations)

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('re_categories')

HEADER = ('expr_id,appearance,class_category,location,motion,obj_motion,static,obj_static,'
          'trivial,correctness,redundancy,note\n')


def _ann(expr_id, *cats, **kw):
    return REAnnotation(expr_id, frozenset(cats), **kw)


def _write(path, text):
    path.write_text(text, encoding='utf-8')
    return str(path)


# ---- data model and files --------------------------------------------------------------------

def test_category_names_and_aliases():
    assert CATEGORIES == ('appearance', 'class_category', 'location', 'motion', 'obj_motion',
                          'static', 'obj_static')
    assert normalize_category('class category') == 'class_category'
    assert normalize_category('Obj-Motion') == 'obj_motion'
    assert normalize_category('category') == 'class_category'  # fig. 6.4's short name
    with pytest.raises(ValueError, match='unknown RE category .colour.'):
        normalize_category('colour')
    a = _ann('v/1', 'obj-static', 'class category', correctness='no RE')
    assert a.categories == {'obj_static', 'class_category'} and a.correctness == 'no_re'
    with pytest.raises(ValueError, match='redundancy must be one of redundant, minimal'):
        _ann('v/1', redundancy='some')


@pytest.mark.parametrize('suffix', ['csv', 'json'])
def test_round_trip(tmp_path, suffix):
    anns = [_ann('v1/1', 'appearance', 'class_category', 'motion', trivial=False,
                 correctness='ok', redundancy='redundant'),
            _ann('v1/2', 'location', 'static', 'obj_static', correctness='wrong_object',
                 note='says "holding", a, b'),
            _ann('img/7')]
    path = write_annotations(anns, str(tmp_path / f'ann.{suffix}'))
    back = read_annotations(path)
    assert list(back) == ['v1/1', 'v1/2', 'img/7']
    assert list(back.values()) == anns
    if suffix == 'csv':
        lines = (tmp_path / 'ann.csv').read_text().splitlines()
        assert lines[0] + '\n' == HEADER
        assert lines[1] == 'v1/1,1,1,0,1,0,0,0,0,ok,redundant,'
        assert lines[3] == 'img/7,0,0,0,0,0,0,0,,,,'
    else:
        data = json.loads((tmp_path / 'ann.json').read_text())
        assert data['expressions'][0]['categories'] == ['appearance', 'class_category', 'motion']


def test_csv_thesis_spellings_and_free_column_order(tmp_path):
    path = _write(tmp_path / 'a.csv', 'expr_id,obj-static,Class Category,appearance,location,'
                  'motion,obj-motion,static,correctness\nx,0,1,1,0,0,0,0,no RE\n')
    assert read_annotations(path) == {'x': _ann('x', 'class_category', 'appearance',
                                                correctness='no_re')}


@pytest.mark.parametrize('text,message', [
    (HEADER.replace('note', 'colour') + 'a,1,1,0,0,0,0,0,,,,\n',
     r"a\.csv: unknown column 'colour' in the header"),
    ('expr_id,appearance,location\na,1,0\n', r'lacks the column\(s\) class_category, motion'),
    (HEADER + 'a,1,2,0,0,0,0,0,,,,\n', r"a\.csv:2: column 'class_category' must be 0 or 1, "
                                        r"got '2'"),
    (HEADER + 'a,yes,1,0,0,0,0,0,,,,\n', r"a\.csv:2: column 'appearance' must be 0 or 1"),
    (HEADER + 'a,1,1,0,0,0,0,0,x,,,\n', r"column 'trivial' must be 0, 1 or empty, got 'x'"),
    (HEADER + 'a,1,1,0,0,0,0,0,,,,\nb,0,1,0,0,0,0,0,,,,\na,0,1,0,0,0,0,0,,,,\n',
     r"a\.csv:4: duplicate expr_id 'a' \(first at .*a\.csv:2\)"),
    (HEADER + 'a,1,1,0,0,0,0,0,,maybe,,\n', r'a\.csv:2: a: correctness must be one of ok, '
                                             r'no_re, wrong_object'),
    (HEADER + 'a,1,1,0\n', r'a\.csv:2: 4 cells, expected 12'),
    (HEADER + ',1,1,0,0,0,0,0,,,,\n', r'a\.csv:2: empty expr_id'),
    ('', r'a\.csv: empty file'),
])
def test_csv_errors(tmp_path, text, message):
    with pytest.raises(FormatError, match=message):
        read_annotations(_write(tmp_path / 'a.csv', text))


def test_json_errors_and_unknown_suffix(tmp_path):
    good = {'format': 'mmsegsup-re-categories', 'version': 1,
            'expressions': [{'expr_id': 'a', 'categories': ['motion']}]}
    bad_key = dict(good, expressions=[{'expr_id': 'a', 'categories': [], 'colour': 'red'}])
    bad_cat = dict(good, expressions=[{'expr_id': 'a', 'categories': ['colour']}])
    dup = dict(good, expressions=good['expressions'] * 2)
    for data, message in [(bad_key, r"expressions\[0\]: unknown key\(s\) colour"),
                          (bad_cat, r"expressions\[0\]: unknown RE category 'colour'"),
                          (dup, r"expressions\[1\]: duplicate expr_id 'a'"),
                          ({'expressions': []}, 'expected an object with "format"')]:
        with pytest.raises(FormatError, match=message):
            read_annotations(_write(tmp_path / 'a.json', json.dumps(data)))
    with pytest.raises(ValueError, match=r'end in \.csv or \.json'):
        read_annotations(_write(tmp_path / 'a.txt', ''))
    with pytest.raises(ValueError, match="duplicate expr_id 'a'"):
        write_annotations([_ann('a'), _ann('a')], str(tmp_path / 'w.csv'))
    assert not (tmp_path / 'w.csv').exists()


def test_load_annotators_needs_the_same_expressions(tmp_path):
    rows = ''.join(f'e{i},0,1,0,0,0,0,0,,,,\n' for i in range(8))
    a = _write(tmp_path / 'ann1.csv', HEADER + rows)
    b = _write(tmp_path / 'ann2.csv', HEADER + rows)
    assert [list(x) for x in load_annotators([a, b])] == [[f'e{i}' for i in range(8)]] * 2
    c = _write(tmp_path / 'ann3.csv', HEADER + rows.replace('e0,', 'x1,').replace('e7,', 'x2,'))
    with pytest.raises(FormatError,
                       match=r"ann3\.csv: lacks 2 expression\(s\) of .*ann1\.csv \('e0', 'e7'\)"
                             r" and has 2 expression\(s\) that .*ann1\.csv lacks "
                             r"\('x1', 'x2'\)"):
        load_annotators([a, b, c])


def test_proportions():
    anns = {'a': _ann('a', 'class_category', 'appearance', redundancy='redundant'),
            'b': _ann('b', 'class_category', trivial=True, redundancy='minimal'),
            'c': _ann('c', 'class_category', 'location', trivial=False, redundancy='redundant'),
            'd': _ann('d', 'appearance', trivial=False)}
    props = category_proportions(anns)
    assert props['class_category'] == 0.75 and props['appearance'] == 0.5
    assert props['location'] == 0.25 and props['motion'] == 0.0
    assert label_proportions(anns, 'trivial') == {'non_trivial': 2 / 3, 'trivial': 1 / 3}
    assert label_proportions(anns, 'redundancy') == {'minimal': 1 / 3, 'redundant': 2 / 3}


# ---- difficulty ------------------------------------------------------------------------------

def test_trivial_objects_hand_made_videos():
    records = [('v1', 1, 'dog'), ('v1', 2, 'dog'), ('v1', 3, 'cat'), ('v1', 1, 'dog'),
               ('v2', 1, 'dog'), ('v2', 2, 'adult'), ('v2', 3, 'adult'), ('v2', 4, 'adult'),
               ('v3', 5, 'ball')]
    assert trivial_objects(records) == {
        ('v1', 1): False, ('v1', 2): False, ('v1', 3): True,  # two dogs, one cat
        ('v2', 1): True,  # the dog of v1 does not count in v2
        ('v2', 2): False, ('v2', 3): False, ('v2', 4): False, ('v3', 5): True}
    with pytest.raises(ValueError, match="object 1 of video 'v1' has class 'dog' in one "
                                         "record and 'cat' in record #1"):
        trivial_objects([('v1', 1, 'dog'), ('v1', 1, 'cat')])


def test_trivial_expressions_from_data_infos():
    # A2D-like: one sample per frame, the actor-action id changes, the actor does not
    a2d = [dict(expr_id='v1/0', video='v1', object_id=0, actor='adult', category_id=18),
           dict(expr_id='v1/0', video='v1', object_id=0, actor='adult', category_id=17),
           dict(expr_id='v1/1', video='v1', object_id=1, actor='adult', category_id=11),
           dict(expr_id='v1/2', video='v1', object_id=2, actor='dog', category_id=78),
           dict(expr_id='v2/0', video='v2', object_id=0, actor='adult', category_id=18)]
    assert trivial_expressions(a2d) == {'v1/0': False, 'v1/1': False, 'v1/2': True,
                                        'v2/0': True}
    with pytest.raises(ValueError, match='has class 18 in one record and 17'):
        trivial_expressions(a2d, class_key='category_id')
    # RefCOCO-like: images, grouped by image_id
    coco = [dict(expr_id='1', video=None, image_id=9, object_id=100, category_id=1),
            dict(expr_id='2', video=None, image_id=9, object_id=101, category_id=1),
            dict(expr_id='3', video=None, image_id=9, object_id=102, category_id=18)]
    assert trivial_expressions(coco) == {'1': False, '2': False, '3': True}
    with pytest.raises(ValueError, match=r"data info #0 \(expr_id 'x'\) has no class field"):
        trivial_expressions([dict(expr_id='x', video='v', object_id=1)])


# ---- agreement -------------------------------------------------------------------------------

WIKIPEDIA_FLEISS = np.array([  # 10 subjects, 14 raters, 5 categories: kappa 0.210
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])


def test_fleiss_kappa_textbook_and_hand_values():
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(0.210, abs=5e-4)
    # 3 raters, positives 3, 0, 2, 1: P = (1 + 1 + 1/3 + 1/3) / 4 = 2/3, Pe = .5^2 + .5^2
    assert fleiss_kappa([[3, 0], [0, 3], [2, 1], [1, 2]]) == pytest.approx(1 / 3)
    # positives 2, 2, 0: P = (1/3 + 1/3 + 1) / 3 = 5/9; p = 4/9, Pe = 16/81 + 25/81 = 41/81
    assert fleiss_kappa([[2, 1], [2, 1], [0, 3]]) == pytest.approx((5 / 9 - 41 / 81) /
                                                                   (1 - 41 / 81))


def test_fleiss_kappa_edge_cases():
    assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]) == 1.0  # perfect agreement
    assert fleiss_kappa([[0, 3], [0, 3]]) == 1.0  # always one single category: defined as 1
    assert math.isnan(fleiss_kappa([[0, 3], [0, 3]], if_undefined=float('nan')))
    assert fleiss_kappa([[1, 1], [1, 1]]) == pytest.approx(-1.0)  # systematic disagreement
    with pytest.raises(ValueError, match='subject 0 has 3, subject 1 has 2'):
        fleiss_kappa([[3, 0], [1, 1]])
    with pytest.raises(ValueError, match='at least 2 raters'):
        fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match='non-negative whole numbers'):
        fleiss_kappa([[1.5, 0.5]])


def _three_annotators():
    a1 = {'e1': _ann('e1', 'class_category', 'appearance', 'motion', correctness='ok'),
          'e2': _ann('e2', 'class_category', 'location', correctness='no_re'),
          'e3': _ann('e3', 'class_category', 'static', 'obj_static', trivial=False),
          'e4': _ann('e4', 'class_category', 'appearance')}
    a2 = {'e1': _ann('e1', 'class_category', 'appearance', correctness='ok'),
          'e2': _ann('e2', 'class_category', 'location', 'motion', correctness='ok'),
          'e3': _ann('e3', 'class_category', 'static', trivial=False, note='unclear'),
          'e4': _ann('e4', 'class_category')}
    a3 = {'e1': _ann('e1', 'class_category', 'motion', correctness='wrong_object'),
          'e2': _ann('e2', 'class_category', correctness='no_re'),
          'e3': _ann('e3', 'class_category', 'static', 'obj_static', trivial=True),
          'e4': _ann('e4', 'class_category', 'appearance')}
    return [a1, a2, a3]


def test_majority_vote_two_of_three():
    final = majority_vote(_three_annotators())
    assert {e: set(a.categories) for e, a in final.items()} == {
        'e1': {'class_category', 'appearance', 'motion'},
        'e2': {'class_category', 'location'},  # motion: 1 vote only
        'e3': {'class_category', 'static', 'obj_static'},
        'e4': {'class_category', 'appearance'}}
    assert [final[e].correctness for e in ('e1', 'e2', 'e3')] == ['ok', 'no_re', None]
    assert final['e3'].trivial is False and final['e3'].note == 'unclear'
    unanimous = majority_vote(_three_annotators(), min_agree=3)
    assert unanimous['e1'].categories == {'class_category'}
    with pytest.raises(ValueError, match='min_agree must be an integer in 1..3'):
        majority_vote(_three_annotators(), min_agree=4)


def test_category_kappas_by_hand():
    anns = _three_annotators()
    assert category_count_matrix(anns, 'appearance').tolist() == [[2, 1], [0, 3], [0, 3],
                                                                  [2, 1]]
    kappas = category_kappas(anns)
    assert kappas['class_category'] == 1.0  # always assigned by everyone: perfect agreement
    # appearance: positives 2, 0, 0, 2 -> P = (1/3 + 1 + 1 + 1/3) / 4 = 2/3, p = 1/3,
    # Pe = 1/9 + 4/9 = 5/9, kappa = (2/3 - 5/9) / (4/9) = 1/4
    assert kappas['appearance'] == pytest.approx(0.25)
    # motion: 2, 1, 0, 0 -> P = (1/3 + 1/3 + 1 + 1) / 4 = 2/3, p = 1/4, Pe = 10/16
    assert kappas['motion'] == pytest.approx((2 / 3 - 10 / 16) / (6 / 16))
    assert kappas['obj_motion'] == 1.0  # never assigned


# ---- tagger ----------------------------------------------------------------------------------

A, C, L, M, OM, S, OS = CATEGORIES
TAGGER_CASES = [
    # the thesis's own examples (table 6.2, figure 6.6, section 6.4.3)
    ('girl in yellow dress standing near the woman', {A, C, L, S}),
    ('girl standing near the woman', {C, L, S}),
    ('girl in yellow dress standing', {A, C, S}),
    ('girl in yellow dress walking', {A, C, M}),
    ('girl in yellow dress near the woman', {A, C, L}),
    ('a man riding a bike', {C, M, OM}),
    ('a man holding a bike', {C, S, OS}),
    ('a baby is rolling on the floor', {C, M, L}),
    ('an orange ball is jumping up and down', {A, C, M}),
    ('a man in suit is running', {A, C, M}),
    (' green ball is on the floor', {A, C, L}),
    ('a car is parked on the left', {C, S, L}),
    ('brown dog walking with a man', {A, C, M}),
    ('seagull', {C}),
    # A2D / DAVIS-like
    ('man in red shirt jumping on the left', {A, C, L, M}),
    ('the dog chasing a ball', {C, M}),
    ('a cat sitting on a sofa', {C, S, L}),
    ('brown horse', {A, C}),
    ('the car', {C}),
    ('a man eating a big sandwich', {C, S, OS}),
    ('a woman walking her dog in the park', {C, M, OM, L}),
    ('a girl with long hair looking at the camera', {A, C, S}),
    ("the person on the left wearing a black hat", {A, C, L}),
    ('a white dog lying on the grass', {A, C, S, L}),
    ('a man pushing a stroller', {C, M, OM}),
    ('the running dog next to the tree', {C, M, L}),
    ('dog chasing a running cat', {C, M}),
    ('the woman with a red umbrella', {C}),
    ('the tall man behind the car', {A, C, L}),
    ('a kid kicking a ball', {C, M, OM}),
    ('a dog eating', {C, S}),
    ('the horse running towards the fence', {C, M}),
    ('the white car in front of the bus', {A, C, L}),
    ('the cat is black', {A, C}),
    ("a man in black jacket is petting the dog", {A, C, S, OS}),
    ('the one on the left', {L}),
    ('a parked car', {C, S}),
    ('woman dressed in white', {A, C}),
    ('the orange on the table', {C, L}),
    ('the biggest of the dogs', {A, C}),
    ('the surfer in the waves', {C, L}),
    ('the leftmost green one', {A, L}),
]


@pytest.fixture(scope='module')
def tagger():
    return Tagger()


@pytest.mark.parametrize('expression,expected', TAGGER_CASES)
def test_tagger_examples(tagger, expression, expected):
    assert tagger.tag(expression).categories == expected


def test_tagger_triggers(tagger):
    t = tagger.tag('Man in red shirt jumping on the left').triggers
    assert t == {A: ('red', 'shirt'), C: ('man', ), L: ('left', ), M: ('jumping', )}
    assert tagger.tag('the dog chasing a ball').triggers[C] == ('dog', )  # the head, not ball
    assert tagger.tag('a cat sitting on a sofa').triggers[L] == ('on a sofa', )
    assert tagger.tag('a man holding a bike').triggers[OS] == ('holding a bike', )
    assert tagger.tag('an orange ball').triggers == {A: ('orange', ), C: ('ball', )}
    assert tagger.tag('').categories == frozenset()


def test_lemmas(tagger):
    cases = {'running': 'run', 'sitting': 'sit', 'riding': 'ride', 'lying': 'lie',
             'parked': 'park', 'carried': 'carry', 'held': 'hold', 'puppies': 'puppy',
             'shoes': 'shoe', 'boxes': 'box', 'biggest': 'biggest', 'darker': 'dark',
             'men': 'man', 'glasses': 'glasses', 'tower': 'tower', 'unknownword': 'unknownword'}
    assert {w: tagger.lemma(w) for w in cases} == cases
    assert tagger.tokenize("The man's T-shirt, blue-ish!") == ['the', 'man', 't-shirt', 'blue',
                                                              'ish']


def test_tagger_matches_the_synthetic_generator(tagger):
    """The synthetic referring sentences know their categories (appearance, class, location)."""
    from mmsegsup.datasets.synthetic.language import (ATTRIBUTES, CATEGORY_OF, DIRECTIONS,
                                                      render_sentence)
    from mmsegsup.datasets.synthetic.scene import COLOURS, SIZES
    choices = {'colour': sorted(COLOURS), 'size': list(SIZES),
               'class': ['circle', 'square', 'triangle'], 'location': list(DIRECTIONS)}
    rng = np.random.default_rng(0)
    for k in range(1, len(ATTRIBUTES) + 1):
        for attrs in itertools.combinations(ATTRIBUTES, k):
            for _ in range(8):
                values = {a: choices[a][int(rng.integers(len(choices[a])))] for a in attrs}
                sentence = render_sentence(values, rng)
                gold = {normalize_category(CATEGORY_OF[a]) for a in attrs}
                assert tagger.tag(sentence).categories & {A, C, L} == gold, sentence


def test_tagger_is_extensible(tmp_path):
    base = Tagger()
    assert base.tag('the seal in tartan').categories == {L}
    extended = Tagger(extra={'appearance': ['tartan'], 'class_nouns': ['seal']})
    assert extended.tag('the seal in tartan').triggers == {A: ('tartan', ), C: ('seal', )}
    lex = _write(tmp_path / 'lex.json', json.dumps({'class category': ['walrus'],
                                                    'motion': ['waddle']}))
    from_file = Tagger(lexicon_file=lex)
    assert from_file.tag('the walrus waddling').categories == {C, M}
    assert Tagger(class_names=['teddy_bear']).tag('teddy bear').triggers == {C: ('teddy bear',)}
    bad = _write(tmp_path / 'bad.json', json.dumps({'colourz': ['red']}))
    with pytest.raises(FormatError, match=r"bad\.json: unknown lexicon 'colourz'"):
        Tagger(lexicon_file=bad)
    with pytest.raises(ValueError, match="lexicon 'motion' must be a list of words"):
        Tagger(extra={'motion': 'waddle'})


def test_tagger_on_data_infos_and_to_annotation(tagger):
    infos = [dict(expr_id='v/1', expression='a man riding a bike', frame_id=t) for t in range(3)]
    tags = tagger.tag_data_infos(infos)
    assert list(tags) == ['v/1'] and tags['v/1'].categories == {C, M, OM}
    ann = tags['v/1'].to_annotation('v/1')
    assert ann.categories == {C, M, OM} and 'obj_motion=riding a bike' in ann.note


def test_evaluate_tagger_small_gold_set(tagger):
    gold = {'1': _ann('1', C, A, M), '2': _ann('2', C, L), '3': _ann('3', C, S, OS),
            '4': _ann('4', C, A)}
    pred = tagger.tag_all({'1': 'man in red shirt jumping',  # C A M: all right
                           '2': 'the dog walking on the left',  # C L + M (false positive)
                           '3': 'the man sitting',  # C S, misses OS
                           '4': 'the puppy'})  # C, misses A
    scores = evaluate_tagger(pred, gold)
    assert scores[C] == dict(precision=1.0, recall=1.0, f1=1.0, tp=4, fp=0, fn=0, support=4)
    assert (scores[A]['precision'], scores[A]['recall']) == (1.0, 0.5)
    assert scores[A]['f1'] == pytest.approx(2 / 3)
    assert (scores[M]['precision'], scores[M]['recall']) == (0.5, 1.0)
    assert (scores[OS]['precision'], scores[OS]['recall'], scores[OS]['f1']) == (0.0, 0.0, 0.0)
    assert (scores[OM]['precision'], scores[OM]['support']) == (0.0, 0)  # zero_division
    micro = scores['micro']  # tp 4+1+1+1+1 = 8, fp 1, fn 2
    assert (micro['tp'], micro['fp'], micro['fn']) == (8, 1, 2)
    assert micro['precision'] == pytest.approx(8 / 9) and micro['recall'] == pytest.approx(0.8)
    assert '| appearance | 1.000 | 0.500 | 0.667 | 2 |' in format_tagger_report(scores)
    assert evaluate_tagger({'1': {'motion'}}, {'1': ['motion']}, categories=[M])[M]['f1'] == 1
    with pytest.raises(ValueError, match=r"1 gold expression\(s\) have no prediction, e.g. "
                                         r"'4'"):
        evaluate_tagger({k: v for k, v in pred.items() if k != '4'}, gold)


def test_majority_vote_four_annotators_and_ties():
    anns = [{'e': _ann('e', 'motion', correctness='ok')}, {'e': _ann('e', 'motion')},
            {'e': _ann('e', 'static', correctness='no_re')},
            {'e': _ann('e', 'static', correctness='ok')}]
    final = majority_vote(anns)  # min_agree 2 of 4: both categories kept
    assert final['e'].categories == {'motion', 'static'} and final['e'].correctness == 'ok'
    anns[1] = {'e': _ann('e', 'motion', correctness='no_re')}  # ok 2 : no_re 2 -> tie
    assert majority_vote(anns)['e'].correctness is None
    assert majority_vote(anns, min_agree=3)['e'].categories == frozenset()


def test_yaml_lexicon_file(tmp_path):
    lex = _write(tmp_path / 'lex.yaml', 'location_prepositions: [north of]\nclass_nouns: [yak]\n')
    tags = Tagger(lexicon_file=lex).tag('the yak north of the river').triggers
    assert tags == {C: ('yak', ), L: ('north of', )}
