"""Score an unlabeled pool by the predicted IoU of an annotation network's masks (mask-guided
active learning, thesis 5.3); the tool is :mod:`mmsegsup.cli.al_score`.

    python tools/al_score.py CONFIG CHECKPOINT --out scores.json [--oracle] [--mc-passes 5]
"""
from mmsegsup.cli.al_score import main

if __name__ == '__main__':
    main()
