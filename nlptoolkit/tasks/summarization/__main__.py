"""``python -m nlptoolkit.tasks.summarization [train|evaluate|summarize]``"""

from nlptoolkit import cli

main = cli.task_main("summarization")
build_parser = main.build_parser

if __name__ == "__main__":
    raise SystemExit(cli.program(main))
