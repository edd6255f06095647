"""The demo world: a synthetic job-matching world in the interchange format.

:func:`demo.world.generate_world` writes the world ``jobmatch demo-data`` and ``jobmatch demo``
use; :func:`demo.worlds.generate_evaluation_world` writes the worlds with graded cold-start
truth that rankers are judged on. Their static tables are the TOML files of ``demo/data/``.
"""
