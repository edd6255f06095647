"""``jobmatch occupations ...``: the 2022 occupation classification and its coder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matching.embedding import Embedder, EmbeddingCache
from matching.occupations import OccupationVocabulary
from matching.store import open_store
from serving.cli.common import settings_of

group = typer.Typer(help="The 2022 occupation classification (职业分类大典).")


@group.command("suggest")
def occupations_suggest_command(
    ctx: typer.Context,
    titles: Annotated[Path, typer.Option(help="File with one job title per line.")],
    out: Annotated[
        Path | None, typer.Option(help="Output JSON Lines file (default: standard output).")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=50, help="Suggestions per title.")] = 5,
) -> None:
    """Suggest 2022 occupation codes for job titles (normalised, then candidates from
    character n-grams and m3e embeddings re-ranked by the learned coder)."""
    from matching.occupation_coding import open_coder
    from matching.occupation_suggestions import read_titles, write_suggestions
    from matching.textfiles import NotUtf8Error

    settings = settings_of(ctx)
    if not titles.is_file():
        typer.echo(f"error: {titles} is not a file", err=True)
        raise typer.Exit(2)
    try:  # before the coder is built: a file in another encoding fails at once
        wanted = read_titles(titles)
    except NotUtf8Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    store = open_store(settings)
    try:
        encoder = EmbeddingCache(store, Embedder.from_settings(settings))
        coder = open_coder(OccupationVocabulary.load(), encoder, settings.occupation_coder_dir)
        count = write_suggestions(coder, wanted, out, k)
    finally:
        store.close()
    typer.echo(
        f"wrote suggestions for {count} titles to {out or 'standard output'} "
        f"(ranked by {coder.ranker_name})",
        err=out is None,
    )


@group.command("train")
def occupations_train_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(help="Bundle directory (default: $JOBMATCH_HOME/models/occupation_coder)."),
    ] = None,
    confirmed: Annotated[
        bool,
        typer.Option(help="Also learn from the codes employers confirmed for job titles."),
    ] = True,
    seed: Annotated[int, typer.Option(help="LightGBM seed.")] = 0,
) -> None:
    """Retrain the occupation coder's re-ranker on the classification's names and aliases and
    on confirmed job titles; the home's coder uses it from the next start."""
    from matching.occupation_coding import OccupationCoder
    from matching.occupation_feedback import confirmed_pairs
    from training.occupation_coder import train_coder_model

    settings = settings_of(ctx)
    target = out or settings.occupation_coder_dir
    store = open_store(settings)
    try:
        encoder = EmbeddingCache(store, Embedder.from_settings(settings))
        coder = OccupationCoder(OccupationVocabulary.load(), encoder, model=None)
        pairs = confirmed_pairs(store) if confirmed else []
        model = train_coder_model(coder, pairs, seed=seed)
    finally:
        store.close()
    model.save(target)
    metrics = ", ".join(f"{name} {value}" for name, value in model.metrics.items())
    typer.echo(
        f"occupation coder {model.version} ({len(pairs)} confirmed titles) saved to {target}"
    )
    typer.echo(f"validation on held-out occupations: {metrics}")


@group.command("build-vectors")
def occupations_build_vectors_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Vector file (default: the one shipped in the package for the configured "
            "backend; only for the bundled model)."
        ),
    ] = None,
    float32: Annotated[
        bool, typer.Option(help="Full precision (4x the size), to measure what int8 costs.")
    ] = False,
) -> None:
    """Embed every name, alias, definition, task list and group name of the vocabulary with
    the configured model and backend and write them (int8) to the file the coder reads at
    start-up: regenerates matching/data/occupation_vectors*.npz (one per backend) after a
    model or vocabulary change."""
    from matching.occupation_vectors import build_vectors, shipped_file
    from matching.settings import bundled_embedding_model

    settings = settings_of(ctx)
    if out is None and settings.resolved_embedding_model != bundled_embedding_model():
        typer.echo(
            "错误：只有随包的 m3e-small 模型的向量随包发布；其他模型请用 --out 指定文件",
            err=True,
        )
        raise typer.Exit(2)
    target = out or shipped_file(settings.embedding_backend)
    embedder = Embedder.from_settings(settings)
    precision = "float32" if float32 else "int8"
    count = build_vectors(OccupationVocabulary.load(), embedder, target, precision=precision)
    typer.echo(f"{count} vocabulary vectors of {embedder.model_id} written to {target}")
