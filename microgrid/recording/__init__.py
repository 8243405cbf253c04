"""Watch a training run learn, from one file: ``microgrid.train.record`` and ``train --record``.

    from microgrid.train import record
    history = record("run.html", mlp, X, y, objective, optimizer, steps=2000)

writes one self-contained HTML page (no network, no CDN; it opens from file://) that plays the
run back: a scrubber and Play, the loss and accuracy curves, the decision regions with the
points, and the network view with every weight coloured by its sign and drawn as thick as its
size, at each recorded step.  The page's script (``player.js``, ``player.css``) is the one the
site's training playground uses, fed live instead of from a recording (`Stepper`).
"""

from .page import Recorder, Recording, recorded_steps
from .stepper import Stepper

__all__ = ["Recorder", "Recording", "recorded_steps", "Stepper"]
