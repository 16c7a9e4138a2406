"""Files: a trained model's directory (``model.npz`` + ``model.json``) or blob, and the community prior.

A model directory is written under temporary names then renamed, so a reader never sees half a
model; the prior is a byte-reproducible .npz shipped in ``data/`` (MovieLens, see
data/ATTRIBUTION.md) and built by ``scripts/build_community_prior.py``.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.recommender.approximate import collaborative_from_arrays
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.hybrid import HybridConfig
from reelgraph.recommender.model import RecommenderModel

ENGINE_FORMAT = 1
MODEL_ARRAYS = "model.npz"
MODEL_META = "model.json"
PRIOR_FILE = "community_prior.npz"


@dataclass(frozen=True, slots=True)
class CommunityPrior:
    """(user, TMDb id, rating) triples shipped with the package (MovieLens, see data/ATTRIBUTION.md)."""

    users: np.ndarray
    tmdb_ids: np.ndarray
    ratings: np.ndarray

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def empty(cls) -> CommunityPrior:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))

    @classmethod
    def load(cls, path: str | PathLike[str] | None = None) -> CommunityPrior:
        """The shipped prior, or a file written by ``scripts/build_community_prior.py``."""
        return _load_prior(None if path is None else str(Path(path).resolve()))

    def save(self, path: str | PathLike[str]) -> int:
        """Write a byte-reproducible .npz (fixed zip timestamps, sorted rows); returns its size."""
        order = np.lexsort((self.tmdb_ids, self.users))
        users = self.users[order]
        user_dtype = np.int16 if len(users) == 0 or int(np.abs(users).max()) < 2**15 else np.int32
        arrays = {
            "users": users.astype(user_dtype),
            "tmdb_ids": self.tmdb_ids[order].astype(np.int32),
            "half_stars": np.rint(self.ratings[order] * 2).astype(np.uint8),
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
                # np.savez stamps the current time into the zip; a fixed date keeps builds identical.
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, buffer.getvalue(), compresslevel=9)
        return target.stat().st_size

    @classmethod
    def from_npz(cls, source: Any) -> CommunityPrior:
        with np.load(source) as data:
            # Ratings are stored as half-stars in uint8 (0.5-5 -> 1-10) to keep the file small.
            return cls(
                users=data["users"].astype(np.int64),
                tmdb_ids=data["tmdb_ids"].astype(np.int64),
                ratings=(data["half_stars"].astype(np.float32) / 2.0),
            )


@functools.cache
def _load_prior(path: str | None) -> CommunityPrior:
    if path is None:
        resource = resources.files("reelgraph.recommender").joinpath("data").joinpath(PRIOR_FILE)
        with resource.open("rb") as handle:
            return CommunityPrior.from_npz(handle)
    return CommunityPrior.from_npz(path)


def _model_arrays(model: RecommenderModel) -> dict[str, Any]:
    arrays: dict[str, Any] = {"item_ids": model.item_ids, "counts": model.counts}
    if model.catalog_popularity is not None:
        arrays["catalog_popularity"] = model.catalog_popularity
    arrays.update(model.ease.to_arrays())
    arrays.update(model.content.to_arrays())
    return arrays


def _model_meta(model: RecommenderModel) -> dict[str, Any]:
    return {
        "format": ENGINE_FORMAT,
        "version": model.version,
        "config": model.config.as_dict(),
        "stats": model.stats,
        "titles": {str(k): v for k, v in sorted(model.titles.items())},
        "genre_names": {str(k): list(v) for k, v in sorted(model.genre_names.items())},
        "person_names": {str(k): v for k, v in sorted(model.person_names.items())},
    }


def _model_from(arrays: dict[str, Any], meta: dict[str, Any], source: object) -> RecommenderModel:
    if meta.get("format") != ENGINE_FORMAT:
        raise ValueError(f"unsupported recommender model format {meta.get('format')!r} in {source}")
    return RecommenderModel(
        item_ids=arrays["item_ids"].astype(np.int64),
        ease=collaborative_from_arrays(arrays),
        content=ContentModel.from_arrays(arrays),
        counts=arrays["counts"].astype(np.float32),
        catalog_popularity=arrays.get("catalog_popularity"),
        config=HybridConfig.from_dict(meta["config"]),
        version=meta["version"],
        titles={int(k): v for k, v in meta["titles"].items()},
        genre_names={int(k): (v[0], v[1]) for k, v in meta["genre_names"].items()},
        person_names={int(k): v for k, v in meta["person_names"].items()},
        stats=meta["stats"],
    )


def has_model(directory: str | PathLike[str]) -> bool:
    """Whether ``directory`` holds a model ``save_model`` (``reelgraph recs train --out``) wrote."""
    path = Path(directory)
    return (path / MODEL_META).is_file() and (path / MODEL_ARRAYS).is_file()


def save_model(model: RecommenderModel, directory: str | PathLike[str]) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    # Write to a temporary name then rename, so a reader never sees half a model.
    tmp = path / f".{MODEL_ARRAYS}.tmp"
    with tmp.open("wb") as handle:
        np.savez_compressed(handle, **_model_arrays(model))
    meta_tmp = path / f".{MODEL_META}.tmp"
    meta_tmp.write_text(json.dumps(_model_meta(model), ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tmp.replace(path / MODEL_ARRAYS)
    meta_tmp.replace(path / MODEL_META)
    return path


def load_model(directory: str | PathLike[str]) -> RecommenderModel:
    path = Path(directory)
    meta = json.loads((path / MODEL_META).read_text(encoding="utf-8"))
    with np.load(path / MODEL_ARRAYS, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return _model_from(arrays, meta, path)


# In a blob, the JSON metadata travels as one more (uint8) array of the same compressed .npz.
BLOB_META = "__meta_json__"


def model_to_bytes(model: RecommenderModel) -> bytes:
    """The model as one compressed .npz (arrays + its JSON metadata): what the database stores.

    Never a pickle: loading reads plain arrays and JSON (``allow_pickle=False``).
    """
    meta = json.dumps(_model_meta(model), ensure_ascii=False, sort_keys=True).encode("utf-8")
    arrays = _model_arrays(model)
    arrays[BLOB_META] = np.frombuffer(meta, dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def model_from_bytes(blob: bytes) -> RecommenderModel:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(arrays.pop(BLOB_META).tobytes().decode("utf-8"))
    return _model_from(arrays, meta, "a stored model")
