"""``python -m nlptoolkit.tasks.summarization [train|evaluate|summarize]``"""

import sys

from nlptoolkit import cli

main = cli.task_main("summarization")
build_parser = main.build_parser

if __name__ == "__main__":
    sys.exit(cli.program(main))
