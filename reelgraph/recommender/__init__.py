"""Recommendations: content (TF-IDF), collaborative (EASE), their hybrid, reasons, evaluation.

The server uses ``reelgraph.recommender.engine.RecommenderEngine``. The modules:

* ``profile`` (what a viewer told us), ``model`` (the trained state), ``training``, ``scoring``,
  ``explain`` (reasons), ``storage`` (model files, community prior), ``engine`` (the facade);
* the building blocks ``collaborative`` (EASE and baselines), ``content`` (item vectors) and
  ``hybrid`` (blending, the weights chosen offline);
* offline: ``movielens`` (ratings files), ``splitting`` (the protocol's splits and folds),
  ``metrics``, ``evaluation`` (the runner and its report), ``tuning``, ``batch``; ``cli`` adds
  them as ``reelgraph recs ...``.

Nothing is imported here, so that importing this package (the ``reelgraph`` command does, to add
``recs``) does not pull in NumPy, SciPy and scikit-learn.
"""
