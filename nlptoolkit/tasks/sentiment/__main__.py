"""``python -m nlptoolkit.tasks.sentiment [train|evaluate|predict] ...``"""

from nlptoolkit import cli

main = cli.task_main("sentiment")
build_parser = main.build_parser

if __name__ == "__main__":
    raise SystemExit(cli.program(main))
