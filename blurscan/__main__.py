"""``python -m blurscan`` and the ``blurscan`` console script."""

import sys


def main() -> int:
    from blurscan._cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
