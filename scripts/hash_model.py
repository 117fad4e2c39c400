"""Record the SHA-256 of a model directory's files in its model.json (a model saved before
tcramp recorded them, e.g. the shipped one); nothing is retrained. Check the files first: the
hashes vouch for whatever is there now.

    python scripts/hash_model.py src/tcramp/shipped
"""

import json
import sys
from dataclasses import replace
from pathlib import Path

from tcramp.models import MODEL_FILE, ModelMeta, model_files, sha256

directory = Path(sys.argv[1])
data = json.loads((directory / MODEL_FILE).read_text())
meta = ModelMeta.from_json(json.dumps({"files": {}, **data}), directory / MODEL_FILE)
meta = replace(meta, files={k: sha256(f) for k, f in model_files(directory, meta).items()})
(directory / MODEL_FILE).write_text(meta.to_json())
print(f"{len(meta.files)} files hashed -> {directory / MODEL_FILE}")
