"""`python -m sportsfeed`: the same as the `sportsfeed` command."""

import sys

from sportsfeed.cli import main

sys.exit(main())
