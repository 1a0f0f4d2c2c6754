"""``python -m pirate_pain`` runs the Kedro CLI of this project."""

from kedro.framework.cli.cli import main

if __name__ == "__main__":
    main()
