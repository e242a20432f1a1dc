"""AutoSynthDa optimiser: the driver, its study configs and the command line."""
