"""How a study's clips are rendered: the settings and their allowed values (no torch here, so that reading a study
config stays light)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from generation.choices import Appearance, Background, Body, CameraMode, FrameFormat, names

if TYPE_CHECKING:
    from generation.render import RenderOptions

APPEARANCES: tuple[str, ...] = names(Appearance)
BODIES: tuple[str, ...] = names(Body)
LOOK_BACKGROUNDS: tuple[str, ...] = names(Background)
CAMERA_MODES: tuple[str, ...] = names(CameraMode)


@dataclass(frozen=True)
class RenderSettings:
    """How a study's clips are rendered. Real and synthetic clips share them, so the recogniser cannot tell the two
    apart by looks (a classic shortcut): only the motion differs.

    The study config's `render:` section (optimizer.config.RenderConfig) has the same fields but device and
    batch_clips, and builds these settings from itself.

    size: frame edge in pixels (TAO resizes to 224 anyway; the embedded scorer uses less). real_views: views each real
    clip is rendered from (one video per view). synthetic_views: the views synthetic clips draw from, views_per_clip of
    them per blended pair. appearance: "synthda" (grey avatar on grey) or "randomized" (lights, colours, gradients).
    body: "mannequin" (licence-free capsules on the joints) or "smpl" (SMPL fitted to the joints and its mesh
    rendered; smpl_model_dir holds the user's SMPL_NEUTRAL.pkl, None: $SMPL_MODEL_DIR).
    background (video studies): "auto" (what the appearance draws) or "plates" (clean plates of the train videos).
    camera (video studies): "views" (synthetic_views) or "source" (each blended pair's first clip seen by its base
    source video's fitted camera, the others from synthetic_views).
    """

    size: int = 224
    format: FrameFormat = "jpg"
    real_views: str = "front"
    synthetic_views: str = "front,front-left,front-right,random:4"
    views_per_clip: int = 1
    appearance: Appearance = "synthda"
    batch_clips: int = 16
    device: str = "auto"
    body: Body = "mannequin"
    smpl_model_dir: str | None = None
    background: Background = "auto"
    camera: CameraMode = "views"

    def options(self) -> RenderOptions:
        from generation.render import RenderOptions

        return RenderOptions.randomized() if self.appearance == "randomized" else RenderOptions()

    def to_dict(self) -> dict:
        settings = asdict(self)
        if self.body == "mannequin":  # the mannequin's settings hash as before the SMPL option: caches stay valid
            del settings["body"], settings["smpl_model_dir"]
        for name, default in (("background", "auto"), ("camera", "views")):  # added for video studies: same rule
            if settings[name] == default:
                del settings[name]
        return settings
