"""``python -m nlptoolkit.tasks.classification [train|evaluate|predict] ...``"""

from nlptoolkit import cli

main = cli.task_main("classification")
build_parser = main.build_parser

if __name__ == "__main__":
    raise SystemExit(cli.program(main))
