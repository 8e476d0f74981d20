"""The bottom layer: file formats and shared vocabularies (palettes, class names, supervision
kinds, index PNGs, COCO json, weak-label files, the benchmarks' own files: VOC / SBD, refer,
A2D-Sentences, the DAVIS folder layout, DAVIS expressions, YouTube-VOS meta and video lists, id
lists; the referring-expression study's files: category labels, variants, augmented
expressions, tagger lexicons; our JSON files and the synthetic-data cache). Parsers and writers
live here, the registered datasets that read them in :mod:`mmsegsup.datasets`. Modules here
import nothing of mmsegsup but :mod:`mmsegsup.utils`; import them by their module path (this
package imports nothing, so light users such as the budget model stay light)."""
