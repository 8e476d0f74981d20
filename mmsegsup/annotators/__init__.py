"""People in the loop: the annotation network's masks as pre-annotations for Label Studio and
CVAT (:mod:`.prefill`, :mod:`.exchange`), their exports read back as checked COCO labels, and
Label Studio's ML backend (:mod:`.ml_backend`). Import the modules themselves: this package
stays light (no torch until a model runs)."""
