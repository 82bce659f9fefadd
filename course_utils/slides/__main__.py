"""``python -m course_utils.slides --out slides``: every lesson as an offline deck."""

import sys

from .build import main

sys.exit(main())
