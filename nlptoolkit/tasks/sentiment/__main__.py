"""``python -m nlptoolkit.tasks.sentiment [train|evaluate|predict] ...``"""

import sys

from nlptoolkit import cli
from nlptoolkit.tasks.classification.cli import make_main
from nlptoolkit.tasks.sentiment import SentimentClassifier

main = make_main(
    SentimentClassifier,
    prog="python -m nlptoolkit.tasks.sentiment",
    default_dataset="sst2",
    default_epochs=6,
)

if __name__ == "__main__":
    sys.exit(cli.program(main))
