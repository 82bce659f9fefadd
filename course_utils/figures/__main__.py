"""``python -m course_utils.figures``: draw every figure into Images/ (``make images``)."""

import sys

from .images import main

sys.exit(main())
