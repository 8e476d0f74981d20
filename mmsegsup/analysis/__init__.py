"""Referring-expression analysis of the thesis, chapter 6.4: categories, agreement, tagger.

Pure standard-library / numpy code (no torch, no registration): :mod:`.categories` holds the
data model, difficulty and the annotation files, :mod:`.agreement` the majority vote and
Fleiss' kappa, :mod:`.tagger` (with :mod:`.lexicons`) the rule-based category tagger.
"""
from .agreement import (category_count_matrix, category_kappas, category_votes, fleiss_kappa,
                        majority_vote)
from .categories import (CATEGORIES, CATEGORY_QUESTIONS, CATEGORY_TITLES, CORRECTNESS,
                         CSV_COLUMNS, MAJOR_CATEGORIES, REDUNDANCY, REAnnotation,
                         category_proportions, check_same_expressions, label_proportions,
                         load_annotators, normalize_category, read_annotations,
                         read_annotations_csv, read_annotations_json, trivial_expressions,
                         trivial_objects, write_annotations, write_annotations_csv,
                         write_annotations_json)
from .lexicons import CATEGORY_LEXICON, LEXICONS
from .tagger import (TagResult, Tagger, evaluate_tagger, format_tagger_report,
                     load_lexicon_file)

__all__ = ['CATEGORIES', 'CATEGORY_LEXICON', 'CATEGORY_QUESTIONS', 'CATEGORY_TITLES',
           'CORRECTNESS', 'CSV_COLUMNS', 'LEXICONS', 'MAJOR_CATEGORIES', 'REAnnotation',
           'REDUNDANCY', 'TagResult', 'Tagger', 'category_count_matrix', 'category_kappas',
           'category_proportions', 'category_votes', 'check_same_expressions',
           'evaluate_tagger', 'fleiss_kappa', 'format_tagger_report', 'label_proportions',
           'load_annotators', 'load_lexicon_file', 'majority_vote', 'normalize_category',
           'read_annotations', 'read_annotations_csv', 'read_annotations_json',
           'trivial_expressions', 'trivial_objects', 'write_annotations',
           'write_annotations_csv', 'write_annotations_json']
