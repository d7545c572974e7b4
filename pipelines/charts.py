"""Charts of projection results, written as SVG or PNG with matplotlib's Agg renderer (no display needed).

matplotlib is imported inside the function that draws: it is slow to import, and most runs draw nothing.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

FORMATS = {".svg": "svg", ".png": "png"}

CONTRIBUTED_COLOR = "#4c72b0"
GROWTH_COLOR = "#dd8452"


def write_projection_chart(years: pl.DataFrame, balance_now_cents: int, title: str, path: Path) -> Path:
    """Draw one person's :func:`pipelines.rules.projection.project_years` rows as stacked bars by year.

    The lower bar is the starting balance plus the contributions made so far, the upper one the growth so
    far; together they are that year's ``balance_end``. The format follows ``path``'s suffix, ``.svg`` (text
    kept as text, so the title can be searched) or ``.png``; anything else is a ``ValueError``.

    >>> write_projection_chart(pl.DataFrame(), 0, "t", Path("chart.pdf"))
    Traceback (most recent call last):
    ...
    ValueError: chart.pdf: the chart is written as .png or .svg, not '.pdf'
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: the chart is written as .png or .svg, not {path.suffix!r}")
    if years.height == 0:
        raise ValueError("no projection years to draw (already at retirement age?)")
    if years["employee_id"].n_unique() != 1:
        raise ValueError("a projection chart draws one person's years")
    rows = years.sort("year").select(
        "year",
        (pl.lit(balance_now_cents) + (pl.col("deferral_cents") + pl.col("employer_cents")).cum_sum()).alias("paid_in"),
        pl.col("growth_cents").cum_sum().alias("growth"),
        pl.col("balance_end_cents").alias("total"),
    )
    if (rows["paid_in"] + rows["growth"] != rows["total"]).any():
        raise ValueError("the years do not start from balance_now_cents")

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    # Dollars as floats for drawing only; every figure was computed in integer cents.
    x = rows["year"].to_list()
    paid_in = [c / 100 for c in rows["paid_in"].to_list()]
    growth = [c / 100 for c in rows["growth"].to_list()]
    total = [c / 100 for c in rows["total"].to_list()]

    # The object API with an explicit Agg canvas: no pyplot, so no global figure registry and no backend switch;
    # the figure is freed with its last reference when this function returns.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "planadmin"}):
        fig = Figure(figsize=(10, 5.6), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.bar(x, paid_in, width=0.8, color=CONTRIBUTED_COLOR, label="Starting balance + contributions")
        ax.bar(x, growth, width=0.8, bottom=paid_in, color=GROWTH_COLOR, label="Investment growth")
        ax.set_title(title, fontweight="bold", pad=28)
        ax.set_xlabel("Year")
        ax.set_ylabel("Balance at year end")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:,.0f}"))
        # At most ~12 year labels, the first year always labelled; a short projection keeps bars bar-width.
        ax.set_xticks(x[:: -(-len(x) // 12)])
        widen = max(0, 5 - len(x)) / 2
        ax.set_xlim(x[0] - 0.6 - widen, x[-1] + 0.6 + widen)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        ax.set_ylim(0, max(total) * 1.08 if max(total) > 0 else 1)  # headroom for the total's label
        ax.annotate(f"${total[-1]:,.0f}", (x[-1], total[-1]), xytext=(0, 4), textcoords="offset points",
                    ha="right" if len(x) > 1 else "center", va="bottom", fontsize=9)
        # Above the axes, under the title: it can never cover a bar.
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False, borderaxespad=0.2)
        fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
        fig.clear()
    return path
