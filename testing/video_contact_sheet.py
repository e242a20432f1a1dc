"""The README's picture of a video study: real frames next to the synthetic clips made from them.

    python -m testing.video_contact_sheet studies/videos_demo.yaml --out docs/img/contact_sheet_videos.png

Sets the study up in a scratch folder (at --size px, tracking off), draws one trial's dataset (weight --weight, one
synthetic clip per train video of the target), and writes a contact sheet: each synthetic clip below the real video
its pose came from (it sits on that video's clean plate, seen from its fitted camera).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def _clip(folder: Path) -> np.ndarray:
    frames = sorted(p for p in (folder / "rgb").iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in frames])


def video_contact_sheet(config_path: Path, out: Path, *, size: int = 128, weight: float = 0.5, rows: int = 3) -> Path:
    from generation.dataset import TrialManifest
    from generation.writers import write_contact_sheet
    from optimizer.config import load_config
    from optimizer.study import StudyPaths, prepare_study

    config = load_config(config_path, **{"render.size": size, "tracking.enabled": False, "name": "contact_sheet"})
    with tempfile.TemporaryDirectory() as scratch:
        paths = StudyPaths.for_study(config.name, Path(scratch))
        prepared = prepare_study(config, paths=paths, device="cpu", log=print)
        ratio = 1.0  # one synthetic clip per real train video of the target
        manifest: TrialManifest = prepared.assemble(Path(scratch) / "trial", weight=weight, ratio=ratio, seed=0)
        by_source = {c.source: c for c in manifest.clips if c.kind == "real" and c.split == "train"}
        clips, labels = [], []
        seen = set()
        for record in (c for c in manifest.clips if c.kind == "synthetic"):
            real = by_source[record.pair[0]]
            if real.video in seen:
                continue
            seen.add(real.video)
            clips += [_clip(Path(scratch) / "trial" / "train" / real.label / real.video),
                      _clip(Path(scratch) / "trial" / record.split / record.label / record.video)]
            labels += [f"real {real.video}", f"synthetic w={weight:g} ({record.view})"]
            if len(seen) == rows:
                break
        out.parent.mkdir(parents=True, exist_ok=True)
        return write_contact_sheet(clips, out, labels=labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--weight", type=float, default=0.5)
    parser.add_argument("--rows", type=int, default=3, help="real/synthetic row pairs")
    args = parser.parse_args()
    print(video_contact_sheet(args.config, args.out, size=args.size, weight=args.weight, rows=args.rows))


if __name__ == "__main__":
    main()
