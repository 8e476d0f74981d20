"""Referring-expression analysis of the thesis, chapter 6.4-6.5: categories, agreement, tagger,
the performance study and the variant expressions.

Pure standard-library / numpy code (no torch, no registration): :mod:`.categories` holds the
data model, difficulty and the annotation files, :mod:`.agreement` the majority vote and
Fleiss' kappa, :mod:`.tagger` (with :mod:`.lexicons`) the rule-based category tagger,
:mod:`.study` the tables 6.6 / 6.7 from per-expression results, :mod:`.variants` the
information-level and A2Dre+-style variant expressions and their files, :mod:`.plots` the
figures (matplotlib, imported when a plot is drawn). The dataset that feeds variants to a
model is ``mmsegsup.datasets.referring_variants.ReferringVariantsDataset``.
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
from .plots import (plot_category_effect, plot_category_proportions, plot_difficulty,
                    plot_information_levels)
from .study import (CategoryEffect, GroupScore, LevelScore, augmented_effect,
                    category_effect, category_effect_table, csv_table, group_score,
                    information_level_table, information_levels, join_categories,
                    kappa_table, markdown_table, split_levels, trivial_split, trivial_table,
                    write_tables)
from .tagger import (TagResult, Tagger, evaluate_tagger, format_tagger_report,
                     load_lexicon_file)
from .variants import (GENERIC_WORD, LEVEL_TITLES, LEVELS, AugmentedReferent, AugmentedSet,
                       ExpressionVariants, VariantSet, augmented_levels, augmented_pair,
                       augmented_to_variants, make_variants, read_augmented, read_variants,
                       shapes_class_labels, write_augmented, write_variants)

__all__ = ['CATEGORIES', 'CATEGORY_LEXICON', 'CATEGORY_QUESTIONS', 'CATEGORY_TITLES',
           'CORRECTNESS', 'CSV_COLUMNS', 'LEXICONS', 'MAJOR_CATEGORIES', 'REAnnotation',
           'REDUNDANCY', 'TagResult', 'Tagger', 'category_count_matrix', 'category_kappas',
           'category_proportions', 'category_votes', 'check_same_expressions',
           'evaluate_tagger', 'fleiss_kappa', 'format_tagger_report', 'label_proportions',
           'load_annotators', 'load_lexicon_file', 'majority_vote', 'normalize_category',
           'read_annotations', 'read_annotations_csv', 'read_annotations_json',
           'trivial_expressions', 'trivial_objects', 'write_annotations',
           'write_annotations_csv', 'write_annotations_json',
           # study (tables 6.6, 6.7)
           'CategoryEffect', 'GroupScore', 'LevelScore', 'augmented_effect', 'category_effect',
           'category_effect_table', 'csv_table', 'group_score', 'information_level_table',
           'information_levels', 'join_categories', 'kappa_table', 'markdown_table',
           'split_levels', 'trivial_split', 'trivial_table', 'write_tables',
           # variants (information levels, A2Dre+)
           'GENERIC_WORD', 'LEVELS', 'LEVEL_TITLES', 'AugmentedReferent', 'AugmentedSet',
           'ExpressionVariants', 'VariantSet', 'augmented_levels', 'augmented_pair',
           'augmented_to_variants', 'make_variants', 'read_augmented', 'read_variants',
           'shapes_class_labels', 'write_augmented', 'write_variants',
           # plots (figs. 6.3, 6.4, tables 6.6 / 6.7 as figures)
           'plot_category_effect', 'plot_category_proportions', 'plot_difficulty',
           'plot_information_levels']
