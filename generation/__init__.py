"""AutoSynthDa generation: poses in, blended pose sequences (and later rendered clips) out."""
