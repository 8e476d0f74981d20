"""Referring-expression analysis of the thesis, chapter 6.4-6.5: categories, agreement, tagger,
the performance study and the variant expressions.

Pure standard-library / numpy code (no torch, no registration): :mod:`.categories` holds the
category titles, difficulty and label shares, :mod:`.agreement` the majority vote and Fleiss'
kappa, :mod:`.tagger` (with :mod:`.lexicons`) the rule-based category tagger and
:mod:`.tagger_eval` its scores against manual labels, :mod:`.study` the tables 6.6 / 6.7 from
per-expression results, :mod:`.variants` the information-level and A2Dre+-style variant
expressions, :mod:`.plots` the figures (matplotlib, imported when a plot is drawn). The files
they read and write (annotators' labels, variants, augmented expressions, tagger lexicons)
are in :mod:`mmsegsup.formats` (``re_categories``, ``re_variants``, ``re_augmented``,
``re_lexicons``). The dataset that feeds variants to a model is
:class:`mmsegsup.datasets.referring_variants.ReferringVariantsDataset`. Import every name from
its module (this package imports nothing, so each user loads only what it needs).
"""
