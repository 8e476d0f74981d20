"""The kinds of supervision an annotator gives (thesis ch. 4): one vocabulary for the budget
model, the weak-label files and the drivers, with the thesis's short names as aliases."""
IMAGE_LABELS = 'image_labels'
LABELS_COUNTS = 'labels_counts'
BOXES = 'boxes'
FULL = 'full'

#: Canonical kinds in the column order of thesis table 4.1 (IL, IL+C, Full, BB).
KINDS = (IMAGE_LABELS, LABELS_COUNTS, FULL, BOXES)

#: The short names the thesis uses in its tables and figures.
SHORT_NAMES = {IMAGE_LABELS: 'IL', LABELS_COUNTS: 'IL+C', BOXES: 'BB', FULL: 'Full'}

_ALIASES = {name.lower(): kind for kind, name in SHORT_NAMES.items()}
_ALIASES.update({kind: kind for kind in KINDS})


def normalize_kind(kind: str, argname: str = 'kind') -> str:
    """Canonical kind for a canonical name or a thesis alias (case-insensitive)."""
    key = kind.strip().lower() if isinstance(kind, str) else None
    if key not in _ALIASES:
        known = ', '.join(f'{k!r}/{SHORT_NAMES[k]!r}' for k in KINDS)
        raise ValueError(f'{argname}: unknown supervision kind {kind!r}; expected one of {known}')
    return _ALIASES[key]
