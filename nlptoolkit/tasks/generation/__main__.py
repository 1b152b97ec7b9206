"""``python -m nlptoolkit.tasks.generation [train|evaluate|generate] ...``"""

from nlptoolkit import cli
from nlptoolkit.cli.hooks import SAMPLE_PROMPTS  # noqa: F401
from nlptoolkit.cli.hooks import sample_prompts  # noqa: F401

main = cli.task_main("generation")
build_parser = main.build_parser

if __name__ == "__main__":
    raise SystemExit(cli.program(main))
