"""``python -m bot.sim``: the exchange simulator as its own process (= ``marginwatch sim``)."""

import sys

from bot.sim.cli import main

sys.exit(main())
