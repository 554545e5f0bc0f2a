"""Downloadable assets: one registry, one verified download path, mirrors, and ``labkit assets``.

- :mod:`labkit.assets.registry` — every asset's file, URL, checksum, cache location and offline default;
- :mod:`labkit.assets.store` — the cache/download candidates the loaders use (damaged = error);
- :mod:`labkit.assets.download` — streaming, resumable HTTP (and mirror folders);
- :mod:`labkit.assets.mirror` — ``LABKIT_MIRROR`` and its ``labkit-assets.json``;
- :mod:`labkit.assets.manifest` — what was fetched, with sizes and sha256, for later checks;
- :mod:`labkit.cli.assets` (the command line) — ``labkit assets status|fetch|verify|export|import``.
"""
