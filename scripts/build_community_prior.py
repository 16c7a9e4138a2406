"""Build the recommender's community prior from MovieLens ml-latest-small.

Usage::

    python scripts/build_community_prior.py [--datasets DIR] [--out FILE]

Input: ``movielens-latest-small/ratings.csv`` and ``links.csv`` under ``../shared/datasets`` (see
its README.md; the script refuses to run without them). Output:
``reelgraph/recommender/data/community_prior.npz`` with three arrays, one row per (user, movie):
``users`` (MovieLens user id), ``tmdb_ids`` (the movie's TMDb id from links.csv) and
``half_stars`` (rating x 2, 1-10), plus ``ATTRIBUTION.md`` beside it. Movies without a TMDb link are
dropped; when two MovieLens movies share a TMDb id, the user's latest rating of them is kept.
Timestamps are not shipped. The file is byte-identical across builds (sorted rows, fixed zip dates).

The shipped file lets a brand-new server give collaborative recommendations; the offline evaluation
never uses it (it contains every test rating), it trains on the split's training part instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from reelgraph.recommender.movielens import load_movielens_ratings  # noqa: E402
from reelgraph.recommender.storage import PRIOR_FILE, CommunityPrior  # noqa: E402

DEFAULT_DATASETS = REPO_ROOT / ".." / "shared" / "datasets"
DEFAULT_OUT = REPO_ROOT / "reelgraph" / "recommender" / "data" / PRIOR_FILE

ATTRIBUTION = """# Recommender community prior: data source and terms

`community_prior.npz` holds the ratings of the MovieLens "ml-latest-small" dataset (610 users,
about 100,000 ratings), with MovieLens movie ids replaced by TMDb ids through the dataset's
`links.csv`, ratings stored as half-stars, and timestamps removed. reelgraph uses it as the
community's taste when a server has few ratings of its own. Built by
`scripts/build_community_prior.py`.

## MovieLens

Contains data from the MovieLens "ml-latest-small" dataset by GroupLens Research, University of
Minnesota (https://grouplens.org/datasets/movielens/).

- The data may be used for research purposes only; no commercial or revenue-bearing use without
  permission from a faculty member of the GroupLens Research Project at the University of
  Minnesota.
- No endorsement by the University of Minnesota or the GroupLens Research Group is stated or
  implied.
- This derived data is redistributed under the same conditions.
- Neither the University of Minnesota nor any of the researchers involved can guarantee the
  correctness of the data, its suitability for any particular purpose, or the validity of results
  based on the use of the data set.
- Citation: F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and
  Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19.
  https://doi.org/10.1145/2827872

## TMDb

The TMDb ids come from MovieLens' `links.csv`. This product uses the TMDB API but is not endorsed
or certified by TMDB.
"""


def build(datasets: Path, out: Path) -> dict[str, object]:
    movielens = datasets / "movielens-latest-small"
    table = load_movielens_ratings(movielens / "ratings.csv", movielens / "links.csv")
    prior = CommunityPrior(users=table.users, tmdb_ids=table.movies, ratings=table.values)
    size = prior.save(out)
    (out.parent / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    return {
        "ratings": len(prior),
        "users": len(set(table.users.tolist())),
        "movies": len(set(table.movies.tolist())),
        "file_size_bytes": size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS, help="dataset folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="prior file to write")
    args = parser.parse_args(argv)
    source = args.datasets.resolve() / "movielens-latest-small"
    if not (source / "ratings.csv").is_file() or not (source / "links.csv").is_file():
        print(f"build_community_prior: {source} not found (needs ../shared/datasets)", file=sys.stderr)
        return 1
    started = time.perf_counter()
    report = build(args.datasets.resolve(), args.out)
    for key, value in report.items():
        print(f"{key:>16}: {value}")
    print(f"{'build_seconds':>16}: {time.perf_counter() - started:.1f} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
