"""Writers for rendered clips: TAO frame folders, mp4 previews, contact sheets; all-or-nothing on disk."""

from generation.atomic import check_writable_dir, sweep_partials
from generation.writers._arrays import as_frames, split_batch
from generation.writers.contact_sheet import contact_sheet, write_contact_sheet
from generation.writers.errors import WriterError
from generation.writers.frames import FRAME_FORMATS, default_workers, write_frame_folder, write_frame_folders
from generation.writers.video import mp4_encoder, write_mp4

__all__ = [
    "FRAME_FORMATS", "WriterError", "as_frames", "check_writable_dir", "contact_sheet", "default_workers",
    "mp4_encoder", "split_batch", "sweep_partials", "write_contact_sheet", "write_frame_folder",
    "write_frame_folders", "write_mp4",
]
