import sys

from newsalign.cli import main

sys.exit(main())
