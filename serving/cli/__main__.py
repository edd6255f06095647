"""``python -m serving.cli``: the ``jobmatch`` command without its installed script."""

from serving.cli import app

if __name__ == "__main__":
    app()
