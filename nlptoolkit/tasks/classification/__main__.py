"""``python -m nlptoolkit.tasks.classification [train|evaluate|predict]``"""

import sys

from nlptoolkit import cli
from nlptoolkit.tasks.classification import TextClassifier
from nlptoolkit.tasks.classification.cli import make_main

main = make_main(
    TextClassifier,
    prog="python -m nlptoolkit.tasks.classification",
    default_dataset="trec",
    default_epochs=10,
)

if __name__ == "__main__":
    sys.exit(cli.program(main))
